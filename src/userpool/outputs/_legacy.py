"""amplifyconfiguration.json (`--outputs-version 0`): the unified config in the legacy shape that Amplify JS's
`parseAWSExports` reads, with the rules of Amplify's `client_config_to_legacy_converter.ts` (amplify-surface §2.3).

Left out because userpool has no value for them, exactly as the converter leaves them out when the unified
config lacks them: `aws_cognito_identity_pool_id` (no identity pool) and `allowUnauthenticatedIdentities`
(written only when `unauthenticated_identities_enabled` is true, and userpool writes no such key). Groups and
passwordless settings have no legacy key, in Amplify too.

The endpoint stays under `custom.userpool`: the converter copies `custom` into the legacy file as it is, and
`parseAWSExports` ignores the key.
"""

from __future__ import annotations

from typing import Any

_MFA = {"NONE": "OFF", "OPTIONAL": "OPTIONAL", "REQUIRED": "ON"}
_SOCIAL = {"SIGN_IN_WITH_APPLE": "APPLE", "LOGIN_WITH_AMAZON": "AMAZON"}
_REQUIREMENTS = (
    ("require_numbers", "REQUIRES_NUMBERS"),
    ("require_lowercase", "REQUIRES_LOWERCASE"),
    ("require_uppercase", "REQUIRES_UPPERCASE"),
    ("require_symbols", "REQUIRES_SYMBOLS"),
)


def to_legacy(unified: dict[str, Any]) -> dict[str, Any]:
    """From a version 1.4 unified config, in the converter's key order."""
    auth: dict[str, Any] = unified["auth"]
    legacy: dict[str, Any] = {
        "aws_project_region": auth["aws_region"],
        "aws_user_pools_id": auth["user_pool_id"],
        "aws_cognito_region": auth["aws_region"],
        "aws_user_pools_web_client_id": auth["user_pool_client_id"],
        "aws_cognito_mfa_types": list(auth["mfa_methods"]),
        "aws_cognito_mfa_configuration": _MFA[auth["mfa_configuration"]],
        "aws_cognito_signup_attributes": [a.upper() for a in auth["standard_required_attributes"]],
        "aws_cognito_username_attributes": [a.upper() for a in auth["username_attributes"]],
        "aws_cognito_verification_mechanisms": [a.upper() for a in auth["user_verification_types"]],
    }
    policy = auth["password_policy"]
    legacy["aws_cognito_password_protection_settings"] = {
        "passwordPolicyMinLength": policy["min_length"],
        "passwordPolicyCharacters": [name for key, name in _REQUIREMENTS if policy[key]],
    }
    if oauth := auth.get("oauth"):
        legacy["oauth"] = {
            "domain": oauth["domain"],
            "scope": list(oauth["scopes"]),
            "redirectSignIn": ",".join(oauth["redirect_sign_in_uri"]),
            "redirectSignOut": ",".join(oauth["redirect_sign_out_uri"]),
            "responseType": oauth["response_type"],
        }
        legacy["aws_cognito_social_providers"] = [_SOCIAL.get(p, p) for p in oauth["identity_providers"]]
    if "custom" in unified:
        legacy["custom"] = unified["custom"]
    return legacy
