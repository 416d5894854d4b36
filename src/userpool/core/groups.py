"""Groups in tokens: which claims a user's groups make, read at each token's issue (so a change shows in
the next token, refreshed ones included).

`cognito:groups` lists the user's groups by precedence (lower first; groups without one last), ties by
name — in the ID and the access token. The ID token also carries `cognito:roles` (the groups' roles, in
that order) and `cognito:preferred_role` (the role of the first group that has one), as Cognito does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from userpool.core.model import Group


def ordered(groups: Iterable[Group]) -> list[Group]:
    return sorted(groups, key=lambda g: (g.precedence is None, g.precedence or 0, g.name))


def roles(groups: Sequence[Group]) -> list[str]:
    """The groups' roles, by precedence, each once."""
    return list(dict.fromkeys(g.role_arn for g in ordered(groups) if g.role_arn))


def id_claims(groups: Sequence[Group]) -> dict[str, object]:
    """The ID token's group claims (none when the user is in no group)."""
    in_order = ordered(groups)
    if not in_order:
        return {}
    claims: dict[str, object] = {"cognito:groups": [g.name for g in in_order]}
    if arns := roles(in_order):
        claims["cognito:roles"] = arns
        claims["cognito:preferred_role"] = arns[0]
    return claims


def access_claims(groups: Sequence[Group]) -> dict[str, object]:
    in_order = ordered(groups)
    return {"cognito:groups": [g.name for g in in_order]} if in_order else {}
