"""The `authenticator` option: the hosted Authenticator's settings, like Amplify's Authenticator props.

    define_auth(
        login_with={"email": True},
        authenticator={
            "initial_state": "sign_up",            # "sign_in" | "sign_up" | "forgot_password"
            "hide_sign_up": False,
            "variation": "modal",                  # "page" | "modal"
            "form_fields": {"sign_up": {"email": {"label": "Work email", "order": 1}}},
            "theme": {"tokens": {"brand_primary": "#5b21b6"}, "logo": "amplify/logo.svg", "color_mode": "system"},
            # or "theme": "amplify/theme.json", the same shape as JSON
            "language": "fr",
            "translations": {"fr": {"sign_in.title": "Connexion"}},
        },
    )

Every value is checked here, when the definition loads: token values against their kind's allow-list (no
CSS can escape a declaration), the logo's URL or file (read now, under `amplify/`, into a data: URI),
form-field names per page, languages and message ids (the valid ids named when one is unknown).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from userpool.definition.attributes import NAME_TO_COGNITO
from userpool.definition.naming import snake

MAX_LOGO_BYTES = 100 * 1024
_LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
_DATA_URI = re.compile(r"data:image/(?:png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/]+=*")
_LOGO_URL = re.compile(
    r"(?:https://[A-Za-z0-9.-]+(?::\d{1,5})?|http://(?:localhost|127\.0\.0\.1)(?::\d{1,5})?)"
    r"(?:/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?(?:\?[A-Za-z0-9._~%!$&'()*+,;=:@/?-]*)?"
)
_TEXT = re.compile(r"[^\x00-\x08\x0b-\x1f\x7f]*")

# Amplify's FormFieldComponents (snake_case) → the fields each page has (attributes are added for sign_up and
# force_new_password); "confirmation_code" is Amplify's name for a page's code field.
PAGES: dict[str, tuple[str, ...]] = {
    "sign_in": ("username", "password"),
    "sign_up": ("username", "password", "confirm_password"),
    "force_new_password": ("password", "confirm_password"),
    "confirm_reset_password": ("username", "confirmation_code", "password", "confirm_password"),
    "confirm_sign_in": ("confirmation_code", "recovery_code"),
    "confirm_sign_up": ("username", "confirmation_code"),
    "confirm_verify_user": ("confirmation_code",),
    "forgot_password": ("username",),
    "setup_email": ("email",),
    "setup_totp": ("confirmation_code", "QR"),
}
ATTRIBUTE_PAGES = ("sign_up", "force_new_password")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _plain(value: str, what: str) -> str:
    if not _TEXT.fullmatch(value):
        raise ValueError(f"{what} must be plain text without control characters")
    return value


class FormField(_Model):
    """Amplify's FormFieldOptions that a server-rendered page can honour."""

    label: str | None = Field(default=None, min_length=1, max_length=200)
    placeholder: str | None = Field(default=None, max_length=200)
    order: int | None = Field(default=None, ge=0, le=1000)
    is_required: bool | None = None
    label_hidden: bool = False
    totp_issuer: str | None = Field(default=None, min_length=1, max_length=100)  # setup_totp.QR
    totp_username: str | None = Field(default=None, min_length=1, max_length=200)  # setup_totp.QR

    @field_validator("label", "placeholder", "totp_issuer", "totp_username")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else _plain(value, "a form field's text")


class Theme(_Model):
    tokens: dict[str, str] = Field(default_factory=dict)
    dark_tokens: dict[str, str] = Field(default_factory=dict)  # overrides in dark mode
    logo: str | None = None  # https URL, data:image/… URI, or a file under amplify/
    header: str | None = Field(default=None, max_length=300)
    footer: str | None = Field(default=None, max_length=300)
    color_mode: Literal["light", "dark", "system"] = "light"

    @field_validator("tokens", "dark_tokens")
    @classmethod
    def _tokens(cls, tokens: dict[str, str]) -> dict[str, str]:
        from userpool.web.authenticator.tokens import check_tokens

        problems = check_tokens(tokens)
        if problems:
            raise ValueError("; ".join(problems))
        return {name: value.strip() for name, value in tokens.items()}

    @field_validator("header", "footer")
    @classmethod
    def _texts(cls, value: str | None) -> str | None:
        return None if value is None else _plain(value, "header and footer")

    @field_validator("logo")
    @classmethod
    def _logo(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if value.startswith("data:"):
            if len(value) > MAX_LOGO_BYTES * 4 // 3 + 100 or not _DATA_URI.fullmatch(value):
                raise ValueError("a data: logo must be data:image/(png|jpeg|gif|webp|svg+xml);base64,… up to 100 KiB")
            return value
        if "://" in value:
            if len(value) > 2048 or not _LOGO_URL.fullmatch(value):
                raise ValueError(f"{value!r}: a logo URL must be https:// (http:// on localhost) without quotes")
            return value
        return _logo_file(value, (info.context or {}).get("amplify_dir"))


def _under_amplify(value: str, amplify_dir: Path | None, what: str) -> Path:
    """A file named from the app folder ("amplify/brand/logo.svg"), which must be under amplify/."""
    if amplify_dir is None:
        raise ValueError(f"{what} is named from the app folder (amplify/…) in a definition file under amplify/")
    path = (amplify_dir.parent / value).resolve()
    if not path.is_relative_to(amplify_dir.resolve()):
        raise ValueError(f"{value!r}: {what} must be under amplify/ (amplify/…)")
    return path


def _logo_file(value: str, amplify_dir: Path | None) -> str:
    """A logo file under amplify/, as a data: URI."""
    kind = _LOGO_TYPES.get(Path(value).suffix.lower())
    if kind is None:
        raise ValueError(f"{value!r}: a logo file is a {', '.join(_LOGO_TYPES)} file")
    path = _under_amplify(value, amplify_dir, "a logo file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{value!r}: cannot read the logo ({exc.strerror})") from None
    if len(data) > MAX_LOGO_BYTES:
        raise ValueError(f"{value!r}: a logo may be at most 100 KiB")
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def _field_name(page: str, name: str) -> str:
    if name in PAGES[page]:
        return name
    if page in ATTRIBUTE_PAGES:
        if name.startswith("custom:"):
            return name
        if name in NAME_TO_COGNITO:
            return NAME_TO_COGNITO[name]
    choices = ", ".join(PAGES[page]) + (", or a user attribute" if page in ATTRIBUTE_PAGES else "")
    raise ValueError(f"form_fields.{page}: unknown field {name!r}; its fields are {choices}")


class Authenticator(_Model):
    initial_state: Literal["sign_in", "sign_up", "forgot_password"] = "sign_in"
    hide_sign_up: bool = False
    variation: Literal["page", "modal"] = "page"
    form_fields: dict[str, dict[str, FormField]] = Field(default_factory=dict)
    theme: Theme = Theme()
    translations: dict[str, dict[str, str]] = Field(default_factory=dict)
    language: str | None = None  # checked after translations, which may add a language

    @field_validator("initial_state", "variation", mode="before")
    @classmethod
    def _camel_value(cls, value: Any) -> Any:  # Amplify writes initialState="signUp", variation="default"
        if value == "default":
            return "page"
        return snake(value) if isinstance(value, str) else value

    @field_validator("theme", mode="before")
    @classmethod
    def _theme_file(cls, value: Any, info: ValidationInfo) -> Any:
        """A theme may live in a JSON file under amplify/ ("amplify/theme.json"), in the same shape."""
        if not isinstance(value, str):
            return value
        path = _under_amplify(value, (info.context or {}).get("amplify_dir"), "a theme file")
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{value!r}: cannot read the theme as JSON ({exc})") from None
        if not isinstance(loaded, dict):
            raise ValueError(f"{value!r}: a theme file holds one JSON object")
        return {
            snake(k): ({snake(n): t for n, t in v.items()} if isinstance(v, dict) else v) for k, v in loaded.items()
        }

    @field_validator("form_fields", mode="before")
    @classmethod
    def _form_fields(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        result: dict[str, dict[str, Any]] = {}
        for page_key, fields in value.items():
            page = snake(str(page_key))
            if page not in PAGES:
                raise ValueError(f"unknown page {page_key!r}; the pages are {', '.join(PAGES)}")
            if not isinstance(fields, dict):
                raise ValueError(f"form_fields.{page} must map field names to their options")
            result[page] = {
                _field_name(page, str(name)): {snake(k): v for k, v in opts.items()} if isinstance(opts, dict) else opts
                for name, opts in fields.items()
            }
        return result

    @field_validator("translations")
    @classmethod
    def _translations(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        from userpool.web.authenticator.i18n import LANGUAGE_TAG
        from userpool.web.authenticator.messages import EN, placeholders

        for lang, texts in value.items():
            if not LANGUAGE_TAG.fullmatch(lang):
                raise ValueError(f"{lang!r} is not a language code (fr, pt, zh, en-GB, …)")
            unknown = sorted(set(texts) - set(EN))
            if unknown:
                raise ValueError(
                    f"translations.{lang}: unknown message id(s) {', '.join(unknown)}; the ids are {', '.join(EN)}"
                )
            for message_id, text in texts.items():
                try:
                    names = placeholders(_plain(text, f"translations.{lang}.{message_id}"))
                except ValueError as exc:
                    raise ValueError(f"translations.{lang}.{message_id}: {exc}") from None
                extra = names - placeholders(EN[message_id])
                if extra:
                    allowed = ", ".join("{" + n + "}" for n in sorted(placeholders(EN[message_id]))) or "none"
                    raise ValueError(
                        f"translations.{lang}.{message_id}: unknown placeholder(s) "
                        f"{', '.join('{' + n + '}' for n in sorted(extra))}; this text may use {allowed} "
                        "(write a literal brace as {{ or }})"
                    )
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None, info: ValidationInfo) -> str | None:
        from userpool.web.authenticator.i18n import BUILT_IN

        if value is None:
            return None
        known = [*BUILT_IN, *info.data.get("translations", {})]
        if value not in known:
            raise ValueError(f"{value!r} is not a language of the pages; they are {', '.join(known)}")
        return value


def check_fields(auth: Authenticator, attributes: dict[str, Any], required: set[str]) -> list[str]:
    """Cross-checks with the definition's attributes: custom fields must be declared, required attributes
    cannot be made optional."""
    problems = []
    for page in ATTRIBUTE_PAGES:
        for name, options in auth.form_fields.get(page, {}).items():
            if name.startswith("custom:") and name not in attributes:
                problems.append(f"authenticator.form_fields.{page}.{name}: not declared in user_attributes")
            if name in required and options.is_required is False:
                problems.append(f"authenticator.form_fields.{page}.{name}: a required attribute cannot be optional")
    return problems
