"""What the console's pages read, each in one unit of work, through the admin flows (the same reads the
signed admin API answers): a user's page, a page of users, a group's page, and the audit log.

The console changes nothing through this module: changes go through the admin flows themselves, wrapped
in `core.audit.audited`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from userpool.core.console_records import AuditEntry, SignInEvent
from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException
from userpool.core.flows import admin_users, groups, listing
from userpool.core.flows.admin_users import UserView
from userpool.core.model import Device, Group, User
from userpool.core.sign_in_events import KEEP

PAGE = 25
AUDIT_PAGE = 50


@dataclass(frozen=True)
class UserPage:
    view: UserView
    groups: list[Group]
    all_groups: list[Group]
    devices: list[Device]
    sign_ins: Sequence[SignInEvent]


def user_page(ctx: Ctx, *, username: str) -> UserPage:
    pool_id = ctx.pool.pool_id
    view = admin_users.get_user(ctx, user_pool_id=pool_id, username=username)
    member_of, _ = groups.list_groups_for_user(ctx, user_pool_id=pool_id, username=username, limit=60)
    found, _ = admin_users.list_devices(ctx, user_pool_id=pool_id, username=username, limit=60, pagination_token=None)
    return UserPage(
        view=view,
        groups=member_of,
        all_groups=list(ctx.tx.list_groups(pool_id)),
        devices=found,
        sign_ins=ctx.tx.list_sign_in_events(pool_id, view.user.sub, limit=KEEP),
    )


@dataclass(frozen=True)
class UserSearch:
    """The users list's search form: a searchable attribute and a value (exact or starting with), or a
    group. Empty: every user."""

    attribute: str = ""
    value: str = ""
    prefix: bool = False
    group: str = ""

    def filter(self) -> str | None:
        if not self.attribute and not self.value:
            return None
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.attribute} {"^=" if self.prefix else "="} "{escaped}"'


@dataclass(frozen=True)
class UserList:
    users: list[User]
    next_token: str | None
    groups: list[Group]


def list_users(ctx: Ctx, *, search: UserSearch, next_token: str | None) -> UserList:
    pool_id = ctx.pool.pool_id
    all_groups = list(ctx.tx.list_groups(pool_id))
    if search.group:
        if search.value:
            raise InvalidParameterException("Search by an attribute or by a group, not both at once.")
        found, token = groups.list_users_in_group(
            ctx, user_pool_id=pool_id, group_name=search.group, limit=PAGE, next_token=next_token
        )
    else:
        found, token = listing.list_users(
            ctx, user_pool_id=pool_id, filter=search.filter(), limit=PAGE, pagination_token=next_token
        )
    return UserList(found, token, all_groups)


@dataclass(frozen=True)
class GroupPage:
    group: Group
    members: list[User]
    next_token: str | None


def group_page(ctx: Ctx, *, name: str, next_token: str | None) -> GroupPage:
    pool_id = ctx.pool.pool_id
    group = groups.get_group(ctx, user_pool_id=pool_id, name=name)
    members, token = groups.list_users_in_group(
        ctx, user_pool_id=pool_id, group_name=name, limit=PAGE, next_token=next_token
    )
    return GroupPage(group, members, token)


def list_groups(ctx: Ctx) -> list[Group]:
    return list(ctx.tx.list_groups(ctx.pool.pool_id))


def audit_log(ctx: Ctx, *, actor: str, target: str, before_id: int | None) -> Sequence[AuditEntry]:
    return ctx.tx.list_audit(
        ctx.pool.pool_id, actor=actor or None, target=target or None, limit=AUDIT_PAGE, before_id=before_id
    )
