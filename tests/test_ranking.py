"""Which events a digest shows, and which it records as sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.ranking import TopicHits, events, sections
from storage.search import Hit

T0 = datetime(2023, 9, 13, 8, 0, tzinfo=UTC)


def hit(n: int) -> Hit:
    return Hit(
        story_id=n,
        title=f"Story {n}",
        summary="",
        link=None,
        published=T0 + timedelta(minutes=n),
        feed_url="https://a.example/rss",
        feed_title="A",
        cluster_id=100 + n,
        entity_ids=(),
        title_entity_ids=(),
        other_sources=(),
    )


def test_events_counted_in_the_rest_are_recorded_too() -> None:
    """A digest showing 5 events and "… and 2 more" records all 7, so none comes back later."""
    [section] = sections([TopicHits("putin", frozenset(), [hit(n) for n in range(7)])], top=5)
    assert (len(section.hits), section.rest) == (5, 2)
    assert events([section]) == {100 + n for n in range(7)}
