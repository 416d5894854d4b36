"""Sign-in through an external identity provider (Google, Facebook, Amazon, Apple, any OIDC issuer), as plain
flows: no HTTP here — `userpool.federation` talks to the provider and hands back a verified identity.

    /oauth2/authorize?identity_provider=Google ─ begin() ─▶ FederationState (10 min, once, bound to the
        browser by a cookie) ─▶ the provider's sign-in (state, nonce, PKCE S256)
    /oauth2/idpresponse?code&state ─ take() ─▶ userpool.federation: code → tokens, verified (iss, aud,
        signature, nonce, exp) ─▶ UpstreamIdentity ─ complete() ─▶ the user (created, updated or linked),
        a web session, an authorization code for the app ─▶ the app's redirect_uri

Decisions (Cognito's where it has one):
- A first sign-in creates `<Provider>_<subject>` with status EXTERNAL_PROVIDER and the `identities`
  attribute; the mapped attributes (attribute_mapping; `email` by default, as Amplify maps it) are written
  at every sign-in. A required attribute the provider did not give refuses the sign-in.
- `email_verified` follows the provider's own `email_verified` when email is mapped (Google, Apple and OIDC
  issuers send it); a provider that does not say leaves the email unverified.
- An identity linked to a native user (AdminLinkProviderForUser) signs that user in; a native user's
  sign-in attributes (its email when email is the user name) are never overwritten by a provider.
- `link_by_verified_email` (off by default): a first sign-in whose verified email is a native user's
  verified email links to that user instead of creating one. It trusts the provider's word on email
  ownership: on only for providers that verify emails.
- Errors once the app's redirect URI is known go back to it (`error=access_denied`, ...); a state that is
  unknown, spent, or from another browser shows an error page (there is no app to trust yet).
"""

from __future__ import annotations

import dataclasses
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from userpool.core import triggers
from userpool.core.attributes import MAX_VALUE_LENGTH, normalize_email, spec_for
from userpool.core.config import UpstreamSettings
from userpool.core.context import Ctx
from userpool.core.errors import CognitoError, StoreConflict
from userpool.core.flows._challenge import check_session_user
from userpool.core.flows.hosted import (
    Authorized,
    AuthorizeRequest,
    OAuthError,
    WebSignIn,
    issue_code,
    pool_client,
    start_web_session,
    validate_authorize,
)
from userpool.core.identities import PROVIDER_TYPES, Identity, identities_of, login_key, set_identities
from userpool.core.identity import insert_user, save_user
from userpool.core.model import FederationState, User, UserStatus
from userpool.core.tokens import hash_token, new_opaque_token

STATE_TTL = 600  # the user has 10 minutes at the provider
HANDOVER_TTL = 120  # a verified SAML identity waits this long for the browser's GET
MAX_IDENTIFIER = 256


@dataclass(frozen=True)
class Departure:
    """What goes upstream (state, nonce, PKCE verifier) and what the browser keeps (the binding cookie)."""

    provider: UpstreamSettings
    state: str
    nonce: str
    code_verifier: str
    browser_token: str


@dataclass(frozen=True)
class Pending:
    """A sign-in back from upstream, its state spent: the app's request and what to check the answer with."""

    provider: str
    request: AuthorizeRequest
    nonce: str
    code_verifier: str
    browser_hash: str = ""
    identity: UpstreamIdentity | None = None  # already verified (a SAML response, checked on its POST)


@dataclass(frozen=True)
class UpstreamIdentity:
    """Who the provider says signed in, once `userpool.federation` verified it."""

    provider: str
    subject: str
    claims: Mapping[str, object]  # the ID token's claims and the user info / profile, merged


@dataclass(frozen=True)
class FederatedSignIn:
    authorized: Authorized
    web: WebSignIn
    created: bool


def _refuse(req: AuthorizeRequest, error: str, description: str) -> OAuthError:
    return OAuthError(error, description, redirect_uri=req.redirect_uri, state=req.state)


def choose_provider(ctx: Ctx, *, name: str, identifier: str) -> UpstreamSettings | None:
    """`identity_provider` names one exactly; `idp_identifier` matches one of a provider's identifiers (an
    email domain, say), case-insensitively, as Cognito does."""
    upstreams = ctx.pool.upstreams
    if name:
        return upstreams.get(name)
    wanted = identifier.strip().lower()
    if not wanted or len(wanted) > MAX_IDENTIFIER:
        return None
    for settings in upstreams.values():
        if wanted in (i.lower() for i in settings.identifiers):
            return settings
    return None


def begin(ctx: Ctx, req: AuthorizeRequest, *, provider: str, identifier: str = "", loopback: bool) -> Departure:
    """Check the app's request as /oauth2/authorize does, then park it until the provider answers."""
    if pool_client(ctx, req.client_id) is None:
        raise OAuthError("invalid_client", "The client_id is not an app client of this user pool.")
    settings = choose_provider(ctx, name=provider, identifier=identifier)
    if settings is None:
        raise OAuthError("unknown_provider", "This app does not offer sign-in with that provider.")
    validate_authorize(ctx, req, loopback=loopback)
    if "none" in req.prompts:  # no page may be shown, and the provider's is one
        raise _refuse(req, "login_required", "The user is not signed in.")
    state, nonce, verifier, browser = (new_opaque_token(ctx) for _ in range(4))
    now = ctx.now()
    ctx.tx.put_federation_state(
        FederationState(
            state_hash=hash_token(state),
            pool_id=ctx.pool.pool_id,
            provider=settings.name,
            browser_hash=hash_token(browser),
            secrets={
                "request": _dump_request(req),
                "nonce": nonce,
                "code_verifier": verifier,
            },
            created_at=now,
            expires_at=now + STATE_TTL,
        )
    )
    return Departure(settings, state, nonce, verifier, browser)


def _dump_request(req: AuthorizeRequest) -> str:
    return urlencode(dataclasses.asdict(req))


def _load_request(text: str) -> AuthorizeRequest:
    fields = {f.name for f in dataclasses.fields(AuthorizeRequest)}
    values = {k: v for k, v in parse_qsl(text, keep_blank_values=True) if k in fields}
    return AuthorizeRequest(**values)


def take(ctx: Ctx, state: str, browser_token: str | None, *, cross_site: bool = False) -> Pending:
    """The parked sign-in for this `state`, spent now whatever happens next. A state that is unknown, spent,
    or that another browser started (login CSRF) is refused without a redirect.

    `cross_site`: a SAML IdP's POST, which carries no SameSite cookie; the browser is checked on the GET
    that follows (`hand_over`)."""
    stored = ctx.tx.take_federation_state(hash_token(state)) if state and len(state) <= 128 else None
    bound = stored is not None and (
        cross_site
        or (
            browser_token is not None
            and len(browser_token) <= 128
            and hmac.compare_digest(stored.browser_hash, hash_token(browser_token))
        )
    )
    if stored is None or stored.pool_id != ctx.pool.pool_id or not bound:
        raise OAuthError(
            "invalid_state",
            "This sign-in is unknown, already used, or was started in another browser.",
            keep_writes=True,
        )
    req = _load_request(stored.secrets.get("request", ""))
    if stored.expires_at <= ctx.now():
        raise OAuthError(
            "access_denied",
            "The sign-in took too long; start again.",
            redirect_uri=req.redirect_uri,
            state=req.state,
            keep_writes=True,
        )
    identity = None
    if "identity" in stored.secrets:
        verified = json.loads(stored.secrets["identity"])
        identity = UpstreamIdentity(stored.provider, str(verified["subject"]), dict(verified["claims"]))
    return Pending(
        stored.provider,
        req,
        stored.secrets.get("nonce", ""),
        stored.secrets.get("code_verifier", ""),
        stored.browser_hash,
        identity,
    )


def hand_over(ctx: Ctx, pending: Pending, identity: UpstreamIdentity) -> str:
    """A verified identity from a cross-site POST, parked for the browser's next GET (2 minutes, once, the
    same browser as the one that left): the new state to send it to."""
    state = new_opaque_token(ctx)
    now = ctx.now()
    claims = {k: v for k, v in identity.claims.items() if isinstance(v, str | int | float | bool)}
    ctx.tx.put_federation_state(
        FederationState(
            state_hash=hash_token(state),
            pool_id=ctx.pool.pool_id,
            provider=pending.provider,
            browser_hash=pending.browser_hash,
            secrets={
                "request": _dump_request(pending.request),
                "identity": json.dumps({"subject": identity.subject, "claims": claims}),
            },
            created_at=now,
            expires_at=now + HANDOVER_TTL,
        )
    )
    return state


# -- attributes ------------------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)[:MAX_VALUE_LENGTH]
    return None


def mapped_attributes(ctx: Ctx, settings: UpstreamSettings, claims: Mapping[str, object]) -> dict[str, str]:
    """The pool attributes a sign-in writes: each mapping target the pool has, from the provider's value."""
    values: dict[str, str] = {}
    for attribute, upstream in settings.attribute_mapping.items():
        value = _text(claims.get(upstream))
        if value is None or value == "" or spec_for(ctx.pool, attribute) is None:
            continue
        values[attribute] = normalize_email(value) if attribute == "email" else value
    if "email" in values and "email_verified" not in values:
        values["email_verified"] = "true" if _text(claims.get("email_verified")) == "true" else "false"
    return values


def _protected(ctx: Ctx, user: User) -> frozenset[str]:
    """What a provider never overwrites on a native user: the attributes it signs in with."""
    if user.status is UserStatus.EXTERNAL_PROVIDER:
        return frozenset({"sub"})
    names = set(ctx.pool.username_attributes) | set(ctx.pool.alias_attributes)
    return frozenset({"sub", *names, *(f"{n}_verified" for n in names)})


# -- completing a sign-in --------------------------------------------------------------------------------


def identity_record(settings: UpstreamSettings, subject: str, created_ms: int, *, primary: bool) -> Identity:
    return Identity(
        provider=settings.name,
        subject=subject,
        provider_type={"oidc": "OIDC", "saml": "SAML"}.get(settings.kind) or PROVIDER_TYPES[settings.name],
        issuer=settings.issuer if settings.kind == "oidc" else None,
        primary=primary,
        created_ms=created_ms,
    )


def _link_by_email(ctx: Ctx, values: Mapping[str, str]) -> User | None:
    if not ctx.pool.link_by_verified_email or values.get("email_verified") != "true" or not values.get("email"):
        return None
    user = ctx.tx.find_user(ctx.pool.pool_id, f"email:{normalize_email(values['email'])}")
    if user is None or user.status is UserStatus.EXTERNAL_PROVIDER:
        return None
    if user.attributes.get("email_verified") != "true":  # both sides must have proved the address
        return None
    return user


def _create(
    ctx: Ctx, settings: UpstreamSettings, identity: UpstreamIdentity, values: dict[str, str], req: AuthorizeRequest
) -> User:
    username = f"{settings.name}_{identity.subject}"
    now = ctx.now()
    attributes = dict(values)
    missing = [a.name for a in ctx.pool.attributes.values() if a.required and not attributes.get(a.name)]
    if missing:
        raise _refuse(
            req,
            "invalid_request",
            f"{settings.name} did not provide the required attribute(s) {', '.join(sorted(missing))}; map them in "
            "attribute_mapping or ask the provider for them (scopes).",
        )
    triggers.pre_sign_up(
        ctx, source="PreSignUp_ExternalProvider", client_id=req.client_id, username=username, attributes=attributes
    )
    sub = ctx.random.uuid4()
    user = User(
        pool_id=ctx.pool.pool_id,
        username=username,
        sub=sub,
        status=UserStatus.EXTERNAL_PROVIDER,
        attributes={"sub": sub, **attributes},
        created_at=now,
        updated_at=now,
    )
    set_identities(user, [identity_record(settings, identity.subject, int(now * 1000), primary=True)])
    insert_user(ctx, user)
    # The provider confirmed the user: Cognito runs post confirmation once, on the first sign-in (apps add
    # new users to groups there, whichever way they arrived). Raising refuses the sign-in; nothing is kept.
    triggers.post_confirmation(ctx, source="PostConfirmation_ConfirmSignUp", client_id=req.client_id, user=user)
    return user


def _update(ctx: Ctx, user: User, values: Mapping[str, str]) -> None:
    protected = _protected(ctx, user)
    changed = {k: v for k, v in values.items() if k not in protected and user.attributes.get(k) != v}
    if changed:
        user.attributes.update(changed)
        save_user(ctx, user)


def complete(
    ctx: Ctx, pending: Pending, identity: UpstreamIdentity, *, previous_session: str | None, loopback: bool
) -> FederatedSignIn:
    """The verified upstream identity signs a user in: found by the identity, linked by email (if on), or
    created; then a web session and an authorization code for the app, as after a hosted sign-in."""
    req = pending.request
    client, scopes = validate_authorize(ctx, req, loopback=loopback)
    settings = ctx.pool.upstreams.get(pending.provider)
    if settings is None or identity.provider != settings.name or not identity.subject:
        raise _refuse(req, "access_denied", "This identity provider is no longer offered.")
    values = mapped_attributes(ctx, settings, identity.claims)
    key = login_key(settings.name, identity.subject)
    user = ctx.tx.find_user(ctx.pool.pool_id, key)
    created = False
    try:
        if user is None and (user := _link_by_email(ctx, values)) is not None:
            linked = identities_of(user)
            linked.append(identity_record(settings, identity.subject, int(ctx.now() * 1000), primary=False))
            set_identities(user, linked)
            save_user(ctx, user)
            _update(ctx, user, values)
        elif user is None:
            user = _create(ctx, settings, identity, values, req)
            created = True
        else:
            _update(ctx, user, values)
        check_session_user(user)
    except OAuthError:
        raise
    except (CognitoError, StoreConflict) as err:
        message = err.message if isinstance(err, CognitoError) else "Try again."
        raise _refuse(req, "access_denied", message) from None
    auth_time = int(ctx.now())
    web = start_web_session(ctx, user, auth_time, previous_session)
    return FederatedSignIn(issue_code(ctx, client, req, scopes, user, auth_time), web, created)
