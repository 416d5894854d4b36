"""Linking external identities to users, as Cognito's AdminLinkProviderForUser and
AdminDisableProviderForUser do (admin actions: the signed admin API gates them).

    link: the source identity (Google + subject) ─▶ the destination user's `identities`, so that signing in
          with it signs in as that user. The identity must not have signed in on its own yet (its own
          federated user exists: AliasExistsException — delete that user first), and a user holds at most
          five.
    disable: the identity stops signing anyone in. Linked to a user: the link is removed (that user keeps
          their password and other identities; the identity's next sign-in makes a new user). A federated
          user of its own: that user is disabled and signed out everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

from userpool.core.context import Ctx
from userpool.core.errors import (
    AliasExistsException,
    InvalidParameterException,
    LimitExceededException,
    UserNotFoundException,
)
from userpool.core.flows.federation import identity_record
from userpool.core.identities import MAX_LINKED, identities_of, login_key, set_identities
from userpool.core.identity import find_user, save_user
from userpool.core.model import User, UserStatus
from userpool.core.tokens import sign_out_everywhere

SUBJECT = "Cognito_Subject"  # the provider attribute that is the subject (`sub`, Facebook's `id`, ...)
NATIVE = "Cognito"


def _identity_of(ctx: Ctx, member: str, value: Mapping[str, str]) -> tuple[str, str]:
    provider = value.get("ProviderName") or ""
    attribute = value.get("ProviderAttributeName") or ""
    subject = value.get("ProviderAttributeValue") or ""
    if provider not in ctx.pool.upstreams:
        raise InvalidParameterException(f"{member}.ProviderName {provider!r} is not an identity provider of this pool.")
    if attribute != SUBJECT:
        raise InvalidParameterException(f"{member}.ProviderAttributeName must be {SUBJECT}.")
    if not subject:
        raise InvalidParameterException(f"{member}.ProviderAttributeValue (the provider's subject) is required.")
    return provider, subject


def _destination(ctx: Ctx, value: Mapping[str, str]) -> User:
    provider = value.get("ProviderName") or ""
    if provider == NATIVE:
        user = find_user(ctx, value.get("ProviderAttributeValue") or "")
    else:
        found = _identity_of(ctx, "DestinationUser", value)
        user = ctx.tx.find_user(ctx.pool.pool_id, login_key(*found))
    if user is None:
        raise UserNotFoundException("User does not exist.")
    return user


def link_provider_for_user(ctx: Ctx, *, destination: Mapping[str, str], source: Mapping[str, str]) -> None:
    if (source.get("ProviderName") or "") == NATIVE:
        raise InvalidParameterException(
            "SourceUser: users with a user name and password may be a DestinationUser only."
        )
    provider, subject = _identity_of(ctx, "SourceUser", source)
    user = _destination(ctx, destination)
    holder = ctx.tx.find_user(ctx.pool.pool_id, login_key(provider, subject))
    if holder is not None and holder.sub == user.sub:
        return  # linked already: nothing to do
    if holder is not None:
        raise AliasExistsException(
            f"{provider} identity {subject} already signs in as user {holder.username}; delete that user "
            "(AdminDeleteUser) before linking the identity to another."
        )
    linked = identities_of(user)
    if len(linked) >= MAX_LINKED:
        raise LimitExceededException(f"A user can have at most {MAX_LINKED} linked identities.")
    linked.append(identity_record(ctx.pool.upstreams[provider], subject, int(ctx.now() * 1000), primary=False))
    set_identities(user, linked)
    save_user(ctx, user)


def disable_provider_for_user(ctx: Ctx, *, user: Mapping[str, str]) -> None:
    if (user.get("ProviderName") or "") == NATIVE:
        raise InvalidParameterException("User.ProviderName: name an external identity provider, not Cognito.")
    provider, subject = _identity_of(ctx, "User", user)
    holder = ctx.tx.find_user(ctx.pool.pool_id, login_key(provider, subject))
    if holder is None:
        return  # nothing signs in with it
    if holder.status is UserStatus.EXTERNAL_PROVIDER and holder.username == f"{provider}_{subject}":
        holder.enabled = False
        save_user(ctx, holder)
        sign_out_everywhere(ctx, holder)
        return
    set_identities(holder, [i for i in identities_of(holder) if (i.provider, i.subject) != (provider, subject)])
    save_user(ctx, holder)
