"""Groups and who is in them: CreateGroup, GetGroup, UpdateGroup, DeleteGroup, ListGroups,
AdminAddUserToGroup, AdminRemoveUserFromGroup, AdminListGroupsForUser, ListUsersInGroup.

The definition's groups are synced at each deploy (precedence = their position); groups made here are
left alone by deploys. A group's precedence and role decide the tokens' `cognito:groups` order and
`cognito:preferred_role` (core/groups.py), read at each token's issue: a change shows in the next token.
"""

from __future__ import annotations

from dataclasses import replace

from userpool.core import paging
from userpool.core.context import Ctx
from userpool.core.errors import GroupExistsException, InvalidParameterException, ResourceNotFoundException
from userpool.core.flows.admin_users import check_pool, get
from userpool.core.model import Group, User
from userpool.core.store import Page

MAX_PAGE = 60


def _group(ctx: Ctx, user_pool_id: str, name: str) -> Group:
    check_pool(ctx, user_pool_id)
    group = ctx.tx.get_group(ctx.pool.pool_id, name)
    if group is None:
        raise ResourceNotFoundException("Group not found.")
    return group


def _check_precedence(precedence: int | None) -> None:
    if precedence is not None and not 0 <= precedence <= 2**31 - 1:
        raise InvalidParameterException("Precedence must be a non-negative integer")


def create_group(
    ctx: Ctx,
    *,
    user_pool_id: str,
    name: str,
    description: str = "",
    precedence: int | None = None,
    role_arn: str = "",
) -> Group:
    check_pool(ctx, user_pool_id)
    _check_precedence(precedence)
    if ctx.tx.get_group(ctx.pool.pool_id, name) is not None:
        raise GroupExistsException(f"A group with the name {name} already exists.")
    now = ctx.now()
    group = Group(
        pool_id=ctx.pool.pool_id,
        name=name,
        created_at=now,
        updated_at=now,
        precedence=precedence,
        description=description,
        role_arn=role_arn,
    )
    ctx.tx.put_group(group)
    return group


def get_group(ctx: Ctx, *, user_pool_id: str, name: str) -> Group:
    return _group(ctx, user_pool_id, name)


def update_group(
    ctx: Ctx,
    *,
    user_pool_id: str,
    name: str,
    description: str | None = None,
    precedence: int | None = None,
    role_arn: str | None = None,
) -> Group:
    """UpdateGroup: what is given changes, what is left out stays (as Cognito's UpdateGroup)."""
    group = _group(ctx, user_pool_id, name)
    _check_precedence(precedence)
    changes: dict[str, object] = {}
    if description is not None:
        changes["description"] = description
    if precedence is not None:
        changes["precedence"] = precedence
    if role_arn is not None:
        changes["role_arn"] = role_arn
    updated = replace(group, **changes, updated_at=ctx.now())  # type: ignore[arg-type]
    ctx.tx.put_group(updated)
    return updated


def delete_group(ctx: Ctx, *, user_pool_id: str, name: str) -> None:
    """The group and its memberships. A group of the definition comes back at the next deploy (empty)."""
    _group(ctx, user_pool_id, name)
    ctx.tx.delete_group(ctx.pool.pool_id, name)


def list_groups(
    ctx: Ctx, *, user_pool_id: str, limit: int | None = None, next_token: str | None = None
) -> tuple[list[Group], str | None]:
    """ListGroups: by precedence, then name. Pools hold few groups: a page is a slice of the list."""
    check_pool(ctx, user_pool_id)
    size = paging.limit(limit, MAX_PAGE)
    cursor = paging.decode(ctx, "list_groups", next_token)
    start = int(cursor) if cursor else 0
    everything = list(ctx.tx.list_groups(ctx.pool.pool_id))
    more = start + size < len(everything)
    return everything[start : start + size], paging.encode(ctx, "list_groups", str(start + size) if more else None)


def add_user_to_group(ctx: Ctx, *, user_pool_id: str, username: str, group_name: str) -> None:
    """AdminAddUserToGroup; adding a member again is no error."""
    user = get(ctx, user_pool_id, username)
    _group(ctx, user_pool_id, group_name)
    ctx.tx.add_user_to_group(ctx.pool.pool_id, group_name, user.sub, ctx.now())


def remove_user_from_group(ctx: Ctx, *, user_pool_id: str, username: str, group_name: str) -> None:
    user = get(ctx, user_pool_id, username)
    _group(ctx, user_pool_id, group_name)
    ctx.tx.remove_user_from_group(ctx.pool.pool_id, group_name, user.sub)


def list_groups_for_user(
    ctx: Ctx, *, user_pool_id: str, username: str, limit: int | None = None, next_token: str | None = None
) -> tuple[list[Group], str | None]:
    """AdminListGroupsForUser: by name, `limit` (at most 60) at a time."""
    user = get(ctx, user_pool_id, username)
    listing = f"groups_for_user:{user.sub}"
    page: Page[Group] = ctx.tx.list_groups_for_user(
        ctx.pool.pool_id,
        user.sub,
        limit=paging.limit(limit, MAX_PAGE),
        after=paging.decode(ctx, listing, next_token),
    )
    return list(page.items), paging.encode(ctx, listing, page.next)


def list_users_in_group(
    ctx: Ctx, *, user_pool_id: str, group_name: str, limit: int | None = None, next_token: str | None = None
) -> tuple[list[User], str | None]:
    """ListUsersInGroup: keyset pages, stable while members come and go."""
    _group(ctx, user_pool_id, group_name)
    listing = f"users_in_group:{group_name}"
    page = ctx.tx.list_users_in_group(
        ctx.pool.pool_id,
        group_name,
        limit=paging.limit(limit, MAX_PAGE),
        after=paging.decode(ctx, listing, next_token),
    )
    return list(page.items), paging.encode(ctx, listing, page.next)
