"""AdminLinkProviderForUser and AdminDisableProviderForUser through boto3, signed with a key minted by
`userpool keys create`, against a real `userpool sandbox` whose Google is a real local OpenID Connect
provider (oidc-provider-mock): a linked identity signs in as the native user, a disabled link makes it a
user of its own again, and the refusals are Cognito's."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.admin_sandbox import admin_client, userpool
from tests.support.sandbox import PASSWORD, Sandbox, free_port, unique_email, write_app
from tests.web.browser import Browser, Pkce, query_of
from tests.web.federation_support import Upstream, upstreams
from userpool.definition.secrets import SandboxSecrets

IDENTIFIER = "adminfed"
RESOURCE = """from userpool import define_auth, secret

auth = define_auth(
    login_with={{
        "email": True,
        "external_providers": {{
            "google": {{"client_id": "google-client", "client_secret": secret("GOOGLE_SECRET"), "issuer_url": "{idp}"}},
            "callback_urls": ["http://localhost:3000/callback"],
            "logout_urls": ["http://localhost:3000/"],
        }},
    }},
)
"""


@pytest.fixture(scope="module")
def idp() -> Iterator[Upstream]:
    with upstreams(1) as found:
        yield found[0]


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory, idp: Upstream) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("admin-federation")
    app_dir = root / "app"
    write_app(app_dir, RESOURCE.format(idp=idp.url))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("USERPOOL_CONFIG_DIR", str(root / "config"))
        SandboxSecrets(app_dir, IDENTIFIER, config_dir=root / "config").set("GOOGLE_SECRET", "google-secret-value")
        sandbox = Sandbox(app_dir=app_dir, port=free_port(), extra_args=["--identifier", IDENTIFIER]).start()
        try:
            yield sandbox
        finally:
            sandbox.stop()


@pytest.fixture(scope="module")
def admin(box: Sandbox) -> Any:
    done = userpool(box.app_dir, "keys", "create", "--json", "--identifier", IDENTIFIER, "--description", "fed")
    assert done.returncode == 0, done.stderr
    return admin_client(box, json.loads(done.stdout))


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


def _google_sign_in(box: Sandbox, idp: Upstream, subject: str) -> dict[str, Any]:
    """A browser signs in with Google as `subject`: the ID token's claims."""
    pkce = Pkce.new()
    with Browser(box) as b:
        out = b.authorize(b.authorize_query(pkce, identity_provider="Google"))
        assert out.status_code == 302 and out.headers["location"].startswith(idp.url), out.text[:300]
        back = b.http.get(idp.approve(out.headers["location"], subject))
        assert back.status_code == 302, back.text[:300]
        callback = query_of(back.headers["location"])
        assert "code" in callback, back.headers["location"]
        tokens = b.exchange(callback["code"], pkce)
        assert tokens.status_code == 200, tokens.text
        return _claims(tokens.json()["id_token"])


def _native(admin: Any, box: Sandbox) -> tuple[str, str]:
    """A confirmed user made by an administrator: (email, sub)."""
    email = unique_email("native")
    created = admin.admin_create_user(
        UserPoolId=box.pool_id,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )["User"]
    admin.admin_set_user_password(UserPoolId=box.pool_id, Username=email, Password=PASSWORD, Permanent=True)
    sub = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
    return email, sub


def _google(subject: str) -> dict[str, str]:
    return {"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": subject}


def test_link_then_disable_through_boto3(box: Sandbox, idp: Upstream, admin: Any) -> None:
    email, native_sub = _native(admin, box)
    idp.set_user("g-link-1", {"email": "other@gmail.example", "email_verified": True})
    destination = {"ProviderName": "Cognito", "ProviderAttributeValue": email}
    linked = admin.admin_link_provider_for_user(
        UserPoolId=box.pool_id, DestinationUser=destination, SourceUser=_google("g-link-1")
    )
    assert linked["ResponseMetadata"]["HTTPStatusCode"] == 200

    claims = _google_sign_in(box, idp, "g-link-1")
    assert claims["sub"] == native_sub and claims["email"] == email  # signed in as the native user
    assert [i["providerName"] for i in claims["identities"]] == ["Google"]
    user = admin.admin_get_user(UserPoolId=box.pool_id, Username=email)
    identities = json.loads(next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "identities"))
    assert [(i["providerName"], i["userId"]) for i in identities] == [("Google", "g-link-1")]

    disabled = admin.admin_disable_provider_for_user(UserPoolId=box.pool_id, User=_google("g-link-1"))
    assert disabled["ResponseMetadata"]["HTTPStatusCode"] == 200
    claims = _google_sign_in(box, idp, "g-link-1")
    assert claims["sub"] != native_sub and claims["cognito:username"] == "Google_g-link-1"  # a user of its own
    # the native user no longer carries the identity
    user = admin.admin_get_user(UserPoolId=box.pool_id, Username=email)
    assert "g-link-1" not in json.dumps(user["UserAttributes"])


def _refused(call: Any, **kw: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kw)
    err = raised.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


def test_refusals_through_boto3(box: Sandbox, idp: Upstream, admin: Any) -> None:
    email, _ = _native(admin, box)
    destination = {"ProviderName": "Cognito", "ProviderAttributeValue": email}
    link = admin.admin_link_provider_for_user
    code, _ = _refused(
        link,
        UserPoolId=box.pool_id,
        DestinationUser=destination,
        SourceUser={**_google("x"), "ProviderName": "Myspace"},
    )
    assert code == "InvalidParameterException"
    code, _ = _refused(
        link,
        UserPoolId=box.pool_id,
        DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": unique_email("nobody")},
        SourceUser=_google("g-none"),
    )
    assert code == "UserNotFoundException"
    code, _ = _refused(link, UserPoolId="us-east-1_Nothere12", DestinationUser=destination, SourceUser=_google("g"))
    assert code == "ResourceNotFoundException"
    # An identity that already has a user of its own cannot be linked to another.
    idp.set_user("g-own-1", {"email": "own@gmail.example"})
    _google_sign_in(box, idp, "g-own-1")
    code, message = _refused(link, UserPoolId=box.pool_id, DestinationUser=destination, SourceUser=_google("g-own-1"))
    assert code == "AliasExistsException" and "Google_g-own-1" in message
    code, _ = _refused(admin.admin_disable_provider_for_user, UserPoolId="us-east-1_Nothere12", User=_google("g"))
    assert code == "ResourceNotFoundException"
