"""DescribeUserPool, DescribeUserPoolClient, ListUserPoolClients: what the pool and its app clients are,
read from the deployed definition (the pool's settings) and the store (ids, dates, clients, counts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from userpool.core import paging
from userpool.core.clients import get_client
from userpool.core.config import PoolConfig
from userpool.core.context import Ctx
from userpool.core.errors import ResourceNotFoundException
from userpool.core.flows.admin_users import check_pool
from userpool.core.model import Client, Pool

MAX_CLIENTS = 60


@dataclass(frozen=True)
class PoolDescription:
    pool: Pool
    config: PoolConfig
    user_count: int


def describe_user_pool(ctx: Ctx, *, user_pool_id: str) -> PoolDescription:
    check_pool(ctx, user_pool_id)
    pool = ctx.tx.get_pool(ctx.pool.pool_id)
    if pool is None:
        raise ResourceNotFoundException(f"User pool {user_pool_id} does not exist.")
    return PoolDescription(pool, ctx.pool, ctx.tx.count_users(ctx.pool.pool_id))


def describe_user_pool_client(ctx: Ctx, *, user_pool_id: str, client_id: str) -> Client:
    check_pool(ctx, user_pool_id)
    return get_client(ctx, client_id)


def list_user_pool_clients(
    ctx: Ctx, *, user_pool_id: str, limit: int | None = None, next_token: str | None = None
) -> tuple[Sequence[Client], str | None]:
    check_pool(ctx, user_pool_id)
    size = paging.limit(limit, MAX_CLIENTS)
    cursor = paging.decode(ctx, "list_clients", next_token)
    start = int(cursor) if cursor else 0
    clients = list(ctx.tx.list_clients(ctx.pool.pool_id))
    more = start + size < len(clients)
    return clients[start : start + size], paging.encode(ctx, "list_clients", str(start + size) if more else None)
