"""Pure pieces, with the specs' own test vectors: PKCE, at_hash, redirect matching, scopes, field labels,
the message catalogue."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from userpool.core.config import AttributeSpec, PoolConfig
from userpool.core.flows.hosted import is_loopback, redirect_uri_allowed
from userpool.core.flows.token_endpoint import s256
from userpool.core.tokens import at_hash
from userpool.web.authenticator import messages
from userpool.web.authenticator.fields import login_field, sign_up_fields
from userpool.web.authenticator.security import form_target

TEMPLATES = Path(messages.__file__).parent / "templates"


def test_pkce_s256_rfc7636_appendix_b() -> None:
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_at_hash_oidc_core_appendix_a() -> None:
    assert at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y") == "77QmUPtjPfzWtF2AnpK9RQ"


@pytest.mark.parametrize(
    ("uri", "loopback"),
    [
        ("http://localhost:3000/cb", True),
        ("http://127.0.0.1:1/", True),
        ("http://[::1]:8080/x?y=1", True),
        ("http://LOCALHOST:3000/", True),
        ("http://localhost/", True),
        ("https://localhost:3000/", False),
        ("http://localhost.example.com/", False),
        ("http://user@localhost:3000/", False),
        ("http://localhost:notaport/", False),
        ("http://[::1/", False),
        ("http://127.0.0.2/", False),
    ],
)
def test_loopback(uri: str, loopback: bool) -> None:
    assert is_loopback(uri) is loopback


def test_redirect_uri_matching_is_exact() -> None:
    registered = ("https://app.example.com/cb", "myapp://callback")
    assert redirect_uri_allowed(registered, "https://app.example.com/cb", loopback=False)
    assert redirect_uri_allowed(registered, "myapp://callback", loopback=False)
    for near in ("https://app.example.com/cb/", "https://app.example.com/CB", "https://app.example.com/cb?x=1"):
        assert not redirect_uri_allowed(registered, near, loopback=True)
    assert not redirect_uri_allowed(registered, "http://localhost:3000/", loopback=False)
    assert redirect_uri_allowed(registered, "http://localhost:3000/", loopback=True)
    assert not redirect_uri_allowed(registered, "http://localhost:3000/#x", loopback=True)


def test_form_targets_are_plain_origins() -> None:
    assert form_target("http://localhost:3000/cb?x=1") == "http://localhost:3000"
    assert form_target("myapp://callback") == "myapp:"
    assert form_target("http://[::1]:3000/") is None  # CSP host sources cannot name IPv6 literals


def _config(**kwargs: object) -> PoolConfig:
    return PoolConfig(pool_id="us-east-1_abcdefghi", region="us-east-1", issuer="http://x", **kwargs)  # type: ignore[arg-type]


def test_the_sign_in_label_follows_the_pool() -> None:
    assert messages.t(login_field(_config()).label_id) == "Email"
    assert messages.t(login_field(_config(username_attributes=("phone_number",))).label_id) == "Phone Number"
    assert messages.t(login_field(_config(username_attributes=())).label_id) == "Username"


def test_sign_up_asks_for_required_attributes_and_the_code_address() -> None:
    config = _config(
        username_attributes=(),
        attributes={"given_name": AttributeSpec("given_name", required=True)},
        auto_verified_attributes=("email",),
    )
    assert [f.key for f in sign_up_fields(config)] == ["given_name", "email"]
    assert [f.key for f in sign_up_fields(_config())] == []  # email is the user name


def test_every_message_id_in_the_templates_exists() -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r't\("([a-z_.]+)"', template.read_text()))
    assert used
    assert used <= set(messages.EN)
    assert all(mid in messages.EN for mid in messages.ERRORS.values())


def test_an_unmapped_error_is_generic_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "userpool.web"):
        text = messages.error_text("sign_in", "SomethingNewException", "internal detail")
    assert text == messages.t("error.unknown")
    assert "internal detail" not in text
    assert "SomethingNewException" in caplog.text
