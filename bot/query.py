"""The query language, from free text to a plan: which entities, topics and words a query means.

Pure: `QueryParser` is built once from the catalog and turns text into a `Query`.

- Words are read longest alias first: "north korea", "kim jong un" and "corée du nord" are one term each.
- A word that is part of several people's or organisations' names ("kim") stands for any of them.
- "quoted phrases" are one term; `OR` between terms means either; `-term` excludes.
- A word that is no entity's name is searched as a keyword in titles and summaries; when an
  alias is close to it ("puttin"), the alias is offered as a suggestion.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.entities import Catalog, Kind
from bot.matching import Matcher
from bot.normalize import normalize

MAX_ALIAS_WORDS = 6
MIN_PART_LENGTH = 3  # name parts shorter than this ("al", "de") stand for nobody
# Joining words that carry no meaning in a query: "kim and putin", "Poutine et Kim".
STOPWORDS = frozenset(
    [
        "and",
        "et",
        "und",
        "y",
        "e",
        "и",
        "і",
        "та",
        "або",
        "or",
        "ou",
        "oder",
        "with",
        "avec",
        "mit",
        "con",
        "с",
        "з",
        "the",
        "le",
        "la",
        "les",
        "der",
        "die",
        "das",
        "el",
    ]
)
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


class TermKind(StrEnum):
    ENTITY = "entity"
    TOPIC = "topic"
    KEYWORD = "keyword"


@dataclass(frozen=True, slots=True)
class Term:
    """One thing a query asks for: any of some entities, any of some topics, or a keyword."""

    text: str  # as the user typed it
    kind: TermKind
    ids: frozenset[str] = frozenset()  # entity or topic ids
    keyword: str = ""  # normalised words, for KEYWORD terms


@dataclass(frozen=True, slots=True)
class Query:
    """Stories must satisfy every clause (each clause: any of its terms) and no excluded term."""

    clauses: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()
    suggestions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # word -> entity ids

    @property
    def empty(self) -> bool:
        return not self.clauses

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(t for clause in self.clauses for t in clause) + self.excluded

    @property
    def has_keywords(self) -> bool:
        return any(t.kind is TermKind.KEYWORD for t in self.terms)


class QueryParser:
    """Reads queries against one catalog. Build once; `parse` is cheap."""

    def __init__(self, catalog: Catalog, matcher: Matcher | None = None) -> None:
        self._catalog = catalog
        self._matcher = matcher
        aliases: defaultdict[str, set[str]] = defaultdict(set)
        parts: defaultdict[str, set[str]] = defaultdict(set)
        for entity in catalog.entities.values():
            texts = [a.text for a in entity.aliases] + list(entity.names.values())
            for text in texts:
                key = normalize(text)
                if key:
                    aliases[key].add(entity.id)
                if entity.kind is Kind.PERSON:
                    for word in key.split():
                        if len(word) >= MIN_PART_LENGTH:
                            parts[word].add(entity.id)
        topics: defaultdict[str, set[str]] = defaultdict(set)
        for topic in catalog.topics.values():
            topics[normalize(topic.id)].add(topic.id)
            for name in topic.names.values():
                topics[normalize(name)].add(topic.id)
        self._aliases = {k: frozenset(v) for k, v in aliases.items()}
        self._parts = {k: frozenset(v) for k, v in parts.items()}
        self._topics = {k: frozenset(v) for k, v in topics.items()}
        self._suggestable = sorted(k for k in self._aliases if len(k) >= MIN_PART_LENGTH)

    def lookup(self, name: str) -> frozenset[str]:
        """Entity ids a name stands for: its exact alias, every person with it in their name
        ("kim"), or, through the matcher, an inflected form ("Путина", "푸틴과")."""
        key = normalize(name)
        ids = self._aliases.get(key, frozenset()) | self._parts.get(key, frozenset())
        return ids or self._inflected(name)

    def _inflected(self, phrase: str) -> frozenset[str]:
        """Entities the matcher finds spanning the whole phrase (case endings, particles)."""
        if self._matcher is None:
            return frozenset()
        text = phrase.strip()
        found = self._matcher.match(text, "").mentions
        # The mention must cover every word of the phrase; what is left beside it is an ending,
        # a particle or a prefix glued to the name ("Путина", "푸틴과", "وبوتين").
        return frozenset(
            m.entity_id
            for m in found
            if not any(c.isspace() for c in text[: m.start] + text[m.end :])
        )

    def suggest(self, word: str, n: int = 3) -> tuple[str, ...]:
        """Entity ids whose alias is close to `word` ("puttin" -> Putin)."""
        close = difflib.get_close_matches(normalize(word), self._suggestable, n=n, cutoff=0.75)
        ids: dict[str, None] = {}
        for alias in close:
            for entity_id in sorted(self._aliases[alias]):
                ids.setdefault(entity_id)
        return tuple(ids)[:n]

    def parse(self, text: str) -> Query:
        """The plan for `text`; an empty Query when nothing in it can be searched."""
        clauses: list[list[Term]] = []
        excluded: list[Term] = []
        join_next = False
        for token in self._tokens(text):
            if token is None:  # OR
                join_next = bool(clauses)
                continue
            negated, terms = token
            for term in terms:
                if negated:
                    excluded.append(term)
                elif join_next:
                    clauses[-1].append(term)
                    join_next = False
                else:
                    clauses.append([term])
        return Query(tuple(tuple(c) for c in clauses), tuple(excluded))

    def with_suggestions(self, query: Query) -> Query:
        """The query with near-miss names for its one-word keywords ("puttin" -> Putin).

        Slower than parsing (it compares against every alias), so callers ask only when a
        search found nothing.
        """
        suggestions = {}
        for term in query.terms:
            if term.kind is TermKind.KEYWORD and " " not in term.keyword:
                close = self.suggest(term.keyword)
                if close:
                    suggestions[term.text] = close
        return replace(query, suggestions=suggestions)

    def _tokens(self, text: str) -> list[tuple[bool, list[Term]] | None]:
        """The query as (negated, terms) pieces and None for each OR: quoted phrases whole,
        other words by longest alias."""
        out: list[tuple[bool, list[Term]] | None] = []
        words: list[str] = []

        def flush(negated: bool = False) -> None:
            if words:
                out.append((negated, self._words_to_terms(words)))
                words.clear()

        for match in _TOKEN.finditer(text):
            minus, phrase, word = match.group(1), match.group(2), match.group(3)
            if phrase is not None:
                flush()
                term = self._phrase(phrase)
                if term:
                    out.append((bool(minus), [term]))
            elif word == "OR":
                flush()
                out.append(None)
            elif word.startswith("-") and len(word) > 1:
                flush()
                words.append(word[1:])
                flush(negated=True)
            else:
                words.append(word)
        flush()
        return out

    def _phrase(self, phrase: str) -> Term | None:
        key = normalize(phrase)
        if not key:
            return None
        if key in self._topics:
            return Term(phrase, TermKind.TOPIC, ids=self._topics[key])
        if key in self._aliases:
            return Term(phrase, TermKind.ENTITY, ids=self._aliases[key])
        return Term(phrase, TermKind.KEYWORD, keyword=key)

    def _words_to_terms(self, words: list[str]) -> list[Term]:
        """Greedy longest match of consecutive words against topic names and aliases."""
        keys = [normalize(w) for w in words]
        terms: list[Term] = []
        i = 0
        while i < len(words):
            if not keys[i] or keys[i] in STOPWORDS:
                i += 1
                continue
            for j in range(min(len(words), i + MAX_ALIAS_WORDS), i, -1):
                key = " ".join(k for k in keys[i:j] if k)
                shown = " ".join(words[i:j])
                if key in self._topics:
                    terms.append(Term(shown, TermKind.TOPIC, ids=self._topics[key]))
                    break
                if key in self._aliases:
                    ids = self._aliases[key]
                    if j == i + 1:  # one word: also every person with it in their name
                        ids = ids | self._parts.get(key, frozenset())
                    terms.append(Term(shown, TermKind.ENTITY, ids=ids))
                    break
            else:
                j, ids = self._inflected_run(words, i)
                if ids:
                    terms.append(Term(" ".join(words[i:j]), TermKind.ENTITY, ids=ids))
                else:
                    terms.append(Term(words[i], TermKind.KEYWORD, keyword=keys[i]))
            i = j
        return terms

    def _inflected_run(self, words: list[str], i: int) -> tuple[int, frozenset[str]]:
        """The longest run of words from i that names entities when inflected; else (i + 1, {})."""
        for j in range(min(len(words), i + MAX_ALIAS_WORDS), i, -1):
            ids = self._inflected(" ".join(words[i:j]))
            if ids:
                return j, ids
        return i + 1, self._parts.get(normalize(words[i]), frozenset())


def understood(query: Query, catalog: Catalog, lang: str = "en") -> list[tuple[str, list[str]]]:
    """How each term was read: (what was typed, names it stands for); keywords stand for themselves."""
    lines: list[tuple[str, list[str]]] = []
    for term in query.terms:
        if term.kind is TermKind.ENTITY:
            names = sorted(
                catalog.entities[i].name(lang) for i in term.ids if i in catalog.entities
            )
        elif term.kind is TermKind.TOPIC:
            names = sorted(catalog.topics[i].name(lang) for i in term.ids if i in catalog.topics)
        else:
            names = [f"“{term.text}”"]
        prefix = "-" if term in query.excluded else ""
        lines.append((prefix + term.text, names))
    return lines
