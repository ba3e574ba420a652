"""One poll cycle: load the due feeds, fetch, parse, match, store. The orchestrator of ingestion.

Each feed is handled on its own: a slow or broken feed costs its own timeout and records its own
error; it never stops the cycle. Parsing runs in a process pool, storage in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Engine
from sqlmodel import Session

from bot import polling
from bot.fetch import Fetcher
from bot.matching import Matcher
from bot.model import FetchResult, FetchStatus, ParsedFeed, ParseError, Validators
from bot.parse import parse_feed
from bot.text import normalize_title_key
from storage import feeds as feed_store
from storage import stories as story_store
from storage.db import session as open_session
from storage.tables import Feed

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    NEW = "new"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class FeedReport:
    """What one feed gave in one cycle."""

    url: str
    outcome: Outcome
    new_story_ids: tuple[int, ...] = ()
    error: str | None = None
    elapsed: float = 0.0


def story_matches(matcher: Matcher, title: str, summary: str) -> story_store.StoryMatches:
    """The matcher's result in the shape storage keeps: entity -> seen in the title; topics."""
    result = matcher.match(title, summary)
    entities: dict[str, bool] = {}
    for mention in result.mentions:
        entities[mention.entity_id] = entities.get(mention.entity_id, False) or mention.in_title
    return story_store.StoryMatches(entities=entities, topics=result.topic_ids)


class Ingestor:
    """Runs poll cycles over the configured feeds. Built once by bot.app from the settings."""

    def __init__(
        self,
        *,
        engine: Engine,
        fetcher: Fetcher,
        matcher: Matcher,
        parse_pool: Executor,
        listed: Sequence[str],
        base_interval: int,
        clock: Callable[[], datetime],
        rng: random.Random | None = None,
    ) -> None:
        self._engine = engine
        self._fetcher = fetcher
        self._matcher = matcher
        self._pool = parse_pool
        self.listed = list(listed)
        self._base = base_interval
        self._clock = clock
        self._rng = rng or random.Random()
        self._write_lock = asyncio.Lock()

    def _session(self) -> Session:
        return open_session(self._engine)

    def _load(self, only_due: bool) -> list[Feed]:
        now = self._clock()
        with self._session() as session:
            feed_store.sync_listed(session, self.listed, now)
            feeds = feed_store.active_feeds(session, self.listed)
        if only_due:
            feeds = [f for f in feeds if f.next_due_at is None or f.next_due_at <= now]
        return feeds

    async def poll(self, *, only_due: bool = False) -> list[FeedReport]:
        """Poll every active feed (or only the due ones) once; one report per feed, in feed order."""
        feeds = await asyncio.to_thread(self._load, only_due)
        outcomes = await asyncio.gather(
            *(self._poll_feed(feed) for feed in feeds), return_exceptions=True
        )
        reports = []
        for feed, outcome in zip(feeds, outcomes, strict=True):
            if isinstance(outcome, BaseException):  # even its error could not be recorded
                if not isinstance(outcome, Exception):
                    raise outcome
                log.error("polling %s failed", feed.url, exc_info=outcome)
                outcome = FeedReport(feed.url, Outcome.ERROR, error=type(outcome).__name__)
            reports.append(outcome)
        return reports

    async def _poll_feed(self, feed: Feed) -> FeedReport:
        validators = Validators(feed.etag, feed.last_modified, feed.body_hash)
        fetched = await self._fetcher.fetch(feed.url, validators)
        parsed: ParsedFeed | None = None
        error = fetched.error
        if fetched.status is FetchStatus.OK and fetched.body is not None:
            loop = asyncio.get_running_loop()
            try:
                parsed = await loop.run_in_executor(
                    self._pool,
                    _parse,
                    fetched.body,
                    fetched.final_url,
                    fetched.content_type,
                    self._clock(),
                )
            except ParseError as exc:
                error = f"not a feed: {exc}"
            except Exception as exc:  # a parser crash on hostile input is this feed's error only
                log.warning("parsing %s failed", feed.url, exc_info=True)
                error = f"parse failed: {type(exc).__name__}"
        async with self._write_lock:
            try:
                return await asyncio.to_thread(self._store, feed, fetched, parsed, error)
            except Exception as exc:  # the database refused this feed's data: its error only
                log.warning("storing %s failed", feed.url, exc_info=True)
                failed = replace(fetched, status=FetchStatus.ERROR)
                error = f"could not store: {type(exc).__name__}"
                return await asyncio.to_thread(self._store, feed, failed, None, error)

    def _store(
        self, feed: Feed, fetched: FetchResult, parsed: ParsedFeed | None, error: str | None
    ) -> FeedReport:
        now = self._clock()
        assert feed.id is not None
        with self._session() as session:
            row = session.get_one(Feed, feed.id)
            row.last_fetch_at = now
            new_ids: list[int] = []
            if error is None and fetched.status is not FetchStatus.ERROR:
                if parsed is not None:
                    incoming = [
                        story_store.IncomingStory(
                            story=s,
                            title_key=normalize_title_key(s.title),
                            matches=story_matches(self._matcher, s.title, s.summary),
                        )
                        for s in parsed.stories
                    ]
                    new_ids = story_store.insert_stories(session, feed.id, incoming, now)
                    row.title = (parsed.title or row.title or "")[:500] or None
                nxt = polling.after_success(
                    now=now,
                    base=self._base,
                    interval=row.interval_seconds,
                    new_stories=len(new_ids),
                )
                row.last_ok_at, row.last_error = now, None
                row.etag = fetched.validators.etag
                row.last_modified = fetched.validators.last_modified
                row.body_hash = fetched.validators.body_hash
                row.final_url = fetched.final_url[:2048]  # informational; the column's size
            else:
                nxt = polling.after_failure(
                    now=now,
                    base=self._base,
                    interval=row.interval_seconds,
                    failures=row.failures,
                    retry_after=fetched.retry_after,
                    rng=self._rng,
                )
                row.last_error = (error or "unknown error")[:500]
            row.failures, row.interval_seconds, row.next_due_at = (
                nxt.failures,
                nxt.interval_seconds,
                nxt.due_at,
            )
            session.commit()
        if error is not None or fetched.status is FetchStatus.ERROR:
            return FeedReport(feed.url, Outcome.ERROR, error=error, elapsed=fetched.elapsed)
        outcome = Outcome.NEW if parsed is not None else Outcome.UNCHANGED
        return FeedReport(feed.url, outcome, tuple(new_ids), elapsed=fetched.elapsed)


def _parse(body: bytes, url: str, content_type: str | None, now: datetime) -> ParsedFeed:
    return parse_feed(body, url=url, content_type=content_type, now=now)
