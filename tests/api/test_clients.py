"""App clients as Cognito has them: secrets, allowed flows, token validity, rotation with reuse detection,
hidden or told user existence, read/write attribute permissions — declared in the definition."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from pycognito import Cognito
from pycognito.aws_srp import AWSSRP

from tests.support.sandbox import PASSWORD, Sandbox, start_sandbox, unique_email, userpool_command
from userpool.core.clients import secret_hash

RESOURCE = """from userpool import define_auth

auth = define_auth(
    login_with={"email": True},
    user_attributes={"given_name": {}, "family_name": {}},
    clients=[
        {"name": "backend", "generate_secret": True, "prevent_user_existence_errors": False,
         "auth_flows": ["USER_SRP_AUTH", "USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH"],
         "access_token_validity": 300, "read_attributes": ["email", "given_name"],
         "write_attributes": ["email", "given_name"]},
        {"name": "rotating", "auth_flows": ["USER_PASSWORD_AUTH"], "refresh_token_rotation": True},
        {"name": "private", "generate_secret": True, "auth_flows": ["USER_SRP_AUTH", "USER_PASSWORD_AUTH"]},
    ],
)
"""


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = start_sandbox(Path(tmp_path_factory.mktemp("clients")), RESOURCE)
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def clients(box: Sandbox) -> dict[str, dict[str, Any]]:
    result = subprocess.run(
        [*userpool_command(), "sandbox", "clients", "--json", "--show-secrets", "--dir", str(box.app_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return {row["name"]: row for row in json.loads(result.stdout)}


@pytest.fixture(scope="module")
def cognito(box: Sandbox) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=box.endpoint,
        region_name=box.region,
        aws_access_key_id="unused",
        aws_secret_access_key="unused",
    )


def _code(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def _user(box: Sandbox, cognito: Any, **attrs: str) -> str:
    email = unique_email("client")
    cognito.sign_up(
        ClientId=box.client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": k, "Value": v} for k, v in attrs.items()],
    )
    cognito.confirm_sign_up(ClientId=box.client_id, Username=email, ConfirmationCode=box.last_code(email))
    return email


def test_outputs_and_cli_name_the_clients(box: Sandbox, clients: dict[str, dict[str, Any]]) -> None:
    assert box.outputs["custom"]["userpool"]["clients"] == {
        "backend": clients["backend"]["client_id"],
        "rotating": clients["rotating"]["client_id"],
        "private": clients["private"]["client_id"],
    }
    assert len(clients["backend"]["secret"]) == 51 and clients["rotating"]["secret"] is None
    assert "secret" not in json.dumps(box.outputs)


def test_a_client_with_a_secret_needs_the_secret_hash(
    box: Sandbox, cognito: Any, clients: dict[str, dict[str, Any]]
) -> None:
    backend = clients["backend"]
    email = unique_email("secret")
    with pytest.raises(ClientError) as missing:
        cognito.sign_up(ClientId=backend["client_id"], Username=email, Password=PASSWORD)
    assert _code(missing) == (
        "NotAuthorizedException",
        f"Client {backend['client_id']} is configured with secret but SECRET_HASH was not received",
    )
    with pytest.raises(ClientError) as wrong:
        cognito.sign_up(ClientId=backend["client_id"], Username=email, Password=PASSWORD, SecretHash="AAAA")
    assert _code(wrong)[1] == f"Unable to verify secret hash for client {backend['client_id']}"
    good = secret_hash(backend["secret"], email, backend["client_id"])
    cognito.sign_up(ClientId=backend["client_id"], Username=email, Password=PASSWORD, SecretHash=good)
    cognito.confirm_sign_up(
        ClientId=backend["client_id"], Username=email, SecretHash=good, ConfirmationCode=box.last_code(email)
    )
    # pycognito with the client secret: SRP, where SECRET_HASH is computed over the internal user name
    user = Cognito(
        box.pool_id,
        backend["client_id"],
        username=email,
        client_secret=backend["secret"],
        boto3_client_kwargs={
            "endpoint_url": box.endpoint,
            "aws_access_key_id": "unused",
            "aws_secret_access_key": "unused",
        },
    )
    user.authenticate(password=PASSWORD)
    assert user.access_claims["client_id"] == backend["client_id"]


def test_flows_validity_and_existence_errors_per_client(
    box: Sandbox, cognito: Any, clients: dict[str, dict[str, Any]]
) -> None:
    backend, rotating = clients["backend"], clients["rotating"]
    email = _user(box, cognito)
    with pytest.raises(ClientError) as srp:
        cognito.initiate_auth(
            ClientId=rotating["client_id"], AuthFlow="USER_SRP_AUTH", AuthParameters={"USERNAME": email, "SRP_A": "abc"}
        )
    assert _code(srp) == ("InvalidParameterException", "USER_SRP_AUTH flow not enabled for this client")
    hashed = secret_hash(backend["secret"], email, backend["client_id"])
    tokens = cognito.initiate_auth(
        ClientId=backend["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": hashed},
    )["AuthenticationResult"]
    assert tokens["ExpiresIn"] == 300
    # This client tells apart an unknown user (PreventUserExistenceErrors off); the default client does not.
    ghost = unique_email("ghost")
    with pytest.raises(ClientError) as told:
        cognito.initiate_auth(
            ClientId=backend["client_id"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": ghost,
                "PASSWORD": PASSWORD,
                "SECRET_HASH": secret_hash(backend["secret"], ghost, backend["client_id"]),
            },
        )
    assert _code(told) == ("UserNotFoundException", "User does not exist.")
    with pytest.raises(ClientError) as hidden:
        cognito.initiate_auth(
            ClientId=box.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": ghost, "PASSWORD": PASSWORD},
        )
    assert _code(hidden) == ("NotAuthorizedException", "Incorrect username or password.")
    with pytest.raises(ClientError) as forgot:
        cognito.forgot_password(
            ClientId=backend["client_id"],
            Username=ghost,
            SecretHash=secret_hash(backend["secret"], ghost, backend["client_id"]),
        )
    assert _code(forgot)[0] == "UserNotFoundException"


def test_read_and_write_attributes(box: Sandbox, cognito: Any, clients: dict[str, dict[str, Any]]) -> None:
    backend = clients["backend"]
    email = _user(box, cognito, given_name="Ada", family_name="Lovelace")
    hashed = secret_hash(backend["secret"], email, backend["client_id"])
    tokens = cognito.initiate_auth(
        ClientId=backend["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": hashed},
    )["AuthenticationResult"]
    seen = {a["Name"] for a in cognito.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]}
    assert seen == {"sub", "email", "given_name"}
    from joserfc import jwt

    claims = jwt.decode(tokens["IdToken"], _jwks(box)).claims
    assert "family_name" not in claims and claims["given_name"] == "Ada"
    with pytest.raises(ClientError) as refused:
        cognito.update_user_attributes(
            AccessToken=tokens["AccessToken"], UserAttributes=[{"Name": "family_name", "Value": "Byron"}]
        )
    assert _code(refused) == (
        "NotAuthorizedException",
        "A client attempted to write unauthorized attribute: family_name",
    )
    cognito.update_user_attributes(
        AccessToken=tokens["AccessToken"], UserAttributes=[{"Name": "given_name", "Value": "Augusta"}]
    )


def _jwks(box: Sandbox) -> Any:
    import httpx
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(httpx.get(f"{box.endpoint}/{box.pool_id}/.well-known/jwks.json").json())


def test_rotation_and_reuse_detection(box: Sandbox, cognito: Any, clients: dict[str, dict[str, Any]]) -> None:
    rotating = clients["rotating"]
    email = _user(box, cognito)
    first = cognito.initiate_auth(
        ClientId=rotating["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    with pytest.raises(ClientError) as legacy:  # a rotating client refreshes only with GetTokensFromRefreshToken
        cognito.initiate_auth(
            ClientId=rotating["client_id"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
        )
    assert _code(legacy)[0] == "InvalidParameterException"
    second = cognito.get_tokens_from_refresh_token(ClientId=rotating["client_id"], RefreshToken=first["RefreshToken"])[
        "AuthenticationResult"
    ]
    assert second["RefreshToken"] != first["RefreshToken"]
    third = cognito.get_tokens_from_refresh_token(ClientId=rotating["client_id"], RefreshToken=second["RefreshToken"])[
        "AuthenticationResult"
    ]
    with pytest.raises(ClientError) as reuse:  # someone replays the first token: the whole family ends
        cognito.get_tokens_from_refresh_token(ClientId=rotating["client_id"], RefreshToken=first["RefreshToken"])
    assert _code(reuse)[0] == "RefreshTokenReuseException"
    for token in (third["RefreshToken"],):
        with pytest.raises(ClientError) as dead:
            cognito.get_tokens_from_refresh_token(ClientId=rotating["client_id"], RefreshToken=token)
        assert _code(dead) == ("NotAuthorizedException", "Refresh Token has been revoked")
    with pytest.raises(ClientError) as signed_out:
        cognito.get_user(AccessToken=third["AccessToken"])
    assert _code(signed_out) == ("NotAuthorizedException", "Access Token has been revoked")


def _refusal(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as err:
        call()
    return _code(err)


def _srp_a(box: Sandbox, username: str) -> str:
    srp = AWSSRP(username=username, password=PASSWORD, pool_id=box.pool_id, client_id="x", client=object())
    return str(srp.get_auth_params()["SRP_A"])


def _secret_client_calls(box: Sandbox, cognito: Any, client_id: str, username: str, proof: dict[str, str]) -> Any:
    """Every unsigned action that takes a user name and a SECRET_HASH, with the given proof (or none)."""
    hashed = {"SECRET_HASH": proof["SecretHash"]} if proof else {}
    return {
        "USER_PASSWORD_AUTH": lambda: cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD, **hashed},
        ),
        "USER_SRP_AUTH": lambda: cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": username, "SRP_A": _srp_a(box, username), **hashed},
        ),
        "SignUp": lambda: cognito.sign_up(ClientId=client_id, Username=username, Password=PASSWORD, **proof),
        "ConfirmSignUp": lambda: cognito.confirm_sign_up(
            ClientId=client_id, Username=username, ConfirmationCode="123456", **proof
        ),
        "ResendConfirmationCode": lambda: cognito.resend_confirmation_code(
            ClientId=client_id, Username=username, **proof
        ),
        "ForgotPassword": lambda: cognito.forgot_password(ClientId=client_id, Username=username, **proof),
        "ConfirmForgotPassword": lambda: cognito.confirm_forgot_password(
            ClientId=client_id, Username=username, ConfirmationCode="123456", Password=PASSWORD, **proof
        ),
    }


@pytest.mark.parametrize("name", ["backend", "private"])  # existence errors told (LEGACY) and hidden (ENABLED)
def test_a_wrong_secret_hash_says_nothing_about_the_user(
    box: Sandbox, cognito: Any, clients: dict[str, dict[str, Any]], name: str
) -> None:
    """The hash is over the name as given, so it is checked before the name is looked up: a known and an
    unknown user with a wrong (or no) SECRET_HASH get the very same answer, in every action."""
    client_id = clients[name]["client_id"]
    known, unknown = _user(box, cognito), unique_email("stranger")
    wrong_hash = secret_hash(clients[name]["secret"], "someone-else", client_id)
    cases = [
        ({"SecretHash": wrong_hash}, f"Unable to verify secret hash for client {client_id}"),
        ({}, f"Client {client_id} is configured with secret but SECRET_HASH was not received"),
    ]
    for proof, message in cases:
        for_known = _secret_client_calls(box, cognito, client_id, known, proof)
        for_unknown = _secret_client_calls(box, cognito, client_id, unknown, proof)
        for action, call in for_known.items():
            answers = (_refusal(call), _refusal(for_unknown[action]))
            assert answers == (("NotAuthorizedException", message),) * 2, action
    sent_to = [m["to"].lower() for m in box.messages()]
    assert (sent_to.count(known.lower()), sent_to.count(unknown.lower())) == (1, 0)  # only the sign-up code


def test_legacy_client_tells_unknown_users_in_every_action(
    box: Sandbox, cognito: Any, clients: dict[str, dict[str, Any]]
) -> None:
    """PreventUserExistenceErrors LEGACY (the backend client): each action names an unknown user as Cognito
    does; the default client (ENABLED) answers each as it would for a real one."""
    backend = clients["backend"]
    ghost = unique_email("ghost")
    proof = {"SecretHash": secret_hash(backend["secret"], ghost, backend["client_id"])}
    told = _secret_client_calls(box, cognito, backend["client_id"], ghost, proof)
    assert _refusal(told["USER_SRP_AUTH"]) == ("UserNotFoundException", "User does not exist.")
    for action in ("ConfirmSignUp", "ResendConfirmationCode", "ForgotPassword", "ConfirmForgotPassword"):
        assert _refusal(told[action]) == ("UserNotFoundException", "Username/client id combination not found."), action
    hidden = _secret_client_calls(box, cognito, box.client_id, ghost, {})
    assert hidden["USER_SRP_AUTH"]()["ChallengeName"] == "PASSWORD_VERIFIER"
    assert hidden["ResendConfirmationCode"]()["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    mismatch = ("CodeMismatchException", "Invalid verification code provided, please try again.")
    assert _refusal(hidden["ConfirmSignUp"]) == mismatch
    assert _refusal(hidden["ConfirmForgotPassword"]) == mismatch
