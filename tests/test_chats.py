"""Chats in storage: a group that becomes a supergroup keeps everything, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from storage import chats
from storage import outbox as outbox_store
from storage.db import session
from storage.tables import Chat, OutboxMessage
from tests.ingestion import make_app

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
GROUP, SUPERGROUP = -4001, -1004001


def new_chat(engine: Engine, chat_id: int, **settings: object) -> None:
    with session(engine) as s:
        chats.ensure_chat(
            s, chat_id, kind="group", lang="en", tz="UTC", digest_time="08:00", now=NOW
        )
        if settings:
            chats.update_chat(s, chat_id, **settings)


def track(engine: Engine, chat_id: int, *queries: str) -> None:
    with session(engine) as s:
        for query in queries:
            chats.add_subscription(s, chat_id, query, NOW)


def topics(engine: Engine, chat_id: int) -> list[str]:
    with session(engine) as s:
        return [sub.query for sub in chats.subscriptions(s, chat_id)]


def migrate(engine: Engine) -> bool:
    with session(engine) as s:
        return chats.migrate_chat(s, GROUP, SUPERGROUP)


def test_migration_keeps_the_groups_settings(engine: Engine) -> None:
    """The supergroup gets the group's zone, language and digest time; the group's row goes."""
    new_chat(engine, GROUP, tz="Asia/Seoul", lang="fr", digest_time="07:30")
    assert migrate(engine)
    with session(engine) as s:
        moved = s.get_one(Chat, SUPERGROUP)
        assert (moved.tz, moved.lang, moved.digest_time, moved.kind) == (
            "Asia/Seoul",
            "fr",
            "07:30",
            "supergroup",
        )
        assert chats.get_chat(s, GROUP) is None


def test_migration_moves_topics_in_their_order(engine: Engine) -> None:
    """The group's topics become the supergroup's, numbered as before."""
    new_chat(engine, GROUP)
    track(engine, GROUP, "kim putin", "zelensky")
    migrate(engine)
    assert topics(engine, SUPERGROUP) == ["kim putin", "zelensky"]


def test_migration_keeps_what_was_already_sent(engine: Engine) -> None:
    """Events the group already received are not sent again to the supergroup."""
    new_chat(engine, GROUP)
    with session(engine) as s:
        chats.record_deliveries(s, GROUP, [1, 2], "digest", NOW)
        chats.record_deliveries(s, GROUP, [2], "alert", NOW)
        s.commit()
    migrate(engine)
    with session(engine) as s:
        assert chats.delivered(s, SUPERGROUP, [1, 2, 3], "digest") == {1, 2}
        assert chats.delivered(s, SUPERGROUP, [1, 2, 3], "alert") == {2}


def test_migration_moves_queued_messages(engine: Engine) -> None:
    """A digest queued for the group is due for the supergroup."""
    new_chat(engine, GROUP)
    with session(engine) as s:
        outbox_store.enqueue(s, chat_id=GROUP, dedup_key="digest:g", text="x", now=NOW)
        s.commit()
    migrate(engine)
    with session(engine) as s:
        [message] = outbox_store.due(s, NOW, 10)
        assert isinstance(message, OutboxMessage)
        assert message.chat_id == SUPERGROUP


def test_migration_into_a_known_supergroup_merges_topics(engine: Engine) -> None:
    """When the supergroup was used already, its settings stay and the group's new topics join."""
    new_chat(engine, GROUP, tz="Asia/Seoul")
    track(engine, GROUP, "kim putin", "zelensky")
    new_chat(engine, SUPERGROUP, tz="Europe/Paris")
    track(engine, SUPERGROUP, "zelensky")
    migrate(engine)
    assert sorted(topics(engine, SUPERGROUP)) == ["kim putin", "zelensky"]
    with session(engine) as s:
        assert s.get_one(Chat, SUPERGROUP).tz == "Europe/Paris"


def test_migrating_an_unknown_group_changes_nothing(engine: Engine) -> None:
    """A migration for a group Vigie never saw (or already moved) is a no-op."""
    assert not migrate(engine)
    with session(engine) as s:
        assert chats.get_chat(s, SUPERGROUP) is None


def test_a_late_migration_still_moves_stray_messages(engine: Engine) -> None:
    """A message still addressed to a group that already moved is handed to the supergroup."""
    new_chat(engine, GROUP)
    migrate(engine)
    with session(engine) as s:
        outbox_store.enqueue(s, chat_id=GROUP, dedup_key="alert:g", text="x", now=NOW)
        s.commit()
    assert not migrate(engine)
    with session(engine) as s:
        assert [m.chat_id for m in outbox_store.due(s, NOW, 10)] == [SUPERGROUP]


def test_a_topic_differing_only_in_case_is_tracked_once(engine: Engine) -> None:
    """Tracking "Kim PUTIN" after "kim putin" adds nothing."""
    new_chat(engine, GROUP)
    track(engine, GROUP, "kim putin", "Kim PUTIN")
    assert topics(engine, GROUP) == ["kim putin"]


def test_a_migration_announced_twice_at_once_moves_the_group_once(
    tmp_path: Path, database_url: str
) -> None:
    """Telegram's two migration messages handled at the same moment move the group once."""
    app = make_app(tmp_path, [], database_url=database_url)
    try:
        for trial in range(5):
            group, supergroup = GROUP - trial, SUPERGROUP - trial
            app.subscribers.start(group, "group", "en")
            app.subscribers.track(group, "kim putin")
            barrier = threading.Barrier(2)

            def announce(
                group: int = group, supergroup: int = supergroup, barrier: Any = barrier
            ) -> bool:
                barrier.wait()
                return app.subscribers.migrate(group, supergroup)

            with ThreadPoolExecutor(2) as pool:
                results = sorted(pool.map(lambda _: announce(), range(2)))
            assert results == [False, True]
            assert topics(app.engine, supergroup) == ["kim putin"]
    finally:
        app.engine.dispose()


def test_migration_merges_topics_whatever_their_case(engine: Engine) -> None:
    """A group's "Kim Putin" joins a supergroup that tracks "kim putin" as one topic."""
    new_chat(engine, GROUP)
    track(engine, GROUP, "Kim Putin")
    new_chat(engine, SUPERGROUP)
    track(engine, SUPERGROUP, "kim putin")
    migrate(engine)
    assert topics(engine, SUPERGROUP) == ["kim putin"]
