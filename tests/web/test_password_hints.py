"""The blocklist on the hosted pages: a "Not a commonly used password" rule under every new password when
the pool has one (never ticked by the script: only the server knows the list), and the server's refusal of
a common password said plainly on the form, in the page's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.sandbox import PASSWORD
from tests.web.browser import alert
from tests.web.hosted_app import hosted
from userpool.web.authenticator import i18n, messages

COMMON = "P@ssw0rd"  # meets the default rules (8+, upper, lower, number, symbol); on every blocklist


def _server_rules(page_text: str) -> list[str]:
    return re.findall(r'<li data-server-rule="common">([^<]*)</li>', page_text)


def test_the_rule_is_listed_but_left_to_the_server(tmp_path: Path) -> None:
    with hosted(tmp_path) as app:
        page = app.get("/signup").text
        assert _server_rules(page) == ["Not a commonly used password"]
        assert 'data-rule="common"' not in page  # the script ticks data-rule items only
        assert 'data-rule="length"' in page


def test_no_rule_without_a_blocklist(tmp_path: Path) -> None:
    with hosted(tmp_path, security={"password_blocklist": False}) as app:
        assert _server_rules(app.get("/signup").text) == []
        with app.browser() as b:
            page = app.get("/signup")
            fields = {"username": "plain@example.com", "password": COMMON, "confirm_password": COMMON}
            assert b.submit(page, fields).status_code == 303  # nothing else refuses it


@pytest.mark.parametrize("lang", sorted(i18n.BUILT_IN))
def test_a_common_password_is_refused_in_the_pages_language(tmp_path: Path, lang: str) -> None:
    texts = i18n.BUILT_IN[lang] if lang != "en" else messages.EN
    with hosted(tmp_path) as app, app.browser() as b:
        page = b.get("/signup", client_id=app.pool.default_client_id, lang=lang)
        assert _server_rules(page.text) == [texts["password.rule_common"]]
        refused = b.submit(page, {"username": "common@example.com", "password": COMMON, "confirm_password": COMMON})
        assert refused.status_code == 400
        assert alert(refused) == texts["error.password_common"]
        assert _server_rules(refused.text) == [texts["password.rule_common"]]  # the rule still shown beside it
        fine = b.submit(refused, {"username": "common@example.com", "password": PASSWORD, "confirm_password": PASSWORD})
        assert fine.status_code == 303


def test_broken_rules_are_named_before_the_blocklist(tmp_path: Path) -> None:
    with hosted(tmp_path) as app, app.browser() as b:
        page = app.get("/signup")
        refused = b.submit(page, {"username": "short@example.com", "password": "abc", "confirm_password": "abc"})
        assert alert(refused).startswith("Your password must have: at least 8 characters")
        assert "common" not in alert(refused)


def test_the_reset_page_shows_the_rule_too(tmp_path: Path) -> None:
    with hosted(tmp_path) as app:
        page = app.get("/confirmForgotPassword", username="someone@example.com")
        assert _server_rules(page.text) == ["Not a commonly used password"]
