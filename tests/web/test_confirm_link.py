"""LINK verification: the sign-up email carries a /confirmUser link instead of a code to type."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.sandbox import PASSWORD, Sandbox, start_sandbox, unique_email

LINK_RESOURCE = """from userpool import define_auth

auth = define_auth(login_with={"email": {
    "verification_email_style": "LINK",
    "verification_email_subject": "Confirm your account",
    "verification_email_body": lambda create_link: f"Welcome! {create_link('Confirm my account')}",
}})
"""


@pytest.fixture(scope="module")
def link_box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    box = start_sandbox(Path(tmp_path_factory.mktemp("link")), LINK_RESOURCE)
    yield box
    box.stop()


def _link(box: Sandbox, email: str) -> str:
    [message] = [m for m in box.messages() if m["to"] == email]
    assert message["subject"] == "Confirm your account"
    match = re.search(r'<a href="([^"]+)">Confirm my account</a>', message["body"])
    assert match, message["body"]
    return html.unescape(match.group(1))


def test_the_link_confirms_once(link_box: Sandbox) -> None:
    email = unique_email("link")
    assert (
        link_box.call("SignUp", {"ClientId": link_box.client_id, "Username": email, "Password": PASSWORD}).status_code
        == 200
    )
    link = _link(link_box, email)
    assert link.startswith(f"{link_box.endpoint}/confirmUser?client_id={link_box.client_id}&user_name=")
    with httpx.Client(follow_redirects=False) as browser:
        confirmed = browser.get(link)
        assert confirmed.status_code == 303 and "notice=confirmed" in confirmed.headers["location"]
        signed_in = link_box.call(
            "InitiateAuth",
            {
                "ClientId": link_box.client_id,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD},
            },
        )
        assert signed_in.status_code == 200, signed_in.text
        again = browser.get(link)
        assert again.status_code == 400 and "does not work" in again.text


def test_a_tampered_link_confirms_nothing(link_box: Sandbox) -> None:
    email = unique_email("link")
    link_box.call("SignUp", {"ClientId": link_box.client_id, "Username": email, "Password": PASSWORD})
    link = _link(link_box, email)
    with httpx.Client(follow_redirects=False) as browser:
        wrong = browser.get(re.sub(r"confirmation_code=\w+", "confirmation_code=deadbeef", link))
        assert wrong.status_code == 400
        assert browser.get(link.replace(link_box.client_id, "nope")).status_code == 400
        assert browser.get(f"{link_box.endpoint}/confirmUser").status_code == 400
    refused = link_box.call(
        "InitiateAuth",
        {
            "ClientId": link_box.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD},
        },
    )
    assert refused.json()["__type"] == "UserNotConfirmedException"
