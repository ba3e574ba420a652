"""Instant alerts: a new story matching a topic with alerts on is queued for its chat at once.

One message per event and chat, never twice (recorded with the message); at most a few per topic
and poll cycle, so a burst of news never floods a chat: the rest waits for the digest.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot import render
from bot.query import QueryParser
from bot.search import plan
from storage import chats as chat_store
from storage import outbox as outbox_store
from storage import stories as story_store
from storage.db import session as open_session
from storage.search import search

MAX_PER_TOPIC_AND_CYCLE = 5
# A story published longer ago than this is no news to push, however late Vigie saw it (a feed
# added today with its archive, a restart after a day down): it waits for the digest.
MAX_AGE = timedelta(hours=12)


class Alerts:
    def __init__(self, engine: Engine, parser: QueryParser, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._parser = parser
        self._clock = clock

    def enqueue(self, new_story_ids: Collection[int]) -> int:
        """Queue alerts for the stories just stored; how many messages were queued."""
        if not new_story_ids:
            return 0
        now = self._clock()
        queued = 0
        with open_session(self._engine) as session:
            subscriptions = chat_store.alert_subscriptions(session)
            chats = chat_store.chats_by_id(session, [s.chat_id for s in subscriptions])
            fresh = story_store.recent(session, new_story_ids, now - MAX_AGE)
            events = story_store.clusters_of(session, fresh)
            for sub in subscriptions:
                query = self._parser.parse(sub.query)
                if query.empty or not fresh:
                    continue
                clauses, excluded = plan(query)
                # Events this chat was alerted to already are skipped before the limit counts,
                # so new reports of old events never crowd a new event out.
                sent = chat_store.delivered(session, sub.chat_id, events, "alert")
                hits = search(
                    session,
                    clauses,
                    excluded,
                    limit=MAX_PER_TOPIC_AND_CYCLE,
                    story_ids=fresh,
                    shown=sent,
                ).hits
                chat = chats[sub.chat_id]
                for hit in hits:
                    if hit.cluster_id is None or hit.cluster_id in sent:
                        continue
                    sent.add(hit.cluster_id)
                    text = render.alert(hit, sub.query, lang=chat.lang, now=now)
                    if outbox_store.enqueue(
                        session,
                        chat_id=sub.chat_id,
                        dedup_key=f"alert:{sub.chat_id}:{hit.cluster_id}",
                        text=text,
                        now=now,
                    ):
                        queued += 1
                    chat_store.record_deliveries(
                        session, sub.chat_id, [hit.cluster_id], "alert", now
                    )
                session.commit()
        return queued
