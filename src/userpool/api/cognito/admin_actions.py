"""The admin actions (SigV4-signed; the endpoint checks the signature before any of these runs): one table,
action name → handler, merged into `actions.ACTIONS`.

Like the app-facing handlers, each turns the (shape-validated) request into plain values, runs one flow,
and shapes the result as botocore's model says: dates as epoch seconds, attributes as Name/Value lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from userpool.api.cognito.actions import (
    Body,
    Handler,
    _attributes,
    _device,
    _factor,
    _metadata,
    _step,
    _strings,
    _validation_data,
)
from userpool.core.attributes import to_wire
from userpool.core.audit import Audit
from userpool.core.errors import ResourceNotFoundException
from userpool.core.flows import admin, admin_auth, admin_users, groups, identity_links, listing, pool_info
from userpool.core.flows.mfa_settings import MfaSummary
from userpool.core.model import Client, Group, User
from userpool.service import UserPool


def _user_type(user: User, names: Sequence[str] | None = None) -> Body:
    """UserType (ListUsers, ListUsersInGroup, AdminCreateUser): `names` limits the attributes (AttributesToGet)."""
    attributes = user.attributes if names is None else {k: v for k, v in user.attributes.items() if k in names}
    return {
        "Username": user.username,
        "Attributes": to_wire(attributes),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.updated_at,
        "Enabled": user.enabled,
        "UserStatus": user.status.value,
    }


def _group_type(group: Group) -> Body:
    out: Body = {
        "GroupName": group.name,
        "UserPoolId": group.pool_id,
        "Description": group.description,
        "LastModifiedDate": group.updated_at,
        "CreationDate": group.created_at,
    }
    if group.precedence is not None:
        out["Precedence"] = group.precedence
    if group.role_arn:
        out["RoleArn"] = group.role_arn
    return out


def _mfa(summary: MfaSummary) -> Body:
    out: Body = {}
    if summary.sms_option:
        out["MFAOptions"] = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    if summary.preferred is not None:
        out["PreferredMfaSetting"] = summary.preferred
    if summary.enabled:
        out["UserMFASettingList"] = list(summary.enabled)
    return out


def _page(out: Body, key: str, token: str | None) -> Body:
    if token is not None:
        out[key] = token
    return out


def _user_ref(body: Body) -> dict[str, str]:
    return {"user_pool_id": body["UserPoolId"], "username": body["Username"]}


# -- users ---------------------------------------------------------------------------------------------


def admin_create_user(pool: UserPool, body: Body) -> Body:
    user = pool.run(
        admin.create_user,
        user_pool_id=body["UserPoolId"],
        username=body["Username"],
        attributes=_attributes(body, "UserAttributes"),
        temporary_password=body.get("TemporaryPassword"),
        message_action=body.get("MessageAction"),
        desired_delivery=tuple(body.get("DesiredDeliveryMediums") or ("EMAIL",)),
        validation_data=_validation_data(body),
        client_metadata=_metadata(body),
    )
    return {"User": _user_type(user)}


def admin_get_user(pool: UserPool, body: Body) -> Body:
    view = pool.run(admin_users.get_user, **_user_ref(body))
    user = view.user
    return {
        "Username": user.username,
        "UserAttributes": to_wire(user.attributes),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.updated_at,
        "Enabled": user.enabled,
        "UserStatus": user.status.value,
        **_mfa(view.mfa),
    }


def admin_delete_user(pool: UserPool, body: Body) -> Body:
    pool.run(admin_users.delete_user, **_user_ref(body))
    return {}


def admin_disable_user(pool: UserPool, body: Body) -> Body:
    pool.run(admin_users.set_enabled, **_user_ref(body), enabled=False)
    return {}


def admin_enable_user(pool: UserPool, body: Body) -> Body:
    pool.run(admin_users.set_enabled, **_user_ref(body), enabled=True)
    return {}


def admin_set_user_password(pool: UserPool, body: Body) -> Body:
    pool.run(
        admin_users.set_user_password,
        **_user_ref(body),
        password=body["Password"],
        permanent=bool(body.get("Permanent")),
    )
    return {}


def admin_reset_user_password(pool: UserPool, body: Body) -> Body:
    pool.run(admin_users.reset_user_password, **_user_ref(body), client_metadata=_metadata(body))
    return {}


def admin_confirm_sign_up(pool: UserPool, body: Body) -> Body:
    pool.run(admin_users.confirm_sign_up, **_user_ref(body), client_metadata=_metadata(body))
    return {}


def admin_update_user_attributes(pool: UserPool, body: Body) -> Body:
    pool.run(
        admin_users.update_user_attributes,
        **_user_ref(body),
        attributes=_attributes(body, "UserAttributes"),
        client_metadata=_metadata(body),
    )
    return {}


def admin_delete_user_attributes(pool: UserPool, body: Body) -> Body:
    pool.run(admin_users.delete_user_attributes, **_user_ref(body), names=list(body["UserAttributeNames"]))
    return {}


def admin_user_global_sign_out(pool: UserPool, body: Body) -> Body:
    pool.run(admin_users.global_sign_out, **_user_ref(body))
    return {}


def admin_set_user_mfa_preference(pool: UserPool, body: Body) -> Body:
    pool.run(
        admin_users.set_user_mfa_preference,
        **_user_ref(body),
        sms=_factor(body, "SMSMfaSettings"),
        totp=_factor(body, "SoftwareTokenMfaSettings"),
        email=_factor(body, "EmailMfaSettings"),
    )
    return {}


def admin_list_devices(pool: UserPool, body: Body) -> Body:
    found, token = pool.run(
        admin_users.list_devices,
        **_user_ref(body),
        limit=body.get("Limit"),
        pagination_token=body.get("PaginationToken"),
    )
    return _page({"Devices": [_device(d) for d in found]}, "PaginationToken", token)


def admin_get_device(pool: UserPool, body: Body) -> Body:
    device = pool.run(admin_users.get_device, **_user_ref(body), device_key=body["DeviceKey"])
    return {"Device": _device(device)}


def admin_forget_device(pool: UserPool, body: Body) -> Body:
    pool.run(admin_users.forget_device, **_user_ref(body), device_key=body["DeviceKey"])
    return {}


def admin_update_device_status(pool: UserPool, body: Body) -> Body:
    pool.run(
        admin_users.update_device_status,
        **_user_ref(body),
        device_key=body["DeviceKey"],
        status=body.get("DeviceRememberedStatus"),
    )
    return {}


def list_users(pool: UserPool, body: Body) -> Body:
    found, token = pool.run(
        listing.list_users,
        user_pool_id=body["UserPoolId"],
        filter=body.get("Filter"),
        limit=body.get("Limit"),
        pagination_token=body.get("PaginationToken"),
    )
    names = body.get("AttributesToGet")
    return _page({"Users": [_user_type(u, names) for u in found]}, "PaginationToken", token)


# -- sign-in -------------------------------------------------------------------------------------------


def admin_initiate_auth(pool: UserPool, body: Body) -> Body:
    step = pool.run(
        admin_auth.admin_initiate_auth,
        user_pool_id=body["UserPoolId"],
        client_id=body["ClientId"],
        flow=body["AuthFlow"],
        params=_strings(body, "AuthParameters"),
        client_metadata=_metadata(body),
    )
    return _step(step)


def admin_respond_to_auth_challenge(pool: UserPool, body: Body) -> Body:
    step = pool.run(
        admin_auth.admin_respond_to_auth_challenge,
        user_pool_id=body["UserPoolId"],
        client_id=body["ClientId"],
        challenge=body["ChallengeName"],
        responses=_strings(body, "ChallengeResponses"),
        session=body.get("Session"),
        client_metadata=_metadata(body),
    )
    return _step(step)


# -- groups --------------------------------------------------------------------------------------------


def create_group(pool: UserPool, body: Body) -> Body:
    group = pool.run(
        groups.create_group,
        user_pool_id=body["UserPoolId"],
        name=body["GroupName"],
        description=body.get("Description") or "",
        precedence=body.get("Precedence"),
        role_arn=body.get("RoleArn") or "",
    )
    return {"Group": _group_type(group)}


def get_group(pool: UserPool, body: Body) -> Body:
    return {"Group": _group_type(pool.run(groups.get_group, user_pool_id=body["UserPoolId"], name=body["GroupName"]))}


def update_group(pool: UserPool, body: Body) -> Body:
    group = pool.run(
        groups.update_group,
        user_pool_id=body["UserPoolId"],
        name=body["GroupName"],
        description=body.get("Description"),
        precedence=body.get("Precedence"),
        role_arn=body.get("RoleArn"),
    )
    return {"Group": _group_type(group)}


def delete_group(pool: UserPool, body: Body) -> Body:
    pool.run(groups.delete_group, user_pool_id=body["UserPoolId"], name=body["GroupName"])
    return {}


def list_groups(pool: UserPool, body: Body) -> Body:
    found, token = pool.run(
        groups.list_groups, user_pool_id=body["UserPoolId"], limit=body.get("Limit"), next_token=body.get("NextToken")
    )
    return _page({"Groups": [_group_type(g) for g in found]}, "NextToken", token)


def admin_add_user_to_group(pool: UserPool, body: Body) -> Body:
    pool.run(groups.add_user_to_group, **_user_ref(body), group_name=body["GroupName"])
    return {}


def admin_remove_user_from_group(pool: UserPool, body: Body) -> Body:
    pool.run(groups.remove_user_from_group, **_user_ref(body), group_name=body["GroupName"])
    return {}


def admin_list_groups_for_user(pool: UserPool, body: Body) -> Body:
    found, token = pool.run(
        groups.list_groups_for_user, **_user_ref(body), limit=body.get("Limit"), next_token=body.get("NextToken")
    )
    return _page({"Groups": [_group_type(g) for g in found]}, "NextToken", token)


def list_users_in_group(pool: UserPool, body: Body) -> Body:
    found, token = pool.run(
        groups.list_users_in_group,
        user_pool_id=body["UserPoolId"],
        group_name=body["GroupName"],
        limit=body.get("Limit"),
        next_token=body.get("NextToken"),
    )
    return _page({"Users": [_user_type(u) for u in found]}, "NextToken", token)


# -- the pool and its clients --------------------------------------------------------------------------


def _recovery(mechanisms: Sequence[str]) -> list[Body]:
    return [{"Priority": i, "Name": f"verified_{name}"} for i, name in enumerate(mechanisms, 1)]


def describe_user_pool(pool: UserPool, body: Body) -> Body:
    d = pool.run(pool_info.describe_user_pool, user_pool_id=body["UserPoolId"])
    c, p = d.config, d.config.password_policy
    schema = []
    for spec in c.attributes.values():
        item: Body = {
            "Name": spec.name,
            "AttributeDataType": spec.data_type,
            "DeveloperOnlyAttribute": False,
            "Mutable": spec.mutable,
            "Required": spec.required,
        }
        if spec.data_type == "String":
            item["StringAttributeConstraints"] = {
                k: str(v) for k, v in (("MinLength", spec.min_length), ("MaxLength", spec.max_length)) if v is not None
            }
        schema.append(item)
    out: Body = {
        "Id": d.pool.id,
        "Name": d.pool.name,
        "Arn": f"arn:aws:cognito-idp:{c.region}:000000000000:userpool/{d.pool.id}",
        "CreationDate": d.pool.created_at,
        "LastModifiedDate": d.pool.created_at,
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": p.min_length,
                "RequireUppercase": p.require_uppercase,
                "RequireLowercase": p.require_lowercase,
                "RequireNumbers": p.require_numbers,
                "RequireSymbols": p.require_symbols,
                "TemporaryPasswordValidityDays": p.temporary_password_validity_days,
            },
            "SignInPolicy": {"AllowedFirstAuthFactors": list(c.allowed_first_auth_factors)},
        },
        "SchemaAttributes": schema,
        "AutoVerifiedAttributes": list(c.auto_verified_attributes),
        "MfaConfiguration": c.mfa_mode,
        "EstimatedNumberOfUsers": d.user_count,
        "DeviceConfiguration": {
            "ChallengeRequiredOnNewDevice": c.device_challenge_required_on_new_device,
            "DeviceOnlyRememberedOnUserPrompt": c.device_only_remembered_on_user_prompt,
        },
        "UsernameConfiguration": {"CaseSensitive": c.case_sensitive},
        "AccountRecoverySetting": {"RecoveryMechanisms": _recovery(c.recovery_mechanisms)},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
        "UserPoolTier": "ESSENTIALS",
    }
    if c.username_attributes:
        out["UsernameAttributes"] = list(c.username_attributes)
    if c.alias_attributes:
        out["AliasAttributes"] = list(c.alias_attributes)
    return {"UserPool": out}


def _client_type(client: Client) -> Body:
    out: Body = {
        "UserPoolId": client.pool_id,
        "ClientName": client.name,
        "ClientId": client.id,
        "CreationDate": client.created_at,
        "LastModifiedDate": client.created_at,
        "RefreshTokenValidity": client.refresh_token_validity,
        "AccessTokenValidity": client.access_token_validity,
        "IdTokenValidity": client.id_token_validity,
        "TokenValidityUnits": {"AccessToken": "seconds", "IdToken": "seconds", "RefreshToken": "seconds"},
        "ExplicitAuthFlows": list(client.explicit_auth_flows),
        "PreventUserExistenceErrors": "ENABLED" if client.prevent_user_existence_errors else "LEGACY",
        "EnableTokenRevocation": client.enable_token_revocation,
        "AuthSessionValidity": max(3, client.auth_session_validity // 60),
        "AllowedOAuthScopes": list(client.allowed_oauth_scopes),
    }
    if client.secret is not None:
        out["ClientSecret"] = client.secret
    for key, values in (
        ("ReadAttributes", client.read_attributes),
        ("WriteAttributes", client.write_attributes),
        ("CallbackURLs", client.callback_urls),
        ("LogoutURLs", client.logout_urls),
    ):
        if values:
            out[key] = list(values)
    if client.callback_urls:
        out["AllowedOAuthFlows"] = ["code"]
        out["AllowedOAuthFlowsUserPoolClient"] = True
    if client.refresh_token_rotation:
        out["RefreshTokenRotation"] = {
            "Feature": "ENABLED",
            "RetryGracePeriodSeconds": client.refresh_token_reuse_grace,
        }
    return out


def describe_user_pool_client(pool: UserPool, body: Body) -> Body:
    client = pool.run(pool_info.describe_user_pool_client, user_pool_id=body["UserPoolId"], client_id=body["ClientId"])
    return {"UserPoolClient": _client_type(client)}


def list_user_pool_clients(pool: UserPool, body: Body) -> Body:
    found, token = pool.run(
        pool_info.list_user_pool_clients,
        user_pool_id=body["UserPoolId"],
        limit=body.get("MaxResults"),
        next_token=body.get("NextToken"),
    )
    clients = [{"ClientId": c.id, "UserPoolId": c.pool_id, "ClientName": c.name} for c in found]
    return _page({"UserPoolClients": clients}, "NextToken", token)


def _link_pool(pool: UserPool, body: Body) -> None:
    if body["UserPoolId"] != pool.config.pool_id:
        raise ResourceNotFoundException(f"User pool {body['UserPoolId']} does not exist.")


def admin_link_provider_for_user(pool: UserPool, body: Body) -> Body:
    _link_pool(pool, body)
    pool.run(
        identity_links.link_provider_for_user,
        destination=_strings(body, "DestinationUser"),
        source=_strings(body, "SourceUser"),
    )
    return {}


def admin_disable_provider_for_user(pool: UserPool, body: Body) -> Body:
    _link_pool(pool, body)
    pool.run(identity_links.disable_provider_for_user, user=_strings(body, "User"))
    return {}


# -- the audit log -------------------------------------------------------------------------------------
# Each change an admin request makes is entered in the audit log (core/audit.py) in the change's own unit of
# work, as the console's are, under the console's names: action → (entry action, target, details). Reads and
# the admin sign-in actions (which have their sign-in events) are not entered. Never a password or a code.

_Entry = tuple[str, str, dict[str, object]]


def _on_user(action: str, details: Callable[[Body], dict[str, object]] = lambda b: {}) -> Callable[[Body], _Entry]:
    return lambda b: (action, f"user:{b['Username']}", details(b))


def _on_group(action: str, details: Callable[[Body], dict[str, object]] = lambda b: {}) -> Callable[[Body], _Entry]:
    return lambda b: (action, f"group:{b['GroupName']}", details(b))


def _link_target(b: Body) -> str:
    user = b.get("DestinationUser") or b.get("User") or {}
    return (
        f"user:{user.get('ProviderAttributeValue', '')}"
        if user.get("ProviderName") == "Cognito"
        else (f"identity:{user.get('ProviderName', '')}:{user.get('ProviderAttributeValue', '')}")
    )


AUDITED: dict[str, Callable[[Body], _Entry]] = {
    "AdminCreateUser": _on_user(
        "user.create",
        lambda b: {
            "attributes": sorted(a["Name"] for a in b.get("UserAttributes") or ()),
            "message_action": b.get("MessageAction") or "",
        },
    ),
    "AdminDeleteUser": _on_user("user.delete"),
    "AdminDisableUser": _on_user("user.disable"),
    "AdminEnableUser": _on_user("user.enable"),
    "AdminSetUserPassword": _on_user("user.set_password", lambda b: {"permanent": bool(b.get("Permanent"))}),
    "AdminResetUserPassword": _on_user("user.reset_password"),
    "AdminConfirmSignUp": _on_user("user.confirm"),
    "AdminUpdateUserAttributes": _on_user(
        "user.update_attributes", lambda b: {"attributes": sorted(a["Name"] for a in b["UserAttributes"])}
    ),
    "AdminDeleteUserAttributes": _on_user(
        "user.delete_attributes", lambda b: {"attributes": sorted(b["UserAttributeNames"])}
    ),
    "AdminUserGlobalSignOut": _on_user("user.sign_out_everywhere"),
    "AdminSetUserMFAPreference": _on_user(
        "user.set_mfa_preference",
        lambda b: {k: b[k] for k in ("SMSMfaSettings", "SoftwareTokenMfaSettings", "EmailMfaSettings") if k in b},
    ),
    "AdminForgetDevice": _on_user("user.forget_device", lambda b: {"device_key": b["DeviceKey"]}),
    "AdminUpdateDeviceStatus": _on_user(
        "user.update_device_status",
        lambda b: {"device_key": b["DeviceKey"], "status": b.get("DeviceRememberedStatus") or ""},
    ),
    "CreateGroup": _on_group("group.create", lambda b: {"precedence": b.get("Precedence")}),
    "UpdateGroup": _on_group("group.update", lambda b: {"precedence": b.get("Precedence")}),
    "DeleteGroup": _on_group("group.delete"),
    "AdminAddUserToGroup": _on_user("group.add_member", lambda b: {"group": b["GroupName"]}),
    "AdminRemoveUserFromGroup": _on_user("group.remove_member", lambda b: {"group": b["GroupName"]}),
    "AdminLinkProviderForUser": lambda b: (
        "user.link_provider",
        _link_target(b),
        {"source": f"{b['SourceUser'].get('ProviderName', '')}:{b['SourceUser'].get('ProviderAttributeValue', '')}"},
    ),
    "AdminDisableProviderForUser": lambda b: ("user.disable_provider", _link_target(b), {}),
}


def audit_entry(action: str, body: Body, actor: str) -> Audit | None:
    """The audit entry for a (validated) admin request, or None for one that changes nothing."""
    describe = AUDITED.get(action)
    if describe is None:
        return None
    entry, target, details = describe(body)
    return Audit(actor=actor, action=entry, target=target, details=details)


ADMIN_ACTIONS: dict[str, Handler] = {
    "AdminCreateUser": admin_create_user,
    "AdminGetUser": admin_get_user,
    "AdminDeleteUser": admin_delete_user,
    "AdminDisableUser": admin_disable_user,
    "AdminEnableUser": admin_enable_user,
    "AdminSetUserPassword": admin_set_user_password,
    "AdminResetUserPassword": admin_reset_user_password,
    "AdminConfirmSignUp": admin_confirm_sign_up,
    "AdminUpdateUserAttributes": admin_update_user_attributes,
    "AdminDeleteUserAttributes": admin_delete_user_attributes,
    "AdminUserGlobalSignOut": admin_user_global_sign_out,
    "AdminSetUserMFAPreference": admin_set_user_mfa_preference,
    "AdminListDevices": admin_list_devices,
    "AdminGetDevice": admin_get_device,
    "AdminForgetDevice": admin_forget_device,
    "AdminUpdateDeviceStatus": admin_update_device_status,
    "AdminInitiateAuth": admin_initiate_auth,
    "AdminRespondToAuthChallenge": admin_respond_to_auth_challenge,
    "ListUsers": list_users,
    "CreateGroup": create_group,
    "GetGroup": get_group,
    "UpdateGroup": update_group,
    "DeleteGroup": delete_group,
    "ListGroups": list_groups,
    "AdminAddUserToGroup": admin_add_user_to_group,
    "AdminRemoveUserFromGroup": admin_remove_user_from_group,
    "AdminListGroupsForUser": admin_list_groups_for_user,
    "ListUsersInGroup": list_users_in_group,
    "DescribeUserPool": describe_user_pool,
    "DescribeUserPoolClient": describe_user_pool_client,
    "ListUserPoolClients": list_user_pool_clients,
    "AdminLinkProviderForUser": admin_link_provider_for_user,
    "AdminDisableProviderForUser": admin_disable_provider_for_user,
}
