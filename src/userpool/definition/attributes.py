"""The standard-attribute table: Amplify's names (camelCase and snake_case) → Cognito's names."""

from __future__ import annotations

# defineAuth key → Cognito attribute (amplify-surface §1.4); the snake_case forms are the Python spelling.
AMPLIFY_TO_COGNITO = {
    "address": "address",
    "birthdate": "birthdate",
    "email": "email",
    "familyName": "family_name",
    "gender": "gender",
    "givenName": "given_name",
    "locale": "locale",
    "middleName": "middle_name",
    "fullname": "name",
    "nickname": "nickname",
    "phoneNumber": "phone_number",
    "profilePicture": "picture",
    "preferredUsername": "preferred_username",
    "profilePage": "profile",
    "timezone": "zoneinfo",
    "lastUpdateTime": "updated_at",
    "website": "website",
}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


NAME_TO_COGNITO: dict[str, str] = {}
for _amplify, _cognito in AMPLIFY_TO_COGNITO.items():
    NAME_TO_COGNITO[_amplify] = _cognito
    NAME_TO_COGNITO[_snake(_amplify)] = _cognito
    NAME_TO_COGNITO[_cognito] = _cognito  # Cognito's own name is accepted as is

STANDARD_OPTION_NAMES = sorted({_snake(a) for a in AMPLIFY_TO_COGNITO})
