"""Sandbox-only endpoints: the outbox of every email and SMS the pool sent. Never mounted by `serve`."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from userpool.core.model import Message
from userpool.service import UserPool


def message_json(m: Message) -> dict[str, object]:
    out: dict[str, object] = {
        "id": m.id,
        "to": m.to,
        "channel": m.channel,
        "subject": m.subject,
        "body": m.body,
        "purpose": m.purpose,
        "created_at": m.created_at,
    }
    if m.code is not None:
        out["code"] = m.code
    return out


def read_messages(pool: UserPool, after_id: int = 0) -> list[dict[str, object]]:
    with pool.store.begin() as tx:
        return [message_json(m) for m in tx.list_messages(pool.config.pool_id, after_id=after_id)]


async def messages(request: Request) -> Response:
    pool: UserPool = request.app.state.pool
    try:
        after = int(request.query_params.get("after", "0"))
    except ValueError:
        return JSONResponse({"message": "after must be a message id (an integer)"}, status_code=400)
    return JSONResponse(await run_in_threadpool(read_messages, pool, after))
