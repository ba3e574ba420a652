"""Managing feeds and reading the totals: shared by the command line and the admins' commands."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.feedlist import is_feed_url
from bot.polling import is_broken
from storage import chats as chat_store
from storage import feeds as feed_store
from storage import outbox as outbox_store
from storage.db import session as open_session
from storage.feeds import FeedRow


class Admin:
    def __init__(
        self, engine: Engine, listed: Sequence[str], clock: Callable[[], datetime]
    ) -> None:
        self._engine = engine
        self._listed = listed
        self._clock = clock

    def _session(self) -> Session:
        """A session in which FEEDS_FILE's feeds exist, polled yet or not."""
        session = open_session(self._engine)
        feed_store.sync_listed(session, self._listed, self._clock())
        return session

    def feeds(self) -> list[FeedRow]:
        """Every polled feed with its health and story count."""
        with self._session() as s:
            return feed_store.feed_rows(s, self._listed)

    def add_feed(self, url: str) -> bool | None:
        """Poll `url` beside FEEDS_FILE's; None when it is no http(s) URL, False when known."""
        if not is_feed_url(url):
            return None
        with self._session() as s:
            return feed_store.add_feed(s, url, self._clock())

    def remove_feed(self, url: str) -> bool:
        with self._session() as s:
            return feed_store.remove_feed(s, url)

    def stats(self) -> dict[str, int]:
        """feeds, broken, stories, chats, topics, and messages sent in the last 24 hours."""
        rows = self.feeds()
        with open_session(self._engine) as s:
            totals = chat_store.counts(s)
            sent = outbox_store.sent_count(s, self._clock() - timedelta(days=1))
        return {
            **totals,
            "feeds": len(rows),
            "broken": sum(is_broken(r.failures) for r in rows),
            "sent_today": sent,
        }
