"""The entity catalog: bundled data files merged with the user's ENTITIES_FILE.

`load_catalog` reads countries.json (generated from CLDR by `python -m bot.catalog.countries`),
then every bundled *.yaml here in name order, then `extra`, all in the format of
notes/catalog-format.md. A later file may add entities, repeat an id to add names and aliases
(a name given again for a language replaces the display name; the old one stays an alias), and
add or replace topics by id. Load once and keep the result; treat it as a read-only value.

Every entity's names are also its aliases. Country names from CLDR (and the names a YAML file
gives a country) are case-sensitive when their script has case: "Chad" is a country, "chad"
is not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.entities import Alias, Catalog, Entity, Kind, Topic
from bot.normalize import normalize

HERE = Path(__file__).resolve().parent
COUNTRIES_JSON = HERE / "countries.json"

_ID = re.compile(r"^(country:[A-Z]{2}|[a-z0-9][a-z0-9:-]*)$")
_LANG = re.compile(r"^(any|[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*)$")
_ENTITY_KINDS = frozenset(Kind) - {Kind.TOPIC}
_ALIAS_KEYS = frozenset({"text", "case_sensitive", "weak", "context"})


class CatalogError(Exception):
    """A catalog file is unreadable or invalid; the message names the file and the entry."""


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


class _Loader(_BaseLoader):
    """YAML 1.2 booleans only: "no" (Norwegian) and "on" stay strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _is_cased(text: str) -> bool:
    """Whether `text` has letters with case (Latin, Cyrillic, Greek...), unlike Han or Hangul."""
    return text.lower() != text.upper()


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


@dataclass
class _Draft:
    """An entity while files are being merged."""

    kind: Kind
    names: dict[str, str]
    aliases: list[Alias]
    origin: str  # file that first defined it
    seen: set[Alias] = field(default_factory=set)
    keys: set[str] | None = None  # normalised alias texts, computed when first needed

    def add(self, alias: Alias) -> None:
        if alias not in self.seen:
            self.seen.add(alias)
            self.aliases.append(alias)
            if self.keys is not None:
                self.keys.add(normalize(alias.text))

    def add_name(self, lang: str, name: str) -> None:
        """A name is also an alias, unless an alias already spells it (maybe with flags)."""
        if self.keys is None:
            self.keys = {normalize(a.text) for a in self.aliases}
        if normalize(name) not in self.keys:
            cased = self.kind is Kind.COUNTRY and _is_cased(name)
            self.add(Alias(name, lang=lang, case_sensitive=cased))


@dataclass
class _Builder:
    entities: dict[str, _Draft] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    # (entry, what, ids referenced), checked once everything is merged; topics' by topic id
    # since a later file may replace a topic
    references: list[tuple[str, str, Iterable[str]]] = field(default_factory=list)
    topic_references: dict[str, tuple[str, str, Iterable[str]]] = field(default_factory=dict)


def load_catalog(extra: Path | None = None) -> Catalog:
    """The bundled catalog, with `extra` (the user's ENTITIES_FILE) merged over it."""
    builder = _Builder()
    _load_countries(builder, COUNTRIES_JSON)
    for path in sorted(HERE.glob("*.yaml")):
        _merge_file(builder, path, path.name)
    if extra is not None:
        _merge_file(builder, Path(extra), str(extra))
    return _finish(builder)


def _load_countries(builder: _Builder, path: Path) -> None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        countries = document["countries"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CatalogError(
            f"{path.name}: unreadable ({exc}); regenerate it with `python -m bot.catalog.countries`"
        ) from exc
    for code, data in countries.items():
        # Written by our own generator: trusted, not re-validated, and already deduplicated.
        aliases = [
            Alias(text, lang=lang, case_sensitive=_is_cased(text))
            for lang, texts in data["aliases"].items()
            for text in texts
        ]
        builder.entities[f"country:{code}"] = _Draft(
            kind=Kind.COUNTRY,
            names=dict(data["names"]),
            aliases=aliases,
            origin=path.name,
            seen=set(aliases),
        )


def _read_yaml(path: Path, label: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CatalogError(f"{label}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{label}: unreadable ({exc})") from exc
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{label}: invalid YAML: {exc}") from exc
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise CatalogError(f"{label}: the top level must be a mapping with entities/topics")
    unknown = set(document) - {"entities", "topics"}
    if unknown:
        raise CatalogError(f"{label}: unknown top-level key(s) {sorted(map(str, unknown))}")
    return document


def _merge_file(builder: _Builder, path: Path, label: str) -> None:
    document = _read_yaml(path, label)
    seen_ids: set[str] = set()
    for kind, key in (("entity", "entities"), ("topic", "topics")):
        entries = document.get(key) or []
        if not isinstance(entries, list):
            raise CatalogError(f"{label}: '{key}' must be a list")
        for number, entry in enumerate(entries, start=1):
            where = f"{label}: {kind} #{number}"
            if not isinstance(entry, dict):
                raise CatalogError(f"{where}: must be a mapping")
            entry_id = entry.get("id")
            if not isinstance(entry_id, str) or not _ID.match(entry_id):
                raise CatalogError(f"{where}: missing or malformed id {entry_id!r}")
            where = f"{where} (id '{entry_id}')"
            if entry_id in seen_ids:
                raise CatalogError(f"{where}: id given twice in this file")
            seen_ids.add(entry_id)
            if kind == "entity":
                _merge_entity(builder, entry, entry_id, label, where)
            else:
                _merge_topic(builder, entry, entry_id, label, where)


def _merge_entity(
    builder: _Builder, entry: dict[str, Any], entity_id: str, label: str, where: str
) -> None:
    unknown = set(entry) - {"id", "kind", "names", "aliases"}
    if unknown:
        raise CatalogError(f"{where}: unknown key(s) {sorted(map(str, unknown))}")
    names = _names(entry.get("names"), where)
    draft = builder.entities.get(entity_id)
    raw_kind = entry.get("kind")
    kind = None
    if raw_kind is not None:
        try:
            kind = Kind(raw_kind)
        except ValueError:
            kind = None
        if kind not in _ENTITY_KINDS:
            raise CatalogError(f"{where}: unknown kind {raw_kind!r}")
    if entity_id.startswith("country:") and kind not in (None, Kind.COUNTRY):
        raise CatalogError(f"{where}: a country: id needs kind 'country', not {raw_kind!r}")
    if draft is None:
        if kind is None:
            raise CatalogError(f"{where}: missing kind")
        if "en" not in names:
            raise CatalogError(f"{where}: missing English name (names.en)")
        draft = builder.entities[entity_id] = _Draft(kind, {}, [], label, keys=set())
    elif kind is not None and kind is not draft.kind:
        raise CatalogError(
            f"{where}: kind '{kind}' differs from '{draft.kind}' given in {draft.origin}"
        )
    for alias in _aliases(entry.get("aliases"), where):
        draft.add(alias)
        if alias.context:
            builder.references.append((where, f"context of alias '{alias.text}'", alias.context))
    for lang, name in names.items():
        draft.names[lang] = name
        draft.add_name(lang, name)


def _names(raw: object, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: names must map a language code to a name")
    names = {}
    for lang, name in raw.items():
        if not isinstance(lang, str) or not _LANG.match(lang) or lang == "any":
            raise CatalogError(f"{where}: bad language code {lang!r} in names")
        if not isinstance(name, str) or not _has_word(name):
            raise CatalogError(f"{where}: names.{lang} must be a non-empty name, not {name!r}")
        names[lang] = name
    return names


def _aliases(raw: object, where: str) -> list[Alias]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: aliases must map a language code (or 'any') to a list")
    aliases: list[Alias] = []
    for lang, items in raw.items():
        if not isinstance(lang, str) or not _LANG.match(lang):
            raise CatalogError(f"{where}: bad language code {lang!r} in aliases")
        if not isinstance(items, list):
            raise CatalogError(f"{where}: aliases.{lang} must be a list")
        aliases.extend(_alias(item, lang, where) for item in items)
    return aliases


def _alias(item: object, lang: str, where: str) -> Alias:
    if isinstance(item, str):
        item = {"text": item}
    if not isinstance(item, dict):
        raise CatalogError(f"{where}: alias {item!r} must be a string or a mapping")
    unknown = set(item) - _ALIAS_KEYS
    if unknown:
        raise CatalogError(f"{where}: alias {item!r}: unknown key(s) {sorted(map(str, unknown))}")
    text = item.get("text")
    if not isinstance(text, str) or not _has_word(text):
        raise CatalogError(f"{where}: alias {item!r}: text must have letters or digits")
    flags = {}
    for flag in ("case_sensitive", "weak"):
        value = item.get(flag, False)
        if not isinstance(value, bool):
            raise CatalogError(f"{where}: alias '{text}': {flag} must be true or false")
        flags[flag] = value
    context = item.get("context", [])
    if not isinstance(context, list) or not all(isinstance(c, str) for c in context):
        raise CatalogError(f"{where}: alias '{text}': context must be a list of entity ids")
    if flags["weak"] and not context:
        raise CatalogError(f"{where}: weak alias '{text}' needs a context (entity ids)")
    return Alias(text, lang, flags["case_sensitive"], flags["weak"], frozenset(context))


def _merge_topic(
    builder: _Builder, entry: dict[str, Any], topic_id: str, label: str, where: str
) -> None:
    unknown = set(entry) - {"id", "names", "all_of"}
    if unknown:
        raise CatalogError(f"{where}: unknown key(s) {sorted(map(str, unknown))}")
    names = _names(entry.get("names"), where)
    if "en" not in names:
        raise CatalogError(f"{where}: missing English name (names.en)")
    groups = entry.get("all_of")
    if (
        not isinstance(groups, list)
        or not groups
        or not all(isinstance(g, list) and g and all(isinstance(i, str) for i in g) for g in groups)
    ):
        raise CatalogError(f"{where}: all_of must be a non-empty list of non-empty id lists")
    all_of = tuple(frozenset(group) for group in groups)
    builder.topics[topic_id] = Topic(topic_id, names, all_of)
    builder.topic_references[topic_id] = (where, "all_of", frozenset().union(*all_of))


def _finish(builder: _Builder) -> Catalog:
    for where, what, ids in [*builder.references, *builder.topic_references.values()]:
        missing = sorted(set(ids) - builder.entities.keys())
        if missing:
            raise CatalogError(f"{where}: {what} names unknown id(s) {missing}")
    entities: Mapping[str, Entity] = {
        entity_id: Entity(entity_id, draft.kind, draft.names, tuple(draft.aliases))
        for entity_id, draft in builder.entities.items()
    }
    return Catalog(entities=entities, topics=dict(builder.topics))
