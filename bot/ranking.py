"""Which events a digest shows, in what order. Pure: hits in, sections out.

An event reported by more outlets ranks higher, then one whose title names what the topic is
about, then the newer one. Each topic shows its top few and counts the rest.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from storage.search import Hit

TOP_PER_TOPIC = 5


@dataclass(frozen=True, slots=True)
class TopicHits:
    """One tracked topic's candidate events for a digest."""

    title: str  # the topic as the user wrote it
    entity_ids: frozenset[str]  # what the topic is about, for "entity in the title"
    hits: Sequence[Hit]


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    hits: tuple[Hit, ...]
    rest: int  # events counted ("… and 3 more"), not shown
    counted: frozenset[int] = frozenset()  # those events, so no later digest brings them back


def rank(hits: Sequence[Hit], entity_ids: Collection[str]) -> list[Hit]:
    """More sources first, then a topic entity in the title, then newer first."""
    return sorted(
        hits,
        key=lambda h: (
            len(h.other_sources),
            bool(set(h.title_entity_ids) & set(entity_ids)),
            h.published,
            h.story_id,
        ),
        reverse=True,
    )


def event_key(hit: Hit) -> int:
    """One event, however many stories report it (a story without a cluster is its own)."""
    return hit.cluster_id if hit.cluster_id is not None else -hit.story_id


def sections(
    topics: Sequence[TopicHits], *, already_sent: Collection[int] = (), top: int = TOP_PER_TOPIC
) -> list[Section]:
    """Per topic, its best events not sent before nor shown under an earlier topic; empty topics dropped."""
    shown: set[int] = set(already_sent)
    out: list[Section] = []
    for topic in topics:
        fresh: list[Hit] = []
        for hit in rank(topic.hits, topic.entity_ids):
            if event_key(hit) not in shown:
                shown.add(event_key(hit))
                fresh.append(hit)
        if fresh:
            counted = frozenset(event_key(h) for h in fresh[top:])
            out.append(Section(topic.title, tuple(fresh[:top]), len(counted), counted))
    return out


def events(sections_: Sequence[Section]) -> set[int]:
    """Every event a digest shows, and those it counts without showing them."""
    return {event_key(h) for s in sections_ for h in s.hits} | {
        key for s in sections_ for key in s.counted
    }
