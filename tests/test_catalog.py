"""bot.catalog: the bundled catalog, the ENTITIES_FILE merge, validation, and the country data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.catalog import COUNTRIES_JSON, CatalogError, load_catalog
from bot.catalog.countries import STOP_NAMES, build
from bot.entities import Catalog, Kind
from bot.normalize import normalize


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    return load_catalog()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_catalog_loads(bundled: Catalog) -> None:
    """The bundled files load into countries, people and topics."""
    assert bundled.entities["country:KP"].kind is Kind.COUNTRY
    assert bundled.entities["vladimir-putin"].kind is Kind.PERSON
    assert "topic:russia-north-korea-arms" in bundled.topics


def test_every_entity_has_an_english_name(bundled: Catalog) -> None:
    """Every entity has a display name in English, and its aliases include it (unless stopped)."""
    for entity in bundled.entities.values():
        assert entity.names["en"]
        spelled = {normalize(a.text) for a in entity.aliases}
        english = normalize(entity.names["en"])
        assert english in spelled or english in STOP_NAMES, entity.id


def test_stop_listed_country_name_is_displayed_but_not_matched(bundled: Catalog) -> None:
    """ "Jersey" stays the display name of JE but is no alias (New Jersey, a jersey)."""
    jersey = bundled.entities["country:JE"]
    assert jersey.names["en"] == "Jersey"
    assert "jersey" not in {normalize(a.text) for a in jersey.aliases}


def test_countries_have_display_names_in_the_bot_languages(bundled: Catalog) -> None:
    """Countries from CLDR carry names in the ten display languages."""
    kp = bundled.entities["country:KP"]
    assert kp.names["fr"] == "Corée du Nord"
    assert {"en", "fr", "de", "es", "ru", "uk", "ko", "ja", "zh", "ar"} <= kp.names.keys()


def test_country_names_in_cased_scripts_are_case_sensitive(bundled: Catalog) -> None:
    """ "Chad" names a country, "chad" does not; Hangul names have no case to check."""
    aliases = {a.text: a for a in bundled.entities["country:TD"].aliases}
    assert aliases["Chad"].case_sensitive
    assert not aliases["차드"].case_sensitive


def test_north_and_south_korea_share_no_alias(bundled: Catalog) -> None:
    """No spelling of North Korea is also a spelling of South Korea."""
    kp = {normalize(a.text) for a in bundled.entities["country:KP"].aliases}
    kr = {normalize(a.text) for a in bundled.entities["country:KR"].aliases}
    assert not kp & kr


def test_merge_adds_an_entity_and_aliases_to_an_existing_one(tmp_path: Path) -> None:
    """ENTITIES_FILE may add an entity and extend an existing one with names and aliases."""
    extra = _write(
        tmp_path,
        """
entities:
  - id: acme-corp
    kind: organization
    names: {en: ACME Corporation}
    aliases: {en: [ACME]}
  - id: vladimir-putin
    names: {eo: Vladimiro Putin}
    aliases:
      en: [Vova, {text: VVP, case_sensitive: true}]
""",
    )
    catalog = load_catalog(extra)
    assert catalog.entities["acme-corp"].names["en"] == "ACME Corporation"
    texts = {a.text for a in catalog.entities["vladimir-putin"].aliases}
    assert {"Vova", "VVP", "Vladimiro Putin", "Putin"} <= texts
    assert catalog.entities["vladimir-putin"].names["eo"] == "Vladimiro Putin"


def test_merge_adds_and_replaces_topics(tmp_path: Path, bundled: Catalog) -> None:
    """A topic with an existing id replaces it; a new id adds one."""
    extra = _write(
        tmp_path,
        """
topics:
  - id: topic:russia-north-korea-arms
    names: {en: Only Putin and Kim}
    all_of: [[vladimir-putin], [kim-jong-un]]
  - id: topic:mine
    names: {en: Mine}
    all_of: [[country:FR]]
""",
    )
    catalog = load_catalog(extra)
    replaced = catalog.topics["topic:russia-north-korea-arms"]
    assert replaced.all_of == (frozenset({"vladimir-putin"}), frozenset({"kim-jong-un"}))
    assert len(catalog.topics) == len(bundled.topics) + 1


def test_norwegian_language_code_stays_a_string(tmp_path: Path) -> None:
    """YAML's "no" is the Norwegian language code, not false."""
    extra = _write(
        tmp_path, "entities:\n  - {id: oslo, kind: place, names: {en: Oslo, no: Oslo}}\n"
    )
    assert load_catalog(extra).entities["oslo"].names["no"] == "Oslo"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "entities:\n  - {id: a, kind: place, names: {en: A}}\n"
            "  - {id: foo, kind: pesron, names: {en: Foo}}\n",
            "entities.yaml: entity #2 (id 'foo'): unknown kind 'pesron'",
        ),
        (
            "entities:\n  - {id: foo, kind: person, names: {fr: Foo}}\n",
            "entities.yaml: entity #1 (id 'foo'): missing English name",
        ),
        (
            "entities:\n  - {id: foo, kind: person, names: {en: Foo}, aliases: {en: "
            "[{text: F, weak: true}]}}\n",
            "entities.yaml: entity #1 (id 'foo'): weak alias 'F' needs a context",
        ),
        (
            "topics:\n  - {id: topic:x, names: {en: X}, all_of: [[vladimir-putin], [nobody]]}\n",
            "entities.yaml: topic #1 (id 'topic:x'): all_of names unknown id(s) ['nobody']",
        ),
        (
            "entities:\n  - {id: foo, kind: person, names: {en: Foo}, aliases: {en: "
            "[{text: F, weak: true, context: [ghost]}]}}\n",
            "entities.yaml: entity #1 (id 'foo'): context of alias 'F' names unknown id(s)",
        ),
        (
            "entities:\n  - {id: vladimir-putin, kind: place}\n",
            "entities.yaml: entity #1 (id 'vladimir-putin'): kind 'place' differs from 'person'",
        ),
        (
            "entities:\n  - {id: Bad Id, kind: person, names: {en: X}}\n",
            "entities.yaml: entity #1: missing or malformed id 'Bad Id'",
        ),
        (
            "entities:\n  - {id: foo, kind: person, names: {en: Foo}, colour: red}\n",
            "entities.yaml: entity #1 (id 'foo'): unknown key(s) ['colour']",
        ),
        (
            "entities:\n  - {id: foo, kind: person, names: {en: Foo}, aliases: {en: ['---']}}\n",
            "entities.yaml: entity #1 (id 'foo'): alias {'text': '---'}: text must have letters",
        ),
        (
            "entities:\n  - {id: foo, kind: person, names: {en: Foo}}\n"
            "  - {id: foo, kind: person, names: {en: Foo}}\n",
            "entities.yaml: entity #2 (id 'foo'): id given twice in this file",
        ),
        ("entities: [unclosed\n", "entities.yaml: invalid YAML"),
        ("- just a list\n", "entities.yaml: the top level must be a mapping"),
        ("people: []\n", "entities.yaml: unknown top-level key(s) ['people']"),
    ],
)
def test_invalid_file_names_the_file_and_entry(tmp_path: Path, text: str, message: str) -> None:
    """An invalid ENTITIES_FILE raises CatalogError naming the file and the faulty entry."""
    extra = _write(tmp_path, text)
    with pytest.raises(CatalogError) as excinfo:
        load_catalog(extra)
    assert message in str(excinfo.value)


def test_missing_extra_file_is_an_error(tmp_path: Path) -> None:
    """A configured ENTITIES_FILE that does not exist is reported, not ignored."""
    with pytest.raises(CatalogError, match="no such file"):
        load_catalog(tmp_path / "absent.yaml")


def test_countries_json_is_compact_and_well_formed() -> None:
    """countries.json holds ~250 countries keyed by ISO code, each with an English name."""
    document = json.loads(COUNTRIES_JSON.read_text(encoding="utf-8"))
    countries = document["countries"]
    assert 240 <= len(countries) <= 270
    assert all(len(code) == 2 and code.isupper() for code in countries)
    assert all(c["names"]["en"] for c in countries.values())
    assert "EU" not in countries
    assert "ZZ" not in countries


def _aliases(document: dict[str, object], code: str) -> set[str]:
    countries = document["countries"]
    assert isinstance(countries, dict)
    return {text for texts in countries[code]["aliases"].values() for text in texts}


def test_generator_gives_a_shared_name_to_the_clear_majority() -> None:
    """A name two countries share goes to the one that has it at least twice as often."""
    rows = [("CG", "Kongo", f"l{i}") for i in range(5)] + [("CD", "Kongo", "x1")]
    rows += [("CD", "Congo - Kinshasa", "en"), ("CG", "Congo - Brazzaville", "en")]
    document = build(rows, frozenset())
    assert "Kongo" in _aliases(document, "CG")
    assert "Kongo" not in _aliases(document, "CD")


def test_generator_drops_an_evenly_shared_name() -> None:
    """A name two countries share in comparable numbers belongs to neither."""
    rows = [
        ("TG", "Toga", "ga"),
        ("TO", "Toga", "yrl"),
        ("TG", "Togo", "en"),
        ("TO", "Tonga", "en"),
    ]
    document = build(rows, frozenset())
    assert "Toga" not in _aliases(document, "TG") | _aliases(document, "TO")


def test_generator_drops_short_stopped_and_common_names() -> None:
    """Short names, stop-listed homographs and small locales' common words are dropped."""
    rows = [
        ("GB", "United Kingdom", "en"),
        ("GB", "UK", "en"),  # too short
        ("IM", "Isle of Man", "en"),
        ("IM", "Man", "nb"),  # stop-listed
        ("CN", "China", "en"),
        ("CN", "Sin", "ha"),  # common Spanish word, from a small locale only
        ("CN", "中国", "zh"),  # two characters are fine in Chinese
    ]
    document = build(rows, frozenset({"sin"}))
    assert _aliases(document, "GB") == {"United Kingdom"}
    assert _aliases(document, "IM") == {"Isle of Man"}
    assert _aliases(document, "CN") == {"China", "中国"}


def test_generator_keeps_display_names_per_language() -> None:
    """Display names come from the plain locales of the bot's languages."""
    rows = [("KP", "North Korea", "en"), ("KP", "Corée du Nord", "fr"), ("KP", "Nordkorea", "de")]
    document = build(rows, frozenset())
    countries = document["countries"]
    assert isinstance(countries, dict)
    assert countries["KP"]["names"] == {
        "en": "North Korea",
        "fr": "Corée du Nord",
        "de": "Nordkorea",
    }
