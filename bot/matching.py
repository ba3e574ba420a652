"""Find the catalog's entities and topics in a story's title and summary, in any language.

Every alias is normalised (bot.normalize) and compiled once into Aho-Corasick automata (one
per group of scripts, see _GROUP_PRESENT) run over the normalised text padded with a space at
both ends; no alias is ever tried on its own, and the cost of a match grows with the text, not
with the catalog. Word boundaries come from the keys themselves:

- an alias starting with a letter of a spaced script (Latin, Cyrillic, Arabic, Hangul...) is
  keyed with a leading space, so it only starts at a word start ("Rasputin" has no "putin");
- one ending in such a script is keyed with a trailing space, so it only ends at a word end
  ("Trumpet" has no "trump"), except where an ending is allowed (below);
- inside Chinese, Japanese, Thai... no boundary is needed (普京 in 俄罗斯总统普京今天), and
  normalisation already put a space between those scripts and spaced ones.

Inflection, checked on each hit of a key that leaves the word open (rules in bot.inflection):
- Cyrillic: each word of the alias is cut to a stem and may take a case ending from a small
  paradigm chosen by how the word ends (Россия → России, Россию; Путин → Путина, Путиным;
  Северная Корея → Северной Кореи); the key is the first word's stem. Abbreviations (КНДР),
  short stems and indeclinable endings (-о, -е, -у) are matched as written.
- Korean: a Hangul alias may be followed, inside its word, by a known particle or a pair of
  them (푸틴과, 북한의, 김정은에게는); any other Hangul after it means another word.
- Arabic and Hebrew: an alias may follow, inside its word, one of the one-letter prefixes
  written onto words (وبوتين, لبوتين, بالصين; ובישראל): these keys have no leading space, and
  what precedes them in the word must be such a prefix. ل + الصين is written للصين: names in
  ال also get a key without the alef that only follows ل. The span leaves the prefix out.

case_sensitive aliases match only where the original text is capitalised or upper-case (an
acronym of up to three letters, "UN", "WHO", only where upper-case: not French "Un", not
"Who"; longer ones also title-cased, as British papers write "Nato");
weak aliases only beside a strong mention of their context; at overlapping places the longest
match wins (so "North Korea" never yields a "Korea"), and a few phrases block their parts
("New Mexico" is not Mexico).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import ahocorasick

from bot.entities import Alias, Catalog, MatchResult, Mention
from bot.inflection import (
    ARABIC_LAM,
    ARABIC_PREFIXES,
    EXACT,
    HEBREW_PREFIXES,
    KOREAN_PARTICLES,
    MIN_STEM,
    cyrillic_word,
)
from bot.normalize import Normalized, normalize, normalize_with_map
from bot.scripts import SCRIPT_RANGES, UNSPACED_SCRIPTS, is_unspaced, script_of

# Place names that contain a country's name but are not that country.
BLOCKERS = (
    "New Mexico",
    "New Jersey",
    "New Guinea",
    "British Columbia",
    "District of Columbia",
    "guinea pig",
    "guinea pigs",
    "内蒙古",  # Inner Mongolia, in China
    "內蒙古",
)


# Keys go to one automaton per group of scripts (by their first letter), and each automaton
# only runs over texts that hold its scripts. pyahocorasick finds a node's child by a linear
# search: one automaton whose root fanned out to thousands of Han and Hangul first letters
# would make every Latin letter pay for them.
def _char_class(*scripts: str) -> re.Pattern[str]:
    ranges = "".join(
        f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi, name in SCRIPT_RANGES
        if name in scripts
    )
    return re.compile(f"[{ranges}]")


_GROUP_PRESENT: dict[str, re.Pattern[str]] = {
    "arabic": _char_class("arabic"),
    "hebrew": _char_class("hebrew"),
    "hangul": _char_class("hangul"),
    "unspaced": _char_class(*UNSPACED_SCRIPTS),
}


def _group(key: str) -> str:
    """The automaton a key goes to: by the script of its first letter ("other" runs always)."""
    script = script_of(key.lstrip(" ")[0])
    if script in _GROUP_PRESENT:
        return script
    return "unspaced" if script in UNSPACED_SCRIPTS else "other"


# How the end of a key is checked.
_BOUNDED, _OPEN, _HANGUL, _CYRILLIC = range(4)


@dataclass(frozen=True, slots=True)
class _Target:
    entity_id: str | None  # None for a blocker
    alias: str
    case: int  # what the text must look like: _ANY_CASE, _CAPITALISED or _UPPER
    weak: bool
    context: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Pattern:
    """What a key stands for: how to check its end, and the entities it names."""

    check: int
    skip: int  # leading key characters outside the mention (the padding space)
    words: tuple[tuple[str, frozenset[str]], ...]  # Cyrillic: (stem, endings) per word
    prefixes: frozenset[str]  # Arabic, Hebrew: what may precede the key in its word
    targets: tuple[_Target, ...]


# key, check, skip, words, prefixes: a _Pattern without its targets
_Shape = tuple[str, int, int, tuple[tuple[str, frozenset[str]], ...], frozenset[str]]
_NONE: frozenset[str] = frozenset()


def _keys(text: str, norm: str) -> Iterable[_Shape]:
    """The automaton keys for one alias and how to check them; `norm` is its normalised text."""
    if not norm:
        return
    pad = "" if is_unspaced(norm[0]) else " "
    last = script_of(norm[-1])
    if last == "cyrillic":
        written = text.split() if len(text.split()) == len(norm.split()) else None
        words = tuple(
            cyrillic_word(w, written[i] if written else None) for i, w in enumerate(norm.split())
        )
        if len(words) > 1 or len(norm) >= MIN_STEM or words[0][1] is EXACT:
            yield pad + words[0][0], _CYRILLIC, len(pad), words, _NONE
            return
    if last == "hangul":
        yield pad + norm, _HANGUL, len(pad), (), _NONE
        return
    if is_unspaced(norm[-1]):
        yield pad + norm, _OPEN, len(pad), (), _NONE
        return
    first = script_of(norm[0])
    if first == "arabic":
        yield norm + " ", _BOUNDED, 0, (), ARABIC_PREFIXES
        if norm.startswith("ال"):
            yield norm[1:] + " ", _BOUNDED, 0, (), ARABIC_LAM
    elif first == "hebrew":
        yield norm + " ", _BOUNDED, 0, (), HEBREW_PREFIXES
    else:
        yield pad + norm + " ", _BOUNDED, len(pad), (), _NONE


def _end(pattern: _Pattern, text: str, end: int) -> int | None:
    """Where the mention ends (in the padded text) for a key ending at `end`, or None."""
    if pattern.check == _BOUNDED:
        return end - 1  # the key's trailing space is not part of the mention
    if pattern.check == _OPEN:
        return end
    word_end = text.find(" ", end)
    if pattern.check == _HANGUL:
        return end if word_end == end or text[end:word_end] in KOREAN_PARTICLES else None
    words = pattern.words
    if text[end:word_end] not in words[0][1]:
        return None
    for stem, endings in words[1:]:
        if not text.startswith(stem, word_end + 1):
            return None
        start = word_end + 1 + len(stem)
        word_end = text.find(" ", start)
        if text[start:word_end] not in endings:
            return None
    return word_end


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int  # in the normalised text
    end: int
    target: _Target


class Matcher:
    """All of a catalog's aliases compiled once; `match` is pure and may be called from threads."""

    def __init__(self, catalog: Catalog) -> None:
        grouped: dict[_Shape, list[_Target]] = defaultdict(list)
        index: dict[str, set[str]] = defaultdict(set)
        for entity in catalog.entities.values():
            for alias in entity.aliases:
                target = _Target(
                    entity.id, alias.text, _case_rule(alias), alias.weak, alias.context
                )
                norm = normalize(alias.text)
                for shape in _keys(alias.text, norm):
                    grouped[shape].append(target)
                index[norm].add(entity.id)
        for phrase in BLOCKERS:
            for shape in _keys(phrase, normalize(phrase)):
                grouped[shape].append(_Target(None, phrase, _ANY_CASE, False, frozenset()))
        by_key: dict[str, list[_Pattern]] = defaultdict(list)
        for (key, check, skip, words, prefixes), targets in grouped.items():
            unique = tuple(dict.fromkeys(targets)) if len(targets) > 1 else tuple(targets)
            by_key[key].append(_Pattern(check, skip, words, prefixes, unique))
        keys_of: dict[str, list[str]] = defaultdict(list)
        for key in sorted(by_key):  # sorted: Latin children come first in the shared nodes
            keys_of[_group(key)].append(key)
        self._automata: list[tuple[re.Pattern[str] | None, ahocorasick.Automaton]] = []
        for group, keys in sorted(keys_of.items()):
            automaton = ahocorasick.Automaton()
            for key in keys:
                automaton.add_word(key, (len(key), tuple(by_key[key])))
            automaton.make_automaton()
            self._automata.append((_GROUP_PRESENT.get(group), automaton))
        self.alias_index: Mapping[str, frozenset[str]] = MappingProxyType(
            {text: frozenset(ids) for text, ids in index.items()}
        )
        self._topics = catalog.topics
        topics_of: dict[str, set[str]] = defaultdict(set)
        for topic in catalog.topics.values():
            for entity_id in frozenset().union(*topic.all_of):
                topics_of[entity_id].add(topic.id)
        self._topics_of = {k: frozenset(v) for k, v in topics_of.items()}

    @property
    def size(self) -> int:
        """How many keys the automata hold."""
        return sum(len(automaton) for _, automaton in self._automata)

    def match(self, title: str, summary: str) -> MatchResult:
        """The entities mentioned in a story and the topics they satisfy."""
        texts = [
            (normalize_with_map(title), title, True),
            (normalize_with_map(summary), summary, False),
        ]
        found = [self._candidates(norm, original) for norm, original, _ in texts]
        strong = [_resolve([c for c in cands if not c.target.weak], []) for cands in found]
        strong_ids = {c.target.entity_id for chosen in strong for c in chosen} - {None}
        mentions: list[Mention] = []
        for (norm, _original, in_title), cands, chosen in zip(texts, found, strong, strict=True):
            weak = [c for c in cands if c.target.weak and c.target.context & strong_ids]
            for c in _resolve(weak, chosen) if weak else chosen:
                if c.target.entity_id is None:
                    continue  # a blocker
                start, end = norm.span(c.start, c.end)
                mentions.append(Mention(c.target.entity_id, c.target.alias, start, end, in_title))
        mentions.sort(key=lambda m: (not m.in_title, m.start, m.end, m.entity_id))
        # one mention per entity and place, even when several of its aliases spell it there
        seen: set[tuple[str, int, int, bool]] = set()
        unique: list[Mention] = []
        for m in mentions:
            place = (m.entity_id, m.start, m.end, m.in_title)
            if place not in seen:
                seen.add(place)
                unique.append(m)
        return MatchResult(tuple(unique), self._satisfied({m.entity_id for m in unique}))

    def _candidates(self, norm: Normalized, original: str) -> list[_Candidate]:
        text = f" {norm.text} "
        found: list[_Candidate] = []
        hits = (
            hit
            for present, automaton in self._automata
            if present is None or present.search(text)
            for hit in automaton.iter(text)
        )
        for last, (key_len, patterns) in hits:
            end = last + 1  # pyahocorasick reports the index of the key's last character
            for pattern in patterns:
                key_start = end - key_len
                if pattern.prefixes:
                    word_start = text.rfind(" ", 0, key_start) + 1
                    if text[word_start:key_start] not in pattern.prefixes:
                        continue
                mention_end = _end(pattern, text, end)
                if mention_end is None:
                    continue
                start = key_start + pattern.skip - 1  # -1: the padding space at text[0]
                stop = mention_end - 1
                case: int | None = None  # how the original is written there, when needed
                for target in pattern.targets:
                    if target.case:
                        if case is None:
                            case = _case_of(original, *norm.span(start, stop))
                        if case < target.case:
                            continue
                    found.append(_Candidate(start, stop, target))
        return found

    def _satisfied(self, entity_ids: set[str]) -> frozenset[str]:
        candidates = set().union(*(self._topics_of.get(e, ()) for e in entity_ids))
        return frozenset(
            topic_id
            for topic_id in candidates
            if all(group & entity_ids for group in self._topics[topic_id].all_of)
        )


_ANY_CASE, _CAPITALISED, _UPPER = 0, 1, 2


def _case_rule(alias: Alias) -> int:
    """What a case-sensitive alias asks of the text: a capital, or all capitals."""
    if not alias.case_sensitive:
        return _ANY_CASE
    letters = [ch for ch in alias.text if ch.isalpha()]
    acronym = 2 <= len(letters) <= 3 and all(ch.isupper() for ch in letters)
    return _UPPER if acronym else _CAPITALISED


def _case_of(original: str, start: int, end: int) -> int:
    """_UPPER, _CAPITALISED or _ANY_CASE (lower) for how original[start:end] is written."""
    cased = [ch for ch in original[start:end] if ch.isupper() or ch.islower()]
    if not cased or all(ch.isupper() for ch in cased):
        return _UPPER
    return _CAPITALISED if cased[0].isupper() else _ANY_CASE


def _resolve(candidates: list[_Candidate], taken: list[_Candidate]) -> list[_Candidate]:
    """`taken` plus the candidates kept when overlaps go to the longest span, then leftmost.

    Several entities found at the very same span are all kept.
    """
    spans = sorted({(c.start, c.end) for c in candidates}, key=lambda s: (s[0] - s[1], s[0]))
    # the kept spans are disjoint: sorted by start, their ends are sorted too
    kept = sorted({(c.start, c.end) for c in taken})
    starts = [start for start, _ in kept]
    ends = [end for _, end in kept]
    chosen: set[tuple[int, int]] = set()
    for start, end in spans:
        i = bisect_right(starts, start)
        if (i and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
            continue
        starts.insert(i, start)
        ends.insert(i, end)
        chosen.add((start, end))
    return [*taken, *(c for c in candidates if (c.start, c.end) in chosen)]
