"""Finding stories: every condition met, none excluded, newest first, one story per event.

The walk is index-backed: it starts from the mentions index of the rarest entity condition
(entity, published_at), newest first, and probes the other conditions per candidate by primary
key, so its cost follows the matches it returns, not the number of stories stored. A query of
keywords alone starts from the full-text index instead.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    true,
    union,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from storage.tables import Feed, Mention, Story, TopicMatch

Kind = Literal["entities", "topics", "keyword"]
COUNT_CAP = 20_000
BACKDATED = timedelta(
    days=7
)  # how far before its arrival a story may claim to be published  # beyond this, a condition is "common" and its exact count does not matter


@dataclass(frozen=True, slots=True)
class Condition:
    """One alternative of a clause: any of some entities, any of some topics, or a keyword."""

    kind: Kind
    ids: frozenset[str] = frozenset()
    keyword: str = ""


Clause = Sequence[Condition]  # satisfied when any of its conditions is


@dataclass(frozen=True, slots=True)
class Source:
    feed_url: str
    feed_title: str | None
    link: str | None


@dataclass(frozen=True, slots=True)
class Hit:
    """A story found, with its feed, its entities and the other sources of its event."""

    story_id: int
    title: str
    summary: str
    link: str | None
    published: datetime
    feed_url: str
    feed_title: str | None
    cluster_id: int | None
    entity_ids: tuple[str, ...]
    title_entity_ids: tuple[str, ...]  # the entities named in the title itself
    other_sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class Page:
    hits: tuple[Hit, ...]
    next_cursor: tuple[datetime, int] | None  # pass back as `before` for the next page


def _keyword_ids(session: Session, keyword: str) -> Any:
    """A selectable of story ids whose title or summary contains the keyword (phrase)."""
    if session.get_bind().dialect.name == "sqlite":
        phrase = '"' + keyword.replace('"', '""') + '"'
        return text("SELECT rowid FROM stories_fts WHERE stories_fts MATCH :q").bindparams(q=phrase)
    document = func.to_tsvector("simple", Story.title + " " + Story.summary)
    return select(col(Story.id)).where(document.op("@@")(func.phraseto_tsquery("simple", keyword)))


def _condition(session: Session, condition: Condition, story_id: Any) -> ColumnElement[bool]:
    # Fresh aliases: when the walk itself runs over mentions (or topic_matches), the bare table
    # inside EXISTS would be its own scope and "mentions.story_id = mentions.story_id" would test
    # whether any story at all matches, not this one.
    if condition.kind == "entities":
        mention = aliased(Mention)
        return exists().where(
            col(mention.story_id) == story_id,
            col(mention.entity_id).in_(sorted(condition.ids)),
        )
    if condition.kind == "topics":
        match = aliased(TopicMatch)
        return exists().where(
            col(match.story_id) == story_id,
            col(match.topic_id).in_(sorted(condition.ids)),
        )
    return story_id.in_(_keyword_ids(session, condition.keyword))


def _clause(session: Session, clause: Clause, story_id: Any) -> ColumnElement[bool]:
    return or_(*(_condition(session, c, story_id) for c in clause))


def _frequency(session: Session, clause: Clause) -> int:
    """How many stories a pure entity/topic clause covers, counted up to COUNT_CAP."""
    total = 0
    for c in clause:
        table: Any = Mention if c.kind == "entities" else TopicMatch
        column = table.entity_id if c.kind == "entities" else table.topic_id
        capped = select(literal(1)).where(column.in_(sorted(c.ids))).limit(COUNT_CAP).subquery()
        total += session.scalar(select(func.count()).select_from(capped)) or 0
    return total


def _driver(session: Session, clauses: Sequence[Clause]) -> int | None:
    """The index of the rarest clause made of a single entity or topic condition, if any."""
    candidates = [
        i for i, c in enumerate(clauses) if len(c) == 1 and c[0].kind in ("entities", "topics")
    ]
    if len(candidates) < 2:  # nothing to choose between: counting would only cost time
        return candidates[0] if candidates else None
    return min(candidates, key=lambda i: _frequency(session, clauses[i]))


def search(
    session: Session,
    clauses: Sequence[Clause],
    excluded: Sequence[Condition] = (),
    *,
    limit: int = 5,
    before: tuple[datetime, int] | None = None,
    first_seen: tuple[datetime, datetime] | None = None,
    story_ids: Collection[int] | None = None,
) -> Page:
    """Up to `limit` events matching every clause, newest first, starting strictly before `before`.

    `first_seen` keeps stories that arrived in (start, end]; `story_ids` keeps only those stories.
    """
    if not clauses:
        return Page((), None)
    driver = _driver(session, clauses)
    if driver is not None:
        condition = clauses[driver][0]
        table: Any = Mention if condition.kind == "entities" else TopicMatch
        key = table.entity_id if condition.kind == "entities" else table.topic_id
        story_id, published = table.story_id, table.published_at
        keys = [key == k for k in sorted(condition.ids)]
        rest = [c for i, c in enumerate(clauses) if i != driver]
    else:
        story_id, published = col(Story.id), col(Story.published_at)
        keys = [true()]
        rest = list(clauses)
    filters = [_clause(session, c, story_id) for c in rest]
    filters += [not_(_condition(session, c, story_id)) for c in excluded]
    if story_ids is not None:
        filters.append(story_id.in_(sorted(story_ids)))
    if first_seen is not None:
        start, end = first_seen
        # Stories arrive after they are published: bound the walk on the indexed column too.
        filters.append(published > start - BACKDATED)
        window = (col(Story.first_seen_at) > start, col(Story.first_seen_at) <= end)
        if driver is None:
            filters.extend(window)
        else:
            filters.append(exists().where(col(Story.id) == story_id, *window))
    seen_clusters: set[int] = set()
    hits: list[Hit] = []
    cursor = before
    batch = max(limit * 3, 10)
    while len(hits) < limit:
        page_filters = list(filters)
        if cursor is not None:
            page_filters.append(
                or_(published < cursor[0], and_(published == cursor[0], story_id < cursor[1]))
            )
        rows = session.execute(_walk(story_id, published, keys, page_filters, batch)).all()
        hydrated = {h.story_id: h for h in _hydrate(session, [row_id for row_id, _ in rows])}
        for row_id, row_published in rows:
            cursor = (row_published, row_id)
            hit = hydrated.get(row_id)
            if hit is None:  # deleted since the walk read it
                continue
            if hit.cluster_id is not None and hit.cluster_id in seen_clusters:
                continue
            if hit.cluster_id is not None:
                seen_clusters.add(hit.cluster_id)
            hits.append(hit)
            if len(hits) == limit:
                break
        if len(rows) < batch and len(hits) < limit:
            return Page(tuple(hits), None)
    return Page(tuple(hits), cursor)


def _walk(
    story_id: Any, published: Any, keys: Sequence[Any], filters: Sequence[Any], batch: int
) -> Select[Any]:
    """The next `batch` (story id, published) newest first: one ordered index range per key.

    With several entity ids, `entity_id IN (...)` would make the database read and sort every
    mention of every id before returning the first row; each id's range is already in order, so
    walk each one and merge (UNION also drops a story met through two ids).
    """
    order = (published.desc(), story_id.desc())
    branches = [
        select(story_id.label("story_id"), published.label("published_at"))
        .where(key, *filters)
        .order_by(*order)
        .limit(batch)
        for key in keys
    ]
    if len(branches) == 1:
        return branches[0]
    merged = union(*(select(*b.subquery().c) for b in branches)).subquery()
    return (
        select(merged.c.story_id, merged.c.published_at)
        .order_by(merged.c.published_at.desc(), merged.c.story_id.desc())
        .limit(batch)
    )


def _hydrate(session: Session, ids: Sequence[int]) -> list[Hit]:
    """Full hits for story ids: story, feed, entities and the event's other sources."""
    rows = session.execute(
        select(Story, col(Feed.url), col(Feed.title))
        .join(Feed, col(Feed.id) == col(Story.feed_id))
        .where(col(Story.id).in_(ids))
    ).all()
    entities: dict[int, list[str]] = {}
    in_title: dict[int, list[str]] = {}
    for sid, eid, title_mention in session.execute(
        select(col(Mention.story_id), col(Mention.entity_id), col(Mention.in_title))
        .where(col(Mention.story_id).in_(ids))
        .order_by(col(Mention.entity_id))
    ):
        entities.setdefault(sid, []).append(eid)
        if title_mention:
            in_title.setdefault(sid, []).append(eid)
    clusters = {story.cluster_id for story, _, _ in rows if story.cluster_id is not None}
    others: dict[int, list[tuple[int, Source]]] = {}
    if clusters:
        for sid, cid, link, url, title in session.execute(
            select(
                col(Story.id),
                col(Story.cluster_id),
                col(Story.link),
                col(Feed.url),
                col(Feed.title),
            )
            .join(Feed, col(Feed.id) == col(Story.feed_id))
            .where(col(Story.cluster_id).in_(clusters))
            .order_by(col(Story.published_at))
        ):
            others.setdefault(cid, []).append((sid, Source(url, title, link)))
    by_id = {}
    for story, url, title in rows:
        assert story.id is not None
        seen_feeds = {url}
        sources = []
        for sid, source in others.get(story.cluster_id or -1, []):
            if sid != story.id and source.feed_url not in seen_feeds:
                seen_feeds.add(source.feed_url)
                sources.append(source)
        by_id[story.id] = Hit(
            story_id=story.id,
            title=story.title,
            summary=story.summary,
            link=story.link,
            published=story.published_at,
            feed_url=url,
            feed_title=title,
            cluster_id=story.cluster_id,
            entity_ids=tuple(entities.get(story.id, [])),
            title_entity_ids=tuple(in_title.get(story.id, [])),
            other_sources=tuple(sources),
        )
    return [by_id[i] for i in ids if i in by_id]
