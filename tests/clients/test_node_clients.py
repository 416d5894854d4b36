"""The real JavaScript clients, unchanged, against a real `userpool sandbox`.

Each test runs one Node journey from tests/node/ (aws-amplify v6, amazon-cognito-identity-js) with the
sandbox's endpoint, pool id and client id in the environment. The script prints one line per step and
exits non-zero at the first failure, with the Cognito exchange that failed; that output is the failure
message here. Needs Node.js 20+ and `npm ci --prefix tests/node`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.custom_auth_sandbox import LEGACY_PASSWORD, SECRET_WORD
from tests.support.mfa_sandbox import confirm_user, force_change_password, unverify_email
from tests.support.sandbox import PASSWORD, Sandbox, unique_email

pytestmark = pytest.mark.node

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
PACKAGES = ("aws-amplify", "amazon-cognito-identity-js")
TIMEOUT = 120


@pytest.fixture(scope="session")
def node() -> str:
    """The `node` executable, or a loud skip saying what to run. Listed before `sandbox`, so a skip starts none."""
    executable = shutil.which("node")
    if executable is None:
        pytest.skip("NODE CLIENT TESTS SKIPPED: `node` is not on PATH. Install Node.js 20+, "
                    "then run `npm ci --prefix tests/node`.")  # fmt: skip
    missing = [p for p in PACKAGES if not (NODE_DIR / "node_modules" / p / "package.json").is_file()]
    if missing:
        pytest.skip(f"NODE CLIENT TESTS SKIPPED: {', '.join(missing)} not installed in tests/node/node_modules. "
                    "Run `npm ci --prefix tests/node`.")  # fmt: skip
    return executable


def _text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else (output or "")


def run_journey(node: str, sandbox: Sandbox, script: str, **extra_env: str) -> None:
    env = {
        **os.environ,
        "USERPOOL_ENDPOINT": sandbox.endpoint,
        "USERPOOL_POOL_ID": sandbox.pool_id,
        "USERPOOL_CLIENT_ID": sandbox.client_id,
        **extra_env,
    }
    command = [node, str(NODE_DIR / script)]
    try:
        done = subprocess.run(
            command, cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"`node {script}` did not finish in {TIMEOUT} s\n--- stdout ---\n{_text(timeout.stdout)}"
                    f"\n--- stderr ---\n{_text(timeout.stderr)}\n--- sandbox log ---\n{sandbox.log()[-4000:]}",
                    pytrace=False)  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"`node {script}` exited with {done.returncode}\n--- stdout ---\n{done.stdout}"
                    f"\n--- stderr ---\n{done.stderr}\n--- sandbox log ---\n{sandbox.log()[-4000:]}"
                    "\n(rerun by hand with USERPOOL_TRACE=1 to print every Cognito request and response)",
                    pytrace=False)  # fmt: skip
    assert "# done:" in done.stdout, f"`node {script}` exited 0 without finishing:\n{done.stdout}"


def test_aws_amplify_v6(node: str, sandbox: Sandbox) -> None:
    """aws-amplify v6 with `userPoolEndpoint`: sign-up, SRP and USER_PASSWORD_AUTH sign-in, refresh, sign-outs."""
    run_journey(node, sandbox, "amplify.mjs")


def test_amazon_cognito_identity_js(node: str, sandbox: Sandbox) -> None:
    """amazon-cognito-identity-js with the pool's `endpoint` option: the same journey with its own API."""
    run_journey(node, sandbox, "cognito_identity_js.mjs")


def test_aws_amplify_v6_devices(node: str, sandbox: Sandbox) -> None:
    """aws-amplify v6 remembered devices: ConfirmDevice, rememberDevice, fetchDevices, device SRP, forgetDevice."""
    run_journey(node, sandbox, "amplify_devices.mjs")


def test_amazon_cognito_identity_js_devices(node: str, sandbox: Sandbox) -> None:
    """amazon-cognito-identity-js devices: setDeviceStatusRemembered, listDevices, device SRP, forgetDevice."""
    run_journey(node, sandbox, "cognito_identity_js_devices.mjs")


def test_aws_amplify_v6_mfa(node: str, mfa_optional: Sandbox) -> None:
    """aws-amplify v6 MFA: setUpTOTP, verifyTOTPSetup, updateMFAPreference, fetchMFAPreference, and confirmSignIn
    for the TOTP, email and SMS codes and the MFA selection, each with a failure case."""
    run_journey(node, mfa_optional, "amplify_mfa.mjs")


def test_aws_amplify_v6_new_password_and_totp_setup(node: str, mfa_required: Sandbox) -> None:
    """aws-amplify v6 in a REQUIRED pool: NEW_PASSWORD_REQUIRED for a user with a temporary password, then
    CONTINUE_SIGN_IN_WITH_TOTP_SETUP, then the TOTP code at the next sign-in."""
    email = unique_email("amplify-force")
    force_change_password(mfa_required, email)
    run_journey(
        node, mfa_required, "amplify_mfa_setup.mjs", USERPOOL_FORCE_EMAIL=email, USERPOOL_FORCE_PASSWORD=PASSWORD
    )


def test_aws_amplify_v6_email_mfa_setup(node: str, mfa_required_email: Sandbox) -> None:
    """aws-amplify v6 in a REQUIRED pool with TOTP and email, for a user without a verified email:
    CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION, then CONTINUE_SIGN_IN_WITH_EMAIL_SETUP, the code from the outbox,
    and EMAIL_OTP at the next sign-in."""
    email = unique_email("amplify-email-mfa")
    confirm_user(mfa_required_email, email)
    unverify_email(mfa_required_email, email)
    run_journey(
        node,
        mfa_required_email,
        "amplify_mfa_email_setup.mjs",
        USERPOOL_SETUP_EMAIL=email,
        USERPOOL_SETUP_PASSWORD=PASSWORD,
    )


def test_aws_amplify_v6_custom_auth(node: str, custom_auth: Sandbox) -> None:
    """aws-amplify v6 custom authentication: signIn with CUSTOM_WITHOUT_SRP and CUSTOM_WITH_SRP, then
    confirmSignIn({challengeResponse}) (a wrong answer first); and a legacy user migrated at signIn with
    USER_PASSWORD_AUTH."""
    run_journey(
        node,
        custom_auth,
        "amplify_custom_auth.mjs",
        USERPOOL_SECRET_WORD=SECRET_WORD,
        USERPOOL_LEGACY_EMAIL="legacy-amplify@example.com",
        USERPOOL_LEGACY_PASSWORD=LEGACY_PASSWORD,
    )


def test_amazon_cognito_identity_js_custom_auth(node: str, custom_auth: Sandbox) -> None:
    """amazon-cognito-identity-js: initiateAuth (CUSTOM_AUTH) with sendCustomChallengeAnswer, and authenticateUser
    with the CUSTOM_AUTH flow type (SRP first)."""
    run_journey(node, custom_auth, "cognito_identity_js_custom_auth.mjs", USERPOOL_SECRET_WORD=SECRET_WORD)
