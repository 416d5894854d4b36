"""Fuzzing the Cognito JSON endpoint: every action botocore knows, bodies drawn from its shapes.

For each request: never a 5xx, never a traceback, an error's `__type` is one of Cognito's exception names
(in the body and the `x-amzn-ErrorType` header alike), and a refused request changes nothing in the
database — except what a refusal is meant to write (`REFUSALS_MAY`). Quick runs are derandomized (the same
examples each run, so CI never flakes); `--deep` draws new ones each time and many more of them.

The admin actions are fuzzed twice: unsigned (refused at the signature, `test_unsupported_actions`) and
signed with a real access key (botocore's own SigV4 signer), so the bodies reach the admin flows
(`test_signed_admin_action`), in a pool of their own so deleted users and groups spoil no other test.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.requests_model import (
    SIGV4_ERRORS,
    Requests,
    all_actions,
    cognito_error_names,
    extension_actions,
    supported_actions,
)
from tests.security.support import Change, deep, diff, record, scale, snapshot
from tests.security.world import ENDPOINT, TARGET, InProcess, Post, World, in_process, in_process_world, poster
from tests.support.sandbox import Sandbox
from userpool.api.cognito import shapes
from userpool.api.cognito.admin_actions import ADMIN_ACTIONS
from userpool.core.flows import access_keys

# What a refused request may write, and only for these answers. Everything else must stay as it was.
#   - A wrong one-time code is counted in its row (`attempts`), and the fifth wrong guess, or a guess at an
#     expired code, deletes the row (codes.py): the count is the brute-force defence.
#   - A sign-in waiting for an answer takes one answer: its row is deleted before the answer is checked
#     (a wrong SRP proof, a wrong device proof), or, for a code challenge, the wrong answer is counted in
#     its sealed state (the fifth ends it).
#   - A refresh token used again after rotation revokes its family (reuse detection).
#   - Software-token setup: a wrong code is counted in the pending sign-in's state.
REFUSALS_MAY: dict[tuple[str, str, tuple[str, ...]], frozenset[str]] = {
    ("codes", "changed", ("attempts",)): frozenset({"CodeMismatchException"}),
    ("codes", "removed", ()): frozenset({"CodeMismatchException", "ExpiredCodeException"}),
    ("auth_sessions", "removed", ()): frozenset(
        {"NotAuthorizedException", "CodeMismatchException", "ExpiredCodeException", "ResourceNotFoundException"}
    ),
    ("auth_sessions", "changed", ("state",)): frozenset({"CodeMismatchException", "NotAuthorizedException"}),
    ("token_sessions", "changed", ("revoked_at",)): frozenset({"RefreshTokenReuseException"}),
}

STATS: Counter[str] = Counter()


# A signed request that passes its signature marks its key as used (`last_used_at`, at most once a minute,
# access_keys.py) before the action runs, whatever the action then answers: the key's bookkeeping, not the
# request's doing.
SIGNED_REFUSALS_MAY = {("access_keys", "changed", ("last_used_at",))}


def allowed(change: Change, error: str) -> bool:
    if (change.table, change.kind, change.columns) in SIGNED_REFUSALS_MAY:
        return True
    return error in REFUSALS_MAY.get((change.table, change.kind, change.columns), frozenset())


def check(engine: sa.Engine, response: httpx.Response, before: Any, what: str, stats: Counter[str] = STATS) -> None:
    stats["requests"] += 1
    stats["server_errors"] += response.status_code >= 500
    stats["tracebacks"] += "Traceback" in response.text or 'File "' in response.text
    assert response.status_code < 500, (what, response.status_code, response.text[:500])
    assert "Traceback" not in response.text and 'File "' not in response.text, (what, response.text[:500])
    if response.status_code < 400:
        stats["accepted"] += 1
        return
    stats["refused"] += 1
    body = response.json()
    error = body["__type"]
    stats[f"error:{error}"] += 1
    assert error in cognito_error_names(), (what, body)
    assert response.headers["x-amzn-ErrorType"] == f"{error}:", (what, response.headers)
    assert isinstance(body.get("message"), str), (what, body)
    changes = [c for c in diff(before, snapshot(engine)) if not allowed(c, error)]
    if changes:
        stats["state_changed_on_refusal"] += 1
    assert not changes, (what, error, [str(c) for c in changes])


def _record_stats(name: str, stats: Counter[str], actions: int) -> None:
    record(
        "fuzz",
        name,
        requests=stats["requests"],
        accepted=stats["accepted"],
        refused=stats["refused"],
        server_errors=stats["server_errors"],
        tracebacks=stats["tracebacks"],
        state_changes_on_refusal=stats["state_changed_on_refusal"],
        actions=actions,
        errors={k[6:]: v for k, v in sorted(stats.items()) if k.startswith("error:")},
    )


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    STATS.clear()
    with in_process(Path(tmp_path_factory.mktemp("fuzz-api"))) as running:
        yield running
    _record_stats("cognito_api", STATS, len(all_actions()) + len(extension_actions()))


@pytest.fixture(scope="module")
def world(app: InProcess) -> World:
    return in_process_world(app)


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=not deep(),
        suppress_health_check=list(HealthCheck),
    )


@pytest.mark.parametrize("action", supported_actions() + [f"UserpoolExtensions.{a}" for a in extension_actions()])
def test_supported_action(app: InProcess, world: World, action: str) -> None:
    """Each action the server answers, with bodies from its botocore shape."""
    world.refresh()
    name = action.removeprefix("UserpoolExtensions.")
    # Half drawn with garbage anywhere, half plausible: garbage seldom reaches the success paths.
    bodies = st.one_of(Requests(world.known).body(name), Requests(world.known, garbage=False).body(name))

    @_settings(scale(15, 600))
    @given(body=bodies)
    def run(body: Any) -> None:
        before = snapshot(app.engine)
        check(app.engine, world.post(action, body), before, f"{action} {json.dumps(body)[:300]}")

    run()


def test_unsupported_actions(app: InProcess, world: World) -> None:
    """Every other action in Cognito's model: refused, by name, whatever the body — or, for one AWS signs,
    refused for its missing signature first (as AWS does), and the admin actions this server has likewise."""
    requests = Requests(world.known)
    unsupported = [a for a in all_actions() if a not in supported_actions()]

    @_settings(scale(60, 2000))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        action = data.draw(st.sampled_from(unsupported))
        body = data.draw(requests.body(action))
        before = snapshot(app.engine)
        response = world.post(action, body)
        check(app.engine, response, before, action)
        expected = "MissingAuthenticationTokenException" if shapes.signed(action) else "UnsupportedOperationException"
        assert response.json()["__type"] == expected

    run()


# -- the transport: JSON, content types, targets, sizes -----------------------------------------------

DEEP_NESTING = b"[" * 100_000 + b"]" * 100_000
RAW_BODIES = [
    b"",
    b"{",
    b"}",
    b"[]",
    b"null",
    b'"a string"',
    b"123",
    b'{"ClientId": }',
    b'{"ClientId": "x",}',
    b"\xff\xfe\xfd",
    b'{"ClientId": "\\ud800"}',
    b'{"ClientId": NaN}',
    b'{"a": Infinity}',
    b"{" * 50_000,
    DEEP_NESTING,
    b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    b'{"ClientId": "' + b"x" * 300_000 + b'"}',
    b"\x00" * 1000,
    b'{"ClientId": "a", "ClientId": "b"}',
    b'\xef\xbb\xbf{"ClientId": "a"}',
]
TARGETS = [
    None,
    "",
    "AWSCognitoIdentityProviderService.",
    "AWSCognitoIdentityProviderService.SignUp",
    "AWSCognitoIdentityProviderService.signup",
    "AWSCognitoIdentityProviderService.InitiateAuth",
    "AWSCognitoIdentityProviderService.GetUser",
    "AWSCognitoIdentityProviderService.DescribeUserPool",
    "AWSCognitoIdentityProviderService.__init__",
    "AWSCognitoIdentityProviderService.SignUp.Extra",
    "awscognitoidentityproviderservice.SignUp",
    "UserpoolExtensions.",
    "UserpoolExtensions.GenerateRecoveryCodes",
    "UserpoolExtensions.__class__",
    "DynamoDB_20120810.GetItem",
    "x" * 5000,
    "AWSCognitoIdentityProviderService.SignUp\x00",
]
CONTENT_TYPES = [
    None,
    "application/x-amz-json-1.1",
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/x-amz-json-1.1; charset=latin-1",
    "\x7f",
]


def _raw(app: InProcess, body: bytes, target: str | None, ctype: str | None, **headers: str) -> httpx.Response:
    sent = dict(headers)
    if target is not None:
        sent["x-amz-target"] = target
    if ctype is not None:
        sent["content-type"] = ctype
    return app.http.post("/", content=body, headers=sent)


def test_transport_garbage(app: InProcess, world: World) -> None:
    """Broken JSON, every odd target and content type: a Cognito error, and nothing written."""
    cases = [(body, target, None) for body in RAW_BODIES for target in TARGETS[3:7]]
    cases += [(b'{"ClientId": "x"}', target, ctype) for target in TARGETS for ctype in CONTENT_TYPES]
    for body, target, ctype in cases:
        before = snapshot(app.engine)
        response = _raw(app, body, target, ctype or "application/x-amz-json-1.1")
        check(app.engine, response, before, f"{target!r} {ctype!r} {body[:60]!r}")


def test_transport_random_bytes(app: InProcess, world: World) -> None:
    """Random bytes and mangled JSON under real targets."""
    targets = st.sampled_from([t for t in TARGETS if t] + ["AWSCognitoIdentityProviderService.RespondToAuthChallenge"])
    requests = Requests(world.known)
    mangled = (
        requests.body("SignUp")
        .map(lambda b: json.dumps(b).encode())
        .flatmap(lambda raw: st.integers(0, max(len(raw) - 1, 0)).map(lambda cut: raw[:cut]))
    )

    @_settings(scale(60, 3000))
    @given(body=st.one_of(st.binary(max_size=2000), mangled), target=targets)
    def run(body: bytes, target: str) -> None:
        before = snapshot(app.engine)
        check(app.engine, _raw(app, body, target, "application/x-amz-json-1.1"), before, f"{target} {body[:80]!r}")

    run()


def test_other_methods_and_paths(app: InProcess) -> None:
    """GET, PUT, DELETE on the endpoint, and paths nobody serves: a 4xx, no traceback."""
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        response = app.http.request(method, "/", content=b"{}")
        assert response.status_code in (404, 405), (method, response.status_code)
    for path in ("/..%2f..%2fetc%2fpasswd", "/%00", "/" + "a" * 5000, "/_sandbox/messages", "/.env"):
        response = app.http.get(path)
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert "Traceback" not in response.text


def test_sample_against_a_real_sandbox(sandbox: Sandbox) -> None:
    """A smaller sample through a real `userpool sandbox` process (uvicorn, its HTTP parser, its threads),
    with the same checks, the database read from its file."""
    (db,) = (sandbox.app_dir / ".amplify" / "userpool").glob("*/pool.db")
    engine = sa.create_engine(f"sqlite:///{db}")
    with httpx.Client(base_url=sandbox.endpoint, timeout=30) as http:
        world = World(
            post=poster(http), code_for=sandbox.last_code, pool_id=sandbox.pool_id, clients={"": sandbox.client_id}
        ).build()
        requests = Requests(world.known)

        @_settings(scale(60, 1000))
        @given(data=st.data())
        def run(data: st.DataObject) -> None:
            action = data.draw(st.sampled_from(supported_actions()))
            body = data.draw(requests.body(action))
            before = snapshot(engine)
            check(engine, world.post(action, body), before, f"sandbox {action} {json.dumps(body)[:300]}")

        try:
            run()
        finally:
            engine.dispose()


# -- the admin side, signed with a real access key ----------------------------------------------------

ADMIN_STATS: Counter[str] = Counter()


def signed_poster(http: httpx.Client, key: Credentials, region: str) -> Post:
    """Requests as boto3 sends them: the body signed with SigV4 by botocore's own signer."""

    def post(action: str, body: Any) -> httpx.Response:
        raw = json.dumps(body).encode()
        request = AWSRequest(
            method="POST",
            url=ENDPOINT + "/",
            data=raw,
            headers={"content-type": "application/x-amz-json-1.1", "x-amz-target": TARGET + action},
        )
        SigV4Auth(key, "cognito-idp", region).add_auth(request)
        return http.post("/", content=raw, headers=dict(request.headers.items()))

    return post


@pytest.fixture(scope="module")
def admin_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    ADMIN_STATS.clear()
    with in_process(Path(tmp_path_factory.mktemp("fuzz-admin"))) as running:
        yield running
    _record_stats("cognito_admin_api_signed", ADMIN_STATS, len(ADMIN_ACTIONS))


@pytest.fixture(scope="module")
def admin_key(admin_app: InProcess) -> Credentials:
    key = admin_app.pool.run(access_keys.create_key, description="fuzz")
    return Credentials(key.id, key.secret)


@pytest.fixture(scope="module")
def admin_world(admin_app: InProcess, admin_key: Credentials) -> World:
    """The fuzzers' world, every request signed; plus what the admin actions look up: the pool, groups,
    identity providers' names, filters."""
    pool_id = admin_app.pool.config.pool_id
    post = signed_poster(admin_app.http, admin_key, admin_app.pool.config.region)
    world = World(post=post, code_for=admin_app.code_for, pool_id=pool_id, clients=admin_app.clients()).build()
    k = world.known
    k.add("UserPoolId", pool_id, pool_id, "us-east-1_Nope12345", pool_id.split("_")[0] + "_")
    for group in ("fz-admins", "fz-editors"):
        world.call("CreateGroup", {"UserPoolId": pool_id, "GroupName": group, "Precedence": 1})
    k.add("GroupName", "fz-admins", "fz-editors", "fz-missing")
    k.add("ProviderName", "Cognito", "Google", "LoginWithAmazon", "SignInWithApple", "Facebook", "NoSuchIdP")
    k.add("ProviderAttributeName", "Cognito_Subject", "email", "sub")
    k.add("ProviderAttributeValue", "1234567890", "someone@example.com")
    k.add("Filter", 'email = "x@example.com"', 'email ^= "fz"', 'username ^= "fz-"', 'status = "Enabled"', "junk")
    k.add("AttributesToGet", ["email"], ["sub", "email"], [])
    k.add("MessageAction", "SUPPRESS", "RESEND")
    k.add("TemporaryPassword", "Temp-Passw0rd!")
    return world


@pytest.mark.parametrize("action", sorted(ADMIN_ACTIONS))
def test_signed_admin_action(admin_app: InProcess, admin_world: World, action: str) -> None:
    """Each admin action this server has, signed with a live key, with bodies from its botocore shape."""
    assert shapes.signed(action)
    admin_world.refresh()
    bodies = st.one_of(
        Requests(admin_world.known).body(action), Requests(admin_world.known, garbage=False).body(action)
    )

    @_settings(scale(15, 600))
    @given(body=bodies)
    def run(body: Any) -> None:
        before = snapshot(admin_app.engine)
        response = admin_world.post(action, body)
        check(admin_app.engine, response, before, f"signed {action} {json.dumps(body)[:300]}", ADMIN_STATS)
        if response.status_code >= 400:  # refused by the action, never by the signature
            assert response.json()["__type"] not in SIGV4_ERRORS, response.text[:300]

    run()


def test_signed_admin_actions_tampered(admin_app: InProcess, admin_world: World, admin_key: Credentials) -> None:
    """A signed request whose body, target or signature is changed after signing: InvalidSignatureException
    (or another of AWS's refusals), and nothing written."""
    region = admin_app.pool.config.region
    requests = Requests(admin_world.known, garbage=False)

    @_settings(scale(30, 600))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        action = data.draw(st.sampled_from(sorted(ADMIN_ACTIONS)))
        raw = json.dumps(data.draw(requests.body(action))).encode()
        request = AWSRequest(
            method="POST",
            url=ENDPOINT + "/",
            data=raw,
            headers={"content-type": "application/x-amz-json-1.1", "x-amz-target": TARGET + action},
        )
        how = data.draw(st.sampled_from(["body", "target", "signature", "date", "region"]))
        SigV4Auth(admin_key, "cognito-idp", "eu-west-9" if how == "region" else region).add_auth(request)
        headers = {name.lower(): value for name, value in request.headers.items()}
        if how == "body":
            raw += b" "
        elif how == "target":
            headers["x-amz-target"] = TARGET + data.draw(st.sampled_from(sorted(set(ADMIN_ACTIONS) - {action})))
        elif how == "signature":
            headers["authorization"] = headers["authorization"][:-8] + "00000000"
        elif how == "date":
            headers["x-amz-date"] = "20200101T000000Z"
        before = snapshot(admin_app.engine)
        response = admin_app.http.post("/", content=raw, headers=headers)
        check(admin_app.engine, response, before, f"tampered ({how}) {action}", ADMIN_STATS)
        assert response.json().get("__type") in SIGV4_ERRORS, (how, response.text[:300])

    run()
