"""Helpers for tests that ingest feeds from the local feed server into a real database."""

from __future__ import annotations

import atexit
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from datetime import UTC, datetime
from pathlib import Path

from bot.app import App, parse_pool
from bot.fetch import FetchLimits
from bot.ingest import FeedReport
from bot.settings import load_settings

FIXTURES = Path(__file__).parent / "fixtures"
SEPT_14_2023 = datetime(2023, 9, 14, 12, 0, tzinfo=UTC)


@functools.cache
def shared_pool() -> Executor:
    """One real parse pool for the whole test session (spawning workers takes a second)."""
    pool = parse_pool()
    atexit.register(pool.shutdown, wait=True, cancel_futures=True)
    return pool


class Clock:
    """A settable clock for the App: time moves only when a test says so."""

    def __init__(self, now: datetime = SEPT_14_2023) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_app(
    tmp_path: Path,
    urls: Sequence[str],
    *,
    clock: Callable[[], datetime] | None = None,
    database_url: str | None = None,
    **settings: str,
) -> App:
    """An App on a SQLite file (or `database_url`) whose FEEDS_FILE lists `urls`."""
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("\n".join(urls) + "\n", encoding="utf-8")
    config = load_settings(
        None,
        DATABASE_URL=database_url or f"sqlite:///{tmp_path / 'vigie.db'}",
        FEEDS_FILE=str(feeds),
        **settings,
    )
    return App(config, clock=clock or Clock(), pool=shared_pool())


async def poll(app: App, limits: FetchLimits | None = None) -> list[FeedReport]:
    """One full poll cycle over every configured feed."""
    async with app.ingestor(limits) as ingestor:
        return await ingestor.poll()
