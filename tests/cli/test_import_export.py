"""`userpool users export` and `userpool users import`, run as an operator runs them (real processes against
a sandbox's database); what they wrote is checked by signing in through the pool's own flows in-process."""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bcrypt
import pyotp
import pytest
from pycognito.aws_srp import AWSSRP

from tests.support.sandbox import PASSWORD, userpool_command, write_app
from tests.unit.test_legacy_hashes import VECTORS
from userpool.cli.target import open_target
from userpool.core.errors import NotAuthorizedException, PasswordResetRequiredException
from userpool.core.flows import admin_users, sign_in, sign_up
from userpool.core.model import MfaSettings, User, UserStatus
from userpool.core.tokens import AuthResult
from userpool.service import UserPool

RESOURCE = """from userpool import define_auth

auth = define_auth(
    login_with={"email": True},
    groups=["ADMINS", "EDITORS"],
    multifactor={"mode": "OPTIONAL", "totp": True, "sms": True},
    senders={"sms": lambda to, body, **kw: None},
    user_attributes={"custom:team": {"data_type": "String", "mutable": True}},
)
"""
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _run(app: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*userpool_command(), *args, "--dir", str(app)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=app,
        input=stdin,
        env={**os.environ, "COLUMNS": "200"},
    )


def _ok(app: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = _run(app, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _new_app(folder: Path) -> Path:
    app = write_app(folder, RESOURCE)
    _ok(app, "sandbox", "--once")
    return app


@contextmanager
def _pool(app: Path) -> Iterator[UserPool]:
    with open_target(app, None, None) as pool:
        yield pool


def _user(pool: UserPool, email: str) -> User:
    with pool.store.begin() as tx:
        found = tx.find_user(pool.config.pool_id, f"email:{email}")
    assert found is not None, email
    return found


def _groups(pool: UserPool, sub: str) -> list[str]:
    with pool.store.begin() as tx:
        return [g.name for g in tx.list_groups_for_user(pool.config.pool_id, sub).items]


def _password_sign_in(pool: UserPool, username: str, password: str = PASSWORD) -> Any:
    return pool.run(
        sign_in.initiate_auth,
        client_id=pool.default_client_id,
        flow="USER_PASSWORD_AUTH",
        params={"USERNAME": username, "PASSWORD": password},
    )


def _srp_sign_in(pool: UserPool, username: str, password: str = PASSWORD) -> Any:
    pool_id, client_id = pool.config.pool_id, pool.default_client_id
    srp = AWSSRP(username=username, password=password, pool_id=pool_id, client_id=client_id, client=object())
    step = pool.run(
        sign_in.initiate_auth, client_id=pool.default_client_id, flow="USER_SRP_AUTH", params=srp.get_auth_params()
    )
    return pool.run(
        sign_in.respond_to_auth_challenge,
        client_id=pool.default_client_id,
        challenge="PASSWORD_VERIFIER",
        responses=srp.process_challenge(step.parameters, {"USERNAME": "x"}),
        session=None,
    )


def _seed(pool: UserPool) -> None:
    """Three users: confirmed with groups, a custom attribute and an authenticator app; disabled; unconfirmed."""
    pool_id = pool.config.pool_id
    for email, team in (("ada@example.com", "core"), ("bob@example.com", "ops"), ("cy@example.com", "")):
        attributes = {"email": email, "name": email.split("@")[0].title(), **({"custom:team": team} if team else {})}
        pool.run(
            sign_up.sign_up, client_id=pool.default_client_id, username=email, password=PASSWORD, attributes=attributes
        )
    for email in ("ada@example.com", "bob@example.com"):
        pool.run(admin_users.confirm_sign_up, user_pool_id=pool_id, username=email)
    pool.run(admin_users.set_enabled, user_pool_id=pool_id, username="bob@example.com", enabled=False)
    ada = _user(pool, "ada@example.com")
    with pool.store.begin() as tx:
        tx.add_user_to_group(pool_id, "ADMINS", ada.sub, 0)
        tx.add_user_to_group(pool_id, "EDITORS", ada.sub, 0)
        tx.put_mfa(MfaSettings(pool_id=pool_id, user_sub=ada.sub, totp=True, preferred="TOTP", totp_secret=TOTP_SECRET))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app = _new_app(tmp_path_factory.mktemp("source") / "app")
    with _pool(app) as pool:
        _seed(pool)
    return app


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_export_without_hashes_has_no_credentials(source: Path, tmp_path: Path) -> None:
    done = _ok(source, "users", "export")
    records = {r["attributes"]["email"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert set(records) == {"ada@example.com", "bob@example.com", "cy@example.com"}
    ada = records["ada@example.com"]
    assert ada["status"] == "CONFIRMED" and ada["enabled"] is True and ada["groups"] == ["ADMINS", "EDITORS"]
    assert ada["attributes"]["custom:team"] == "core" and ada["attributes"]["sub"] == ada["sub"] == ada["username"]
    assert ada["mfa"] == {"enabled": ["TOTP"], "preferred": "TOTP"}  # which factors, never the secret
    assert records["bob@example.com"]["enabled"] is False and records["cy@example.com"]["status"] == "UNCONFIRMED"
    assert not any(k in r for r in records.values() for k in ("password_hash", "srp"))
    assert "Warning" not in done.stderr


def test_round_trip_into_a_fresh_pool_keeps_users_groups_and_passwords(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "users.jsonl"
    done = _ok(source, "users", "export", "--with-password-hashes", "--output", str(out))
    assert "password hashes" in done.stderr and "Exported 3 users" in done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    exported = {r["attributes"]["email"]: r for r in _lines(out)}
    assert exported["ada@example.com"]["password_hash"].startswith("$argon2id$")
    assert exported["ada@example.com"]["mfa"]["totp_secret"] == TOTP_SECRET

    target = _new_app(tmp_path / "target")
    imported = _ok(target, "users", "import", str(out), "--json")
    summary = json.loads(imported.stdout)
    assert summary == {"imported": 3, "updated": 0, "skipped": 0, "refused": []}
    assert "SRP verifier (made for another pool name" in imported.stderr  # a new pool: a new name in x

    with _pool(source) as before, _pool(target) as after:
        for email in exported:
            old, new = _user(before, email), _user(after, email)
            assert (new.sub, new.username, new.status, new.enabled) == (old.sub, old.username, old.status, old.enabled)
            assert new.attributes == old.attributes and new.created_at == pytest.approx(old.created_at, abs=0.001)
            assert _groups(after, new.sub) == _groups(before, old.sub)
        ada_sub = _user(after, "ada@example.com").sub
        with after.store.begin() as tx:
            mfa = tx.get_mfa(after.config.pool_id, ada_sub)
        assert mfa is not None and mfa.totp and mfa.totp_secret == TOTP_SECRET and mfa.preferred == "TOTP"

        with pytest.raises(NotAuthorizedException):  # a disabled user stays disabled
            _password_sign_in(after, "bob@example.com")
        step = _password_sign_in(after, "ada@example.com")  # her password and her authenticator app both work
        assert step.name == "SOFTWARE_TOKEN_MFA"
        answer = {"USERNAME": "ada@example.com", "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(TOTP_SECRET).now()}
        done_mfa = after.run(
            sign_in.respond_to_auth_challenge,
            client_id=after.default_client_id,
            challenge="SOFTWARE_TOKEN_MFA",
            responses=answer,
            session=step.session,
        )
        assert isinstance(done_mfa, AuthResult)
        assert _srp_sign_in(after, "ada@example.com").name == "SOFTWARE_TOKEN_MFA"  # verifier derived at sign-in


def test_restoring_into_the_same_pool_keeps_the_srp_verifier(tmp_path: Path) -> None:
    app = _new_app(tmp_path / "app")
    with _pool(app) as pool:
        pool.run(
            sign_up.sign_up,
            client_id=pool.default_client_id,
            username="srp@example.com",
            password=PASSWORD,
            attributes={"email": "srp@example.com"},
        )
        pool.run(admin_users.confirm_sign_up, user_pool_id=pool.config.pool_id, username="srp@example.com")
    out = tmp_path / "backup.jsonl"
    _ok(app, "users", "export", "--with-password-hashes", "-o", str(out))
    with _pool(app) as pool:
        pool.run(admin_users.delete_user, user_pool_id=pool.config.pool_id, username="srp@example.com")
    done = _ok(app, "users", "import", str(out))
    assert "Imported 1 users" in done.stderr and "SRP verifier" not in done.stderr
    with _pool(app) as pool:
        assert isinstance(_srp_sign_in(pool, "srp@example.com"), AuthResult)  # SRP first, no password sign-in before


def _vector_record(n: int, vector: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"username": f"legacy{n}@example.com", "attributes": {"email_verified": "true"}}
    if "firebase" in vector:
        record.update(password_hash=vector["firebase"]["hash"], password_salt=vector["firebase"]["salt"])
    else:
        record["password_hash"] = vector["hash"]
    return record


def test_each_legacy_format_signs_in_and_is_upgraded(tmp_path: Path) -> None:
    app = _new_app(tmp_path / "app")
    plain = [(n, v) for n, v in enumerate(VECTORS) if "firebase" not in v]
    (tmp_path / "legacy.jsonl").write_text("".join(json.dumps(_vector_record(n, v)) + "\n" for n, v in plain))
    assert "Imported 5 users" in _ok(app, "users", "import", str(tmp_path / "legacy.jsonl")).stderr
    [(fn, fv)] = [(n, v) for n, v in enumerate(VECTORS) if "firebase" in v]
    (tmp_path / "firebase.jsonl").write_text(json.dumps(_vector_record(fn, fv)) + "\n")
    params = fv["firebase"]
    missing = _run(app, "users", "import", str(tmp_path / "firebase.jsonl"), "--hash-format", "firebase-scrypt")
    assert missing.returncode == 2 and "--firebase-signer-key" in missing.stderr
    _ok(
        app,
        "users",
        "import",
        str(tmp_path / "firebase.jsonl"),
        "--hash-format",
        "firebase-scrypt",
        "--firebase-signer-key",
        params["signer_key"],
        "--firebase-salt-separator",
        params["salt_separator"],
        "--firebase-rounds",
        str(params["rounds"]),
        "--firebase-mem-cost",
        str(params["mem_cost"]),
    )
    with _pool(app) as pool:
        for n, vector in [*plain, (fn, fv)]:
            email = f"legacy{n}@example.com"
            assert _user(pool, email).status == UserStatus.CONFIRMED and not _user(pool, email).srp_verifier
            with pytest.raises(NotAuthorizedException):
                _password_sign_in(pool, email, vector["password"] + "?")
            assert isinstance(_password_sign_in(pool, email, vector["password"]), AuthResult), vector["scheme"]
            upgraded = _user(pool, email)
            assert upgraded.password_hash is not None and upgraded.password_hash.startswith("$argon2id$")
            assert isinstance(_srp_sign_in(pool, email, vector["password"]), AuthResult)


def test_cognito_csv_users_arrive_reset_required(tmp_path: Path) -> None:
    app = _new_app(tmp_path / "app")
    header = ["name", "given_name", "email", "email_verified", "phone_number", "phone_number_verified"]
    header += ["custom:team", "cognito:mfa_enabled", "cognito:username"]
    rows = [
        ["Ada Lovelace", "Ada", "ada@example.com", "true", "", "false", "core", "false", "ada@example.com"],
        ["Bob", "Bob", "bob@example.com", "true", "+14155550100", "true", "", "true", "bob@example.com"],
    ]
    path = tmp_path / "cognito.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    done = _ok(app, "users", "import", str(path), "--format", "cognito-csv")
    assert "Imported 2 users" in done.stderr
    with _pool(app) as pool:
        ada, bob = _user(pool, "ada@example.com"), _user(pool, "bob@example.com")
        assert ada.status == bob.status == UserStatus.RESET_REQUIRED and ada.password_hash is None
        assert ada.attributes["name"] == "Ada Lovelace" and ada.attributes["custom:team"] == "core"
        assert ada.attributes["email_verified"] == "true" and "phone_number" not in ada.attributes
        with pool.store.begin() as tx:
            mfa = tx.get_mfa(pool.config.pool_id, bob.sub)  # no other unit of work is open here
        assert mfa is not None and mfa.sms and mfa.enabled() == ("SMS",)
        with pytest.raises(PasswordResetRequiredException):
            _password_sign_in(pool, "ada@example.com", "anything-1A!")
    wrong = tmp_path / "not-cognito.csv"
    wrong.write_text("email,name\nx@example.com,X\n")
    refused = _run(app, "users", "import", str(wrong), "--format", "cognito-csv")
    assert refused.returncode == 1 and "no cognito:username column" in refused.stderr


def test_bad_lines_are_reported_with_their_numbers_and_the_rest_imported(tmp_path: Path) -> None:
    app = _new_app(tmp_path / "app")
    good_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    lines = [
        json.dumps({"username": "one@example.com", "password_hash": good_hash}),
        "{not json",
        json.dumps({"username": "two@example.com", "password_hash": "md5:abc"}),
        json.dumps({"username": "three@example.com", "attributes": {"favourite_colour": "blue"}}),
        "",
        json.dumps({"username": "four@example.com", "groups": ["NOPE"]}),
        json.dumps({"username": "one@example.com", "sub": "not-a-uuid"}),
        json.dumps({"username": "five@example.com", "attributes": {"email": "one@example.com"}}),
        json.dumps({"username": "six@example.com", "password_hash": good_hash, "groups": ["EDITORS"]}),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    done = _run(app, "users", "import", str(path), "--json")
    assert done.returncode == 1
    refused = {r["line"]: r["reason"] for r in json.loads(done.stdout)["refused"]}
    assert sorted(refused) == [2, 3, 4, 6, 7, 8]
    assert refused[2].startswith("not JSON")
    assert "password_hash is not a hash userpool can verify" in refused[3]
    assert "favourite_colour is not in the pool's schema" in refused[4]
    assert "group NOPE does not exist" in refused[6]
    assert "sub must be a UUID" in refused[7]
    assert "email one@example.com already belongs to line 1" in refused[8]
    assert "line 3: password_hash" in done.stderr
    with _pool(app) as pool:
        assert isinstance(_password_sign_in(pool, "one@example.com"), AuthResult)
        assert _groups(pool, _user(pool, "six@example.com").sub) == ["EDITORS"]


def test_importing_twice_adds_nobody_and_update_replaces(tmp_path: Path) -> None:
    app = _new_app(tmp_path / "app")
    record = {"username": "twice@example.com", "attributes": {"name": "First"}, "groups": ["ADMINS"]}
    path = tmp_path / "twice.jsonl"
    path.write_text(json.dumps(record) + "\n")
    assert json.loads(_ok(app, "users", "import", str(path), "--json").stdout)["imported"] == 1
    again = json.loads(_ok(app, "users", "import", str(path), "--json").stdout)
    assert (again["imported"], again["skipped"]) == (0, 1)
    path.write_text(json.dumps({**record, "attributes": {"name": "Second"}, "groups": ["EDITORS"]}) + "\n")
    updated = json.loads(_ok(app, "users", "import", str(path), "--update", "--json").stdout)
    assert (updated["imported"], updated["updated"]) == (0, 1)
    with _pool(app) as pool:
        with pool.store.begin() as tx:
            assert tx.count_users(pool.config.pool_id) == 1
        user = _user(pool, "twice@example.com")
        assert user.attributes["name"] == "Second" and _groups(pool, user.sub) == ["EDITORS"]


def test_ten_thousand_users_in_one_import(tmp_path: Path) -> None:
    app = _new_app(tmp_path / "app")
    shared = bcrypt.hashpw(b"bulk-Passw0rd", bcrypt.gensalt(4)).decode()  # hashes are imported, never computed
    path = tmp_path / "bulk.jsonl"
    with path.open("w") as f:
        for n in range(10_000):
            f.write(json.dumps({"username": f"user{n:05d}@example.com", "password_hash": shared}) + "\n")
    summary = json.loads(_ok(app, "users", "import", str(path), "--json").stdout)
    assert summary == {"imported": 10_000, "updated": 0, "skipped": 0, "refused": []}
    with _pool(app) as pool:
        with pool.store.begin() as tx:
            assert tx.count_users(pool.config.pool_id) == 10_000
        assert isinstance(_password_sign_in(pool, "user09999@example.com", "bulk-Passw0rd"), AuthResult)
