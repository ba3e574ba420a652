"""Every text Vigie says, in the reader's language: gettext catalogs read straight from .po files.

Messages are written in English in the code and marked with `_()` / `ngettext`, so English needs
no catalog. Each other language is one file, bot/locales/<lang>/LC_MESSAGES/vigie.po; it is
compiled in memory on first use, so a checkout or a fresh `pip install -e .` works without a
build step, and adding a language is adding a .po file (see the module `SUPPORTED`).
"""

from __future__ import annotations

import gettext
import logging
from collections.abc import Sequence
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "vigie"
DEFAULT = "en"
LOCALES_DIR = Path(__file__).parent / "locales"

log = logging.getLogger(__name__)


def available(locales: Path = LOCALES_DIR) -> tuple[str, ...]:
    """English, then every language that has a catalog under `locales`, sorted by code."""
    if not locales.is_dir():
        return (DEFAULT,)
    found = sorted(p.parents[1].name for p in locales.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (DEFAULT, *(code for code in found if code != DEFAULT))


SUPPORTED: tuple[str, ...] = available()


def pick_language(code: str | None, supported: Sequence[str] = SUPPORTED) -> str:
    """The supported language closest to a Telegram or IETF code: "fr-CA" -> "fr"; else "en".

    A regional catalog ("pt_BR") wins over its base language when both exist.
    """
    if not code:
        return DEFAULT
    by_key = {c.replace("_", "-").lower(): c for c in supported}
    wanted = code.strip().replace("_", "-").lower()
    if wanted in by_key:
        return by_key[wanted]
    return by_key.get(wanted.split("-")[0], DEFAULT)


@lru_cache(maxsize=64)
def translator(lang: str | None, locales: Path = LOCALES_DIR) -> gettext.NullTranslations:
    """gettext/ngettext for `lang` (any code; unknown ones get English), loaded once per language.

    A catalog that cannot be read is logged and replaced by English rather than breaking
    every message of the bot.
    """
    code = pick_language(lang, SUPPORTED if locales == LOCALES_DIR else available(locales))
    path = locales / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return gettext.NullTranslations()
    try:
        return _compile(path)
    except Exception:
        log.exception("cannot read the %s catalog %s; using English", code, path)
        return gettext.NullTranslations()


def _compile(path: Path) -> gettext.GNUTranslations:
    """A .po file as gettext translations, compiled in memory (fuzzy entries left out).

    The plural rule comes from the file's own Plural-Forms header, which is what its
    translator wrote the plural forms for.
    """
    with path.open("rb") as po:
        catalog = read_po(po, domain=DOMAIN)
    mo = BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return gettext.GNUTranslations(mo)
