"""The query language against the bundled catalog: terms, OR, exclusions, keywords, suggestions."""

from __future__ import annotations

import pytest

from bot.app import language
from bot.query import Query, QueryParser, TermKind
from bot.render import understanding_text


@pytest.fixture(scope="module")
def parser() -> QueryParser:
    """The parser of the bundled catalog, compiled once for this module."""
    return language(None).query_parser


def ids(query: Query) -> list[frozenset[str]]:
    return [t.ids for t in query.terms]


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("putin", "vladimir-putin"),
        ("Poutine", "vladimir-putin"),
        ("Путин", "vladimir-putin"),
        ("Путина", "vladimir-putin"),
        ("푸틴", "vladimir-putin"),
        ("푸틴과", "vladimir-putin"),
        ("プーチン", "vladimir-putin"),
        ("普京", "vladimir-putin"),
        ("بوتين", "vladimir-putin"),
        ("Selenskyj", "volodymyr-zelensky"),
        ("north korea", "country:KP"),
        ("Corée du Nord", "country:KP"),
        ("Северной Кореи", "country:KP"),
    ],
)
def test_a_name_in_any_script_is_one_entity_term(
    parser: QueryParser, text: str, entity: str
) -> None:
    """Names, inflected forms and other scripts resolve to the entity, as one term."""
    query = parser.parse(text)
    assert len(query.terms) == 1
    assert entity in query.terms[0].ids


def test_longest_alias_first(parser: QueryParser) -> None:
    """ "kim jong un" is one term, not three."""
    query = parser.parse("kim jong un putin")
    assert [t.text for t in query.terms] == ["kim jong un", "putin"]


def test_a_shared_name_part_stands_for_everyone_with_it(parser: QueryParser) -> None:
    """ "kim" stands for every Kim of the catalog."""
    (term,) = parser.parse("kim").terms
    assert {"kim-jong-un", "kim-yo-jong"} <= term.ids


def test_joining_words_are_ignored(parser: QueryParser) -> None:
    """ "Poutine et Kim" means Putin and Kim, not a search for "et"."""
    query = parser.parse("Poutine et Kim")
    assert len(query.clauses) == 2
    assert all(t.kind is TermKind.ENTITY for t in query.terms)


def test_or_joins_terms_into_one_clause(parser: QueryParser) -> None:
    """`a OR b c` is (a or b) and c."""
    query = parser.parse("putin OR xi korea")
    assert [len(c) for c in query.clauses] == [2, 1]


def test_minus_excludes(parser: QueryParser) -> None:
    """-trump excludes Trump."""
    query = parser.parse("putin -trump")
    assert len(query.clauses) == 1
    assert "donald-trump" in query.excluded[0].ids


def test_quoted_phrase_is_one_term(parser: QueryParser) -> None:
    """A quoted phrase that names no entity is one keyword phrase."""
    (term,) = parser.parse('"armoured train"').terms
    assert term.kind is TermKind.KEYWORD
    assert term.keyword == "armoured train"


def test_unknown_word_is_a_keyword(parser: QueryParser) -> None:
    """A word that names nothing is searched as a keyword."""
    (term,) = parser.parse("cosmodrome").terms
    assert term.kind is TermKind.KEYWORD


def test_topic_by_name(parser: QueryParser) -> None:
    """A topic's name is the topic."""
    (term,) = parser.parse("Russia–North Korea arms talks").terms
    assert term.kind is TermKind.TOPIC


def test_near_miss_is_suggested(parser: QueryParser) -> None:
    """ "puttin" suggests Putin."""
    query = parser.with_suggestions(parser.parse("puttin"))
    assert "vladimir-putin" in query.suggestions["puttin"]


def test_empty_query(parser: QueryParser) -> None:
    """Only joining words or punctuation give an empty query."""
    assert parser.parse("et --- ").empty


def test_understanding_line(parser: QueryParser) -> None:
    """The understanding line names what each term stands for."""
    line = understanding_text(parser.parse("kim putin"), language(None).catalog, "en")
    assert line.startswith("kim → ")
    assert "Kim Jong-un" in line
    assert line.endswith("putin → Vladimir Putin")
