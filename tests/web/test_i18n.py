"""The message catalogue: one id per string, every language complete, placeholders kept, templates using
only known ids; and choosing a language from Accept-Language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from userpool.web.authenticator import i18n, messages

TEMPLATES = Path(messages.__file__).parent / "templates"
LANGUAGES = ["de", "es", "fr", "ja", "pt", "zh"]


def test_the_built_in_languages() -> None:
    assert sorted(i18n.BUILT_IN) == sorted(["en", *LANGUAGES])
    assert set(i18n.NAMES) == set(i18n.BUILT_IN)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_every_id_and_keeps_its_placeholders(lang: str) -> None:
    texts = i18n.BUILT_IN[lang]
    assert set(texts) == set(messages.EN), (set(messages.EN) - set(texts), set(texts) - set(messages.EN))
    for message_id, text in texts.items():
        assert text.strip(), message_id
        assert messages.placeholders(text) <= messages.placeholders(messages.EN[message_id]), message_id
        needed = messages.placeholders(messages.EN[message_id]) - {"login"}  # {login} may be worded around
        assert needed <= messages.placeholders(text), (message_id, needed)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_translation_is_a_translation(lang: str) -> None:
    """Most strings differ from English (proper names, codes and the like may not)."""
    texts = i18n.BUILT_IN[lang]
    same = [k for k, v in texts.items() if v == messages.EN[k]]
    assert len(same) < len(texts) // 8, same


def test_templates_use_only_known_ids() -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(["']([a-z_.A-Z]+)["']""", template.read_text()))
    assert len(used) > 40 and used <= set(messages.EN)


def test_t_follows_the_catalogue_in_use() -> None:
    assert messages.t("sign_in.title") == "Sign In"
    with messages.use_catalogue(i18n.texts("de", {"de": {"sign_in.submit": "Los"}})):
        assert messages.t("sign_in.title") == "Anmelden"
        assert messages.t("sign_in.submit") == "Los"  # the definition's override
        assert messages.t("password.rule_length", count="8") == "Mindestens 8 Zeichen"
    with messages.use_catalogue(i18n.texts("it", {"it": {"sign_in.title": "Accedi"}})):
        assert messages.t("sign_in.title") == "Accedi"
        assert messages.t("sign_in.submit") == "Sign in"  # a language the definition adds: English for the rest
    assert messages.t("sign_in.title") == "Sign In"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("en-US,en;q=0.9", "en"),
        ("pt-BR", "pt"),
        ("zh-Hans-CN, zh;q=0.8", "zh"),
        ("ko;q=1, fr;q=0.2, ja;q=0.5", "ja"),
        ("fr;q=0, es", "es"),
        ("*", None),
        ("", None),
        ("de;q=abc, fr", "fr"),
        ("x" * 5000, None),
    ],
)
def test_accept_language(header: str, expected: str | None) -> None:
    assert i18n.accept_language(header, tuple(i18n.BUILT_IN)) == expected


def test_choose_order() -> None:
    none: dict[str, dict[str, str]] = {}
    assert i18n.choose(query="ja", cookie="de", header="fr", default="es", overrides=none) == "ja"
    assert i18n.choose(query="xx", cookie="de", header="fr", default="es", overrides=none) == "de"
    assert i18n.choose(query=None, cookie=None, header="fr", default="es", overrides=none) == "fr"
    assert i18n.choose(query=None, cookie=None, header="ko", default="es", overrides=none) == "es"
    assert i18n.choose(query=None, cookie=None, header="", default="", overrides=none) == "en"
