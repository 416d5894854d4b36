"""The pre token generation trigger: V1_0 (ID token) and V2_0 (both tokens, scopes), groups overridden,
the claims the pool owns protected, and its trigger sources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.pool import PoolHarness
from userpool.core import errors, triggers
from userpool.core.flows import account, sign_in
from userpool.definition import DefinitionError, define_auth


class PreToken:
    """A pre token generation trigger answering `response`, keeping the events it saw."""

    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        return {**event, "response": self.response}


def _claims(h: PoolHarness, token: str) -> dict[str, object]:
    return h.pool.signer.verify(token)


def _refresh(h: PoolHarness, refresh_token: str) -> Any:
    return h.pool.run(
        sign_in.initiate_auth,
        client_id=h.client_id,
        flow="REFRESH_TOKEN_AUTH",
        params={"REFRESH_TOKEN": refresh_token},
    )


def test_v1_adds_and_suppresses_id_token_claims(pool_with: Callable[..., PoolHarness]) -> None:
    trigger = PreToken(
        {
            "claimsOverrideDetails": {
                "claimsToAddOrOverride": {"tenant": "acme", "email": "shown@example.com", "plan": "gold"},
                "claimsToSuppress": ["email", "phone_number"],  # suppressing wins over adding
            }
        }
    )
    h = pool_with(pre_token_generation=trigger)
    sub = h.confirmed_user("ada@example.com")
    result = h.password_sign_in("ada@example.com")
    id_token, access = _claims(h, result.id_token), _claims(h, result.access_token)
    assert id_token["tenant"] == "acme" and id_token["plan"] == "gold" and "email" not in id_token
    assert id_token["sub"] == sub and id_token["token_use"] == "id"
    assert "tenant" not in access and access["scope"] == "aws.cognito.signin.user.admin"
    [event] = trigger.events
    assert event["version"] == "1" and event["triggerSource"] == "TokenGeneration_Authentication"
    assert event["response"] == {"claimsOverrideDetails": None}
    assert event["request"] == {
        "userAttributes": {
            "sub": sub,
            "email": "ada@example.com",
            "email_verified": "true",
            "cognito:user_status": "CONFIRMED",
        },
        "groupConfiguration": {"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None},
    }
    assert result.refresh_token
    again = _refresh(h, result.refresh_token)
    assert _claims(h, again.id_token)["tenant"] == "acme"
    assert trigger.events[-1]["triggerSource"] == "TokenGeneration_RefreshTokens"


def test_group_override_replaces_groups_in_both_tokens(pool_with: Callable[..., PoolHarness]) -> None:
    role = "arn:aws:iam::123456789012:role/admins"
    groups = {"groupsToOverride": ["admins"], "iamRolesToOverride": [role], "preferredRole": role}
    h = pool_with(pre_token_generation=PreToken({"claimsOverrideDetails": {"groupOverrideDetails": groups}}))
    h.confirmed_user("ada@example.com")
    result = h.password_sign_in("ada@example.com")
    for token in (result.id_token, result.access_token):
        claims = _claims(h, token)
        assert claims["cognito:groups"] == ["admins"] and claims["cognito:roles"] == [role]
        assert claims["cognito:preferred_role"] == role


@pytest.mark.parametrize(
    "details",
    [
        {"claimsToAddOrOverride": {"sub": "someone-else"}},
        {"claimsToAddOrOverride": {"cognito:groups": "admins"}},
        {"claimsToSuppress": ["exp"]},
        {"claimsToSuppress": ["cognito:username"]},
    ],
)
def test_the_pools_own_claims_cannot_be_changed(pool_with: Callable[..., PoolHarness], details: Any) -> None:
    h = pool_with(pre_token_generation=PreToken({"claimsOverrideDetails": details}))
    h.confirmed_user("ada@example.com")
    with pytest.raises(errors.InvalidLambdaResponseException, match="PreTokenGeneration cannot add, change or"):
        h.password_sign_in("ada@example.com")


@pytest.mark.parametrize(
    ("details", "match"),
    [
        ({"claimsToAddOrOverride": {"level": 3}}, r"claimsOverrideDetails.claimsToAddOrOverride must be an object of"),
        ({"claimsToSuppress": "email"}, r"claimsOverrideDetails.claimsToSuppress must be a list of strings"),
        ({"groupOverrideDetails": {"groupsToOverride": "admins"}}, "groupsToOverride must be a list of strings"),
    ],
)
def test_v1_wrong_shapes_are_named(pool_with: Callable[..., PoolHarness], details: Any, match: str) -> None:
    h = pool_with(pre_token_generation=PreToken({"claimsOverrideDetails": details}))
    h.confirmed_user("ada@example.com")
    with pytest.raises(errors.InvalidLambdaResponseException, match=match):
        h.password_sign_in("ada@example.com")


def test_a_v2_answer_to_a_v1_event_is_refused_with_the_way_forward(pool_with: Callable[..., PoolHarness]) -> None:
    answer = {"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"scopesToAdd": ["orders/read"]}}}
    h = pool_with(pre_token_generation=PreToken(answer))
    h.confirmed_user("ada@example.com")
    with pytest.raises(errors.InvalidLambdaResponseException, match='"version": "V2_0"'):
        h.password_sign_in("ada@example.com")


def test_v2_changes_both_tokens_and_the_scopes(pool_with: Callable[..., PoolHarness]) -> None:
    trigger = PreToken(
        {
            "claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {"claimsToAddOrOverride": {"roles": ["reader", "writer"]}},
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": {"tenant": {"id": 7, "name": "acme"}},
                    "scopesToAdd": ["orders/read"],
                },
            }
        }
    )
    h = pool_with(pre_token_generation={"handler": trigger, "version": "V2_0"})
    h.confirmed_user("ada@example.com")
    result = h.password_sign_in("ada@example.com")
    id_token, access = _claims(h, result.id_token), _claims(h, result.access_token)
    assert id_token["roles"] == ["reader", "writer"] and "tenant" not in id_token
    assert access["tenant"] == {"id": 7, "name": "acme"}
    assert access["scope"] == "aws.cognito.signin.user.admin orders/read"
    assert h.pool.run(account.get_user, access_token=result.access_token).username
    [event] = trigger.events
    assert event["version"] == "2" and event["request"]["scopes"] == ["aws.cognito.signin.user.admin"]
    assert event["response"] == {"claimsAndScopeOverrideDetails": None}


def test_v2_suppressing_the_admin_scope_takes_self_service_away(pool_with: Callable[..., PoolHarness]) -> None:
    answer = {
        "claimsAndScopeOverrideDetails": {
            "accessTokenGeneration": {"scopesToSuppress": ["aws.cognito.signin.user.admin"]}
        }
    }
    h = pool_with(pre_token_generation={"handler": PreToken(answer), "version": "V2_0"})
    h.confirmed_user("ada@example.com")
    result = h.password_sign_in("ada@example.com")
    assert _claims(h, result.access_token)["scope"] == ""
    with pytest.raises(errors.NotAuthorizedException, match="does not have required scopes"):
        h.pool.run(account.get_user, access_token=result.access_token)


@pytest.mark.parametrize(
    ("details", "match"),
    [
        ({"idTokenGeneration": {"claimsToAddOrOverride": {"email_verified": {"a": 1}}}}, "cannot be an object"),
        ({"accessTokenGeneration": {"claimsToAddOrOverride": {"scope": "admin"}}}, "the claim 'scope'"),
        ({"accessTokenGeneration": {"claimsToSuppress": ["client_id"]}}, "the claim 'client_id'"),
        ({"accessTokenGeneration": {"scopesToAdd": ["two words"]}}, "is not a scope"),
        ({"accessTokenGeneration": {"claimsToAddOrOverride": {"x": {1, 2}}}}, "must be a JSON value"),
    ],
)
def test_v2_refusals(pool_with: Callable[..., PoolHarness], details: Any, match: str) -> None:
    h = pool_with(
        pre_token_generation={"handler": PreToken({"claimsAndScopeOverrideDetails": details}), "version": "V2_0"}
    )
    h.confirmed_user("ada@example.com")
    with pytest.raises(errors.InvalidLambdaResponseException, match=match):
        h.password_sign_in("ada@example.com")


def test_a_v1_answer_to_a_v2_event_still_changes_the_id_token(pool_with: Callable[..., PoolHarness]) -> None:
    answer = {"claimsOverrideDetails": {"claimsToAddOrOverride": {"tenant": "acme"}}}
    h = pool_with(pre_token_generation={"handler": PreToken(answer), "version": "V2_0"})
    h.confirmed_user("ada@example.com")
    result = h.password_sign_in("ada@example.com")
    assert _claims(h, result.id_token)["tenant"] == "acme" and "tenant" not in _claims(h, result.access_token)


def test_the_protected_list_covers_every_claim_the_pool_mints(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with()
    h.confirmed_user("ada@example.com")
    result = h.password_sign_in("ada@example.com")
    attributes = {"email", "email_verified"}
    for token in (result.id_token, result.access_token):
        assert set(_claims(h, token)) - attributes <= triggers.PROTECTED


def test_the_definition_takes_a_version_for_pre_token_generation() -> None:
    def fn(event: dict[str, Any]) -> None:
        return None

    with pytest.raises(DefinitionError, match="version"):
        define_auth(login_with={"email": True}, triggers={"pre_token_generation": {"handler": fn, "version": "V9"}})
    with pytest.raises(DefinitionError, match="must be a function"):
        define_auth(login_with={"email": True}, triggers={"pre_sign_up": {"handler": fn}})
    defn = define_auth(login_with={"email": True}, triggers={"preTokenGeneration": {"handler": fn, "version": "V2_0"}})
    assert defn.triggers["pre_token_generation"] is not fn


def test_a_raising_pre_token_generation_fails_the_sign_in(pool_with: Callable[..., PoolHarness]) -> None:
    def broken(event: dict[str, Any]) -> None:
        raise PermissionError("no tenant for this user")

    h = pool_with(pre_token_generation=broken)
    h.confirmed_user("ada@example.com")
    with pytest.raises(errors.UserLambdaValidationException, match="PreTokenGeneration failed with error no tenant"):
        h.password_sign_in("ada@example.com")
    # The token family would have been written before the tokens were minted: it is rolled back with them.
    assert h.count_rows("token_sessions") == 0 and h.count_rows("refresh_tokens") == 0
