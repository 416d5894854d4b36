"""Fixtures shared by every tier. The `sandbox` fixture is a real `userpool sandbox` process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.admin_sandbox import admin_sandbox
from tests.support.custom_auth_sandbox import custom_auth_sandbox
from tests.support.mfa_sandbox import OPTIONAL_FACTORS, REQUIRED_FACTORS, REQUIRED_TOTP_EMAIL, mfa_sandbox
from tests.support.sandbox import Sandbox, start_sandbox


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--deep",
        action="store_true",
        help="run the long versions of the attack suites in tests/security (same as USERPOOL_SECURITY_DEEP=1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--deep", default=False):
        os.environ["USERPOOL_SECURITY_DEEP"] = "1"


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One email-login sandbox for the whole run; tests keep apart by using unique emails."""
    box = start_sandbox(Path(tmp_path_factory.mktemp("app")))
    yield box
    box.stop()


@pytest.fixture(scope="session")
def mfa_optional(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """MFA OPTIONAL with TOTP, SMS and email: users turn factors on themselves."""
    with mfa_sandbox(Path(tmp_path_factory.mktemp("mfa-optional")), "OPTIONAL", OPTIONAL_FACTORS) as box:
        yield box


@pytest.fixture(scope="session")
def mfa_required(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """MFA REQUIRED with TOTP only: a user without it sets it up during sign-in (MFA_SETUP)."""
    with mfa_sandbox(Path(tmp_path_factory.mktemp("mfa-required")), "REQUIRED", REQUIRED_FACTORS) as box:
        yield box


@pytest.fixture(scope="session")
def mfa_required_email(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """MFA REQUIRED with TOTP and email: a user without a verified email picks one to set up during sign-in."""
    with mfa_sandbox(Path(tmp_path_factory.mktemp("mfa-required-email")), "REQUIRED", REQUIRED_TOTP_EMAIL) as box:
        yield box


@pytest.fixture(scope="session")
def custom_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The sign-in triggers: a "secret word" custom challenge, user migration from a legacy directory, and a
    pre authentication that blocks accounts named blocked-… (tests/support/custom_auth_sandbox.py)."""
    with custom_auth_sandbox(Path(tmp_path_factory.mktemp("custom-auth"))) as box:
        yield box


@pytest.fixture(scope="session")
def admin_box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The admin API's sandbox: groups ADMINS and EDITORS, a "server" client with ADMIN_USER_PASSWORD_AUTH."""
    with admin_sandbox(Path(tmp_path_factory.mktemp("admin"))) as box:
        yield box
