"""Groups and ListUsers through boto3 with an admin key, against a real sandbox: groups made and changed,
members paged, `cognito:groups` / `cognito:preferred_role` in the next tokens (refreshes included), and
ListUsers' filters with pages that stay right while users are added between them."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.admin_sandbox import admin_client, mint_key
from tests.support.sandbox import PASSWORD, Sandbox


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


@pytest.fixture(scope="module")
def admin(admin_box: Sandbox) -> Any:
    return admin_client(admin_box, mint_key(admin_box, "groups tests"))


@pytest.fixture(scope="module")
def app(admin_box: Sandbox) -> Any:
    return boto3.client(
        "cognito-idp", endpoint_url=admin_box.endpoint, region_name=admin_box.region, aws_access_key_id="x",
        aws_secret_access_key="x",
    )  # fmt: skip


def _user(admin: Any, box: Sandbox, email: str, **attributes: str) -> str:
    extra = [{"Name": k, "Value": v} for k, v in attributes.items()]
    admin.admin_create_user(
        UserPoolId=box.pool_id, Username=email, MessageAction="SUPPRESS", TemporaryPassword="Temp-Passw0rd!",
        UserAttributes=[{"Name": "email", "Value": email}, *extra],
    )  # fmt: skip
    admin.admin_set_user_password(UserPoolId=box.pool_id, Username=email, Password=PASSWORD, Permanent=True)
    return email


def test_groups_are_made_read_changed_listed_and_deleted(admin_box: Sandbox, admin: Any) -> None:
    pool, name = admin_box.pool_id, f"team-{uuid.uuid4().hex[:8]}"
    made = admin.create_group(
        UserPoolId=pool, GroupName=name, Description="The team", Precedence=5,
        RoleArn="arn:aws:iam::123456789012:role/team",
    )["Group"]  # fmt: skip
    assert (made["GroupName"], made["Precedence"], made["Description"]) == (name, 5, "The team")
    with pytest.raises(ClientError) as exists:
        admin.create_group(UserPoolId=pool, GroupName=name)
    assert _error(exists) == ("GroupExistsException", f"A group with the name {name} already exists.")
    updated = admin.update_group(UserPoolId=pool, GroupName=name, Precedence=3)["Group"]
    assert updated["Precedence"] == 3 and updated["Description"] == "The team"  # what is left out stays
    assert admin.get_group(UserPoolId=pool, GroupName=name)["Group"]["RoleArn"].endswith("role/team")
    seen, token = [], None
    while True:
        page = admin.list_groups(UserPoolId=pool, Limit=1, **({"NextToken": token} if token else {}))
        seen += [g["GroupName"] for g in page["Groups"]]
        token = page.get("NextToken")
        if token is None:
            break
    assert {"ADMINS", "EDITORS", name} <= set(seen) and len(seen) == len(set(seen))
    admin.delete_group(UserPoolId=pool, GroupName=name)
    with pytest.raises(ClientError) as gone:
        admin.get_group(UserPoolId=pool, GroupName=name)
    assert _error(gone) == ("ResourceNotFoundException", "Group not found.")
    with pytest.raises(ClientError) as bad_token:
        admin.list_groups(UserPoolId=pool, NextToken="not-a-token")
    assert _error(bad_token)[0] == "InvalidParameterException"


def test_membership_shows_in_the_next_tokens_refreshes_included(admin_box: Sandbox, admin: Any, app: Any) -> None:
    pool, email = admin_box.pool_id, _user(admin, admin_box, f"member-{uuid.uuid4().hex[:8]}@example.com")
    role = f"role-{uuid.uuid4().hex[:6]}"
    admin.create_group(UserPoolId=pool, GroupName=role, Precedence=0, RoleArn=f"arn:aws:iam::1:role/{role}")
    tokens = app.initiate_auth(
        ClientId=admin_box.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]  # fmt: skip
    assert "cognito:groups" not in _claims(tokens["IdToken"])
    for group in ("EDITORS", "ADMINS", role):
        admin.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
    admin.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="ADMINS")  # again: no error

    def refreshed() -> dict[str, Any]:
        result: dict[str, Any] = app.initiate_auth(
            ClientId=admin_box.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )["AuthenticationResult"]  # fmt: skip
        return result

    after = refreshed()
    id_claims, access_claims = _claims(after["IdToken"]), _claims(after["AccessToken"])
    # Precedence: the new group 0, then ADMINS 0 (the definition's first), EDITORS 1; ties by name.
    assert id_claims["cognito:groups"] == [*sorted([role, "ADMINS"]), "EDITORS"]
    assert access_claims["cognito:groups"] == id_claims["cognito:groups"]
    assert id_claims["cognito:preferred_role"] == f"arn:aws:iam::1:role/{role}"
    assert id_claims["cognito:roles"] == [f"arn:aws:iam::1:role/{role}"]
    listed = admin.admin_list_groups_for_user(UserPoolId=pool, Username=email, Limit=2)
    more = admin.admin_list_groups_for_user(UserPoolId=pool, Username=email, Limit=2, NextToken=listed["NextToken"])
    names = [g["GroupName"] for g in (*listed["Groups"], *more["Groups"])]
    assert names == sorted(["ADMINS", "EDITORS", role]) and "NextToken" not in more
    admin.admin_remove_user_from_group(UserPoolId=pool, Username=email, GroupName=role)
    admin.admin_remove_user_from_group(UserPoolId=pool, Username=email, GroupName="EDITORS")
    assert _claims(refreshed()["IdToken"])["cognito:groups"] == ["ADMINS"]
    admin.delete_group(UserPoolId=pool, GroupName=role)
    with pytest.raises(ClientError) as no_group:
        admin.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=role)
    assert _error(no_group) == ("ResourceNotFoundException", "Group not found.")


def test_list_users_in_group_pages_through_members(admin_box: Sandbox, admin: Any) -> None:
    pool, group = admin_box.pool_id, f"crew-{uuid.uuid4().hex[:8]}"
    admin.create_group(UserPoolId=pool, GroupName=group)
    emails = [_user(admin, admin_box, f"crew{i}-{uuid.uuid4().hex[:6]}@example.com") for i in range(5)]
    for email in emails:
        admin.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
    seen: list[str] = []
    token = None
    while True:
        page = admin.list_users_in_group(
            UserPoolId=pool, GroupName=group, Limit=2, **({"NextToken": token} if token else {})
        )
        seen += [next(a["Value"] for a in u["Attributes"] if a["Name"] == "email") for u in page["Users"]]
        token = page.get("NextToken")
        if token is None:
            break
    assert sorted(seen) == sorted(emails) and len(seen) == 5
    admin.admin_delete_user(UserPoolId=pool, Username=emails[0])  # a deleted user leaves the group
    assert len(admin.list_users_in_group(UserPoolId=pool, GroupName=group)["Users"]) == 4


def test_list_users_filters_and_pages_stay_right_with_inserts(admin_box: Sandbox, admin: Any) -> None:
    pool, tag = admin_box.pool_id, uuid.uuid4().hex[:8]
    for i in (1, 3, 5, 7):
        _user(admin, admin_box, f"lu{tag}-{i}@example.com", given_name=f"Name{i}")

    def email(user: dict[str, Any]) -> str:
        return next(a["Value"] for a in user["Attributes"] if a["Name"] == "email")

    first = admin.list_users(UserPoolId=pool, Filter=f'email ^= "lu{tag}"', Limit=2)
    assert [email(u) for u in first["Users"]] == [f"lu{tag}-1@example.com", f"lu{tag}-3@example.com"]
    _user(admin, admin_box, f"lu{tag}-2@example.com")  # before the page boundary: not repeated, not shifted
    _user(admin, admin_box, f"lu{tag}-6@example.com")  # after it: in its place
    rest = admin.list_users(
        UserPoolId=pool, Filter=f'email ^= "lu{tag}"', Limit=10, PaginationToken=first["PaginationToken"]
    )
    assert [email(u) for u in rest["Users"]] == [f"lu{tag}-{i}@example.com" for i in (5, 6, 7)]
    assert "PaginationToken" not in rest
    exact = admin.list_users(UserPoolId=pool, Filter=f'email = "LU{tag}-5@EXAMPLE.COM"')["Users"]
    assert [email(u) for u in exact] == [f"lu{tag}-5@example.com"]
    assert exact[0]["UserStatus"] == "CONFIRMED" and exact[0]["Enabled"] is True
    only = admin.list_users(UserPoolId=pool, Filter='given_name = "Name3"', AttributesToGet=["given_name"])["Users"]
    assert [u["Attributes"] for u in only] == [[{"Name": "given_name", "Value": "Name3"}]]
    admin.admin_disable_user(UserPoolId=pool, Username=f"lu{tag}-7@example.com")
    disabled = admin.list_users(UserPoolId=pool, Filter='status = "Disabled"', Limit=60)["Users"]
    assert f"lu{tag}-7@example.com" in [email(u) for u in disabled]
    assert all(u["Enabled"] is False for u in disabled)
    confirmed = admin.list_users(UserPoolId=pool, Filter='cognito:user_status = "CONFIRMED"', Limit=60)["Users"]
    assert all(u["UserStatus"] == "CONFIRMED" for u in confirmed)
    by_name = admin.list_users(UserPoolId=pool, Filter=f'username = "{first["Users"][0]["Username"]}"')["Users"]
    assert [email(u) for u in by_name] == [f"lu{tag}-1@example.com"]
    with pytest.raises(ClientError) as custom:
        admin.list_users(UserPoolId=pool, Filter='custom:plan = "pro"')
    assert _error(custom)[0] == "InvalidParameterException" and "custom:plan" in _error(custom)[1]
    with pytest.raises(ClientError) as garbled:
        admin.list_users(UserPoolId=pool, Filter="email is ada")
    assert _error(garbled)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as borrowed:  # a token from another filter is refused
        admin.list_users(UserPoolId=pool, Filter='email ^= "zz"', PaginationToken=first["PaginationToken"])
    assert _error(borrowed)[0] == "InvalidParameterException"
    everyone = admin.get_paginator("list_users").paginate(UserPoolId=pool, PaginationConfig={"PageSize": 3})
    usernames = [u["Username"] for page in everyone for u in page["Users"]]
    assert len(usernames) == len(set(usernames)) >= 6
