"""The hosted pages' languages: English (`messages.EN`) and one module per translation, each complete for
every message id (tests/web/test_i18n.py checks it), and choosing a request's language.

A request's language is, in order: `?lang=` (then remembered in a cookie), that cookie, the browser's
`Accept-Language` (by q-value; `pt-BR` matches `pt`), the definition's `authenticator.language`, English.
The definition's `authenticator.translations` override any id per language, and may add a language.
No web framework here: the definition imports this module to check its options when it loads.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Mapping

from userpool.web.authenticator.i18n import de, es, fr, ja, pt, zh
from userpool.web.authenticator.messages import EN

BUILT_IN: dict[str, Mapping[str, str]] = {
    "en": EN,
    "de": de.TEXTS,
    "es": es.TEXTS,
    "fr": fr.TEXTS,
    "ja": ja.TEXTS,
    "pt": pt.TEXTS,
    "zh": zh.TEXTS,
}
# Each language by its own name, for the language links.
NAMES = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
    "ja": "日本語",
    "pt": "Português",
    "zh": "中文",
}
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,2}")
_MAX_ACCEPT = 1024
_QUALITY = re.compile(r"q\s*=\s*(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)", re.IGNORECASE)


def available(overrides: Mapping[str, Mapping[str, str]]) -> tuple[str, ...]:
    """The built-in languages, then any the definition adds."""
    return (*BUILT_IN, *(lang for lang in overrides if lang not in BUILT_IN))


def texts(lang: str, overrides: Mapping[str, Mapping[str, str]]) -> Mapping[str, str]:
    """The catalogue of `lang`: the definition's overrides, over the translation, over English."""
    return ChainMap(dict(overrides.get(lang, {})), dict(BUILT_IN.get(lang, {})), EN)


def match(tag: str, languages: tuple[str, ...]) -> str | None:
    """The language of `languages` a tag names (`pt-BR` → `pt`), or None."""
    tag = tag.strip().lower()
    if tag in languages:
        return tag
    primary = tag.split("-", 1)[0]
    return primary if primary in languages else None


def accept_language(header: str, languages: tuple[str, ...]) -> str | None:
    """The best of `languages` for an Accept-Language header (RFC 9110 §12.5.4), or None."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header[:_MAX_ACCEPT].split(",")):
        tag, _, params = item.partition(";")
        quality = 1.0
        if params.strip():
            weight = _QUALITY.fullmatch(params.strip())
            if weight is None:
                continue  # a malformed weight: the item is ignored
            quality = float(weight.group(1))
        if quality > 0 and tag.strip() and tag.strip() != "*":
            ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        found = match(tag, languages)
        if found:
            return found
    return None


def choose(
    *,
    query: str | None,
    cookie: str | None,
    header: str,
    default: str,
    overrides: Mapping[str, Mapping[str, str]],
) -> str:
    languages = available(overrides)
    for asked in (query, cookie):
        if asked and match(asked, languages):
            return match(asked, languages) or "en"
    return accept_language(header, languages) or (default if default in languages else "en")
