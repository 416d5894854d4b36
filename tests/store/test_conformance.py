"""The store conformance suite: what every `core.store.Store` backend must do, run on each backend."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from userpool.core.errors import StoreConflict
from userpool.core.model import FederationState, Group, RefreshToken, UserStatus
from userpool.core.store import Store, Tx
from userpool.crypto.sealing import Sealer, SealError
from userpool.store.sql import SqlStore, SqlTx, tables

from . import records as r

if TYPE_CHECKING:
    from .conftest import Backend

ADA = "7f1c3b2a-0000-4000-8000-00000000000a"
BOB = "7f1c3b2a-0000-4000-8000-00000000000b"


def test_the_sql_classes_satisfy_the_core_protocols(store: SqlStore) -> None:
    as_store: Store = store  # mypy checks these two assignments structurally
    with as_store.begin() as tx:
        as_tx: Tx = tx
        assert isinstance(as_tx, SqlTx)


# -- the unit of work ----------------------------------------------------------------------------------


def test_commit_on_normal_exit(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_pool(r.pool())
    with store.begin() as tx:
        assert tx.get_pool(r.POOL) == r.pool()


def test_rollback_on_exception_writes_nothing_and_reraises(store: SqlStore) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.begin() as tx:
        tx.put_pool(r.pool())
        tx.insert_user(r.user(ADA, "email:ada@example.com"))
        tx.add_message(r.message())
        raise Boom
    with store.begin() as tx:
        assert tx.get_pool(r.POOL) is None
        assert tx.get_user(r.POOL, ADA) is None
        assert tx.find_user(r.POOL, "email:ada@example.com") is None
        assert tx.list_messages(r.POOL) == []


# -- pools and clients ---------------------------------------------------------------------------------


def test_pool_round_trip_and_replace(store: SqlStore) -> None:
    later = replace(r.pool(r.OTHER_POOL), created_at=r.T0 + 1)
    with store.begin() as tx:
        assert tx.get_pool(r.POOL) is None
        assert list(tx.list_pools()) == []
        tx.put_pool(later)
        tx.put_pool(r.pool())
    with store.begin() as tx:
        assert tx.get_pool(r.POOL) == r.pool()
        assert list(tx.list_pools()) == [r.pool(), later]
        tx.put_pool(replace(r.pool(), name="renamed", secret=b"", definition_json="{}"))
    with store.begin() as tx:
        assert tx.get_pool(r.POOL) == replace(r.pool(), name="renamed", secret=b"", definition_json="{}")
        assert tx.get_pool(r.OTHER_POOL) == later


def test_client_round_trip_list_and_replace(store: SqlStore) -> None:
    first = r.client("c1", created_at=r.T0)
    second = r.client("c2", created_at=r.T0 + 5, secret=None, explicit_auth_flows=(), callback_urls=())
    elsewhere = r.client("c3", pool_id=r.OTHER_POOL)
    with store.begin() as tx:
        for c in (second, elsewhere, first):
            tx.put_client(c)
    with store.begin() as tx:
        assert tx.get_client("c1") == first
        assert tx.get_client("c2") == second
        assert tx.get_client("nope") is None
        assert list(tx.list_clients(r.POOL)) == [first, second]
        assert list(tx.list_clients("no_such_pool")) == []
        tx.put_client(replace(first, name="renamed", secret="rotated"))
    with store.begin() as tx:
        assert tx.get_client("c1") == replace(first, name="renamed", secret="rotated")


# -- users ---------------------------------------------------------------------------------------------


def test_user_round_trip_every_field(store: SqlStore) -> None:
    ada = r.user(ADA, "username:ada", "email:ada@example.com", "phone_number:+447700900123")
    with store.begin() as tx:
        tx.insert_user(ada)
    with store.begin() as tx:
        assert tx.get_user(r.POOL, ADA) == ada
        stored = tx.get_user(r.POOL, ADA)
        assert stored is not None
        assert list(stored.attributes) == list(ada.attributes)  # in the order they were written
        for key in ada.login_keys:
            assert tx.find_user(r.POOL, key) == ada
        assert tx.find_user(r.POOL, "email:other@example.com") is None
        assert tx.find_user(r.OTHER_POOL, "username:ada") is None
        assert tx.get_user(r.OTHER_POOL, ADA) is None


def test_user_with_optional_fields_empty(store: SqlStore) -> None:
    bare = r.user(
        ADA,
        status=UserStatus.EXTERNAL_PROVIDER,
        attributes={},
        pending_attributes={},
        password_hash=None,
        srp_salt=None,
        srp_verifier=None,
        enabled=True,
        login_keys=frozenset(),
        temporary_password_expires_at=None,
    )
    with store.begin() as tx:
        tx.insert_user(bare)
    with store.begin() as tx:
        assert tx.get_user(r.POOL, ADA) == bare


def test_count_users_per_pool(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.insert_user(r.user(ADA))
        tx.insert_user(r.user(BOB))
        tx.insert_user(r.user(ADA, pool_id=r.OTHER_POOL))
        assert tx.count_users(r.POOL) == 2
        assert tx.count_users(r.OTHER_POOL) == 1
        assert tx.count_users("empty_pool") == 0


def test_same_login_key_in_two_pools_is_fine(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.insert_user(r.user(ADA, "email:ada@example.com"))
        tx.insert_user(r.user(BOB, "email:ada@example.com", pool_id=r.OTHER_POOL))
    with store.begin() as tx:
        found = tx.find_user(r.OTHER_POOL, "email:ada@example.com")
        assert found is not None
        assert found.sub == BOB


def test_insert_user_with_a_taken_login_key_conflicts_writes_nothing_and_tx_stays_usable(
    store: SqlStore,
) -> None:
    with store.begin() as tx:
        tx.insert_user(r.user(ADA, "username:ada", "email:shared@example.com"))
    with store.begin() as tx:
        # "username:bob" sorts before the taken key, so it would be written first if nothing undid it.
        with pytest.raises(StoreConflict):
            tx.insert_user(r.user(BOB, "username:bob", "email:shared@example.com"))
        assert tx.get_user(r.POOL, BOB) is None
        assert tx.find_user(r.POOL, "username:bob") is None
        tx.insert_user(r.user(BOB, "username:bob", "email:bob@example.com"))  # the Tx still works
    with store.begin() as tx:
        assert tx.count_users(r.POOL) == 2
        bob = tx.find_user(r.POOL, "email:bob@example.com")
        assert bob is not None
        assert bob.sub == BOB
        shared = tx.find_user(r.POOL, "email:shared@example.com")
        assert shared is not None
        assert shared.sub == ADA


def test_insert_user_with_a_duplicate_sub_conflicts_and_tx_stays_usable(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.insert_user(r.user(ADA, "username:ada"))
        with pytest.raises(StoreConflict):
            tx.insert_user(r.user(ADA, "username:someone-else"))
        assert tx.find_user(r.POOL, "username:someone-else") is None
        tx.insert_user(r.user(BOB, "username:bob"))
    with store.begin() as tx:
        assert tx.count_users(r.POOL) == 2
        assert tx.get_user(r.POOL, ADA) == r.user(ADA, "username:ada")


def test_update_user_writes_fields_bumps_version_and_replaces_login_keys(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.insert_user(r.user(ADA, "username:ada", "email:old@example.com"))
    with store.begin() as tx:
        ada = tx.get_user(r.POOL, ADA)
        assert ada is not None
        ada.status = UserStatus.CONFIRMED
        ada.attributes = {"email": "new@example.com", "email_verified": "false"}
        ada.pending_attributes = {}
        ada.srp_verifier = "cafe" * 8
        ada.updated_at = r.T0 + 99.75
        ada.login_keys = frozenset({"username:ada", "email:new@example.com"})
        tx.update_user(ada)
        assert ada.version == 1
    with store.begin() as tx:
        assert tx.get_user(r.POOL, ADA) == ada
        assert tx.find_user(r.POOL, "email:old@example.com") is None
        assert tx.find_user(r.POOL, "email:new@example.com") == ada
        tx.update_user(ada)
        assert ada.version == 2
    with store.begin() as tx:
        stored = tx.get_user(r.POOL, ADA)
        assert stored is not None
        assert stored.version == 2


def test_update_user_with_a_stale_version_conflicts_and_changes_nothing(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.insert_user(r.user(ADA, "username:ada"))
    with store.begin() as tx:
        first, stale = tx.get_user(r.POOL, ADA), tx.get_user(r.POOL, ADA)
    assert first is not None
    assert stale is not None
    with store.begin() as tx:
        tx.update_user(replace(first, enabled=True))
    with store.begin() as tx:
        stale.enabled = False
        stale.login_keys = frozenset({"username:ada", "email:stale@example.com"})
        with pytest.raises(StoreConflict):
            tx.update_user(stale)
        assert stale.version == 0  # not bumped on failure
        assert tx.find_user(r.POOL, "email:stale@example.com") is None
        tx.insert_user(r.user(BOB))  # still usable
    with store.begin() as tx:
        current = tx.get_user(r.POOL, ADA)
        assert current is not None
        assert current.enabled is True
        assert current.version == 1
        assert tx.count_users(r.POOL) == 2


def test_update_user_taking_another_users_login_key_conflicts_with_nothing_partial(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.insert_user(r.user(ADA, "username:ada", "email:ada@example.com"))
        tx.insert_user(r.user(BOB, "username:bob", "email:bob@example.com"))
    with store.begin() as tx:
        ada = tx.get_user(r.POOL, ADA)
        assert ada is not None
        ada.username = "changed"
        # drops a key, adds one that sorts before the taken key, and takes Bob's email
        ada.login_keys = frozenset({"username:ada", "email:aaa@example.com", "email:bob@example.com"})
        with pytest.raises(StoreConflict):
            tx.update_user(ada)
        assert ada.version == 0
        unchanged = tx.get_user(r.POOL, ADA)
        assert unchanged == r.user(ADA, "username:ada", "email:ada@example.com")
        assert tx.find_user(r.POOL, "email:aaa@example.com") is None
        bob = tx.find_user(r.POOL, "email:bob@example.com")
        assert bob is not None
        assert bob.sub == BOB
        tx.put_pool(r.pool())  # still usable
    with store.begin() as tx:
        assert tx.get_user(r.POOL, ADA) == r.user(ADA, "username:ada", "email:ada@example.com")
        assert tx.get_pool(r.POOL) is not None


def test_update_of_a_deleted_user_conflicts(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.insert_user(r.user(ADA))
        ada = tx.get_user(r.POOL, ADA)
        tx.delete_user(r.POOL, ADA)
        assert ada is not None
        with pytest.raises(StoreConflict):
            tx.update_user(ada)


def test_delete_user_removes_everything_of_that_user_only(store: SqlStore) -> None:
    with store.begin() as tx:
        for sub in (ADA, BOB):
            tx.insert_user(r.user(sub, f"username:{sub}", f"email:{sub}@example.com"))
            tx.put_code(r.code(sub))
            tx.put_auth_session(r.auth_session(f"as-{sub}", sub))
            tx.put_token_session(r.token_session(f"jti-{sub}", sub))
            tx.put_web_session(r.web_session(f"ws-{sub}", sub))
            tx.put_authorization_code(r.authorization_code(f"ac-{sub}", sub))
            tx.put_device(r.device(f"dev-{sub}", sub))
            tx.add_refresh_token(RefreshToken(f"rt-{sub}", f"jti-{sub}", r.T0))
        tx.add_message(r.message())
    with store.begin() as tx:
        tx.delete_user(r.POOL, ADA)
        tx.delete_user(r.POOL, "no-such-user")  # not an error
    with store.begin() as tx:
        assert tx.get_user(r.POOL, ADA) is None
        assert tx.find_user(r.POOL, f"email:{ADA}@example.com") is None
        assert tx.get_code(r.POOL, ADA, "verify:email") is None
        assert tx.get_auth_session(session_hash=f"sh-as-{ADA}") is None
        assert tx.get_token_session(f"jti-{ADA}") is None
        assert tx.get_web_session(f"ws-{ADA}") is None
        assert tx.take_authorization_code(f"ac-{ADA}") is None
        assert tx.get_device(r.POOL, f"dev-{ADA}") is None and tx.find_refresh_token(f"rt-{ADA}") is None
        # Bob is untouched, and so is the outbox
        assert tx.find_user(r.POOL, f"email:{BOB}@example.com") is not None
        assert tx.get_code(r.POOL, BOB, "verify:email") is not None
        assert tx.get_auth_session(session_hash=f"sh-as-{BOB}") is not None
        assert tx.get_token_session(f"jti-{BOB}") is not None
        assert tx.get_web_session(f"ws-{BOB}") is not None
        assert tx.take_authorization_code(f"ac-{BOB}") is not None
        assert tx.get_device(r.POOL, f"dev-{BOB}") is not None and tx.find_refresh_token(f"rt-{BOB}") is not None
        assert len(tx.list_messages(r.POOL)) == 1
    # the login key is free again
    with store.begin() as tx:
        tx.insert_user(r.user(ADA, f"email:{ADA}@example.com"))


# -- one-time codes ------------------------------------------------------------------------------------


def test_code_round_trip_replace_and_delete(store: SqlStore) -> None:
    with store.begin() as tx:
        assert tx.get_code(r.POOL, ADA, "sign_up") is None
        tx.put_code(r.code(ADA, "sign_up"))
        tx.put_code(r.code(ADA, "forgot_password", attempts=0, destination=""))
    with store.begin() as tx:
        assert tx.get_code(r.POOL, ADA, "sign_up") == r.code(ADA, "sign_up")
        tx.put_code(r.code(ADA, "sign_up", code_hash="new", attempts=0, expires_at=r.T0 + 1))
    with store.begin() as tx:
        assert tx.get_code(r.POOL, ADA, "sign_up") == r.code(
            ADA, "sign_up", code_hash="new", attempts=0, expires_at=r.T0 + 1
        )
        tx.delete_code(r.POOL, ADA, "sign_up")
        tx.delete_code(r.POOL, ADA, "never-put")  # not an error
    with store.begin() as tx:
        assert tx.get_code(r.POOL, ADA, "sign_up") is None
        assert tx.get_code(r.POOL, ADA, "forgot_password") == r.code(ADA, "forgot_password", attempts=0, destination="")
        assert tx.get_code(r.OTHER_POOL, ADA, "forgot_password") is None


# -- sign-ins in progress ------------------------------------------------------------------------------


def test_auth_session_round_trip_by_either_hash(store: SqlStore) -> None:
    srp = r.auth_session("as-1", ADA)
    simulated = r.auth_session("as-2", None, secret_block_hash=None, state={}, challenge="SMS_MFA")
    with store.begin() as tx:
        tx.put_auth_session(srp)
        tx.put_auth_session(simulated)
        tx.put_auth_session(r.auth_session("as-3", None, secret_block_hash=None))  # NULLs never collide
    with store.begin() as tx:
        assert tx.get_auth_session(session_hash="sh-as-1") == srp
        assert tx.get_auth_session(secret_block_hash="sbh-as-1") == srp
        assert tx.get_auth_session(session_hash="sh-as-2") == simulated
        assert tx.get_auth_session(session_hash="nope") is None
        assert tx.get_auth_session(secret_block_hash="nope") is None
        with pytest.raises(TypeError):
            tx.get_auth_session()
        with pytest.raises(TypeError):
            tx.get_auth_session(session_hash="sh-as-1", secret_block_hash="sbh-as-1")
        tx.put_auth_session(replace(srp, challenge="NEW_PASSWORD_REQUIRED", state={"k": "v"}))
        tx.delete_auth_session("as-2")
        tx.delete_auth_session("no-such-session")
    with store.begin() as tx:
        assert tx.get_auth_session(session_hash="sh-as-1") == replace(
            srp, challenge="NEW_PASSWORD_REQUIRED", state={"k": "v"}
        )
        assert tx.get_auth_session(session_hash="sh-as-2") is None


def test_expired_auth_session_is_still_returned(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_auth_session(r.auth_session(expires_at=1.0))
    with store.begin() as tx:
        found = tx.get_auth_session(session_hash="sh-as-1")
        assert found is not None
        assert found.expires_at == 1.0


def test_auth_session_with_a_taken_hash_conflicts_and_tx_stays_usable(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_auth_session(r.auth_session("as-1"))
        with pytest.raises(StoreConflict):
            tx.put_auth_session(r.auth_session("as-2", session_hash="sh-as-1"))
        with pytest.raises(StoreConflict):
            tx.put_auth_session(r.auth_session("as-3", secret_block_hash="sbh-as-1"))
        tx.put_auth_session(r.auth_session("as-4"))
    with store.begin() as tx:
        assert tx.get_auth_session(session_hash="sh-as-4") is not None
        assert tx.get_auth_session(session_hash="sh-as-3") is None


# -- token families ------------------------------------------------------------------------------------


def test_token_session_round_trip_and_lookup(store: SqlStore) -> None:
    live = r.token_session("jti-1", ADA)
    revoked = r.token_session("jti-2", ADA, revoked_at=r.T0 + 7.5, scopes=())
    with store.begin() as tx:
        tx.put_token_session(live)
        tx.put_token_session(revoked)
    with store.begin() as tx:
        assert tx.get_token_session("jti-1") == live
        assert tx.find_token_session("rh-jti-1") == live
        assert tx.get_token_session("jti-2") == revoked
        assert tx.get_token_session("nope") is None
        assert tx.find_token_session("nope") is None
        with pytest.raises(StoreConflict):
            tx.put_token_session(r.token_session("jti-3", refresh_hash="rh-jti-1"))
        tx.put_token_session(replace(live, scopes=("openid",)))
    with store.begin() as tx:
        assert tx.get_token_session("jti-1") == replace(live, scopes=("openid",))
        assert tx.get_token_session("jti-3") is None


def test_list_user_token_sessions_gives_the_live_families_newest_first(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_token_session(r.token_session("jti-old", ADA))
        tx.put_token_session(r.token_session("jti-new", ADA, created_at=r.T0 + 5))
        tx.put_token_session(r.token_session("jti-revoked", ADA, revoked_at=r.T0 + 1))
        tx.put_token_session(r.token_session("jti-expired", ADA, expires_at=r.T0 + 50))
        tx.put_token_session(r.token_session("jti-bob", BOB))
        tx.add_refresh_token(RefreshToken("rh-jti-old", "jti-old", r.T0))
        tx.add_refresh_token(RefreshToken("rh-rotated", "jti-old", r.T0 + 40))
    with store.begin() as tx:
        found = tx.list_user_token_sessions(r.POOL, ADA, r.T0 + 60, 10)
        assert [(s.origin_jti, last) for s, last in found] == [("jti-new", r.T0 + 5), ("jti-old", r.T0 + 40)]
        assert found[1][0] == r.token_session("jti-old", ADA)
        assert [s.origin_jti for s, _ in tx.list_user_token_sessions(r.POOL, ADA, r.T0 + 60, 1)] == ["jti-new"]
        assert tx.list_user_token_sessions("other-pool", ADA, r.T0, 10) == []


def test_revoke_token_session_keeps_the_first_revocation_time(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_token_session(r.token_session("jti-1", ADA))
        tx.revoke_token_session("jti-1", r.T0 + 10)
        tx.revoke_token_session("jti-1", r.T0 + 20)
        tx.revoke_token_session("no-such-jti", r.T0)
    with store.begin() as tx:
        found = tx.get_token_session("jti-1")
        assert found is not None
        assert found.revoked_at == r.T0 + 10


def test_revoke_user_token_sessions_counts_only_newly_revoked(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_token_session(r.token_session("a1", ADA))
        tx.put_token_session(r.token_session("a2", ADA))
        tx.put_token_session(r.token_session("a3", ADA, revoked_at=r.T0))
        tx.put_token_session(r.token_session("b1", BOB))
        tx.put_token_session(r.token_session("o1", ADA, pool_id=r.OTHER_POOL))
    with store.begin() as tx:
        assert tx.revoke_user_token_sessions(r.POOL, ADA, r.T0 + 60) == 2
        assert tx.revoke_user_token_sessions(r.POOL, ADA, r.T0 + 90) == 0
    with store.begin() as tx:
        revoked = {jti: s.revoked_at for jti in ("a1", "a2", "a3", "b1", "o1") if (s := tx.get_token_session(jti))}
        assert revoked == {"a1": r.T0 + 60, "a2": r.T0 + 60, "a3": r.T0, "b1": None, "o1": None}


# -- signing keys --------------------------------------------------------------------------------------


def test_signing_keys_listed_oldest_first_per_pool_and_replaced(store: SqlStore) -> None:
    newer = r.signing_key("kid-new", created_at=r.T0 + 100, use="id")
    older = r.signing_key("kid-old", created_at=r.T0)
    with store.begin() as tx:
        assert list(tx.list_signing_keys(r.POOL)) == []
        tx.put_signing_key(newer)
        tx.put_signing_key(older)
        tx.put_signing_key(r.signing_key("kid-other", pool_id=r.OTHER_POOL))
    with store.begin() as tx:
        assert list(tx.list_signing_keys(r.POOL)) == [older, newer]
        tx.put_signing_key(replace(older, active=False))
    with store.begin() as tx:
        assert list(tx.list_signing_keys(r.POOL)) == [replace(older, active=False), newer]


# -- messages ------------------------------------------------------------------------------------------


def test_messages_in_order_with_after_id(store: SqlStore) -> None:
    with store.begin() as tx:
        assert list(tx.list_messages(r.POOL)) == []
        first = r.message("one@example.com")
        ids = [tx.add_message(first)]
        assert first.id == ids[0]
        ids.append(tx.add_message(r.message("+447700900123", channel="SMS", subject="", code=None, purpose="")))
        tx.add_message(r.message(pool_id=r.OTHER_POOL))
    with store.begin() as tx:
        ids.append(tx.add_message(r.message("three@example.com")))
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    with store.begin() as tx:
        listed = tx.list_messages(r.POOL)
        assert [m.id for m in listed] == ids
        assert listed[0] == replace(r.message("one@example.com"), id=ids[0])
        assert listed[1] == replace(
            r.message("+447700900123", channel="SMS", subject="", code=None, purpose=""), id=ids[1]
        )
        assert [m.id for m in tx.list_messages(r.POOL, after_id=ids[0])] == ids[1:]
        assert list(tx.list_messages(r.POOL, after_id=ids[-1])) == []


# -- OAuth authorization codes -------------------------------------------------------------------------


def test_authorization_code_is_taken_once(store: SqlStore) -> None:
    plain = r.authorization_code("ac-plain", ADA, code_challenge="", code_challenge_method="", nonce="")
    with store.begin() as tx:
        tx.put_authorization_code(r.authorization_code("ac-1", ADA))
        tx.put_authorization_code(plain)
    with store.begin() as tx:
        assert tx.take_authorization_code("ac-1") == r.authorization_code("ac-1", ADA)
        assert tx.take_authorization_code("ac-1") is None
        assert tx.take_authorization_code("never-issued") is None
    with store.begin() as tx:
        assert tx.take_authorization_code("ac-1") is None
        assert tx.take_authorization_code("ac-plain") == plain


def test_federation_state_is_taken_once_with_its_secrets_sealed(store: SqlStore) -> None:
    state = FederationState(
        state_hash="fs-1",
        pool_id=r.POOL,
        provider="Google",
        browser_hash="bh-1",
        secrets={"request": "client_id=c&redirect_uri=x", "nonce": "the-nonce", "code_verifier": "the-verifier"},
        created_at=r.T0,
        expires_at=r.T0 + 600,
    )
    with store.begin() as tx:
        tx.put_federation_state(state)
        raw = tx._conn.execute(sa.select(tables.federation_states.c.secrets)).scalar_one()
        assert "the-nonce" not in raw and "the-verifier" not in raw
    with store.begin() as tx:
        assert tx.take_federation_state("fs-1") == state
        assert tx.take_federation_state("fs-1") is None
        assert tx.take_federation_state("never") is None
        tx.put_federation_state(replace(state, state_hash="fs-old", expires_at=r.T0 - 1))
    with store.begin() as tx:
        assert tx.purge_expired(r.T0) >= 1
        assert tx.take_federation_state("fs-old") is None


# -- refresh tokens and devices ------------------------------------------------------------------------


def test_refresh_tokens_supersede_once(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.add_refresh_token(RefreshToken("rt-1", "jti-1", r.T0))
        with pytest.raises(StoreConflict):
            tx.add_refresh_token(RefreshToken("rt-1", "jti-2", r.T0))
        assert tx.find_refresh_token("rt-1") == RefreshToken("rt-1", "jti-1", r.T0)
        assert tx.find_refresh_token("nope") is None
    with store.begin() as tx:
        assert tx.supersede_refresh_token("rt-1", r.T0 + 5) is True
        assert tx.supersede_refresh_token("rt-1", r.T0 + 9) is False
        assert tx.supersede_refresh_token("nope", r.T0) is False
        assert tx.find_refresh_token("rt-1") == RefreshToken("rt-1", "jti-1", r.T0, superseded_at=r.T0 + 5)


def test_devices_round_trip_sealed_and_ordered(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_device(r.device("k-old", ADA, last_authenticated_at=r.T0 + 10))
        tx.put_device(r.device("k-new", ADA, last_authenticated_at=r.T0 + 20))
        tx.put_device(r.device("k-bob", BOB))
    with store.begin() as tx:
        assert [d.key for d in tx.list_devices(r.POOL, ADA)] == ["k-new", "k-old"]
        assert tx.get_device(r.POOL, "k-old") == r.device("k-old", ADA, last_authenticated_at=r.T0 + 10)
        tx.put_device(r.device("k-old", ADA, remembered=True, verifier=None))
        tx.delete_device(r.POOL, "k-bob")
    with store.begin() as tx:
        old = tx.get_device(r.POOL, "k-old")
        assert old is not None and old.remembered and old.verifier is None
        assert tx.get_device(r.POOL, "k-bob") is None
    with store.engine.connect() as conn:
        (raw,) = conn.execute(sa.text("SELECT verifier FROM devices WHERE key = 'k-new'")).one()
        assert raw.startswith("v1.") and "abab" not in raw


def test_device_group_key_and_dropping_old_unconfirmed_devices(store: SqlStore) -> None:
    with store.begin() as tx:
        assert tx.device_group_key(r.POOL, ADA) is None
        tx.put_device(r.device("k-kept", ADA, created_at=r.T0))  # confirmed: never dropped for its age
        tx.put_device(r.device("k-stale", ADA, created_at=r.T0, confirmed=False, verifier=None))
        tx.put_device(r.device("k-fresh", ADA, created_at=r.T0 + 50, confirmed=False, verifier=None))
        tx.put_device(r.device("k-bob", BOB, created_at=r.T0, confirmed=False, verifier=None))
    with store.begin() as tx:
        assert tx.delete_unconfirmed_devices(r.POOL, ADA, r.T0 + 10) == 1
        assert tx.device_group_key(r.POOL, ADA) == "-abcDEF123"
    with store.begin() as tx:
        assert sorted(d.key for d in tx.list_devices(r.POOL, ADA)) == ["k-fresh", "k-kept"]
        assert [d.key for d in tx.list_devices(r.POOL, BOB)] == ["k-bob"]  # another user's: untouched


# -- groups --------------------------------------------------------------------------------------------


def test_groups_round_trip_in_precedence_order(store: SqlStore) -> None:
    with store.begin() as tx:
        for name, precedence in (("editors", 1), ("Admins", 0), ("readers", None), ("admins", 2)):
            tx.put_group(Group(pool_id=r.POOL, name=name, precedence=precedence, created_at=r.T0, updated_at=r.T0))
    with store.begin() as tx:
        assert [g.name for g in tx.list_groups(r.POOL)] == ["Admins", "editors", "admins", "readers"]
        assert tx.list_groups("other-pool") == []
        group = tx.get_group(r.POOL, "Admins")
        assert group is not None and group.precedence == 0 and tx.get_group(r.POOL, "ADMINS") is None
        tx.put_group(
            Group(
                pool_id=r.POOL,
                name="Admins",
                precedence=5,
                created_at=r.T0,
                updated_at=r.T0 + 1,
                description="Ünïcode",
                role_arn="arn:aws:iam::1:role/x",
                from_definition=True,
            )
        )
        tx.delete_group(r.POOL, "readers")
    with store.begin() as tx:
        assert tx.get_group(r.POOL, "Admins") == Group(
            pool_id=r.POOL,
            name="Admins",
            precedence=5,
            created_at=r.T0,
            updated_at=r.T0 + 1,
            description="Ünïcode",
            role_arn="arn:aws:iam::1:role/x",
            from_definition=True,
        )
        assert tx.get_group(r.POOL, "readers") is None


# -- hosted Authenticator browser sessions -------------------------------------------------------------


def test_web_session_round_trip_and_delete(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_web_session(r.web_session("ws-1", ADA))
        assert tx.get_web_session("nope") is None
    with store.begin() as tx:
        assert tx.get_web_session("ws-1") == r.web_session("ws-1", ADA)
        tx.put_web_session(r.web_session("ws-1", ADA, expires_at=r.T0 + 1))
        assert tx.get_web_session("ws-1") == r.web_session("ws-1", ADA, expires_at=r.T0 + 1)
        tx.delete_web_session("ws-1")
        tx.delete_web_session("ws-1")
    with store.begin() as tx:
        assert tx.get_web_session("ws-1") is None


def test_delete_user_web_sessions_ends_only_that_users(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_web_session(r.web_session("ws-1", ADA))
        tx.put_web_session(r.web_session("ws-2", ADA))
        tx.put_web_session(r.web_session("ws-3", BOB))
    with store.begin() as tx:
        assert tx.delete_user_web_sessions(r.POOL, ADA) == 2
        assert tx.delete_user_web_sessions(r.POOL, ADA) == 0
        assert tx.get_web_session("ws-1") is None and tx.get_web_session("ws-3") is not None


# -- housekeeping --------------------------------------------------------------------------------------


def test_purge_expired(store: SqlStore) -> None:
    now = r.T0 + 1000
    day = 86400.0
    with store.begin() as tx:
        tx.insert_user(r.user(ADA))
        tx.put_code(r.code(ADA, "old", expires_at=now - 1))
        tx.put_code(r.code(ADA, "live", expires_at=now + 1))
        tx.put_auth_session(r.auth_session("as-old", expires_at=now - 1))
        tx.put_auth_session(r.auth_session("as-live", expires_at=now + 1))
        tx.put_authorization_code(r.authorization_code("ac-old", expires_at=now - 1))
        tx.put_authorization_code(r.authorization_code("ac-live", expires_at=now + 1))
        tx.put_web_session(r.web_session("ws-old", expires_at=now - 1))
        tx.put_web_session(r.web_session("ws-live", expires_at=now + 1))
        tx.put_token_session(r.token_session("ts-long-gone", expires_at=now - day - 1))
        tx.put_token_session(r.token_session("ts-just-expired", expires_at=now - 1))
        tx.put_token_session(r.token_session("ts-live", expires_at=now + 1))
        tx.add_message(r.message(created_at=0.0))
    with store.begin() as tx:
        assert tx.purge_expired(now) == 5
    with store.begin() as tx:
        assert tx.purge_expired(now) == 0
        assert tx.get_code(r.POOL, ADA, "old") is None
        assert tx.get_code(r.POOL, ADA, "live") is not None
        assert tx.get_auth_session(session_hash="sh-as-old") is None
        assert tx.get_auth_session(session_hash="sh-as-live") is not None
        assert tx.take_authorization_code("ac-old") is None
        assert tx.take_authorization_code("ac-live") is not None
        assert tx.get_web_session("ws-old") is None
        assert tx.get_web_session("ws-live") is not None
        assert tx.get_token_session("ts-long-gone") is None
        assert tx.get_token_session("ts-just-expired") is not None
        assert tx.get_token_session("ts-live") is not None
        assert tx.get_user(r.POOL, ADA) is not None
        assert len(tx.list_messages(r.POOL)) == 1


# -- sealing at rest -----------------------------------------------------------------------------------

SEALED = {
    "users.srp_verifier": "deadbeef" * 32,
    "clients.secret": "s3cr3t-client-secret",
    "auth_sessions.state": "0123456789abcdef",
    "signing_keys.private_pem": "MIIEvQIBADANBg",
    "messages.body": "123456",
    "messages.code": "123456",
}


def _put_secrets(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_pool(r.pool())
        tx.put_client(r.client())
        tx.insert_user(r.user(ADA))
        tx.put_auth_session(r.auth_session())
        tx.put_signing_key(r.signing_key())
        tx.add_message(r.message())


def test_secrets_are_sealed_at_rest(backend: Backend) -> None:
    store = backend.open()
    _put_secrets(store)
    with store.engine.connect() as conn:
        for column, plaintext in {**SEALED, "pools.secret": None}.items():
            table, name = column.split(".")
            (raw,) = conn.execute(sa.text(f"SELECT {name} FROM {table}")).one()
            assert raw.startswith("v1."), column
            if plaintext is not None:
                assert plaintext not in raw, column
    with store.begin() as tx:  # and each opens again, in its own row and column
        user = tx.get_user(r.POOL, ADA)
        client = tx.get_client(r.client().id)
        assert user is not None and user.srp_verifier == SEALED["users.srp_verifier"]
        assert client is not None and client.secret is not None


def test_sealed_values_need_the_master_key_and_their_own_column(backend: Backend) -> None:
    _put_secrets(backend.open())
    with backend.open(Sealer(bytes(32))).begin() as tx, pytest.raises(SealError):
        tx.get_client(r.client().id)
    store = backend.open()
    with store.engine.begin() as conn:
        # Move a sealed client secret into a user's verifier column: it must not open there.
        (secret,) = conn.execute(sa.text("SELECT secret FROM clients")).one()
        conn.execute(sa.text("UPDATE users SET srp_verifier = :v"), {"v": secret})
    with store.begin() as tx, pytest.raises(SealError):
        tx.get_user(r.POOL, ADA)


def test_a_sealed_value_does_not_open_in_another_row(backend: Backend) -> None:
    store = backend.open()
    with store.begin() as tx:
        tx.put_pool(r.pool())
        tx.insert_user(r.user(ADA))
        tx.insert_user(r.user(BOB))
    with store.engine.begin() as conn:
        # Give Bob Ada's verifier (say, to sign in as Bob with Ada's password): it must not open.
        (ada,) = conn.execute(sa.text("SELECT srp_verifier FROM users WHERE sub = :s"), {"s": ADA}).one()
        conn.execute(sa.text("UPDATE users SET srp_verifier = :v WHERE sub = :s"), {"v": ada, "s": BOB})
    with store.begin() as tx, pytest.raises(SealError):
        tx.get_user(r.POOL, BOB)
