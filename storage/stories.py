"""Stories: stored once per feed, linked to an event cluster, with their entity mentions."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.model import ParsedStory
from storage.db import chunks
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


def _insert_new(session: Session, rows: list[dict[str, object]]) -> dict[str, int]:
    """Insert stories unless the database has their (feed, dedup_key): dedup_key -> new id."""
    table = Story.__table__  # type: ignore[attr-defined]
    insert = sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert
    inserted: dict[str, int] = {}
    for chunk in chunks(rows):
        statement = (
            insert(table)
            .values(list(chunk))
            .on_conflict_do_nothing(index_elements=["feed_id", "dedup_key"])
            .returning(table.c.dedup_key, table.c.id)
        )
        inserted.update((key, int(story_id)) for key, story_id in session.execute(statement))
    return inserted


class _Events:
    """Finds the event each new story reports: same canonical link, or same normalised title
    within 48 hours, among stored stories and those stored just before it in the same batch."""

    def __init__(self, session: Session, batch: Sequence[IncomingStory]) -> None:
        links = sorted({i.story.link for i in batch if i.story.link})
        titles = sorted({i.title_key for i in batch if len(i.title_key) >= MIN_TITLE_KEY})
        self._by_link: dict[str, int] = {}
        self._by_title: dict[str, list[tuple[datetime, int]]] = {}
        for some_links in chunks(links):
            for link, cluster in session.exec(
                select(Story.link, Story.cluster_id).where(
                    col(Story.link).in_(some_links), col(Story.cluster_id).is_not(None)
                )
            ):
                if link is not None and cluster is not None:
                    self._by_link.setdefault(link, cluster)
        for some_titles in chunks(titles):
            for title, published, cluster in session.exec(
                select(Story.title_key, Story.published_at, Story.cluster_id).where(
                    col(Story.title_key).in_(some_titles), col(Story.cluster_id).is_not(None)
                )
            ):
                if cluster is not None:
                    self._by_title.setdefault(title, []).append((published, cluster))

    def find(self, item: IncomingStory) -> int | None:
        story = item.story
        if story.link and story.link in self._by_link:
            return self._by_link[story.link]
        for published, cluster in self._by_title.get(item.title_key, ()):
            if abs(published - story.published) <= SAME_EVENT_WINDOW:
                return cluster
        return None

    def add(self, item: IncomingStory, cluster: int) -> None:
        if item.story.link:
            self._by_link.setdefault(item.story.link, cluster)
        if len(item.title_key) >= MIN_TITLE_KEY:
            self._by_title.setdefault(item.title_key, []).append((item.story.published, cluster))


def _match_rows(
    story_id: int, published: datetime, matches: StoryMatches
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    mentions: list[dict[str, object]] = [
        {"story_id": story_id, "entity_id": e, "in_title": t, "published_at": published}
        for e, t in matches.entities.items()
    ]
    topics: list[dict[str, object]] = [
        {"story_id": story_id, "topic_id": t, "published_at": published}
        for t in sorted(matches.topics)
    ]
    return mentions, topics


def _store_matches(
    session: Session, mentions: list[dict[str, object]], topics: list[dict[str, object]]
) -> None:
    if mentions:
        session.execute(insert(Mention), mentions)
    if topics:
        session.execute(insert(TopicMatch), topics)


def insert_stories(
    session: Session, feed_id: int, incoming: Sequence[IncomingStory], now: datetime
) -> list[int]:
    """Store the stories the database does not have yet; the new ids, in feed order. Commits.

    A handful of statements per feed (per 500 stories): known stories are skipped with one
    query, new ones inserted in one (the unique key still decides, so two cycles racing on one
    feed cannot both insert), their events found with two, their mentions written with one.
    An event's id is the id of its first story.
    """
    keys = [dedup_key(item.story) for item in incoming]
    known: set[str] = set()
    for some_keys in chunks(sorted(set(keys))):
        known.update(
            session.exec(
                select(Story.dedup_key).where(
                    Story.feed_id == feed_id, col(Story.dedup_key).in_(some_keys)
                )
            )
        )
    fresh: dict[str, IncomingStory] = {}
    for key, item in zip(keys, incoming, strict=True):
        if key not in known:
            fresh.setdefault(key, item)  # a feed that repeats an entry: its first one
    inserted = _insert_new(
        session,
        [
            {
                "feed_id": feed_id,
                "dedup_key": key,
                "guid": item.story.guid,
                "link": item.story.link,
                "title": item.story.title,
                "summary": item.story.summary,
                "language": item.story.language,
                "title_key": item.title_key[:400],
                "published_at": item.story.published,
                "first_seen_at": now,
            }
            for key, item in fresh.items()
        ],
    )
    events = _Events(session, [fresh[k] for k in inserted])
    new_clusters: list[dict[str, object]] = []
    assigned: list[dict[str, object]] = []
    mentions: list[dict[str, object]] = []
    topics: list[dict[str, object]] = []
    new_ids: list[int] = []
    for key, item in fresh.items():
        story_id = inserted.get(key)
        if story_id is None:
            continue
        cluster = events.find(item)
        if cluster is None:
            cluster = story_id
            new_clusters.append({"id": story_id, "created_at": now})
        events.add(item, cluster)
        assigned.append({"story": story_id, "cluster": cluster})
        more_mentions, more_topics = _match_rows(story_id, item.story.published, item.matches)
        mentions += more_mentions
        topics += more_topics
        new_ids.append(story_id)
    if new_clusters:
        session.execute(insert(Cluster), new_clusters)
    if assigned:
        table = Story.__table__  # type: ignore[attr-defined]
        session.connection().execute(
            table.update()
            .where(table.c.id == bindparam("story"))
            .values(cluster_id=bindparam("cluster")),
            assigned,
        )
    _store_matches(session, mentions, topics)
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
    _store_matches(session, *_match_rows(story.id, story.published_at, matches))


def recent(session: Session, story_ids: Collection[int], since: datetime) -> list[int]:
    """Those of `story_ids` published at or after `since`, in id order."""
    found: list[int] = []
    for some in chunks(sorted(set(story_ids))):
        query = select(Story.id).where(col(Story.id).in_(some), col(Story.published_at) >= since)
        found += (i for i in session.exec(query) if i is not None)
    return sorted(found)


def clusters_of(session: Session, story_ids: Collection[int]) -> set[int]:
    """The events (cluster ids) these stories belong to."""
    found: set[int] = set()
    for some in chunks(sorted(set(story_ids))):
        found.update(
            c
            for c in session.exec(select(Story.cluster_id).where(col(Story.id).in_(some)))
            if c is not None
        )
    return found
