"""Finding stories: every condition met, none excluded, newest first, one story per event.

The walk is index-backed: it starts from the mentions index of the rarest entity condition
(entity, published_at), newest first, and probes the other conditions per candidate by primary
key, so its cost follows the matches it returns, not the number of stories stored. A query of
keywords alone walks the stories' own (published) index. A keyword is checked through the
full-text index: a rare one by gathering its matches once, a common one story by story.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    column,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    table,
    true,
    union,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from storage.tables import Feed, Mention, Story, TopicMatch

Kind = Literal["entities", "topics", "keyword"]
# How SQLite checks a keyword: iterate its matches and sort them, walk newest first checking
# a list of them, or probe the full-text index story by story (see keyword_plan).
KeywordPlan = Literal["sort", "walk", "probe"]
KeywordStrategy = Literal["plan", "sort", "walk", "probe"]  # "plan": keyword_plan decides
COUNT_CAP = 20_000  # beyond this, a condition is "common" and its exact count does not matter
BACKDATED = timedelta(days=7)  # how far before its arrival a story may claim to be published


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


_FTS = table("stories_fts", column("rowid"), column("stories_fts"))  # SQLite's FTS5 index
SAMPLE = 20_000  # the newest stories whose matches tell how common a keyword is


# What each way of checking a keyword costs on SQLite, in µs, measured at a million stories
# (bench/latest; docs/decisions.md, "Keywords: three ways").
SORT_US = 0.85  # per match: look the story up and sort
LIST_US = 0.09  # per match: gather into a list, once per query
STEP_US = 0.05  # per story walked: check the list
PROBE_US = 90.0  # per story walked: ask the full-text index about it


def keyword_plan(matches: int, stories: int, batch: int, *, excluded: bool = False) -> KeywordPlan:
    """The cheapest way to check a keyword found in `matches` of `stories` stories.

    A walk reads stories newest first until `batch` of them pass: about batch / share of them,
    the share being the keyword's (or, excluded, the rest's). Sorting reads the matches only.
    """
    share = matches / stories if stories else 0.0
    passing = 1.0 - share if excluded else share
    walked = min(float(stories), batch / passing) if passing > 0 else float(stories)
    costs: dict[KeywordPlan, float] = {
        "walk": LIST_US * matches + STEP_US * walked,
        "probe": PROBE_US * walked,
    }
    if not excluded:
        costs["sort"] = SORT_US * matches
    return min(costs, key=lambda plan: costs[plan])


def _keyword_plans(
    session: Session,
    clauses: Sequence[Clause],
    excluded: Sequence[Condition],
    batch: int,
    strategy: KeywordStrategy,
) -> dict[str, KeywordPlan]:
    """Each keyword's plan: forced, or from how often it appears among the newest stories.

    The walk runs over the newest stories, so their share is what matters; counting within the
    newest SAMPLE story ids costs a fraction of a millisecond (SQLite's FTS5 seeks by rowid).
    PostgreSQL plans its full-text conditions itself: no plans there.
    """
    wanted = {c.keyword: False for clause in clauses for c in clause if c.kind == "keyword"}
    wanted |= {c.keyword: True for c in excluded if c.kind == "keyword"}
    if not wanted or session.get_bind().dialect.name != "sqlite":
        return {}
    if strategy != "plan":
        return dict.fromkeys(wanted, strategy)
    stories = session.scalar(select(func.max(col(Story.id)))) or 0
    sample = min(SAMPLE, stories) or 1
    plans: dict[str, KeywordPlan] = {}
    for keyword, is_excluded in wanted.items():
        recent = _FTS.c.rowid > stories - sample
        found = session.scalar(select(func.count()).where(_fts_match(keyword), recent)) or 0
        matches = found * stories // sample
        plans[keyword] = keyword_plan(matches, stories, batch, excluded=is_excluded)
    return plans


def _fts_match(keyword: str) -> ColumnElement[bool]:
    phrase = '"' + keyword.replace('"', '""') + '"'
    return _FTS.c.stories_fts.op("MATCH")(phrase)


def _keyword(
    session: Session, keyword: str, story_id: Any, plan: KeywordPlan | None
) -> ColumnElement[bool]:
    """The story's title or summary contains the keyword (a phrase)."""
    if plan is None:  # PostgreSQL
        document = func.to_tsvector("simple", Story.title + " " + Story.summary)
        matching = select(col(Story.id)).where(
            document.op("@@")(func.phraseto_tsquery("simple", keyword))
        )
        return story_id.in_(matching)
    if plan == "probe":
        return exists().where(_fts_match(keyword), _FTS.c.rowid == story_id)
    matches = select(_FTS.c.rowid).where(_fts_match(keyword))
    if plan == "walk":  # "+ 0": SQLite cannot look stories up from the list, so it walks
        return (story_id + 0).in_(matches)
    return story_id.in_(matches)


def _condition(
    session: Session,
    condition: Condition,
    story_id: Any,
    plans: Mapping[str, KeywordPlan] | None = None,
) -> ColumnElement[bool]:
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
    return _keyword(session, condition.keyword, story_id, (plans or {}).get(condition.keyword))


def _clause(
    session: Session, clause: Clause, story_id: Any, plans: Mapping[str, KeywordPlan]
) -> ColumnElement[bool]:
    return or_(*(_condition(session, c, story_id, plans) for c in clause))


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
    shown: Collection[int] = (),
    keywords: KeywordStrategy = "plan",
) -> Page:
    """Up to `limit` events matching every clause, newest first, starting strictly before `before`.

    `next_cursor` is set only when another event follows. `shown`: events (cluster ids) already
    on earlier pages, skipped (another of their stories may come later in the walk).
    `first_seen` keeps stories that arrived in (start, end]; `story_ids` keeps only those stories.
    `keywords` forces how SQLite checks keywords (tests and benchmarks compare the two ways).
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
    batch = max(limit * 3, 10)
    plans = _keyword_plans(session, clauses, excluded, batch, keywords)
    filters = [_clause(session, c, story_id, plans) for c in rest]
    filters += [not_(_condition(session, c, story_id, plans)) for c in excluded]
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
    seen_clusters: set[int] = set(shown)
    hits: list[Hit] = []
    cursor = before
    last_shown = before  # where the last hit kept stands: the next page starts after it
    while len(hits) <= limit:  # one hit more than asked tells whether a next page exists
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
                last_shown = cursor
            if len(hits) > limit:
                return Page(tuple(hits[:limit]), last_shown)
        if len(rows) < batch:
            return Page(tuple(hits), None)
    return Page(tuple(hits[:limit]), last_shown)


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
