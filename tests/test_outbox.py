"""The outbox: its table on SQLite and PostgreSQL, and delivery through real PTB."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import Engine
from sqlmodel import col, select
from telegram import Bot

from bot.outbox import DrainReport, Outbox
from bot.pacing import SendLimits
from storage import chats
from storage import outbox as store
from storage.db import make_engine, session, upgrade
from storage.tables import Chat, OutboxMessage
from tests.databases import sqlite_url
from tests.fakebotapi import FakeBotApi, RateLimits

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def add_chats(engine: Engine, *chat_ids: int) -> None:
    with session(engine) as s:
        s.add_all(
            [Chat(id=c, kind="private" if c > 0 else "group", created_at=NOW) for c in chat_ids]
        )
        s.commit()


def queue(engine: Engine, chat_id: int, key: str, text: str = "", now: datetime = NOW) -> None:
    with session(engine) as s:
        store.enqueue(s, chat_id=chat_id, dedup_key=key, text=text or f"<b>{key}</b>", now=now)
        s.commit()


def messages(engine: Engine) -> list[OutboxMessage]:
    with session(engine) as s:
        return list(s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def due_keys(engine: Engine, now: datetime = NOW) -> list[str]:
    with session(engine) as s:
        return [m.dedup_key for m in store.due(s, now, 100)]


def message_id(engine: Engine, key: str) -> int:
    [found] = [m.id for m in messages(engine) if m.dedup_key == key]
    assert found is not None
    return found


# -- the table ---------------------------------------------------------------------------------


def test_enqueue_same_key_twice_keeps_one_row(engine: Engine) -> None:
    """A dedup key already queued is not queued again, and enqueue says so."""
    add_chats(engine, 1)
    with session(engine) as s:
        first = store.enqueue(s, chat_id=1, dedup_key="digest:1:d", text="a", now=NOW)
        second = store.enqueue(s, chat_id=1, dedup_key="digest:1:d", text="b", now=NOW)
        s.commit()
    assert (first, second) == (True, False)
    assert [m.text for m in messages(engine)] == ["a"]


def test_enqueue_leaves_the_commit_to_the_caller(engine: Engine) -> None:
    """A message queued in a transaction that is rolled back is not queued."""
    add_chats(engine, 1)
    with session(engine) as s:
        store.enqueue(s, chat_id=1, dedup_key="k", text="a", now=NOW)
        s.rollback()
    assert messages(engine) == []


def test_due_is_oldest_first_and_waits_for_not_before(engine: Engine) -> None:
    """Due messages come oldest first; one postponed to later is not due until then."""
    add_chats(engine, 1, 2, 3)
    queue(engine, 2, "b", now=NOW - timedelta(minutes=1))
    queue(engine, 1, "a", now=NOW - timedelta(minutes=2))
    queue(engine, 3, "c", now=NOW)
    with session(engine) as s:
        store.postpone(s, message_id(engine, "c"), NOW + timedelta(seconds=30), "429")
        s.commit()
    assert due_keys(engine) == ["a", "b"]
    assert due_keys(engine, NOW + timedelta(seconds=30)) == ["a", "b", "c"]


def test_due_holds_a_chats_later_messages_behind_a_retry(engine: Engine) -> None:
    """While a chat's message waits for a retry, its later messages wait too."""
    add_chats(engine, 1, 2)
    queue(engine, 1, "first")
    queue(engine, 1, "second")
    queue(engine, 2, "other")
    with session(engine) as s:
        store.postpone(s, message_id(engine, "first"), NOW + timedelta(seconds=5), "timeout")
        s.commit()
    assert due_keys(engine) == ["other"]


def test_sent_and_failed_messages_are_not_due(engine: Engine) -> None:
    """A message marked sent or failed leaves the queue for good."""
    add_chats(engine, 1, 2)
    queue(engine, 1, "a")
    queue(engine, 2, "b")
    with session(engine) as s:
        store.mark_sent(s, message_id(engine, "a"), NOW)
        store.fail(s, message_id(engine, "b"), NOW, "BadRequest: " + "x" * 600)
        s.commit()
    assert due_keys(engine) == []
    assert len(messages(engine)[1].error or "") == store.ERROR_LENGTH


def test_deactivate_chat_stops_it_and_fails_its_messages(engine: Engine) -> None:
    """A deactivated chat is inactive and its pending messages are given up."""
    add_chats(engine, 1, 2)
    queue(engine, 1, "a1")
    queue(engine, 1, "a2")
    queue(engine, 2, "b")
    with session(engine) as s:
        given_up = store.deactivate_chat(s, 1, NOW, "Forbidden: bot was blocked by the user")
        s.commit()
        assert s.get_one(Chat, 1).active is False
    assert given_up == 2
    assert due_keys(engine) == ["b"]


def test_postpone_counts_attempts_except_for_flood_control(engine: Engine) -> None:
    """A retry counts one attempt; a retry after a 429 counts none."""
    add_chats(engine, 1)
    queue(engine, 1, "a")
    later = NOW + timedelta(seconds=2)
    with session(engine) as s:
        store.postpone(s, message_id(engine, "a"), later, "TimedOut")
        store.postpone(s, message_id(engine, "a"), later, "RetryAfter", count_attempt=False)
        s.commit()
    [message] = messages(engine)
    assert (message.attempts, message.not_before, message.error) == (1, later, "RetryAfter")


def test_next_due_at_is_the_earliest_pending_time(engine: Engine) -> None:
    """next_due_at is the earliest not_before (or creation) among pending messages, else None."""
    add_chats(engine, 1, 2)
    with session(engine) as s:
        assert store.next_due_at(s) is None
    queue(engine, 1, "a")
    queue(engine, 2, "b")
    with session(engine) as s:
        store.postpone(s, message_id(engine, "a"), NOW + timedelta(seconds=9), "x")
        store.postpone(s, message_id(engine, "b"), NOW + timedelta(seconds=4), "x")
        s.commit()
        assert store.next_due_at(s) == NOW + timedelta(seconds=4)


def test_sent_count_counts_since_a_time(engine: Engine) -> None:
    """sent_count counts the messages Telegram accepted at or after `since`."""
    add_chats(engine, 1)
    for key in ("a", "b", "c"):
        queue(engine, 1, key)
    with session(engine) as s:
        store.mark_sent(s, message_id(engine, "a"), NOW - timedelta(hours=1))
        store.mark_sent(s, message_id(engine, "b"), NOW)
        s.commit()
        assert store.sent_count(s, NOW) == 1


# -- delivery through python-telegram-bot and the fake Bot API ---------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite file (delivery tests that need no PostgreSQL run on it alone)."""
    engine = make_engine(sqlite_url(tmp_path))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest_asyncio.fixture
async def fake(fake_bot_api: FakeBotApi) -> FakeBotApi:
    """The fake Bot API with Telegram's flood limits on."""
    fake_bot_api.limits = RateLimits(enabled=True)
    return fake_bot_api


@pytest_asyncio.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        yield bot


def fan_out(engine: Engine, chat_ids: list[int]) -> None:
    """One digest for each chat, queued in chat order."""
    add_chats(engine, *chat_ids)
    for chat_id in chat_ids:
        queue(engine, chat_id, f"digest:{chat_id}", now=utc_now())


def received(fake: FakeBotApi) -> Counter[int]:
    return Counter(m.chat_id for m in fake.all_sent())


async def test_fan_out_delivers_each_message_once_without_429(
    engine: Engine, fake: FakeBotApi, bot: Bot
) -> None:
    """Forty chats each get their digest exactly once, and Telegram never answers 429."""
    chats = list(range(1, 41))
    fan_out(engine, chats)
    report = await Outbox(engine, bot, clock=utc_now).drain()
    assert report == DrainReport(sent=40)
    assert received(fake) == Counter(chats)
    assert fake.rejected() == []
    assert all(m.sent_at is not None for m in messages(engine))


async def test_messages_go_as_html_without_link_previews(
    db: Engine, fake: FakeBotApi, bot: Bot
) -> None:
    """A message is sent with parse_mode HTML and link previews disabled."""
    add_chats(db, 5)
    queue(db, 5, "alert:5:1", '<a href="https://example.org/">Story</a>')
    await Outbox(db, bot, clock=utc_now).drain()
    [sent] = fake.sent(5)
    assert (sent.parse_mode, sent.visible_text) == ("HTML", "Story")
    assert sent.link_preview_options == {"is_disabled": True}


async def test_429_storm_still_delivers_each_message_once(
    db: Engine, fake: FakeBotApi, bot: Bot
) -> None:
    """With the first ten sends refused by flood control, every chat still gets one message."""
    chats = list(range(1, 31))
    fan_out(db, chats)
    fake.force_429(10, retry_after=1)
    report = await Outbox(db, bot, clock=utc_now).drain()
    assert (report.sent, report.retried) == (30, 10)
    assert received(fake) == Counter(chats)
    assert len(fake.rejected()) == 10


async def test_blocked_chat_is_deactivated_and_others_delivered(
    db: Engine, fake: FakeBotApi, bot: Bot
) -> None:
    """A chat that blocked the bot is deactivated; the other chats get their messages."""
    fan_out(db, [1, 2, 3])
    queue(db, 2, "alert:2:x")
    fake.block(2)
    report = await Outbox(db, bot, clock=utc_now).drain()
    assert (report.sent, report.deactivated) == (2, 1)
    assert received(fake) == Counter([1, 3])
    with session(db) as s:
        assert s.get_one(Chat, 2).active is False
    assert [m.failed_at is not None for m in messages(db)] == [False, True, False, True]


async def test_unknown_chat_is_deactivated(db: Engine, fake: FakeBotApi, bot: Bot) -> None:
    """A chat Telegram no longer knows ("chat not found") is deactivated."""
    fan_out(db, [1, -200])
    fake.forget(-200)
    report = await Outbox(db, bot, clock=utc_now).drain()
    assert (report.sent, report.deactivated) == (1, 1)
    with session(db) as s:
        assert s.get_one(Chat, -200).active is False


async def test_bad_html_fails_that_message_only(db: Engine, fake: FakeBotApi, bot: Bot) -> None:
    """A message Telegram cannot parse is given up; the chat's next message still goes."""
    add_chats(db, 1)
    queue(db, 1, "bad", "<b>unclosed")
    queue(db, 1, "good", "fine")
    report = await Outbox(db, bot, clock=utc_now, limits=SendLimits(private_per_second=20)).drain()
    assert (report.sent, report.failed) == (1, 1)
    assert [m.text for m in fake.sent(1)] == ["fine"]
    assert "parse entities" in (messages(db)[0].error or "")


async def test_a_chats_messages_arrive_in_order(db: Engine, fake: FakeBotApi, bot: Bot) -> None:
    """Messages to one chat arrive in the order they were queued, spaced by its limit."""
    fake.limits = RateLimits(enabled=True, private_per_second=10, private_burst=1)
    add_chats(db, 1)
    for n in range(4):
        queue(db, 1, f"m{n}", f"message {n}")
    await Outbox(db, bot, clock=utc_now, limits=SendLimits(private_per_second=10)).drain()
    assert [m.text for m in fake.sent(1)] == [f"message {n}" for n in range(4)]
    assert fake.rejected() == []


async def test_group_spacing_does_not_hold_back_other_chats(
    db: Engine, fake: FakeBotApi, bot: Bot
) -> None:
    """While a group waits between two messages, the private chats queued after them go."""
    fake.limits = RateLimits(enabled=True, group_per_minute=60)
    add_chats(db, -100)
    queue(db, -100, "g1", "group 1")
    queue(db, -100, "g2", "group 2")
    fan_out(db, list(range(1, 6)))
    await Outbox(db, bot, clock=utc_now, limits=SendLimits(group_per_minute=60)).drain()
    order = [m.text for m in fake.all_sent()]
    assert (order[0], order[-1], len(order)) == ("group 1", "group 2", 7)
    assert fake.rejected() == []


async def test_network_errors_retry_then_give_up(db: Engine, fake: FakeBotApi, bot: Bot) -> None:
    """A message that cannot reach Telegram is retried with backoff, then given up."""
    add_chats(db, 1)
    queue(db, 1, "a")
    await fake.stop()  # connection refused from now on
    limits = SendLimits(max_attempts=3, retry_base=0.01, private_per_second=50)
    report = await Outbox(db, bot, clock=utc_now, limits=limits).drain()
    assert (report.retried, report.failed) == (2, 1)
    [message] = messages(db)
    assert (message.attempts, message.failed_at is not None) == (2, True)
    assert "NetworkError" in (message.error or "")


async def test_restart_midway_sends_the_rest_and_repeats_nothing(
    db: Engine, fake: FakeBotApi, bot: Bot
) -> None:
    """A drain cancelled after a few sends, then a new Outbox: every chat gets exactly one."""
    chats = list(range(1, 41))
    fan_out(db, chats)
    first = asyncio.create_task(Outbox(db, bot, clock=utc_now).drain())
    await fake.wait_for(count=5)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    already = len(fake.all_sent())
    assert 5 <= already < 40
    assert sum(m.sent_at is not None for m in messages(db)) == already
    report = await Outbox(db, bot, clock=utc_now).drain()
    assert report.sent == 40 - already
    assert received(fake) == Counter(chats)
    assert all(m.sent_at is not None for m in messages(db))


async def test_a_second_drain_returns_at_once_while_one_runs(
    db: Engine, fake: FakeBotApi, bot: Bot
) -> None:
    """drain() while another drain runs returns busy; the running one sends everything."""
    fan_out(db, [1, 2, 3])
    outbox = Outbox(db, bot, clock=utc_now)
    running = asyncio.create_task(outbox.drain())
    await asyncio.sleep(0)
    assert await outbox.drain() == DrainReport(busy=True)
    assert (await running).sent == 3
    assert received(fake) == Counter([1, 2, 3])


async def test_a_message_queued_during_a_drain_is_sent_by_it(
    db: Engine, fake: FakeBotApi, bot: Bot
) -> None:
    """A message queued while a drain runs, then announced by drain(), goes in that drain."""
    fan_out(db, list(range(1, 11)))
    outbox = Outbox(db, bot, clock=utc_now)
    running = asyncio.create_task(outbox.drain())
    await fake.wait_for(count=1)
    fan_out(db, [11])
    assert (await outbox.drain()).busy
    assert (await running).sent == 11
    assert received(fake) == Counter(range(1, 12))


async def test_a_long_retry_is_left_to_a_later_drain(
    db: Engine, fake: FakeBotApi, bot: Bot
) -> None:
    """A 429 longer than `linger` ends the drain; next_due_at says when a later drain sends it."""
    fan_out(db, [1])
    fake.force_429(1, retry_after=1)
    outbox = Outbox(db, bot, clock=utc_now, limits=SendLimits(linger=0))
    assert (await outbox.drain()).retried == 1
    due_at = await outbox.next_due_at()
    assert due_at is not None
    assert due_at > utc_now()
    await asyncio.sleep((due_at - utc_now()).total_seconds())
    assert (await outbox.drain()).sent == 1
    assert received(fake) == Counter([1])


async def test_logs_name_the_chat_and_never_the_token(
    db: Engine, fake: FakeBotApi, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """Deactivating a chat is logged with its id, and no log line holds the bot token."""
    caplog.set_level(logging.DEBUG, logger="bot.outbox")
    fan_out(db, [77])
    fake.block(77)
    await Outbox(db, bot, clock=utc_now).drain()
    assert "chat 77 deactivated" in caplog.text
    assert fake.token not in caplog.text


async def test_a_migrated_groups_messages_reach_its_supergroup(
    db: Engine, fake: FakeBotApi, bot: Bot
) -> None:
    """A group that became a supergroup gets its queued messages, in order, at its new id."""
    fan_out(db, [-300])
    queue(db, -300, "alert:-300:1", now=utc_now())
    fake.migrate(-300, -1000300)
    report = await Outbox(db, bot, clock=utc_now).drain()
    assert (report.sent, report.migrated) == (2, 1)
    assert [m.visible_text for m in fake.sent(-1000300)] == ["digest:-300", "alert:-300:1"]
    with session(db) as s:
        assert s.get(Chat, -300) is None
        assert s.get_one(Chat, -1000300).active


async def test_a_chat_that_stops_mid_fan_out_gets_nothing_more(
    db: Engine, fake: FakeBotApi, bot: Bot
) -> None:
    """Messages of a chat deleted (/stop) while a drain runs are not sent after it."""
    add_chats(db, 1)
    for n in range(3):
        queue(db, 1, f"alert:1:{n}", now=utc_now())
    drain = asyncio.create_task(Outbox(db, bot, clock=utc_now).drain())
    await fake.wait_for(chat_id=1)
    with session(db) as s:
        chats.delete_chat(s, 1)
    await drain
    assert [m.visible_text for m in fake.sent(1)] == ["alert:1:0"]
