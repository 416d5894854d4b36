"""`userpool users export` and `import`, a page or a batch per unit of work.

    export: list_users page (keyset) ─▶ each user's groups and second factors ─▶ records ─▶ next page
    import: a batch of decoded lines ─▶ parse and check each (user_records) ─▶ one look-up of the batch's
            subs and login keys ─▶ new users: one bulk insert (+ group members, second factors);
            users already there (same sub, or same user name): skipped, or with `update` replaced;
            a bad line: reported with its line number and reason, the rest go on

Idempotent: a user is the same user when the sub or the user name matches, so importing a file twice
adds nobody the second time. No password is hashed here: hashes are imported as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from userpool.core.context import Ctx
from userpool.core.errors import CognitoError, StoreConflict
from userpool.core.flows import mfa_settings
from userpool.core.identity import login_keys, save_user
from userpool.core.store import UserQuery
from userpool.core.user_records import ImportedUser, RecordError, export_record, parse_record


def export_page(
    ctx: Ctx, *, after: str | None, limit: int, with_secrets: bool
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of export records, and where the next page starts (None: done)."""
    pool_id = ctx.pool.pool_id
    page = ctx.tx.list_users(pool_id, UserQuery(limit=limit, after=after))
    records = [
        export_record(
            ctx.pool,
            user,
            ctx.tx.list_groups_for_user(pool_id, user.sub).items,
            ctx.tx.get_mfa(pool_id, user.sub),
            with_secrets=with_secrets,
        )
        for user in page.items
    ]
    return records, page.next


@dataclass
class BatchReport:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    notes: list[tuple[int, str]] = field(default_factory=list)  # imported, but something was not kept


def import_batch(ctx: Ctx, *, lines: Sequence[tuple[int, Any]], update: bool = False) -> BatchReport:
    """Import decoded lines (line number, JSON value). A bad line is reported, never raised."""
    report = BatchReport()
    pool_id = ctx.pool.pool_id
    groups = {g.name for g in ctx.tx.list_groups(pool_id)}
    parsed: list[tuple[int, ImportedUser]] = []
    for number, data in lines:
        try:
            item = parse_record(ctx.pool, data, new_sub=ctx.random.uuid4(), now=ctx.now(), scheme=ctx.hasher.scheme)
        except RecordError as bad:
            report.errors.append((number, str(bad)))
            continue
        missing = [g for g in item.groups if g not in groups]
        if missing:
            report.errors.append((number, f"group {missing[0]} does not exist (userpool groups create makes it)"))
            continue
        item.user.login_keys = login_keys(ctx, item.user)
        parsed.append((number, item))
    taken = ctx.tx.taken_login_keys(pool_id, [k for _, i in parsed for k in i.user.login_keys])
    subs = ctx.tx.existing_subs(pool_id, [i.user.sub for _, i in parsed])
    fresh: list[tuple[int, ImportedUser]] = []
    claimed: dict[str, int] = {}  # login key → line that claims it in this batch
    for number, item in parsed:
        user = item.user
        owner = user.sub if user.sub in subs else _owner(ctx, user.login_keys, taken)
        if owner:
            if update:
                _update(ctx, report, number, item, owner)
            else:
                report.skipped += 1
            continue
        clash = next((k for k in sorted(user.login_keys) if k in taken or k in claimed), None)
        if clash is not None:
            where = f"line {claimed[clash]} of this file" if clash in claimed else "another user"
            kind, value = clash.split(":", 1)
            report.errors.append((number, f"{kind} {value} already belongs to {where}"))
            continue
        claimed.update(dict.fromkeys(user.login_keys, number))
        fresh.append((number, item))
    _insert(ctx, report, fresh)
    return report


def _owner(ctx: Ctx, keys: frozenset[str], taken: dict[str, str]) -> str | None:
    """The user already there that a record names: by user name, or by the email or phone that is the user
    name in a pool that signs in with those (there the user name is a generated sub)."""
    kinds = ("username", *ctx.pool.username_attributes)
    return next((taken[k] for k in sorted(keys) if k.split(":", 1)[0] in kinds and k in taken), None)


def _insert(ctx: Ctx, report: BatchReport, fresh: list[tuple[int, ImportedUser]]) -> None:
    try:
        ctx.tx.insert_users([item.user for _, item in fresh])
        written = fresh
    except StoreConflict:  # a sign-up raced the import: find the lines it hit, one by one
        written = []
        for number, item in fresh:
            try:
                ctx.tx.insert_user(item.user)
            except StoreConflict:
                report.errors.append((number, "user name, sub, email or phone was taken while importing"))
            else:
                written.append((number, item))
    members = [(group, item.user.sub) for _, item in written for group in item.groups]
    ctx.tx.add_group_members(ctx.pool.pool_id, members, ctx.now())
    for number, item in written:
        if item.mfa is not None:
            ctx.tx.put_mfa(item.mfa)
        report.notes += [(number, f"not kept: {what}") for what in item.dropped]
    report.imported += len(written)


def _update(ctx: Ctx, report: BatchReport, number: int, item: ImportedUser, sub: str) -> None:
    """Replace what the record says about a user already there (their sub and user name stay)."""
    current = ctx.tx.get_user(ctx.pool.pool_id, sub)
    if current is None:
        report.errors.append((number, "the user was deleted while importing"))
        return
    new = item.user
    current.attributes = {**new.attributes, "sub": current.sub}
    current.status, current.enabled = new.status, new.enabled
    if new.password_hash:
        current.password_hash, current.srp_salt = new.password_hash, new.srp_salt
        current.srp_verifier = new.srp_verifier
        current.temporary_password_expires_at = new.temporary_password_expires_at
    try:
        save_user(ctx, current)
    except CognitoError as refused:  # AliasExistsException and the like: the line is refused, the rest go on
        report.errors.append((number, refused.message))
        return
    pool_id = ctx.pool.pool_id
    for group in ctx.tx.list_groups_for_user(pool_id, sub).items:
        if group.name not in item.groups:
            ctx.tx.remove_user_from_group(pool_id, group.name, sub)
    ctx.tx.add_group_members(pool_id, [(g, sub) for g in item.groups], ctx.now())
    if item.mfa is not None:
        item.mfa.user_sub = sub
        mfa_settings.save(ctx, item.mfa)
    report.updated += 1
