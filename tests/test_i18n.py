"""Message catalogs: complete, in sync with the code, and loaded from .po files alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from bot.i18n import LOCALES_DIR, SUPPORTED, available, pick_language, translator

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = LOCALES_DIR / "vigie.pot"


def _read(path: Path) -> PoCatalog:
    with path.open("rb") as f:
        return read_po(f)


def _strings(message: object) -> tuple[str, ...]:
    """Every translated form of a catalog message (one, or one per plural form)."""
    string = getattr(message, "string", None)
    if isinstance(string, str):
        return (string,)
    return tuple(string or ())


def _catalogs() -> list[str]:
    return [lang for lang in SUPPORTED if lang != "en"]


def test_supported_languages_come_from_the_locales_folder() -> None:
    """English is always supported, and French because its catalog is present."""
    assert SUPPORTED[0] == "en"
    assert "fr" in SUPPORTED


@pytest.mark.parametrize("lang", _catalogs())
def test_every_message_is_translated(lang: str) -> None:
    """Every msgid of the template has a non-empty, non-fuzzy translation in every catalog."""
    catalog = _read(LOCALES_DIR / lang / "LC_MESSAGES" / "vigie.po")
    for message in _read(TEMPLATE):
        if not message.id:
            continue
        translated = catalog.get(message.id)
        assert translated is not None, message.id
        strings = _strings(translated)
        assert strings, message.id
        assert all(strings), message.id
        assert not translated.fuzzy, message.id


@pytest.mark.parametrize("lang", _catalogs())
def test_translations_keep_their_placeholders(lang: str) -> None:
    """No translation drops, adds or misspells a %(name)s placeholder (Babel's own checks)."""
    catalog = _read(LOCALES_DIR / lang / "LC_MESSAGES" / "vigie.po")
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []


@pytest.mark.parametrize("lang", _catalogs())
def test_translations_carry_no_markup(lang: str) -> None:
    """Translations are plain text: the renderer adds every tag itself."""
    for message in _read(LOCALES_DIR / lang / "LC_MESSAGES" / "vigie.po"):
        assert not any("<" in s or "&" in s for s in _strings(message)), message.id


def test_template_is_in_sync_with_the_code() -> None:
    """The .pot holds exactly the messages marked in bot/ and handlers/ (run `pybabel extract`)."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    in_code = set()
    for folder in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map, options_map
        ):
            in_code.add(message)
    in_template = {m.id for m in _read(TEMPLATE) if m.id}
    assert in_code == in_template


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("fr", "fr"),
        ("fr-CA", "fr"),
        ("fr_BE", "fr"),
        ("FR", "fr"),
        ("en", "en"),
        ("en-GB", "en"),
        ("de", "en"),
        ("zz-ZZ", "en"),
        ("", "en"),
        (None, "en"),
        ("  fr  ", "fr"),
    ],
)
def test_pick_language(code: str | None, expected: str) -> None:
    """A Telegram language code maps to the closest supported language, else English."""
    assert pick_language(code) == expected


@pytest.mark.parametrize("lang", ["de", "zz", None, "", "../fr"])
def test_unknown_languages_get_english(lang: str | None) -> None:
    """A language without a catalog answers with the English messages."""
    assert translator(lang).gettext("More") == "More"
    assert translator(lang).ngettext("%(n)d story", "%(n)d stories", 2) == "%(n)d stories"


def test_regional_codes_get_the_base_catalog() -> None:
    """fr-CA is served by the French catalog."""
    assert translator("fr-CA").gettext("More") == "Plus"


@pytest.mark.parametrize(
    ("n", "expected"), [(0, "+0 autre source"), (1, "+1 autre source"), (2, "+2 autres sources")]
)
def test_french_plural_rule(n: int, expected: str) -> None:
    """French plural forms follow the catalog's rule: 0 and 1 are singular."""
    template = translator("fr").ngettext("+%(n)d other source", "+%(n)d other sources", n)
    assert template % {"n": n} == expected


def _write_po(
    path: Path, locale: str, messages: dict[str | tuple[str, str], str | tuple[str, str]]
) -> None:
    catalog = PoCatalog(locale=locale, domain="vigie")
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    path.parent.mkdir(parents=True)
    with path.open("wb") as f:
        write_po(f, catalog)


def test_a_new_language_is_one_po_file(tmp_path: Path) -> None:
    """Dropping de/LC_MESSAGES/vigie.po into the locales folder adds German, with its plurals."""
    _write_po(
        tmp_path / "de" / "LC_MESSAGES" / "vigie.po",
        "de",
        {
            "More": "Mehr",
            ("%(n)d story", "%(n)d stories"): ("%(n)d Artikel", "%(n)d Artikel (viele)"),
        },
    )
    assert available(tmp_path) == ("en", "de")
    assert pick_language("de-AT", available(tmp_path)) == "de"
    german = translator("de-AT", tmp_path)
    assert german.gettext("More") == "Mehr"
    assert german.ngettext("%(n)d story", "%(n)d stories", 3) == "%(n)d Artikel (viele)"
    assert german.gettext("Settings") == "Settings"  # untranslated: English


def test_an_unreadable_catalog_falls_back_to_english(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A .po file that cannot be read is logged and English is used instead."""
    path = tmp_path / "xx" / "LC_MESSAGES" / "vigie.po"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'msgid "More"\nmsgstr "M\xff\xfe"\n')  # not UTF-8
    assert translator("xx", tmp_path).gettext("More") == "More"
    assert "cannot read the xx catalog" in caplog.text


def test_no_compiled_catalog_is_needed(tmp_path: Path) -> None:
    """A folder holding only the French .po serves French: no .mo, no build step."""
    copy = tmp_path / "fr" / "LC_MESSAGES" / "vigie.po"
    copy.parent.mkdir(parents=True)
    copy.write_bytes((LOCALES_DIR / "fr" / "LC_MESSAGES" / "vigie.po").read_bytes())
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["vigie.po"]
    assert translator("fr", tmp_path).gettext("just now") == "à l'instant"
