"""Users made by an administrator (admin.create_user) and their NEW_PASSWORD_REQUIRED challenge."""

from __future__ import annotations

import json
from pathlib import Path

import pyotp
import pytest

from tests.support.pool import PASSWORD, PoolHarness, make_pool
from userpool.core import errors
from userpool.core.flows import admin, software_token
from userpool.core.flows.sign_in import Challenge
from userpool.core.model import UserStatus
from userpool.core.policy import check_password
from userpool.core.tokens import AuthResult

ADA = "ada@example.com"
NEW = "N3w-Passw0rd!"


def _invite(h: PoolHarness, **kw: object) -> str:
    user = h.pool.run(admin.create_user, username=ADA, attributes={"email": ADA, "email_verified": "true"}, **kw)
    assert user.status == UserStatus.FORCE_CHANGE_PASSWORD
    invitation = h.messages("invitation")[-1]
    assert invitation.code is not None
    return invitation.code


def test_create_user_sends_a_temporary_password_that_meets_the_policy(harness: PoolHarness) -> None:
    temporary = _invite(harness)
    check_password(harness.pool.config.password_policy, temporary)
    mail = harness.messages("invitation")[-1]
    assert mail.to == ADA and mail.subject == "Your temporary password"
    assert mail.body == f"Your username is {ADA} and temporary password is {temporary}."
    with pytest.raises(errors.UsernameExistsException):
        harness.pool.run(admin.create_user, username=ADA, attributes={})


def test_suppressed_invitation_and_a_given_temporary_password(harness: PoolHarness) -> None:
    harness.pool.run(
        admin.create_user, username=ADA, attributes={}, temporary_password=PASSWORD, message_action="SUPPRESS"
    )
    assert harness.messages("invitation") == []
    assert harness.sign_in_step(ADA).name == "NEW_PASSWORD_REQUIRED"  # type: ignore[union-attr]
    with pytest.raises(errors.InvalidPasswordException):
        harness.pool.run(admin.create_user, username="bob@example.com", attributes={}, temporary_password="short")


def test_new_password_required_then_tokens(harness: PoolHarness) -> None:
    temporary = _invite(harness)
    step = harness.sign_in_step(ADA, temporary)
    assert isinstance(step, Challenge) and step.name == "NEW_PASSWORD_REQUIRED" and step.session
    shown = json.loads(step.parameters["userAttributes"])  # JSON strings, as amazon-cognito-identity-js parses
    assert shown == {"email": ADA} and json.loads(step.parameters["requiredAttributes"]) == []
    with pytest.raises(errors.InvalidPasswordException):
        harness.respond(step.name, {"USERNAME": ADA, "NEW_PASSWORD": "weak"}, step.session)
    result = harness.respond(step.name, {"USERNAME": ADA, "NEW_PASSWORD": NEW}, step.session)  # same Session
    assert isinstance(result, AuthResult)
    with pytest.raises(errors.NotAuthorizedException):
        harness.sign_in_step(ADA, temporary)
    assert isinstance(harness.sign_in_step(ADA, NEW), AuthResult)


def test_new_password_by_srp_first(harness: PoolHarness) -> None:
    temporary = _invite(harness)
    step = harness.srp_sign_in(ADA, temporary)
    assert isinstance(step, Challenge) and step.name == "NEW_PASSWORD_REQUIRED"
    assert isinstance(harness.respond(step.name, {"USERNAME": ADA, "NEW_PASSWORD": NEW}, step.session), AuthResult)


def test_required_attributes_the_user_lacks(tmp_path: Path) -> None:
    h = make_pool(tmp_path, login_with={"email": True}, user_attributes={"given_name": {"required": True}})
    user = h.pool.run(admin.create_user, username=ADA, attributes={"given_name": "Ada"}, temporary_password=PASSWORD)
    with h.store.begin() as tx:  # a required attribute can be missing (made before the pool required it)
        stored = tx.get_user(h.pool.config.pool_id, user.sub)
        assert stored is not None
        del stored.attributes["given_name"]
        tx.update_user(stored)
    step = h.sign_in_step(ADA)
    assert json.loads(step.parameters["requiredAttributes"]) == ["userAttributes.given_name"]  # type: ignore[union-attr]
    with pytest.raises(errors.InvalidParameterException, match="given_name"):
        h.respond("NEW_PASSWORD_REQUIRED", {"USERNAME": ADA, "NEW_PASSWORD": NEW}, step.session)  # type: ignore[union-attr]
    answer = {"USERNAME": ADA, "NEW_PASSWORD": NEW, "userAttributes.given_name": "Ada"}
    result = h.respond("NEW_PASSWORD_REQUIRED", answer, step.session)  # type: ignore[union-attr]
    assert h.pool.signer.verify(result.id_token)["given_name"] == "Ada"
    h.store.close()


def test_an_expired_temporary_password(harness: PoolHarness) -> None:
    temporary = _invite(harness)
    harness.clock.advance(7 * 86400 + 1)
    with pytest.raises(errors.NotAuthorizedException, match=r"^Temporary password has expired and must be reset"):
        harness.sign_in_step(ADA, temporary)


def test_new_password_comes_before_mfa_setup(tmp_path: Path) -> None:
    h = make_pool(tmp_path, login_with={"email": True}, multifactor={"mode": "REQUIRED", "totp": True})
    h.pool.run(admin.create_user, username=ADA, attributes={}, temporary_password=PASSWORD, message_action="SUPPRESS")
    step = h.sign_in_step(ADA)
    assert step.name == "NEW_PASSWORD_REQUIRED"  # type: ignore[union-attr]
    setup = h.respond(step.name, {"USERNAME": ADA, "NEW_PASSWORD": NEW}, step.session)  # type: ignore[union-attr]
    assert isinstance(setup, Challenge) and setup.name == "MFA_SETUP"
    secret, session = h.pool.run(software_token.associate_in_sign_in, session=setup.session or "")
    code = pyotp.TOTP(secret).at(h.clock.now())
    verified = h.pool.run(software_token.verify_in_sign_in, session=session, code=code, name="phone")
    assert isinstance(h.respond("MFA_SETUP", {"USERNAME": ADA}, verified), AuthResult)
    h.store.close()
