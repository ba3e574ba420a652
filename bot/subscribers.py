"""What a chat can do with Vigie: its settings, its topics, its searches. Handlers call this.

Synchronous (storage is); handlers run it in a worker thread. Nothing here knows Telegram.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from bot import menus
from bot.entities import Catalog
from bot.i18n import SUPPORTED, pick_language
from bot.query import Query, QueryParser
from bot.render import understanding_text
from bot.schedule import last_digest_at, parse_hhmm
from bot.search import Results, find
from bot.zones import ZoneAnswer, resolve_zone
from storage import chats as chat_store
from storage.db import session as open_session
from storage.search import Hit
from storage.tables import Chat

Setting = Literal["lang", "time", "tz", "digest", "nothing_new"]
SETTINGS: tuple[Setting, ...] = ("lang", "time", "tz", "digest", "nothing_new")


@dataclass(frozen=True, slots=True)
class Defaults:
    tz: str
    digest_time: str  # HH:MM


@dataclass(frozen=True, slots=True)
class ChatView:
    """A chat's settings as the rest of Vigie sees them (not a database row)."""

    id: int
    kind: str
    lang: str
    tz: str
    digest_time: str
    digest_enabled: bool
    nothing_new: bool

    @classmethod
    def of(cls, chat: Chat) -> ChatView:
        return cls(
            chat.id,
            chat.kind,
            chat.lang,
            chat.tz,
            chat.digest_time,
            chat.digest_enabled,
            chat.nothing_new,
        )


@dataclass(frozen=True, slots=True)
class SettingResult:
    ok: bool
    chat: ChatView | None = None
    zone: ZoneAnswer | None = None


class Subscribers:
    def __init__(
        self,
        engine: Engine,
        parser: QueryParser,
        catalog: Catalog,
        defaults: Defaults,
        clock: Callable[[], datetime],
    ) -> None:
        self._engine = engine
        self.parser = parser
        self.catalog = catalog
        self._defaults = defaults
        self._clock = clock

    def start(self, chat_id: int, kind: str, language_code: str | None) -> ChatView:
        """The chat's settings, created on first contact in the user's language."""
        with open_session(self._engine) as s:
            now = self._clock()
            chat = chat_store.ensure_chat(
                s,
                chat_id,
                kind=kind,
                lang=pick_language(language_code),
                tz=self._defaults.tz,
                digest_time=self._defaults.digest_time,
                now=now,
                since=self._schedule_start,
            )
            return ChatView.of(chat)

    def _schedule_start(self, digest_time: str, tz: str, now: datetime) -> datetime:
        """Where a new (or returning) chat's first digest period starts: the scheduled time
        before `now`, so its first digest comes at the next one, with the day's news."""
        local = parse_hhmm(digest_time)
        return last_digest_at(local, ZoneInfo(tz), now) if local is not None else now

    def chat(self, chat_id: int) -> ChatView | None:
        with open_session(self._engine) as s:
            chat = chat_store.get_chat(s, chat_id)
            return ChatView.of(chat) if chat is not None and chat.active else None

    def track(self, chat_id: int, text: str) -> tuple[Query, bool]:
        """Follow a query; (how it was understood, False when already tracked or empty)."""
        query = self.parser.parse(text)
        if query.empty:
            return query, False
        with open_session(self._engine) as s:
            added = chat_store.add_subscription(s, chat_id, " ".join(text.split()), self._clock())
        return query, added

    def topics(self, chat_id: int, lang: str) -> list[menus.TopicEntry]:
        """The chat's topics, numbered as /untrack expects."""
        with open_session(self._engine) as s:
            subs = chat_store.subscriptions(s, chat_id)
        return [
            menus.TopicEntry(
                number=n,
                subscription_id=sub.id or 0,
                query=sub.query,
                understood=understanding_text(self.parser.parse(sub.query), self.catalog, lang),
                alerts=sub.alerts,
            )
            for n, sub in enumerate(subs, start=1)
        ]

    def untrack_number(self, chat_id: int, number: int) -> str | None:
        """Stop following topic `number` of /topics; its query, or None if there is none."""
        with open_session(self._engine) as s:
            subs = chat_store.subscriptions(s, chat_id)
            if not 1 <= number <= len(subs):
                return None
            removed = chat_store.remove_subscription(s, chat_id, subs[number - 1].id or 0)
        return removed.query if removed else None

    def untrack_id(self, chat_id: int, subscription_id: int) -> str | None:
        with open_session(self._engine) as s:
            removed = chat_store.remove_subscription(s, chat_id, subscription_id)
        return removed.query if removed else None

    def set_alerts(self, chat_id: int, on: bool) -> int:
        """Instant alerts on or off for all the chat's topics; how many topics."""
        with open_session(self._engine) as s:
            return chat_store.set_alerts(s, chat_id, on)

    def toggle_alerts(self, chat_id: int, subscription_id: int) -> bool | None:
        """Flip one topic's alerts; the new state, or None if the topic is not the chat's."""
        with open_session(self._engine) as s:
            for sub in chat_store.subscriptions(s, chat_id):
                if sub.id == subscription_id:
                    chat_store.set_alerts(s, chat_id, not sub.alerts, subscription_id)
                    return not sub.alerts
        return None

    def settings_view(self, chat: ChatView) -> menus.SettingsView:
        with open_session(self._engine) as s:
            subs = chat_store.subscriptions(s, chat.id)
        return menus.SettingsView(
            lang=chat.lang,
            tz=chat.tz,
            digest_time=chat.digest_time,
            digest_enabled=chat.digest_enabled,
            nothing_new=chat.nothing_new,
            alerts_on=sum(sub.alerts for sub in subs),
            topics=len(subs),
        )

    def change(self, chat_id: int, setting: Setting, value: str) -> SettingResult:
        """Apply a typed or pressed setting; ok False (with zone suggestions) for a bad value."""
        value = value.strip()
        changes: dict[str, object] = {}
        zone: ZoneAnswer | None = None
        if setting == "lang" and value.lower() in SUPPORTED:
            changes["lang"] = value.lower()
        elif setting == "time" and (local := parse_hhmm(value)) is not None:
            changes["digest_time"] = local.strftime("%H:%M")
        elif setting == "tz":
            zone = resolve_zone(value, self._countries)
            if zone.zone:
                changes["tz"] = zone.zone
        elif setting in ("digest", "nothing_new") and value.lower() in ("on", "off"):
            name = "digest_enabled" if setting == "digest" else "nothing_new"
            changes[name] = value.lower() == "on"
        if not changes:
            return SettingResult(False, zone=zone)
        with open_session(self._engine) as s:
            chat = chat_store.update_chat(s, chat_id, **changes)
            return SettingResult(True, chat=ChatView.of(chat), zone=zone)

    def _countries(self, name: str) -> frozenset[str]:
        return frozenset(
            i.split(":", 1)[1] for i in self.parser.lookup(name) if i.startswith("country:")
        )

    def stop(self, chat_id: int) -> bool:
        """Delete everything Vigie keeps about the chat."""
        with open_session(self._engine) as s:
            return chat_store.delete_chat(s, chat_id)

    def migrate(self, group_id: int, supergroup_id: int) -> bool:
        """The group became a supergroup: everything it had follows the new id.

        Telegram announces it twice (in the group and in the supergroup), and both may be
        handled at once: the second to write finds the supergroup created and tries again.
        """
        for attempt in range(2):
            try:
                with open_session(self._engine) as s:
                    return chat_store.migrate_chat(s, group_id, supergroup_id)
            except IntegrityError:
                if attempt:
                    raise
        return False

    def latest(
        self,
        text: str,
        *,
        limit: int,
        before: tuple[datetime, int] | None = None,
        shown: Collection[int] = (),
    ) -> Results:
        with open_session(self._engine) as s:
            return find(s, self.parser, text, limit=limit, before=before, shown=shown)

    def latest_for_topics(self, chat_id: int, *, limit: int) -> list[Hit]:
        """The newest events across all the chat's topics (for /latest with no query)."""
        with open_session(self._engine) as s:
            queries = [sub.query for sub in chat_store.subscriptions(s, chat_id)]
            hits: dict[int, Hit] = {}
            for text in queries:
                for hit in find(s, self.parser, text, limit=limit).hits:
                    hits.setdefault(hit.cluster_id or -hit.story_id, hit)
        return sorted(hits.values(), key=lambda h: (h.published, h.story_id), reverse=True)[:limit]
