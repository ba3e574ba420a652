"""The entity catalog as values: entities, their aliases, and topics built from them.

Loading (bot.catalog) builds these; matching (bot.matching) and the query engine read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    PERSON = "person"
    COUNTRY = "country"
    ORGANIZATION = "organization"
    PLACE = "place"
    TOPIC = "topic"
    KEYWORD = "keyword"  # a group of words (arms, weapons, оружие...) that topics are built from


@dataclass(frozen=True, slots=True)
class Alias:
    """One way an entity is written.

    case_sensitive: matches the capitalised and the upper-case form ("Poutine", "POUTINE"),
    never the lower-case one ("poutine", the dish).
    weak: counts only when one of `context` (entity ids) is also mentioned strongly in the
    same story ("Kim" next to Putin or North Korea).
    """

    text: str
    lang: str = "any"
    case_sensitive: bool = False
    weak: bool = False
    context: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    kind: Kind
    names: Mapping[str, str]  # display name per language code; "en" is always present
    aliases: tuple[Alias, ...]

    def name(self, lang: str) -> str:
        """The display name in `lang`, else English."""
        return self.names.get(lang) or self.names["en"]


@dataclass(frozen=True, slots=True)
class Topic:
    """A rule over entities: a story matches when every group has at least one mentioned entity."""

    id: str
    names: Mapping[str, str]
    all_of: tuple[frozenset[str], ...]

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["en"]


@dataclass(frozen=True, slots=True)
class Catalog:
    entities: Mapping[str, Entity] = field(default_factory=dict)
    topics: Mapping[str, Topic] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Mention:
    """Where one alias of one entity was found in a story."""

    entity_id: str
    alias: str
    start: int  # offsets in the text the mention was found in (title or summary)
    end: int
    in_title: bool


@dataclass(frozen=True, slots=True)
class MatchResult:
    mentions: tuple[Mention, ...]
    topic_ids: frozenset[str]

    @property
    def entity_ids(self) -> frozenset[str]:
        return frozenset(m.entity_id for m in self.mentions)
