"""Country names in every CLDR locale (via Babel), written once to countries.json.

Loading ~1,000 Babel locales at every start-up would be slow, so this module is run by hand
when Babel (or bot.normalize, which deduplicates the names) changes, and the JSON it writes is
committed:

Usage:
    .venv/bin/python -m bot.catalog.countries          # rewrites bot/catalog/countries.json

What is kept, per ISO 3166-1 alpha-2 code (numeric regions, "ZZ", "EU", "EZ", "UN", "QO" and
the pseudo-locales' "XA"/"XB" are not countries):
- display names in the languages the bot speaks (`DISPLAY_LANGS`);
- every locale's name as an alias (one spelling per normalised form), with variants:
  "Myanmar (Burma)" also gives "Myanmar" and "Burma"; "Bosnia & Herzegovina" also gives
  "Bosnia and Herzegovina" (the locale's own word for "and").
What is dropped, because it would match ordinary words:
- names shorter than 3 characters in alphabetic scripts ("UK", "ЕС"), and single Chinese
  characters ("刚果（金）" must not make "金" a country);
- names in `STOP_NAMES`, hand-picked homographs ("Man", "Island", "Réunion"...);
- names that are frequent words in another language, mostly from small locales (languages
  outside `MAJOR_LANGS`) or once their accents are folded ("Séc" → "sec"): listed in
  common_words.txt (see its header for how it was made);
- a name two countries share ("Kongo": CG in 102 locales, CD in 4) goes to the country that
  has it at least twice as often, or to neither.
Names in cased scripts (Latin, Cyrillic, Greek...) are matched case-sensitively by the loader
("Chad", not "chad"), so they need not be dropped for being lower-case words somewhere.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from bot.normalize import normalize
from bot.scripts import is_unspaced, script_of

HERE = Path(__file__).resolve().parent
JSON_PATH = HERE / "countries.json"
COMMON_WORDS_PATH = HERE / "common_words.txt"

DISPLAY_LANGS = ("en", "fr", "de", "es", "ru", "uk", "ko", "ja", "zh", "ar")
NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})
# Languages with enough text in the world's press that their names are kept as CLDR gives them.
MAJOR_LANGS = frozenset(
    {
        "ar", "bg", "bn", "bs", "ca", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fil", "fr",
        "he", "hi", "hr", "hu", "id", "is", "it", "ja", "ko", "lt", "lv", "mk", "ms", "nb", "nl",
        "nn", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sq", "sr", "sv", "ta", "th", "tr", "uk",
        "ur", "vi", "zh",
    }
)  # fmt: skip
# Country names that are common words or other places, in the languages where they are read
# most; normalised. Each line says what it would be mistaken for.
STOP_NAMES = frozenset(
    {
        "america",  # Latin America, South America (US in hi_Latn)
        "ascension",  # the feast (AC)
        "benim",  # Turkish "my" (BJ in pt)
        "cad",  # "CAD", the Canadian dollar, upper-case in finance news (TD in cs, pl...)
        "columbia",  # British Columbia, Columbia University (CO in ro, la)
        "dominique",  # a first name (DM in fr)
        "fas",  # the city of Fez (MA in tr, ku)
        "granada",  # the Spanish city (GD in es)
        "grenade",  # French "grenade", and the Spanish city of Granada (GD in fr)
        "guadalupe",  # the Virgin of Guadalupe, Spanish places (GP in es)
        "island",  # English "Island" in every title-case headline (IS in de, da, sv...)
        "jersey",  # New Jersey, Jersey City (JE)
        "man",  # English "Man" in every title-case headline (IM in nb, dsb)
        "maurice",  # a first name (MU in fr)
        "norfolk",  # the English county, the Virginia city (NF in cs, nl, pl)
        "reunion",  # French "Réunion" (meeting) opening a headline (RE in many)
        "salvador",  # the Brazilian city, a first name (SV in fr, cs, hr)
        "siri",  # Apple's assistant (SY in sw, ...)
        "того",  # Russian "того" (that) opening a sentence (TG in ru)
        "малі",  # Ukrainian "малі" (small) opening a sentence (ML in uk)
        "수단",  # Korean "수단" (means, as in 수단과 방법) in every kind of story (SD in ko)
    }
)
# English written in historical alphabets: never seen in the press.
UNUSED_SCRIPTS = frozenset({"Dsrt", "Shaw"})
_PAREN = re.compile(r"^(.*?)\s*[(（]([^()（）]*)[)）]\s*$")


def _lang(locale_id: str) -> str:
    return locale_id.split("_")[0]


def _conjunction(locale: object) -> str | None:
    """The locale's word for "and" in lists ("{0} and {1}" → "and"), if it has one."""
    try:
        pattern = locale.list_patterns["standard"]["2"]  # type: ignore[attr-defined]
    except (KeyError, TypeError, AttributeError):
        return None
    word = re.sub(r"[^\w\s]", "", pattern.replace("{0}", "").replace("{1}", "")).strip()
    return word or None


def _variants(name: str, conjunction: str | None) -> Iterator[str]:
    """The name and the shorter or spelled-out forms that also appear in text."""
    yield name
    m = _PAREN.match(name)
    if m:
        yield m.group(1)
        yield m.group(2)
    if "&" in name and conjunction:
        yield re.sub(r"\s*&\s*", f" {conjunction} ", name)


def _rank(locale_id: str) -> tuple[int, str]:
    """Display languages first, then major ones: the first locale giving a name labels it."""
    lang = _lang(locale_id)
    if lang in DISPLAY_LANGS:
        return DISPLAY_LANGS.index(lang), locale_id
    return (len(DISPLAY_LANGS) if lang in MAJOR_LANGS else len(DISPLAY_LANGS) + 1), locale_id


def collect() -> Iterator[tuple[str, str, str]]:
    """(code, name, locale id) for every country name in every locale Babel has."""
    from babel import Locale, localedata  # only the generator needs Babel's locale data

    for locale_id in sorted(localedata.locale_identifiers(), key=_rank):
        if UNUSED_SCRIPTS.intersection(locale_id.split("_")):
            continue
        locale = Locale.parse(locale_id)
        conjunction = _conjunction(locale)
        for code, name in locale.territories.items():
            if len(code) != 2 or not code.isalpha() or code in NOT_COUNTRIES:
                continue
            for variant in _variants(name, conjunction):
                if variant.strip():
                    yield code, variant.strip(), locale_id


def too_short(key: str) -> bool:
    """Names under 3 characters in alphabetic scripts collide with words and abbreviations,
    and so do single Chinese characters ("刚果（金）" must not make "金" a country)."""
    if len(key) >= 3:
        return False
    return len(key) < 2 or not any(is_unspaced(ch) or script_of(ch) == "hangul" for ch in key)


def read_common_words(path: Path = COMMON_WORDS_PATH) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(normalize(line) for line in lines if line.strip() and line[0] != "#")


def build(rows: Iterable[tuple[str, str, str]], common_words: frozenset[str]) -> dict[str, object]:
    """The countries.json document from (code, name, locale id) rows."""
    display: dict[str, dict[str, str]] = defaultdict(dict)
    # normalised name -> code -> how many locales give it; and the first spelling seen
    owners: dict[str, Counter[str]] = defaultdict(Counter)
    spelling: dict[tuple[str, str], tuple[str, str]] = {}
    for code, name, locale_id in rows:
        lang = _lang(locale_id)
        if locale_id == lang and lang in DISPLAY_LANGS:
            display[code].setdefault(lang, name)
        key = normalize(name)
        if not key or too_short(key) or key in STOP_NAMES:
            continue
        owners[key][code] += 1
        spelling.setdefault((code, key), (name, lang))
    aliases: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for key, counts in owners.items():
        if key in common_words:
            continue
        (code, best), *rest = counts.most_common()
        if rest and best < 2 * rest[0][1]:
            continue  # shared by two countries in comparable numbers: ambiguous
        name, lang = spelling[(code, key)]
        aliases[code][lang].append(name)
    countries = {}
    for code in sorted(display):
        names = {lang: display[code][lang] for lang in DISPLAY_LANGS if lang in display[code]}
        by_lang = aliases.get(code, {})
        countries[code] = {
            "names": names,
            "aliases": {lang: sorted(by_lang[lang]) for lang in sorted(by_lang)},
        }
    return {"countries": countries}


def main() -> None:
    import babel

    document = build(collect(), read_common_words())
    document = {"source": f"CLDR via Babel {babel.__version__}", **document}
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    JSON_PATH.write_text(text + "\n", encoding="utf-8")
    countries = document["countries"]
    assert isinstance(countries, dict)
    total = sum(len(c["names"]) + sum(map(len, c["aliases"].values())) for c in countries.values())
    print(f"{JSON_PATH.name}: {len(countries)} countries, {total} names, {len(text)} bytes")


if __name__ == "__main__":
    main()
