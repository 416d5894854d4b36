"""The audit log page: every change made through the console (and operators' sign-ins and sign-outs),
newest first, filterable by actor and target, paged backwards by entry id."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from userpool.api.oauth.context import run_flow
from userpool.core.flows import console_views
from userpool.core.flows.console_sign_in import Operator
from userpool.web.console._http import page, signed_in


@signed_in
async def audit(request: Request, operator: Operator) -> Response:
    q = request.query_params
    actor, target = q.get("actor", "").strip()[:128], q.get("target", "").strip()[:300]
    before = q.get("before", "")
    before_id = int(before) if before.isdigit() else None
    entries = await run_flow(request, console_views.audit_log, actor=actor, target=target, before_id=before_id)
    older = ""
    if len(entries) == console_views.AUDIT_PAGE and entries[-1].id is not None:
        older = "/console/audit?" + urlencode({"actor": actor, "target": target, "before": entries[-1].id})
    return page(request, "audit.html", operator=operator, entries=entries, actor=actor, target=target, older=older)
