"""ListUsers: every user of the pool, or those one filter picks, a page at a time.

Filter syntax (Cognito's): `<attribute> = "<value>"` (exact) or `<attribute> ^= "<value>"` (starts with);
a `"` or `\\` inside the value is escaped with `\\`. One attribute per filter, among
username, email, phone_number, name, given_name, family_name, preferred_username,
cognito:user_status (UNCONFIRMED, CONFIRMED, …), status (Enabled / Disabled) and sub. `username` and `sub`
match case-sensitively, the others not. An empty filter lists everyone.

Pages are keyset pages (`core.store.UserQuery`): the PaginationToken is where the last page ended, under a
MAC bound to the filter, so users added between two calls neither repeat nor push others out of view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from userpool.core import paging
from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException
from userpool.core.flows.admin_users import check_pool
from userpool.core.model import User
from userpool.core.store import SEARCHABLE, UserQuery, search_value

MAX_PAGE = 60
_FILTER = re.compile(r'\s*([A-Za-z_:]+)\s*(\^=|=)\s*"((?:[^"\\]|\\.)*)"\s*')


@dataclass(frozen=True)
class Filter:
    attribute: str
    value: str
    prefix: bool


def parse_filter(text: str | None) -> Filter | None:
    """A filter string as Cognito reads it; None for an empty one. InvalidParameterException says what is wrong."""
    if text is None or not text.strip():
        return None
    match = _FILTER.fullmatch(text)
    if match is None:
        raise InvalidParameterException(
            'Error while parsing filter: use <attribute> = "<value>" or <attribute> ^= "<value>", '
            'for example email ^= "ada"'
        )
    attribute, operator, raw = match.groups()
    if attribute not in SEARCHABLE:
        raise InvalidParameterException(
            f"Invalid search attribute: {attribute}. Searchable attributes: {', '.join(SEARCHABLE)}"
        )
    value = re.sub(r"\\(.)", r"\1", raw)
    return Filter(attribute, search_value(attribute, value), operator == "^=")


def list_users(
    ctx: Ctx,
    *,
    user_pool_id: str,
    filter: str | None = None,
    limit: int | None = None,
    pagination_token: str | None = None,
) -> tuple[list[User], str | None]:
    check_pool(ctx, user_pool_id)
    parsed = parse_filter(filter)
    listing = "list_users" if parsed is None else f"list_users:{parsed.attribute}:{parsed.prefix}:{parsed.value}"
    query = UserQuery(
        attribute=None if parsed is None else parsed.attribute,
        value="" if parsed is None else parsed.value,
        prefix=False if parsed is None else parsed.prefix,
        limit=paging.limit(limit, MAX_PAGE),
        after=paging.decode(ctx, listing, pagination_token),
    )
    page = ctx.tx.list_users(ctx.pool.pool_id, query)
    return list(page.items), paging.encode(ctx, listing, page.next)
