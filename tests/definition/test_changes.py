"""Redeploys: what a deployed pool refuses (with every change listed and the ways forward), and what applies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.pool import MovableClock
from userpool import define_auth
from userpool.crypto.sealing import Sealer
from userpool.definition.changes import IrreversibleChangeError, irreversible_changes, summary
from userpool.deploy import deploy
from userpool.store import SqlStore, open_store
from userpool.system import SystemRandom

SEED: dict[str, Any] = {"login_with": {"email": True}}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [c.describe() for c in irreversible_changes(summary(define_auth(**before)), summary(define_auth(**after)))]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ({"login_with": {"phone": True}}, "login_with (username_attributes): email → phone_number"),
        (
            {"login_with": {"email": True, "phone": True}},
            "login_with (username_attributes): email → email, phone_number",
        ),
        ({"login_with": {"username": True, "email": True}}, "login_with (alias_attributes): (none) → email"),
        ({"login_with": {"email": True}, "name": "other"}, "name: amplifyAuth → other"),
        (
            {"login_with": {"email": True}, "user_attributes": {"givenName": {"required": True}}},
            "user_attributes.given_name: default settings → required=True, mutable=True",
        ),
        (
            {"login_with": {"email": True}, "user_attributes": {"email": {"required": False}}},
            "user_attributes.email.required: True → False",
        ),
    ],
)
def test_what_a_deployed_pool_refuses(after: dict[str, Any], expected: str) -> None:
    assert expected in "\n".join(_changes(SEED, after))


def test_custom_attributes_cannot_be_removed_or_retyped() -> None:
    with_plan = {**SEED, "user_attributes": {"custom:plan": {"data_type": "String"}}}
    assert _changes(with_plan, SEED) == [
        "user_attributes.custom:plan: declared → removed: custom attributes cannot be removed"
    ]
    retyped = {**SEED, "user_attributes": {"custom:plan": {"data_type": "Number"}}}
    assert "user_attributes.custom:plan.type: String → Number" in _changes(with_plan, retyped)[0]


def test_a_verification_method_cannot_be_removed() -> None:
    both = {"login_with": {"username": True, "email": True, "phone": True}}
    only_email = {"login_with": {"username": True, "email": True}}
    assert any("a verification method cannot be removed" in c for c in _changes(both, only_email))


@pytest.mark.parametrize(
    "after",
    [
        {**SEED, "groups": ["ADMINS"]},
        {**SEED, "password_policy": {"min_length": 14}},
        {**SEED, "multifactor": {"mode": "OPTIONAL", "totp": True}},
        {**SEED, "user_attributes": {"custom:plan": {"data_type": "String"}, "nickname": {}}},
        {"login_with": {"email": {"verification_email_subject": "Hi", "verification_email_body": lambda c: f"{c()}!"}}},
    ],
)
def test_what_applies_live(after: dict[str, Any]) -> None:
    assert _changes(SEED, after) == []


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    s = open_store(f"sqlite:///{tmp_path / 'pool.db'}", Sealer(bytes(range(32))))
    yield s
    s.close()


def _deploy(store: SqlStore, **options: Any) -> Any:
    return deploy(store, define_auth(**options), region="us-east-1", clock=MovableClock(), random=SystemRandom())


def test_deploy_refuses_before_writing_and_keeps_users(store: SqlStore) -> None:
    first = _deploy(store, **SEED, groups=["ADMINS"])
    with store.begin() as tx:
        before = tx.get_pool(first.pool.id)
    with pytest.raises(IrreversibleChangeError) as exc:
        _deploy(store, login_with={"phone": True}, groups=["OTHERS"])
    message = str(exc.value)
    assert "these changes cannot be applied to the deployed user pool" in message
    assert "login_with (username_attributes): email → phone_number" in message
    assert "`userpool sandbox delete`" in message and "revert" in message
    with store.begin() as tx:
        assert tx.get_pool(first.pool.id) == before  # nothing applied
        assert [g.name for g in tx.list_groups(first.pool.id)] == ["ADMINS"]


def test_renaming_the_definition_is_refused_not_a_new_pool(store: SqlStore) -> None:
    _deploy(store, **SEED)
    with pytest.raises(IrreversibleChangeError, match="name: amplifyAuth → renamed"):
        _deploy(store, **SEED, name="renamed")


def test_groups_follow_the_definition(store: SqlStore) -> None:
    deployment = _deploy(store, **SEED, groups=["ADMINS", "EDITORS"])
    pool_id = deployment.pool.id
    with store.begin() as tx:
        assert [(g.name, g.precedence) for g in tx.list_groups(pool_id)] == [("ADMINS", 0), ("EDITORS", 1)]
        from userpool.core.model import Group

        tx.put_group(Group(pool_id=pool_id, name="made-at-run-time", created_at=0, updated_at=0))
    _deploy(store, **SEED, groups=["EDITORS", "READERS"])
    with store.begin() as tx:
        groups = [(g.name, g.precedence) for g in tx.list_groups(pool_id)]
    assert groups == [("EDITORS", 0), ("READERS", 1), ("made-at-run-time", None)]


def test_clients_follow_the_definition_and_keep_their_ids(store: SqlStore) -> None:
    one = _deploy(store, **SEED, clients=[{"name": "backend", "generate_secret": True}, {"name": "mobile"}])
    backend, mobile = one.client_named("backend"), one.client_named("mobile")
    assert backend is not None and mobile is not None and backend.secret and mobile.secret is None
    assert backend.explicit_auth_flows == ("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH")
    two = _deploy(store, **SEED, clients=[{"name": "backend", "generate_secret": True, "access_token_validity": 600}])
    again = two.client_named("backend")
    assert again is not None and (again.id, again.secret) == (backend.id, backend.secret)
    assert again.access_token_validity == 600 and two.client_named("mobile") is None
    assert two.client.id == one.client.id  # the default client never changes
    with store.begin() as tx:
        assert tx.get_client(mobile.id) is None


def test_the_default_client_takes_the_providers_urls(store: SqlStore) -> None:
    deployment = _deploy(
        store,
        login_with={
            "email": True,
            "external_providers": {
                "callback_urls": ["https://app.example.com/cb"],
                "logout_urls": ["https://app.example.com/"],
                "scopes": ["OPENID", "EMAIL"],
            },
        },
    )
    client = deployment.client
    assert client.callback_urls == ("https://app.example.com/cb",) and client.logout_urls == (
        "https://app.example.com/",
    )
    assert client.allowed_oauth_scopes == ("openid", "email")


def test_a_client_must_be_able_to_write_the_required_attributes() -> None:
    from userpool.definition import DefinitionError

    with pytest.raises(DefinitionError, match=r"clients\[0\].write_attributes: must include the required attribute"):
        define_auth(
            **SEED,
            user_attributes={"given_name": {"required": True}},
            clients=[{"name": "x", "write_attributes": ["email"]}],
        )
