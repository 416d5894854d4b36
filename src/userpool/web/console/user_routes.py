"""The users pages: the list with its search, a user's page and every change made there, and creating
(inviting) a user. Each change is one admin flow (`core/flows/admin*.py`, `groups.py`) run with its audit
entry in one unit of work (`_http.change`); the page then redirects back (POST → 303 → GET) with a notice,
or is shown again with the refusal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from userpool.api.oauth.context import pool_of
from userpool.core.errors import CognitoError, UserNotFoundException
from userpool.core.flows import admin, admin_users, console_views, groups
from userpool.core.flows.console_sign_in import Operator
from userpool.core.flows.console_views import UserSearch
from userpool.core.store import SEARCHABLE
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
    "created": "User created.",
    "disabled": "User disabled: every session of theirs has ended.",
    "enabled": "User enabled.",
    "signed_out": "Every session of the user has ended.",
    "confirmed": "User confirmed.",
    "reset": "Password reset: the user was sent a code to choose a new one.",
    "password": "Password set.",
    "attributes": "Attributes saved.",
    "attribute_deleted": "Attribute deleted.",
    "group_added": "Added to the group.",
    "group_removed": "Removed from the group.",
    "device_forgotten": "Device forgotten.",
}
# Attributes an operator does not type: the immutable `sub`, and the verified flags (set with their own control).
READ_ONLY = frozenset({"sub", "email_verified", "phone_number_verified"})


def user_url(username: str, notice: str = "") -> str:
    query = {"username": username, **({"notice": notice} if notice else {})}
    return f"/console/user?{urlencode(query)}"


def _search(request: Request) -> UserSearch:
    q = request.query_params
    attribute = q.get("attribute", "")
    return UserSearch(
        attribute=attribute if attribute in SEARCHABLE else "",
        value=q.get("value", "").strip()[:256],
        prefix=q.get("match", "prefix") == "prefix",
        group=q.get("group", "").strip()[:128],
    )


@signed_in
async def users(request: Request, operator: Operator) -> Response:
    search = _search(request)
    if search.value and not search.attribute:
        search = UserSearch("username", search.value, search.prefix, search.group)
    token = request.query_params.get("next") or None
    result = await attempt(request, console_views.list_users, search=search, next_token=token)
    context: dict[str, Any] = {"operator": operator, "search": search, "searchable": SEARCHABLE}
    if isinstance(result, CognitoError):
        groups_now = await attempt(request, console_views.list_groups)
        all_groups = groups_now if isinstance(groups_now, list) else []
        return page(request, "users.html", status=400, error=refusal(result), users=[], next_url="",
                    groups=all_groups, **context)  # fmt: skip
    next_url = ""
    if result.next_token:
        query = {k: v for k, v in request.query_params.items() if k != "next"}
        next_url = "/console/users?" + urlencode({**query, "next": result.next_token})
    return page(request, "users.html", users=result.users, next_url=next_url, groups=result.groups, **context)


@signed_in
async def user(request: Request, operator: Operator) -> Response:
    username = request.query_params.get("username", "")
    result = await attempt(request, console_views.user_page, username=username)
    if isinstance(result, UserNotFoundException):
        return error_page(request, "No such user", f"There is no user {username!r}.", status=404, operator=operator)
    if isinstance(result, CognitoError):
        return error_page(request, "Refused", refusal(result), status=400, operator=operator)
    editable = {k: v for k, v in result.view.user.attributes.items() if k not in READ_ONLY}
    notice = NOTICES.get(request.query_params.get("notice", ""), "")
    return page(request, "user.html", operator=operator, p=result, editable=editable, notice=notice)


# -- changes on a user's page ------------------------------------------------------------------------------

Action = Callable[[Request, Operator, str, dict[str, str]], Awaitable[CognitoError | str]]


async def _disable(request: Request, operator: Operator, username: str, form: dict[str, str]) -> CognitoError | str:
    enable = form.get("enabled") == "true"
    result = await change(
        request,
        operator,
        ("user.enable" if enable else "user.disable", f"user:{username}", {}),
        admin_users.set_enabled,
        user_pool_id=pool_of(request).config.pool_id,
        username=username,
        enabled=enable,
    )
    return result if isinstance(result, CognitoError) else ("enabled" if enable else "disabled")


def _plain(audit_action: str, flow: Callable[..., object], done: str) -> Action:
    """A change that takes nothing but the user (sign out everywhere, confirm, reset the password)."""

    async def act(request: Request, operator: Operator, username: str, form: dict[str, str]) -> CognitoError | str:
        pool_id = pool_of(request).config.pool_id
        audit: AuditSpec = (audit_action, f"user:{username}", {})
        result = await change(request, operator, audit, flow, user_pool_id=pool_id, username=username)
        return result if isinstance(result, CognitoError) else done

    return act


async def _password(request: Request, operator: Operator, username: str, form: dict[str, str]) -> CognitoError | str:
    permanent = form.get("permanent") == "true"
    result = await change(
        request,
        operator,
        ("user.set_password", f"user:{username}", {"permanent": permanent}),  # never the password itself
        admin_users.set_user_password,
        user_pool_id=pool_of(request).config.pool_id,
        username=username,
        password=form.get("password", ""),
        permanent=permanent,
    )
    return result if isinstance(result, CognitoError) else "password"


def _attribute_changes(form: dict[str, str]) -> dict[str, str]:
    """`attr.<name>` fields whose value changed from `was.<name>`, the new `new_name`/`new_value` pair, and
    the verified flags' selects."""
    changes = {
        name.removeprefix("attr."): value
        for name, value in form.items()
        if name.startswith("attr.") and form.get("was." + name.removeprefix("attr.")) != value
    }
    new_name, new_value = form.get("new_name", "").strip(), form.get("new_value", "")
    if new_name:
        changes[new_name] = new_value
    for flag in ("email_verified", "phone_number_verified"):
        if flag in form and form[flag] != form.get(f"was.{flag}"):
            changes[flag] = form[flag]
    return changes


async def _attributes(request: Request, operator: Operator, username: str, form: dict[str, str]) -> CognitoError | str:
    values = _attribute_changes(form)
    if not values:
        return "attributes"
    result = await change(
        request,
        operator,
        ("user.update_attributes", f"user:{username}", {"attributes": sorted(values)}),
        admin_users.update_user_attributes,
        user_pool_id=pool_of(request).config.pool_id,
        username=username,
        attributes=values,
    )
    return result if isinstance(result, CognitoError) else "attributes"


async def _delete_attribute(
    request: Request, operator: Operator, username: str, form: dict[str, str]
) -> CognitoError | str:
    name = form.get("name", "")
    result = await change(
        request,
        operator,
        ("user.delete_attribute", f"user:{username}", {"attribute": name}),
        admin_users.delete_user_attributes,
        user_pool_id=pool_of(request).config.pool_id,
        username=username,
        names=[name],
    )
    return result if isinstance(result, CognitoError) else "attribute_deleted"


async def _membership(request: Request, operator: Operator, username: str, form: dict[str, str]) -> CognitoError | str:
    group, add = form.get("group", ""), form.get("member") == "true"
    flow = groups.add_user_to_group if add else groups.remove_user_from_group
    result = await change(
        request,
        operator,
        ("group.add_member" if add else "group.remove_member", f"user:{username}", {"group": group}),
        flow,
        user_pool_id=pool_of(request).config.pool_id,
        username=username,
        group_name=group,
    )
    return result if isinstance(result, CognitoError) else ("group_added" if add else "group_removed")


async def _forget_device(
    request: Request, operator: Operator, username: str, form: dict[str, str]
) -> CognitoError | str:
    key = form.get("device_key", "")
    result = await change(
        request,
        operator,
        ("user.forget_device", f"user:{username}", {"device_key": key}),
        admin_users.forget_device,
        user_pool_id=pool_of(request).config.pool_id,
        username=username,
        device_key=key,
    )
    return result if isinstance(result, CognitoError) else "device_forgotten"


ACTIONS: dict[str, Action] = {
    "enabled": _disable,
    "sign-out": _plain("user.sign_out_everywhere", admin_users.global_sign_out, "signed_out"),
    "confirm": _plain("user.confirm", admin_users.confirm_sign_up, "confirmed"),
    "reset-password": _plain("user.reset_password", admin_users.reset_user_password, "reset"),
    "set-password": _password,
    "attributes": _attributes,
    "delete-attribute": _delete_attribute,
    "membership": _membership,
    "forget-device": _forget_device,
}


@signed_in
async def user_action(request: Request, operator: Operator) -> Response:
    action = ACTIONS.get(request.path_params["action"])
    if action is None:
        return error_page(request, "Not found", "There is no such action.", status=404, operator=operator)
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    username = form.get("username", "")
    outcome = await action(request, operator, username, form)
    if isinstance(outcome, CognitoError):
        shown = await attempt(request, console_views.user_page, username=username)
        if isinstance(shown, CognitoError):
            return error_page(request, "Refused", refusal(outcome), status=400, operator=operator)
        editable = {k: v for k, v in shown.view.user.attributes.items() if k not in READ_ONLY}
        return page(request, "user.html", status=400, operator=operator, p=shown, editable=editable,
                    error=refusal(outcome))  # fmt: skip
    return see_other(user_url(username, outcome))


# -- delete, with a confirmation step -------------------------------------------------------------------


@signed_in
async def delete_user(request: Request, operator: Operator) -> Response:
    if request.method == "GET":
        username = request.query_params.get("username", "")
        return page(request, "user_delete.html", operator=operator, username=username)
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    username = form.get("username", "")
    if form.get("confirm") != username:
        return page(request, "user_delete.html", status=400, operator=operator, username=username,
                    error="Type the user name exactly to confirm.")  # fmt: skip
    pool_id = pool_of(request).config.pool_id
    audit: AuditSpec = ("user.delete", f"user:{username}", {})
    result = await change(request, operator, audit, admin_users.delete_user, user_pool_id=pool_id, username=username)
    if isinstance(result, CognitoError):
        return page(request, "user_delete.html", status=400, operator=operator, username=username,
                    error=refusal(result))  # fmt: skip
    return see_other("/console/users?" + urlencode({"notice": "deleted"}))


# -- create (invite) ------------------------------------------------------------------------------------


@signed_in
async def new_user(request: Request, operator: Operator) -> Response:
    if request.method == "GET":
        return page(request, "user_new.html", operator=operator, form={})
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    attributes = {k: form[k].strip() for k in ("email", "phone_number", "name") if form.get(k, "").strip()}
    for flag, attribute in (("email_verified", "email"), ("phone_number_verified", "phone_number")):
        if attribute in attributes:
            attributes[flag] = "true" if form.get(flag) == "true" else "false"
    username = form.get("username", "").strip()
    invite = form.get("invite") == "true"
    mediums = [m for m, a in (("EMAIL", "email"), ("SMS", "phone_number")) if a in attributes] or ["EMAIL"]
    details: dict[str, object] = {"attributes": sorted(attributes), "invited": invite}
    result = await change(
        request,
        operator,
        ("user.create", f"user:{username}", details),
        admin.create_user,
        username=username,
        attributes=attributes,
        temporary_password=form.get("temporary_password") or None,
        message_action=None if invite else "SUPPRESS",
        desired_delivery=mediums,
    )
    if isinstance(result, CognitoError):
        shown = {k: v for k, v in form.items() if k not in ("temporary_password", "csrf_token")}
        return page(request, "user_new.html", status=400, operator=operator, form=shown, error=refusal(result))
    return see_other(user_url(result.username, "created"))
