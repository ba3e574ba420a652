"""Feeds: which ones are polled, and their fetch state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, update
from sqlmodel import Session, col, select

from storage.db import chunks
from storage.tables import Feed, Story


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A feed as listed to people: its health and how many stories it gave."""

    id: int
    url: str
    title: str | None
    stories: int
    last_ok_at: datetime | None
    failures: int
    last_error: str | None
    next_due_at: datetime | None


def sync_listed(session: Session, urls: Iterable[str], now: datetime) -> None:
    """Make sure every feed of the configured list has a row (removed ones stay removed)."""
    wanted = set(urls)
    if not wanted:
        return
    known: set[str] = set()
    for some in chunks(sorted(wanted)):
        known.update(session.exec(select(Feed.url).where(col(Feed.url).in_(some))))
    for url in sorted(wanted - known):
        session.add(Feed(url=url, created_at=now))
    session.commit()


def _active(listed: Iterable[str]) -> ColumnElement[bool]:
    return col(Feed.removed).is_(False) & or_(
        col(Feed.added).is_(True), col(Feed.url).in_(set(listed))
    )


def active_feeds(session: Session, listed: Iterable[str]) -> list[Feed]:
    """The feeds to poll: those listed in FEEDS_FILE or added by hand, minus removed ones."""
    return list(session.exec(select(Feed).where(_active(listed)).order_by(col(Feed.id))))


def add_feed(session: Session, url: str, now: datetime) -> bool:
    """Keep `url` polled beside FEEDS_FILE's; False when it already was."""
    feed = session.exec(select(Feed).where(Feed.url == url)).first()
    if feed is None:
        session.add(Feed(url=url, added=True, created_at=now))
    elif feed.added and not feed.removed:
        return False
    else:
        feed.added, feed.removed, feed.next_due_at = True, False, None
    session.commit()
    return True


def remove_feed(session: Session, url: str) -> bool:
    """Stop polling `url` (even when FEEDS_FILE lists it); its stories stay. False if unknown."""
    result = session.execute(
        update(Feed)
        .where(col(Feed.url) == url, col(Feed.removed).is_(False))
        .values(removed=True, added=False)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def feed_rows(session: Session, listed: Iterable[str]) -> list[FeedRow]:
    """Every polled feed with its story count, in the order they were first seen."""
    counts = (
        select(col(Story.feed_id), func.count().label("n")).group_by(col(Story.feed_id)).subquery()
    )
    query = (
        select(Feed, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.feed_id == Feed.id)
        .where(_active(listed))
        .order_by(col(Feed.id))
    )
    return [
        FeedRow(
            id=feed.id or 0,
            url=feed.url,
            title=feed.title,
            stories=int(n),
            last_ok_at=feed.last_ok_at,
            failures=feed.failures,
            last_error=feed.last_error,
            next_due_at=feed.next_due_at,
        )
        for feed, n in session.execute(query)
    ]
