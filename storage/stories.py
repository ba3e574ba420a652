"""Stories: stored once per feed, linked to an event cluster, with their entity mentions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.model import ParsedStory
from storage.tables import Cluster, Mention, Story, TopicMatch

SAME_EVENT_WINDOW = timedelta(hours=48)
MIN_TITLE_KEY = 16  # shorter normalised titles ("News", "Live") are too generic to cluster on
MAX_KEY = 2000


@dataclass(frozen=True, slots=True)
class StoryMatches:
    """What the matcher found in a story: entity id -> mentioned in the title; topic ids."""

    entities: Mapping[str, bool] = field(default_factory=dict)
    topics: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class IncomingStory:
    story: ParsedStory
    title_key: str
    matches: StoryMatches


def dedup_key(story: ParsedStory) -> str:
    """The per-feed identity of a story: its guid, else its canonical link, else its text."""
    if story.guid:
        key = "g:" + story.guid
    elif story.link:
        key = "l:" + story.link
    else:
        key = "h:" + hashlib.sha256(f"{story.title}\n{story.summary}".encode()).hexdigest()
    if len(key) > MAX_KEY:
        key = key[:2] + "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _insert_ignoring_duplicates(session: Session, values: dict[str, object]) -> int | None:
    """Insert a story unless the database already has its (feed, dedup_key); its id, or None."""
    dialect = session.get_bind().dialect.name
    table = Story.__table__  # type: ignore[attr-defined]
    statement = (
        sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)
    ).on_conflict_do_nothing(index_elements=["feed_id", "dedup_key"])
    row = session.execute(statement.values(**values).returning(table.c.id)).first()
    return None if row is None else int(row[0])


def _cluster_for(session: Session, story: ParsedStory, title_key: str, now: datetime) -> int:
    """The event this story reports: same canonical link, or same title within 48 h; else a new one."""
    found = None
    if story.link:
        found = session.exec(
            select(Story.cluster_id)
            .where(Story.link == story.link, col(Story.cluster_id).is_not(None))
            .limit(1)
        ).first()
    if found is None and len(title_key) >= MIN_TITLE_KEY:
        found = session.exec(
            select(Story.cluster_id)
            .where(
                Story.title_key == title_key,
                col(Story.published_at) >= story.published - SAME_EVENT_WINDOW,
                col(Story.published_at) <= story.published + SAME_EVENT_WINDOW,
                col(Story.cluster_id).is_not(None),
            )
            .limit(1)
        ).first()
    if found is not None:
        return found
    cluster = Cluster(created_at=now)
    session.add(cluster)
    session.flush()
    assert cluster.id is not None
    return cluster.id


def _store_matches(
    session: Session, story_id: int, published: datetime, matches: StoryMatches
) -> None:
    if matches.entities:
        session.execute(
            insert(Mention),
            [
                {"story_id": story_id, "entity_id": e, "in_title": t, "published_at": published}
                for e, t in matches.entities.items()
            ],
        )
    if matches.topics:
        session.execute(
            insert(TopicMatch),
            [
                {"story_id": story_id, "topic_id": t, "published_at": published}
                for t in sorted(matches.topics)
            ],
        )


def insert_stories(
    session: Session, feed_id: int, incoming: Sequence[IncomingStory], now: datetime
) -> list[int]:
    """Store the stories the database does not have yet; the new ids, in feed order. Commits."""
    new_ids: list[int] = []
    for item in incoming:
        story = item.story
        story_id = _insert_ignoring_duplicates(
            session,
            {
                "feed_id": feed_id,
                "dedup_key": dedup_key(story),
                "guid": story.guid,
                "link": story.link,
                "title": story.title,
                "summary": story.summary,
                "language": story.language,
                "title_key": item.title_key[:400],
                "published_at": story.published,
                "first_seen_at": now,
            },
        )
        if story_id is None:
            continue
        cluster_id = _cluster_for(session, story, item.title_key, now)
        session.get_one(Story, story_id).cluster_id = cluster_id
        _store_matches(session, story_id, story.published, item.matches)
        new_ids.append(story_id)
    session.commit()
    return new_ids


def iter_stories(session: Session, batch: int = 1000) -> Iterator[list[Story]]:
    """Every stored story, in batches by id (for re-matching after a catalog change)."""
    last = 0
    while True:
        rows = list(
            session.exec(
                select(Story).where(col(Story.id) > last).order_by(col(Story.id)).limit(batch)
            )
        )
        if not rows:
            return
        yield rows
        last = rows[-1].id or last


def replace_matches(session: Session, story: Story, matches: StoryMatches) -> None:
    """Swap a stored story's mentions and topic matches for new ones (no commit)."""
    assert story.id is not None
    session.execute(delete(Mention).where(col(Mention.story_id) == story.id))
    session.execute(delete(TopicMatch).where(col(TopicMatch.story_id) == story.id))
    _store_matches(session, story.id, story.published_at, matches)
