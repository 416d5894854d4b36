"""What a signed-in user does with their access token: read and change attributes, verify an email or
phone, change the password, sign out everywhere, delete the account.

Changing a verified email or phone keeps the old value active until the new one is verified with a code
(Cognito's "keep original attribute value active when an update is pending", which Amplify turns on).
"""

from __future__ import annotations

from userpool.core import attributes as attrs
from userpool.core import codes, tokens
from userpool.core.clients import check_client_secret, get_client
from userpool.core.context import Ctx
from userpool.core.credentials import set_password, verify_password
from userpool.core.delivery import CodeDelivery, send_code
from userpool.core.errors import CodeMismatchException, InvalidParameterException, NotAuthorizedException
from userpool.core.identity import save_user
from userpool.core.model import User


def get_user(ctx: Ctx, *, access_token: str) -> User:
    return tokens.authenticate(ctx, access_token).user


def _send_verification(ctx: Ctx, user: User, attribute: str, value: str) -> CodeDelivery:
    t = ctx.pool.templates
    return send_code(
        ctx,
        user,
        purpose=f"verify:{attribute}",
        ttl=ctx.pool.verify_code_ttl,
        attribute=attribute,
        value=value,
        email=t.verification_email,
        sms=t.verification_sms,
    )


def update_user_attributes(ctx: Ctx, *, access_token: str, attributes: dict[str, str]) -> list[CodeDelivery]:
    user = tokens.authenticate(ctx, access_token).user
    values = dict(attributes)
    if "email" in values:
        values["email"] = values["email"].strip()
    attrs.check_client_write(ctx.pool, values, existing=user.attributes)
    deliveries: list[CodeDelivery] = []
    for name, value in values.items():
        if name not in attrs.VERIFIABLE:
            user.attributes[name] = value
            continue
        if user.attributes.get(name) == value:
            user.pending_attributes.pop(name, None)  # changed back: nothing left to verify
            continue
        verified = user.attributes.get(attrs.verified_flag(name)) == "true"
        if verified and name in ctx.pool.auto_verified_attributes:
            user.pending_attributes[name] = value  # the verified value keeps working meanwhile
        else:
            user.attributes[name] = value
            user.attributes[attrs.verified_flag(name)] = "false"
        if name in ctx.pool.auto_verified_attributes:
            deliveries.append(_send_verification(ctx, user, name, value))
    save_user(ctx, user)
    return deliveries


def _value_to_verify(user: User, attribute: str) -> str:
    if attribute not in attrs.VERIFIABLE:
        raise InvalidParameterException(f"Only email and phone_number can be verified, not {attribute}")
    value = user.pending_attributes.get(attribute) or user.attributes.get(attribute)
    if not value:
        raise InvalidParameterException(f"The user has no {attribute} to verify")
    return value


def get_user_attribute_verification_code(ctx: Ctx, *, access_token: str, attribute: str) -> CodeDelivery:
    user = tokens.authenticate(ctx, access_token).user
    return _send_verification(ctx, user, attribute, _value_to_verify(user, attribute))


def verify_user_attribute(ctx: Ctx, *, access_token: str, attribute: str, code: str) -> None:
    user = tokens.authenticate(ctx, access_token).user
    value = _value_to_verify(user, attribute)
    stored = codes.consume(ctx, user, f"verify:{attribute}", code)
    if stored.destination != f"{attribute}:{value}":  # the code went to an address since replaced
        raise CodeMismatchException("Invalid verification code provided, please try again.", keep_writes=True)
    user.attributes[attribute] = value
    user.attributes[attrs.verified_flag(attribute)] = "true"
    user.pending_attributes.pop(attribute, None)
    save_user(ctx, user)


def change_password(ctx: Ctx, *, access_token: str, previous: str | None, proposed: str) -> None:
    user = tokens.authenticate(ctx, access_token).user
    if previous is None or not verify_password(ctx, user, previous):
        raise NotAuthorizedException("Incorrect username or password.")
    set_password(ctx, user, proposed)
    save_user(ctx, user)


def global_sign_out(ctx: Ctx, *, access_token: str) -> None:
    tokens.sign_out_everywhere(ctx, tokens.authenticate(ctx, access_token).user)


def revoke_token(ctx: Ctx, *, client_id: str, token: str, client_secret: str | None) -> None:
    client = get_client(ctx, client_id)
    check_client_secret(client, client_secret)
    tokens.revoke_refresh_token(ctx, client, token)


def delete_user(ctx: Ctx, *, access_token: str) -> None:
    user = tokens.authenticate(ctx, access_token).user
    ctx.tx.delete_user(ctx.pool.pool_id, user.sub)
