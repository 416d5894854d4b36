"""The pre token generation trigger: claims added or suppressed, groups overridden, scopes changed.

Two event versions, as the pool's definition chooses (Cognito's PreTokenGenerationConfig.LambdaVersion):

- V1_0 (event `version` "1"): `claimsOverrideDetails {claimsToAddOrOverride, claimsToSuppress,
  groupOverrideDetails}` changes the ID token; string values only.
- V2_0 (event `version` "2", request adds `scopes`): `claimsAndScopeOverrideDetails {idTokenGeneration,
  accessTokenGeneration {…, scopesToAdd, scopesToSuppress}, groupOverrideDetails}` changes both tokens;
  values may be any JSON (not for email_verified, phone_number_verified, updated_at, address in the ID token).

`groupOverrideDetails` replaces cognito:groups / cognito:roles / cognito:preferred_role in both tokens. A
claim both added and suppressed is suppressed. Claims Cognito builds itself cannot be added, changed or
suppressed: the trigger is refused (InvalidLambdaResponseException) rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from userpool.core.context import Ctx
from userpool.core.model import User
from userpool.core.triggers._dispatch import (
    Response,
    dispatch,
    refuse,
    section,
    string,
    string_map,
    strings,
    user_attributes,
)

TokenSource = Literal[
    "TokenGeneration_HostedAuth",
    "TokenGeneration_Authentication",
    "TokenGeneration_NewPasswordChallenge",
    "TokenGeneration_AuthenticateDevice",
    "TokenGeneration_RefreshTokens",
]
NAME: Final = "pre_token_generation"
# Claims the pool builds and no trigger may add, change or suppress (Cognito's list, plus what its V2
# documentation reserves on the access token). Groups change only through groupOverrideDetails, scopes only
# through scopesToAdd / scopesToSuppress.
PROTECTED = frozenset(
    {
        "acr",
        "amr",
        "aud",
        "at_hash",
        "auth_time",
        "azp",
        "client_id",
        "cognito:username",
        "device_key",
        "event_id",
        "exp",
        "iat",
        "identities",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "origin_jti",
        "scope",
        "sub",
        "token_use",
        "username",
        "version",
    }
)
GROUP_CLAIMS = ("cognito:groups", "cognito:roles", "cognito:preferred_role")
_FLAT_ID_CLAIMS = frozenset({"email_verified", "phone_number_verified", "updated_at", "address"})


@dataclass(frozen=True)
class ClaimChanges:
    add: Mapping[str, object] = field(default_factory=dict)
    suppress: frozenset[str] = frozenset()

    def apply(self, claims: dict[str, object]) -> None:
        claims.update(self.add)
        for name in self.suppress:
            claims.pop(name, None)


@dataclass(frozen=True)
class GroupOverride:
    groups: tuple[str, ...] = ()
    iam_roles: tuple[str, ...] = ()
    preferred_role: str | None = None

    def apply(self, claims: dict[str, object]) -> None:
        for name in GROUP_CLAIMS:
            claims.pop(name, None)
        if self.groups:
            claims["cognito:groups"] = list(self.groups)
        if self.iam_roles:
            claims["cognito:roles"] = list(self.iam_roles)
        if self.preferred_role:
            claims["cognito:preferred_role"] = self.preferred_role


@dataclass(frozen=True)
class TokenOverrides:
    """What the trigger changes; `apply_id` / `apply_access` edit the claims before they are signed."""

    id_token: ClaimChanges = ClaimChanges()
    access_token: ClaimChanges = ClaimChanges()
    scopes_to_add: tuple[str, ...] = ()
    scopes_to_suppress: tuple[str, ...] = ()
    groups: GroupOverride | None = None  # None: groups as they are

    def apply_id(self, claims: dict[str, object]) -> None:
        if self.groups is not None:
            self.groups.apply(claims)
        self.id_token.apply(claims)

    def apply_access(self, claims: dict[str, object]) -> None:
        if self.groups is not None:
            self.groups.apply(claims)
        self.access_token.apply(claims)
        if self.scopes_to_add or self.scopes_to_suppress:
            scopes = [s for s in str(claims.get("scope", "")).split() if s not in self.scopes_to_suppress]
            scopes += [s for s in dict.fromkeys(self.scopes_to_add) if s not in scopes]
            claims["scope"] = " ".join(scopes)


def pre_token_generation(
    ctx: Ctx,
    *,
    source: TokenSource,
    client_id: str,
    user: User,
    scopes: Sequence[str],
    groups: Sequence[str] = (),
    iam_roles: Sequence[str] = (),
    preferred_role: str | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> TokenOverrides | None:
    """Before the ID and access tokens are signed. None when the pool has no such trigger."""
    if NAME not in ctx.pool.triggers:
        return None
    v2 = ctx.pool.pre_token_generation_version == "V2_0"
    request: dict[str, Any] = {
        "userAttributes": user_attributes(user.attributes, user.status.value),
        "groupConfiguration": {
            "groupsToOverride": list(groups),
            "iamRolesToOverride": list(iam_roles),
            "preferredRole": preferred_role,
        },
    }
    if v2:
        request["scopes"] = list(scopes)
    if client_metadata:
        request["clientMetadata"] = dict(client_metadata)
    details = "claimsAndScopeOverrideDetails" if v2 else "claimsOverrideDetails"
    return dispatch(
        ctx,
        NAME,
        source,
        username=user.username,
        client_id=client_id,
        request=request,
        response={details: None},
        parse=_v2 if v2 else _v1,
        version="2" if v2 else "1",
    )


def _v1(response: Response) -> TokenOverrides:
    if response.get("claimsAndScopeOverrideDetails") is not None:
        raise refuse(
            NAME,
            "answered claimsAndScopeOverrideDetails to a V1_0 event: define the trigger as "
            '{"handler": fn, "version": "V2_0"} to change access tokens',
        )
    details = section(NAME, response, "claimsOverrideDetails") or {}
    path = "claimsOverrideDetails."
    add = string_map(NAME, details, "claimsToAddOrOverride", path) or {}
    return TokenOverrides(
        id_token=_changes(add, strings(NAME, details, "claimsToSuppress", path), path),
        groups=_groups(details, path),
    )


def _v2(response: Response) -> TokenOverrides:
    if response.get("claimsAndScopeOverrideDetails") is None and response.get("claimsOverrideDetails"):
        return _v1(response)  # a V1 answer to a V2 event: it still changes the ID token
    details = section(NAME, response, "claimsAndScopeOverrideDetails") or {}
    path = "claimsAndScopeOverrideDetails."
    id_part = section(NAME, details, "idTokenGeneration", path) or {}
    access_part = section(NAME, details, "accessTokenGeneration", path) or {}
    id_path, access_path = f"{path}idTokenGeneration.", f"{path}accessTokenGeneration."
    id_add = _json_claims(id_part, id_path, flat=_FLAT_ID_CLAIMS)
    access_add = _json_claims(access_part, access_path, flat=frozenset())
    scopes_to_add = strings(NAME, access_part, "scopesToAdd", access_path) or []
    scopes_to_suppress = strings(NAME, access_part, "scopesToSuppress", access_path) or []
    for scope in (*scopes_to_add, *scopes_to_suppress):
        if not scope or any(c.isspace() for c in scope):
            raise refuse(NAME, f"{access_path}scopesToAdd/scopesToSuppress: {scope!r} is not a scope")
    return TokenOverrides(
        id_token=_changes(id_add, strings(NAME, id_part, "claimsToSuppress", id_path), id_path),
        access_token=_changes(access_add, strings(NAME, access_part, "claimsToSuppress", access_path), access_path),
        scopes_to_add=tuple(scopes_to_add),
        scopes_to_suppress=tuple(scopes_to_suppress),
        groups=_groups(details, path),
    )


def _check_name(claim: str, path: str) -> None:
    if claim in PROTECTED or claim.startswith("cognito:"):
        raise refuse(NAME, f"cannot add, change or suppress the claim {claim!r} ({path})")


def _changes(add: Mapping[str, object], suppress: Sequence[str] | None, path: str) -> ClaimChanges:
    for claim in add:
        _check_name(claim, f"{path}claimsToAddOrOverride")
    for claim in suppress or ():
        _check_name(claim, f"{path}claimsToSuppress")
    return ClaimChanges(add=dict(add), suppress=frozenset(suppress or ()))


def _json_claims(part: Response, path: str, *, flat: frozenset[str]) -> dict[str, object]:
    """V2 claim values: any JSON value — except a few ID-token claims that stay plain strings."""
    value = section(NAME, part, "claimsToAddOrOverride", path) or {}
    for claim, item in value.items():
        if not isinstance(claim, str) or not _is_json(item):
            raise refuse(NAME, f"{path}claimsToAddOrOverride.{claim} must be a JSON value")
        if claim in flat and isinstance(item, dict | list):
            raise refuse(NAME, f"{path}claimsToAddOrOverride.{claim} cannot be an object or a list")
    return dict(value)


def _is_json(value: object, depth: int = 0) -> bool:
    if depth > 16:
        return False
    if value is None or isinstance(value, str | bool | int | float):
        return True
    if isinstance(value, list):
        return all(_is_json(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v, depth + 1) for k, v in value.items())
    return False


def _groups(details: Response, path: str) -> GroupOverride | None:
    """groupOverrideDetails: absent keeps the groups; present (even empty) replaces them."""
    if "groupOverrideDetails" not in details:
        return None
    part = section(NAME, details, "groupOverrideDetails", path) or {}
    where = f"{path}groupOverrideDetails."
    return GroupOverride(
        groups=tuple(strings(NAME, part, "groupsToOverride", where) or ()),
        iam_roles=tuple(strings(NAME, part, "iamRolesToOverride", where) or ()),
        preferred_role=string(NAME, part, "preferredRole", where),
    )
