"""`userpool users export` and `userpool users import`: every user out as JSON Lines, and back in — from
this format, Cognito's CSV import format, or another system's password hashes (docs/import-export.md).

    userpool users export [--output FILE] [--with-password-hashes]
    userpool users import FILE [--format jsonl|cognito-csv] [--update]
                               [--hash-format auto|firebase-scrypt --firebase-signer-key … --firebase-salt-separator …
                                --firebase-rounds N --firebase-mem-cost N]

Both stream: a page (export) or a batch (import) per unit of work, so memory stays flat for any number of
users, and a server may keep running meanwhile. A bad line is reported with its number and reason; the
others are imported. Users already there (same sub or user name) are skipped, or replaced with --update.
`cli/main.py` adds both commands to the `userpool users` group.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from userpool.cli.target import AppDir, AsJson, DatabaseUrl, Identifier, cli_actor, fail, open_target
from userpool.core.audit import Audit
from userpool.core.flows import user_transfer
from userpool.crypto.legacy_hashes import firebase_scrypt_encode
from userpool.service import AUDIT

errors = Console(stderr=True, highlight=False, soft_wrap=True)
PAGE = 500
HASH_WARNING = (
    "Warning: this export holds password hashes, SRP verifiers and authenticator-app secrets. Anyone with the "
    "file can try to guess passwords offline: keep it encrypted, share it with no one, delete it when done."
)


def _progress(total: int | None, what: str) -> Progress:
    return Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=errors,
        disable=not errors.is_terminal,
        transient=True,
    )


def export_users(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: standard output).")
    ] = None,
    with_password_hashes: Annotated[
        bool,
        typer.Option(
            "--with-password-hashes", help="Include password hashes, SRP verifiers and TOTP secrets (sensitive)."
        ),
    ] = False,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Every user as one JSON line: attributes, status, groups, MFA settings (and, if asked, credentials)."""
    if with_password_hashes:
        errors.print(HASH_WARNING, style="yellow", markup=False)
    with open_target(app_dir, identifier, database_url) as pool:
        total = pool.run(lambda ctx: ctx.tx.count_users(ctx.pool.pool_id))
        sink: TextIO = sys.stdout if output is None else output.open("w", encoding="utf-8")
        if output is not None and with_password_hashes:
            output.chmod(0o600)  # credentials: readable only by whoever made the export, before anything is in it
        written = 0
        try:
            with _progress(total, "Exporting") as bar:
                task = bar.add_task("users", total=total)
                after: str | None = None
                while True:
                    records, after = pool.run(
                        user_transfer.export_page, after=after, limit=PAGE, with_secrets=with_password_hashes
                    )
                    for record in records:
                        sink.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
                    written += len(records)
                    bar.advance(task, len(records))
                    if after is None:
                        break
        finally:
            if output is not None:
                sink.close()
    if output is not None:
        errors.print(f"Exported {written} users to {output}.", markup=False)


# -- reading import files ------------------------------------------------------------------------------

COGNITO_REQUIRED = ("cognito:username", "cognito:mfa_enabled")


def _jsonl(stream: TextIO) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as bad:
            yield number, _Bad(f"not JSON: {bad.msg} at column {bad.colno}")


class _Bad:
    """A line that could not even be decoded; reported like any refused record."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _cognito_csv(stream: TextIO) -> Iterator[tuple[int, Any]]:
    """Cognito's CSV import format: the header row GetCSVHeader gives (attributes, cognito:username,
    cognito:mfa_enabled). No passwords: users arrive RESET_REQUIRED, as in Cognito."""
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    missing = [name for name in COGNITO_REQUIRED if name not in header]
    if missing:
        raise fail(f"Not Cognito's CSV import format: the header has no {missing[0]} column (see GetCSVHeader).")
    for row in reader:
        number = reader.line_num
        if None in row or any(v is None for v in row.values()):
            yield number, _Bad("the row has more or fewer cells than the header")
            continue
        mfa = row.get("cognito:mfa_enabled", "").strip().lower()
        if mfa not in ("true", "false", ""):
            yield number, _Bad("cognito:mfa_enabled must be true or false")
            continue
        record: dict[str, Any] = {
            "username": row["cognito:username"].strip(),
            "status": "RESET_REQUIRED",
            "attributes": {k: v for k, v in row.items() if k not in COGNITO_REQUIRED and v != ""},
        }
        if mfa == "true":
            record["mfa"] = {"enabled": ["SMS"], "preferred": "SMS"}
        yield number, record


class FirebaseParams:
    def __init__(self, signer_key: str | None, separator: str | None, rounds: int | None, mem_cost: int | None) -> None:
        if not signer_key or separator is None or rounds is None or mem_cost is None:
            raise fail(
                "--hash-format firebase-scrypt needs the project's hash parameters: --firebase-signer-key, "
                "--firebase-salt-separator, --firebase-rounds and --firebase-mem-cost (Firebase console: "
                "Authentication → Users → ⋮ → Password hash parameters).",
                2,
            )
        self.signer_key, self.separator, self.rounds, self.mem_cost = signer_key, separator, rounds, mem_cost

    def apply(self, record: Any) -> Any:
        """A Firebase user's hash and salt (base64, as Firebase exports them) as one stored string."""
        if not isinstance(record, dict) or not record.get("password_hash"):
            return record
        salt = record.pop("password_salt", None)
        if not isinstance(salt, str) or not isinstance(record["password_hash"], str):
            return _Bad("firebase-scrypt: password_hash and password_salt (base64 strings) are both needed")
        try:
            record["password_hash"] = firebase_scrypt_encode(
                hash_b64=record["password_hash"],
                salt_b64=salt,
                signer_key_b64=self.signer_key,
                salt_separator_b64=self.separator,
                rounds=self.rounds,
                mem_cost=self.mem_cost,
            )
        except ValueError as bad:
            return _Bad(f"firebase-scrypt: {bad}")
        return record


def import_users(
    file: Annotated[Path, typer.Argument(help="The file to import (- for standard input).", metavar="FILE")],
    file_format: Annotated[str, typer.Option("--format", help="jsonl (default) or cognito-csv.")] = "jsonl",
    update: Annotated[
        bool, typer.Option("--update", help="Replace users already there instead of skipping them.")
    ] = False,
    hash_format: Annotated[
        str, typer.Option(help="auto (each hash says its format) or firebase-scrypt (password_hash + password_salt).")
    ] = "auto",
    firebase_signer_key: Annotated[str | None, typer.Option(help="Firebase: base64_signer_key.")] = None,
    firebase_salt_separator: Annotated[str | None, typer.Option(help="Firebase: base64_salt_separator.")] = None,
    firebase_rounds: Annotated[int | None, typer.Option(help="Firebase: rounds.")] = None,
    firebase_mem_cost: Annotated[int | None, typer.Option(help="Firebase: mem_cost.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Lines per unit of work.")] = 1000,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Import users; each keeps their password when the file has its hash. Exit status 1 if a line was refused."""
    if file_format not in ("jsonl", "cognito-csv"):
        raise fail("--format must be jsonl or cognito-csv.", 2)
    if hash_format not in ("auto", "firebase-scrypt"):
        raise fail("--hash-format must be auto or firebase-scrypt.", 2)
    firebase = (
        FirebaseParams(firebase_signer_key, firebase_salt_separator, firebase_rounds, firebase_mem_cost)
        if hash_format == "firebase-scrypt"
        else None
    )
    if str(file) != "-" and not file.is_file():
        raise fail(f"No such file: {file}", 2)
    stream: TextIO = sys.stdin if str(file) == "-" else file.open(encoding="utf-8-sig", newline="")
    size = None if str(file) == "-" else file.stat().st_size
    totals = user_transfer.BatchReport()
    with open_target(app_dir, identifier, database_url) as pool, stream, _progress(size, "Importing") as bar:
        task = bar.add_task("bytes", total=size)
        lines = _cognito_csv(stream) if file_format == "cognito-csv" else _jsonl(stream)
        batch: list[tuple[int, Any]] = []

        def flush() -> None:
            details: dict[str, object] = {"lines": [batch[0][0], batch[-1][0]], "update": update}
            audited = AUDIT.set(Audit(cli_actor(), "users.import", f"file:{file.name or 'stdin'}", details))
            try:
                report = pool.run(user_transfer.import_batch, lines=batch, update=update)
            finally:
                AUDIT.reset(audited)
            for number, reason in report.errors:
                errors.print(f"line {number}: {reason}", style="red", markup=False)
            for number, note in report.notes:
                errors.print(f"line {number}: {note}", style="yellow", markup=False)
            totals.imported += report.imported
            totals.updated += report.updated
            totals.skipped += report.skipped
            totals.errors += report.errors
            totals.notes += report.notes
            batch.clear()
            if size is not None and not stream.closed:
                bar.update(task, completed=min(size, stream.buffer.tell() if hasattr(stream, "buffer") else 0))

        for number, decoded in lines:
            record = decoded if firebase is None else firebase.apply(decoded)
            if isinstance(record, _Bad):
                errors.print(f"line {number}: {record.reason}", style="red", markup=False)
                totals.errors.append((number, record.reason))
                continue
            batch.append((number, record))
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
    summary = {
        "imported": totals.imported,
        "updated": totals.updated,
        "skipped": totals.skipped,
        "refused": [{"line": n, "reason": r} for n, r in totals.errors],
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        errors.print(
            f"Imported {totals.imported} users, updated {totals.updated}, skipped {totals.skipped} already there"
            f"{' (--update replaces them)' if totals.skipped else ''}; {len(totals.errors)} lines refused.",
            markup=False,
        )
    if totals.errors:
        raise typer.Exit(1)
