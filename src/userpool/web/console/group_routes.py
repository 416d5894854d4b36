"""The groups pages: the list (and creating one), a group's page with its members, editing, adding and
removing members, and deleting (with a confirmation step). Each change is a `core/flows/groups.py` flow
run with its audit entry in one unit of work."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from userpool.api.oauth.context import pool_of
from userpool.core.errors import CognitoError, InvalidParameterException, ResourceNotFoundException
from userpool.core.flows import console_views, groups
from userpool.core.flows.console_sign_in import Operator
from userpool.web.console._http import (
    AuditSpec,
    attempt,
    change,
    checked_form,
    error_page,
    page,
    refusal,
    see_other,
    signed_in,
)

NOTICES = {
    "created": "Group created.",
    "updated": "Group saved.",
    "deleted": "Group deleted.",
    "member_added": "Member added.",
    "member_removed": "Member removed.",
}


def group_url(name: str, notice: str = "") -> str:
    return "/console/group?" + urlencode({"name": name, **({"notice": notice} if notice else {})})


def _precedence(text: str) -> int | CognitoError | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        return InvalidParameterException("Precedence must be a non-negative whole number, or empty.")
    return int(text)


async def _list(
    request: Request, operator: Operator, *, form: dict[str, str], status: int = 200, error: str = ""
) -> Response:
    found = await attempt(request, console_views.list_groups)
    listed = found if isinstance(found, list) else []
    notice = NOTICES.get(request.query_params.get("notice", ""), "") if request.method == "GET" else ""
    return page(request, "groups.html", status=status, operator=operator, groups=listed, error=error,
                notice=notice, form=form)  # fmt: skip


@signed_in
async def groups_page(request: Request, operator: Operator) -> Response:
    if request.method == "GET":
        return await _list(request, operator, form={})
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    name = form.get("name", "").strip()
    precedence = _precedence(form.get("precedence", ""))
    if isinstance(precedence, CognitoError):
        return await _list(request, operator, status=400, error=refusal(precedence), form=form)
    audit: AuditSpec = ("group.create", f"group:{name}", {"precedence": precedence})
    result = await change(
        request,
        operator,
        audit,
        groups.create_group,
        user_pool_id=pool_of(request).config.pool_id,
        name=name,
        description=form.get("description", ""),
        precedence=precedence,
        role_arn=form.get("role_arn", "").strip(),
    )
    if isinstance(result, CognitoError):
        return await _list(request, operator, status=400, error=refusal(result), form=form)
    return see_other(group_url(name, "created"))


async def _group(request: Request, operator: Operator, name: str, *, status: int = 200, error: str = "") -> Response:
    token = request.query_params.get("next") or None
    result = await attempt(request, console_views.group_page, name=name, next_token=token)
    if isinstance(result, ResourceNotFoundException):
        return error_page(request, "No such group", f"There is no group {name!r}.", status=404, operator=operator)
    if isinstance(result, CognitoError):
        return error_page(request, "Refused", refusal(result), status=400, operator=operator)
    next_url = group_url(name) + "&" + urlencode({"next": result.next_token}) if result.next_token else ""
    notice = NOTICES.get(request.query_params.get("notice", ""), "") if request.method == "GET" else ""
    return page(request, "group.html", status=status, operator=operator, g=result, next_url=next_url,
                error=error, notice=notice)  # fmt: skip


@signed_in
async def group(request: Request, operator: Operator) -> Response:
    return await _group(request, operator, request.query_params.get("name", ""))


@signed_in
async def group_action(request: Request, operator: Operator) -> Response:
    action = request.path_params["action"]
    if action not in ("update", "members"):
        return error_page(request, "Not found", "There is no such action.", status=404, operator=operator)
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    name = form.get("name", "")
    pool_id = pool_of(request).config.pool_id
    result: object
    if action == "update":
        precedence = _precedence(form.get("precedence", ""))
        if isinstance(precedence, CognitoError):
            return await _group(request, operator, name, status=400, error=refusal(precedence))
        description = form.get("description", "")
        role_arn = form.get("role_arn", "").strip()
        audit: AuditSpec = ("group.update", f"group:{name}", {"precedence": precedence})
        result = await change(request, operator, audit, groups.update_group, user_pool_id=pool_id, name=name,
                              description=description, precedence=precedence, role_arn=role_arn)  # fmt: skip
        notice = "updated"
    else:
        username, add = form.get("username", "").strip(), form.get("member") == "true"
        flow = groups.add_user_to_group if add else groups.remove_user_from_group
        audit = ("group.add_member" if add else "group.remove_member", f"user:{username}", {"group": name})
        result = await change(request, operator, audit, flow, user_pool_id=pool_id, username=username, group_name=name)
        notice = "member_added" if add else "member_removed"
    if isinstance(result, CognitoError):
        return await _group(request, operator, name, status=400, error=refusal(result))
    return see_other(group_url(name, notice))


@signed_in
async def delete_group(request: Request, operator: Operator) -> Response:
    if request.method == "GET":
        return page(request, "group_delete.html", operator=operator, name=request.query_params.get("name", ""))
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    name = form.get("name", "")
    if form.get("confirm") != name:
        return page(request, "group_delete.html", status=400, operator=operator, name=name,
                    error="Type the group name exactly to confirm.")  # fmt: skip
    audit: AuditSpec = ("group.delete", f"group:{name}", {})
    pool_id = pool_of(request).config.pool_id
    result = await change(request, operator, audit, groups.delete_group, user_pool_id=pool_id, name=name)
    if isinstance(result, CognitoError):
        return page(request, "group_delete.html", status=400, operator=operator, name=name, error=refusal(result))
    return see_other("/console/groups?notice=deleted")
