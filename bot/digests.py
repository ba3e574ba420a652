"""Daily digests: what each chat gets, per tracked topic, since its previous scheduled digest.

Scheduled digests go through the outbox with a key per chat and period, and record the events
they showed, in one transaction: a restart repeats nothing and no event appears twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from bot import ranking, render
from bot.query import QueryParser, TermKind
from bot.schedule import due_period, parse_hhmm
from bot.search import plan
from storage import chats as chat_store
from storage import outbox as outbox_store
from storage.db import session as open_session
from storage.search import search
from storage.tables import Chat

CANDIDATES_PER_TOPIC = 50


class Digests:
    def __init__(self, engine: Engine, parser: QueryParser, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._parser = parser
        self._clock = clock

    def compose(
        self, session: Session, chat: Chat, start: datetime, end: datetime, *, fresh_only: bool
    ) -> list[ranking.Section]:
        """The chat's digest for stories that arrived in (start, end]."""
        topics = []
        for sub in chat_store.subscriptions(session, chat.id):
            query = self._parser.parse(sub.query)
            if query.empty:
                continue
            clauses, excluded = plan(query)
            page = search(
                session,
                clauses,
                excluded,
                limit=CANDIDATES_PER_TOPIC,
                first_seen=(start, end),
            )
            entities = frozenset(i for t in query.terms if t.kind is TermKind.ENTITY for i in t.ids)
            topics.append(ranking.TopicHits(sub.query, entities, page.hits))
        sent: set[int] = set()
        if fresh_only:
            clusters = [h.cluster_id for t in topics for h in t.hits if h.cluster_id is not None]
            sent = chat_store.delivered(session, chat.id, clusters, "digest")
        return ranking.sections(topics, already_sent=sent)

    def on_demand(self, chat_id: int) -> list[str]:
        """The digest now (/digest): what arrived since the last scheduled one; records nothing."""
        now = self._clock()
        with open_session(self._engine) as session:
            chat = session.get_one(Chat, chat_id)
            start = chat.last_digest_at or now - timedelta(days=1)
            if start >= now:
                start = now - timedelta(days=1)
            sections = self.compose(session, chat, start, now, fresh_only=False)
        if not sections:
            return []
        return render.digest(sections, lang=chat.lang, now=now, tz=ZoneInfo(chat.tz))

    def enqueue_due(self) -> int:
        """Queue every scheduled digest that is due; how many chats got one."""
        now = self._clock()
        queued = 0
        with open_session(self._engine) as session:
            for chat in chat_store.active_chats(session):
                local = parse_hhmm(chat.digest_time)
                if local is None:
                    continue
                period = due_period(local, ZoneInfo(chat.tz), now, chat.last_digest_at)
                if period is None:
                    continue
                queued += self._enqueue_one(session, chat, *period, now=now)
        return queued

    def _enqueue_one(
        self, session: Session, chat: Chat, start: datetime, end: datetime, *, now: datetime
    ) -> int:
        """Queue one chat's digest for (start, end] and close that period, in one transaction.

        A late digest (Vigie was down at `end`) also shows what arrived since, up to `now`: the
        first poll after a restart. The period still closes at `end`; what it showed beyond is
        recorded as delivered, so the next digest does not repeat it.
        """
        texts: list[str] = []
        if chat.digest_enabled:
            sections = self.compose(session, chat, start, max(end, now), fresh_only=True)
            if sections:
                texts = render.digest(sections, lang=chat.lang, now=now, tz=ZoneInfo(chat.tz))
                chat_store.record_deliveries(
                    session, chat.id, ranking.events(sections), "digest", now
                )
            elif chat.nothing_new and chat_store.subscriptions(session, chat.id):
                texts = [render.nothing_new(chat.lang)]
        period = end.strftime("%Y%m%dT%H%MZ")
        for part, text in enumerate(texts):
            outbox_store.enqueue(
                session,
                chat_id=chat.id,
                dedup_key=f"digest:{chat.id}:{period}:{part}",
                text=text,
                now=now,
            )
        chat.last_digest_at = end
        session.add(chat)
        session.commit()
        return 1 if texts else 0
