"""Per-address rate limits (core/rate_limits.py), the password blocklist and the nist preset, the
definition's `security` option, and reading the client address behind a trusted proxy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request

from tests.support.pool import PoolHarness, make_pool
from userpool.api.client_address import TrustedProxiesError, client_address, parse_networks
from userpool.core import errors, rate_limits
from userpool.core.config import PasswordPolicy
from userpool.core.policy import check_password
from userpool.data.blocklist import COMMON_PASSWORDS
from userpool.definition import DefinitionError, define_auth
from userpool.definition.compile import security


def _pool(tmp_path: Path, **definition: Any) -> PoolHarness:
    return make_pool(tmp_path, login_with={"email": True}, **definition)


def test_a_bucket_allows_its_burst_then_refills_one_token_per_interval(tmp_path: Path) -> None:
    h = _pool(tmp_path, security={"rate_limits": {"sign_in": "3/minute"}})
    try:
        for _ in range(3):
            h.pool.limit(rate_limits.SIGN_IN, "203.0.113.7")
        with pytest.raises(errors.TooManyRequestsException):
            h.pool.limit(rate_limits.SIGN_IN, "203.0.113.7")
        h.pool.limit(rate_limits.SIGN_IN, "203.0.113.8")  # another address has its own bucket
        h.clock.advance(20)  # 60 s / 3: one token back
        h.pool.limit(rate_limits.SIGN_IN, "203.0.113.7")
        with pytest.raises(errors.TooManyRequestsException):
            h.pool.limit(rate_limits.SIGN_IN, "203.0.113.7")
    finally:
        h.store.close()


def test_code_and_reset_limits_answer_limit_exceeded(tmp_path: Path) -> None:
    h = _pool(tmp_path, security={"rate_limits": {"code_send": "1/hour", "password_reset": "1/hour"}})
    try:
        for action in (rate_limits.CODE_SEND, rate_limits.PASSWORD_RESET):
            h.pool.limit(action, "198.51.100.1")
            with pytest.raises(errors.LimitExceededException, match="Attempt limit exceeded"):
                h.pool.limit(action, "198.51.100.1")
    finally:
        h.store.close()


def test_a_class_set_to_none_is_not_limited(tmp_path: Path) -> None:
    h = _pool(tmp_path, security={"rate_limits": {"sign_up": None}})
    try:
        for _ in range(200):
            h.pool.limit(rate_limits.SIGN_UP, "192.0.2.1")
        assert h.count_rows("throttles") == 0
    finally:
        h.store.close()


def test_rate_limit_option_is_validated_with_a_clear_message() -> None:
    with pytest.raises(DefinitionError, match="must be a rate like '30/minute'"):
        define_auth(login_with={"email": True}, security={"rate_limits": {"sign_in": "lots"}})
    with pytest.raises(DefinitionError, match="sign_in_page"):  # an unknown class is named
        define_auth(login_with={"email": True}, security={"rate_limits": {"sign_in_page": "3/minute"}})
    defn = define_auth(login_with={"email": True}, security={"rate_limits": {"sign_in": "5/10s"}, "lockout": False})
    compiled = security(defn)
    assert compiled.rate_limits["sign_in"].count == 5
    assert compiled.rate_limits["sign_in"].per == 10.0
    assert not compiled.lockout.enabled


def test_the_blocklist_holds_the_100000_most_common_passwords() -> None:
    assert len(COMMON_PASSWORDS) >= 99_000  # 100,000 lines; a few differ only by a trailing space
    for common in ("123456", "password", "Password", "qwerty123", "iloveyou"):
        assert common in COMMON_PASSWORDS
    assert "Corr3ct-Horse!" not in COMMON_PASSWORDS


def test_a_common_password_is_refused_in_cognitos_words(tmp_path: Path) -> None:
    h = _pool(tmp_path, password_policy={"min_length": 8, "require_symbols": False})
    try:
        with pytest.raises(errors.InvalidPasswordException, match="Password is too common"):
            h.sign_up("ada@example.com", "Password1")
        with pytest.raises(errors.InvalidPasswordException, match="user name or an attribute"):
            h.sign_up("ada1@example.com", "ADA1@example.com")  # the email itself
        h.sign_up("ada@example.com", "Corr3ct-Horse-Battery")
    finally:
        h.store.close()


def test_the_blocklist_can_be_turned_off() -> None:
    defn = define_auth(login_with={"email": True}, security={"password_blocklist": False})
    from userpool.definition.compile import pool_config

    config = pool_config(defn, pool_id="us-east-1_abc", region="us-east-1", issuer="http://x/us-east-1_abc")
    check_password(config.password_policy, "Password1!")  # common, and allowed: the list is off


def test_the_nist_preset_is_length_over_composition() -> None:
    defn = define_auth(login_with={"email": True}, password_policy="nist")
    p = defn.password_policy
    assert (p.min_length, p.require_lowercase, p.require_uppercase, p.require_numbers, p.require_symbols) == (
        15,
        False,
        False,
        False,
        False,
    )
    policy = PasswordPolicy(
        min_length=15,
        require_lowercase=False,
        require_uppercase=False,
        require_numbers=False,
        require_symbols=False,
        blocklist=COMMON_PASSWORDS,
    )
    check_password(policy, "correct horse battery staple")  # spaces, no classes: fine
    with pytest.raises(errors.InvalidPasswordException, match="too common"):
        check_password(policy, "123456789012345")
    with pytest.raises(DefinitionError, match="15 characters unless"):
        define_auth(login_with={"email": True}, password_policy={"preset": "nist", "min_length": 8})
    define_auth(
        login_with={"email": True},
        password_policy={"preset": "nist", "min_length": 8},
        multifactor={"mode": "REQUIRED", "totp": True},
    )
    with pytest.raises(DefinitionError, match="no composition rules"):
        define_auth(login_with={"email": True}, password_policy={"preset": "nist", "require_symbols": True})
    with pytest.raises(DefinitionError, match=r"needs security\.password_blocklist"):
        define_auth(login_with={"email": True}, password_policy="nist", security={"password_blocklist": False})


def test_forwarded_for_is_read_only_from_a_trusted_proxy() -> None:
    networks = parse_networks(["10.0.0.0/8", "127.0.0.1"])
    scope: dict[str, Any] = {"type": "http", "headers": [], "client": ("10.1.2.3", 5000), "app": None}

    class _App:
        class state:
            trusted_proxies = networks

    scope["app"] = _App()

    def address(peer: str, forwarded: str) -> str:
        headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
        return client_address(Request({**scope, "client": (peer, 5000), "headers": headers}))

    assert address("10.1.2.3", "203.0.113.9") == "203.0.113.9"
    assert address("10.1.2.3", "198.51.100.5, 203.0.113.9, 10.0.0.7") == "203.0.113.9"  # skip trusted hops
    assert address("192.0.2.1", "203.0.113.9") == "192.0.2.1"  # an untrusted peer's header is ignored
    assert address("10.1.2.3", "") == "10.1.2.3"
    with pytest.raises(TrustedProxiesError, match="not an IP address or network"):
        parse_networks(["10.0.0.0/8", "proxy.local"])
