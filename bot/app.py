"""The one place that builds Vigie from its settings: database, catalog, matcher, ingestion."""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import random
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from bot.admin import Admin
from bot.alerts import Alerts
from bot.catalog import load_catalog
from bot.digests import Digests
from bot.entities import Catalog
from bot.feedlist import read_feed_list
from bot.fetch import Fetcher, FetchLimits, make_client
from bot.ingest import Ingestor
from bot.matching import Matcher
from bot.query import QueryParser
from bot.settings import Settings
from bot.subscribers import Defaults, Subscribers
from storage.db import make_engine, upgrade


def utc_now() -> datetime:
    return datetime.now(UTC)


class RedactToken(logging.Filter):
    """Keeps the bot token out of every log line, whoever logs it (httpx logs request URLs)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, "<token>"), None
        if record.exc_info and not record.exc_text:  # the formatter keeps exc_text as it is
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self._token in record.exc_text:
            record.exc_text = record.exc_text.replace(self._token, "<token>")
        if record.stack_info and self._token in record.stack_info:
            record.stack_info = record.stack_info.replace(self._token, "<token>")
        return True


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Libraries that narrate every request or migration step: their warnings are enough.
    for noisy in ("httpx", "alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    if settings.telegram_bot_token is not None:
        redact = RedactToken(settings.telegram_bot_token.get_secret_value())
        for handler in logging.getLogger().handlers:
            handler.addFilter(redact)


@dataclass(frozen=True, slots=True)
class Language:
    """The entity catalog and what is compiled from it: the matcher and the query parser."""

    catalog: Catalog
    matcher: Matcher
    query_parser: QueryParser


@functools.cache
def language(entities_file: Path | None) -> Language:
    """Load and compile the catalog once per process (compiling takes about a second)."""
    catalog = load_catalog(entities_file)
    matcher = Matcher(catalog)
    return Language(catalog, matcher, QueryParser(catalog, matcher))


def parse_pool() -> Executor:
    """Two worker processes for parsing, spawned (not forked) so no thread state is copied."""
    return ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))


class App:
    """Everything Vigie is made of, built lazily from the settings.

    `clock` is injectable; `pool` lets a caller share one parse pool between Apps (tests do).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        pool: Executor | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._pool = pool

    @cached_property
    def engine(self) -> Engine:
        engine = make_engine(self.settings.database_url)
        upgrade(engine)
        return engine

    @property
    def catalog(self) -> Catalog:
        return language(self.settings.entities_file).catalog

    @property
    def matcher(self) -> Matcher:
        return language(self.settings.entities_file).matcher

    @property
    def query_parser(self) -> QueryParser:
        return language(self.settings.entities_file).query_parser

    @cached_property
    def listed_feeds(self) -> list[str]:
        return read_feed_list(self.settings.feeds_file)

    @cached_property
    def admin(self) -> Admin:
        return Admin(self.engine, self.listed_feeds, self.clock)

    @cached_property
    def subscribers(self) -> Subscribers:
        defaults = Defaults(
            tz=self.settings.default_timezone,
            digest_time=self.settings.digest_time.strftime("%H:%M"),
        )
        return Subscribers(self.engine, self.query_parser, self.catalog, defaults, self.clock)

    @cached_property
    def digests(self) -> Digests:
        return Digests(self.engine, self.query_parser, self.clock)

    @cached_property
    def alerts(self) -> Alerts:
        return Alerts(self.engine, self.query_parser, self.clock)

    def is_admin(self, *ids: int | None) -> bool:
        """Whether any of these chat or user ids is in ADMIN_CHAT_IDS."""
        return any(i in self.settings.admin_chat_ids for i in ids if i is not None)

    @contextlib.asynccontextmanager
    async def ingestor(
        self, limits: FetchLimits | None = None, *, rng: random.Random | None = None
    ) -> AsyncIterator[Ingestor]:
        """An Ingestor with its HTTP client and parse pool, closed on exit."""
        limits = limits or FetchLimits()
        pool = self._pool or parse_pool()
        try:
            async with make_client(limits) as client:
                yield Ingestor(
                    engine=self.engine,
                    fetcher=Fetcher(client, limits),
                    matcher=self.matcher,
                    parse_pool=pool,
                    listed=self.listed_feeds,
                    base_interval=self.settings.poll_interval_seconds,
                    clock=self.clock,
                    rng=rng,
                )
        finally:
            if pool is not self._pool:
                pool.shutdown(wait=True, cancel_futures=True)
