"""Vigie in Telegram, end to end: the real python-telegram-bot against the fake Bot API server."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dtm
from pathlib import Path

from bot import replies
from tests.botharness import WORLD, Vigie, running
from tests.fakebotapi import FakeBotApi
from tests.feedserver import FeedServer
from tests.ingestion import FIXTURES, Clock

USER = 1001
OTHER = 1002
ADMIN = 999
SEED_TITLE = "Poutine et Kim Jong-un se serrent la main au cosmodrome de Vostochny"


async def test_start_welcomes_and_offers_the_default_topic(vigie: Vigie) -> None:
    """/start answers in the user's language with a button that tracks the default topic."""
    (welcome,) = await vigie.say(USER, "/start", language_code="fr")
    assert "Vigie" in welcome.visible_text
    assert welcome.callback_data == ["track:topic:russia-north-korea-arms"]
    tracked = await vigie.press(USER, welcome, "track:topic:russia-north-korea-arms")
    assert "Corée du Nord" in tracked.visible_text


async def test_track_poll_then_latest_finds_the_seed(vigie: Vigie) -> None:
    """/start, /track kim putin, a poll cycle, then /latest kim putin lists the French seed story."""
    await vigie.say(USER, "/start")
    (tracked,) = await vigie.say(USER, "/track kim putin")
    assert "Vladimir Putin" in tracked.visible_text
    await vigie.rt.poll_cycle()
    (latest,) = await vigie.say(USER, "/latest kim putin 10")
    assert SEED_TITLE in latest.visible_text
    assert "putin → Vladimir Putin" in latest.visible_text
    assert latest.link_preview_options == {"is_disabled": True}


async def test_latest_pages_with_more(vigie: Vigie) -> None:
    """The More button replaces the list with the next stories."""
    await vigie.rt.poll_cycle()
    (first,) = await vigie.say(USER, "/latest kim putin 2")
    assert first.callback_data
    shown_first = set(first.visible_text.splitlines()[1:])
    second = await vigie.press(USER, first, first.callback_data[0], edits=True)
    shown_second = set(second.visible_text.splitlines()[1:])
    assert shown_second - shown_first
    assert not (shown_second - {""}) & (shown_first - {""})


async def test_latest_not_understood_suggests(vigie: Vigie) -> None:
    """A misspelt name gets a helpful answer with a suggestion."""
    await vigie.rt.poll_cycle()
    (reply,) = await vigie.say(USER, "/latest puttin")
    assert "Putin" in reply.visible_text


async def test_digest_now(vigie: Vigie) -> None:
    """/digest sends the digest of the chat's topics at once."""
    await vigie.say(USER, "/start")
    await vigie.say(USER, "/track kim putin")
    vigie.tick(minutes=1)
    await vigie.rt.poll_cycle()
    (digest,) = await vigie.say(USER, "/digest")
    assert "kim putin" in digest.visible_text
    assert "Putin" in digest.visible_text


async def test_scheduled_digest_once_and_no_repeat(vigie: Vigie) -> None:
    """The daily digest comes at the chat's time with the new events, and the next day repeats none."""
    await vigie.say(USER, "/start")
    await vigie.say(USER, "/track kim putin")
    await vigie.say(USER, "/settings time 08:00")
    vigie.tick(minutes=1)
    await vigie.rt.poll_cycle()
    vigie.clock.now = dtm.datetime(2023, 9, 15, 8, 0, 30, tzinfo=dtm.UTC)
    before = len(vigie.fake.sent(USER))
    await vigie.rt.send_digests()
    digest = vigie.fake.sent(USER)[before:]
    assert len(digest) == 1
    assert "kim putin" in digest[0].visible_text
    vigie.tick(days=1)
    await vigie.rt.poll_cycle()
    await vigie.rt.send_digests()
    assert len(vigie.fake.sent(USER)) == before + 1


async def test_a_chat_that_starts_in_the_morning_gets_that_days_digest(vigie: Vigie) -> None:
    """A chat created at 07:00 gets its first digest at 08:00 the same day."""
    vigie.clock.now = dtm.datetime(2023, 9, 15, 7, 0, tzinfo=dtm.UTC)
    await vigie.say(OTHER, "/track kim putin")
    await vigie.rt.poll_cycle()
    vigie.clock.now = dtm.datetime(2023, 9, 15, 8, 0, 30, tzinfo=dtm.UTC)
    before = len(vigie.fake.sent(OTHER))
    await vigie.rt.send_digests()
    (digest,) = vigie.fake.sent(OTHER)[before:]
    assert "kim putin" in digest.visible_text


async def test_nothing_new_message_only_when_asked(vigie: Vigie) -> None:
    """A day with nothing new sends nothing, unless the chat asked for "nothing new" messages."""
    await vigie.say(USER, "/start")
    await vigie.say(USER, "/track zelensky")
    vigie.clock.now = dtm.datetime(2023, 9, 15, 8, 0, 30, tzinfo=dtm.UTC)
    before = len(vigie.fake.sent(USER))
    await vigie.rt.send_digests()
    assert len(vigie.fake.sent(USER)) == before
    (settings,) = await vigie.say(USER, "/settings")
    await vigie.press(USER, settings, "set:nothing_new:on", edits=True)
    vigie.tick(days=1)
    await vigie.rt.send_digests()
    assert len(vigie.fake.sent(USER)) == before + 2  # the settings message, then "nothing new"


async def test_alert_for_a_story_added_after_start(vigie: Vigie) -> None:
    """With alerts on, a new matching story is pushed after the next cycle, once."""
    await vigie.say(USER, "/start")
    await vigie.say(USER, "/track kim putin")
    await vigie.rt.poll_cycle()
    await vigie.say(USER, "/alerts on")
    body = (FIXTURES / "world" / "en.rss").read_text(encoding="utf-8")
    item = (
        "<item><guid>en-late</guid><title>Kim Jong Un leaves Russia after Putin talks</title>"
        "<link>https://en.news.example/kim-leaves</link>"
        "<pubDate>Sun, 17 Sep 2023 10:00:00 +0000</pubDate></item></channel>"
    )
    vigie.feeds.add("/en.rss", body.replace("</channel>", item).encode())
    vigie.tick(hours=1)
    before = len(vigie.fake.sent(USER))
    await vigie.rt.poll_cycle()
    alerts = vigie.fake.sent(USER)[before:]
    assert len(alerts) == 1
    assert "Kim Jong Un leaves Russia" in alerts[0].visible_text
    vigie.tick(hours=1)
    await vigie.rt.poll_cycle()
    assert len(vigie.fake.sent(USER)) == before + 1


def with_items(name: str, items: list[tuple[str, ...]]) -> bytes:
    """A world fixture feed with more items: (guid, title, link[, RFC 822 date])."""
    body = (FIXTURES / "world" / name).read_text(encoding="utf-8")
    extra = "".join(
        f"<item><guid>{item[0]}</guid><title>{item[1]}</title><link>{item[2]}</link>"
        + (f"<pubDate>{item[3]}</pubDate>" if len(item) > 3 else "")
        + "</item>"
        for item in items
    )
    return body.replace("</channel>", extra + "</channel>").encode()


async def test_new_reports_of_alerted_events_never_crowd_out_a_new_one(vigie: Vigie) -> None:
    """When a second outlet repeats five events already alerted, a new event is still alerted."""
    await vigie.say(USER, "/track putin")
    await vigie.rt.poll_cycle()
    await vigie.say(USER, "/alerts on")
    five = [(f"a{n}", f"Putin decree number {n}", f"https://a.example/{n}") for n in range(5)]
    vigie.feeds.add("/en.rss", with_items("en.rss", five))
    vigie.tick(minutes=10)
    before = len(vigie.fake.sent(USER))
    await vigie.rt.poll_cycle()
    assert len(vigie.fake.sent(USER)) == before + 5
    again = [(f"b{n}", title, link) for n, title, link in five]
    # Published an hour before the repeats arrive: the oldest of the cycle's new stories.
    new = (
        "b-new",
        "Putin signs a grain export deal",
        "https://b.example/grain",
        "Thu, 14 Sep 2023 11:30:00 +0000",
    )
    vigie.feeds.add("/de.rss", with_items("de.rss", [*again, new]))
    vigie.tick(minutes=10)
    await vigie.rt.poll_cycle()
    alerts = vigie.fake.sent(USER)[before + 5 :]
    assert [a.visible_text.count("grain export") for a in alerts] == [1]


async def test_back_after_days_down_one_digest_brings_the_news(vigie: Vigie) -> None:
    """Back after three days down: old stories are not pushed as alerts; one digest brings them."""
    await vigie.say(USER, "/track kim putin")
    await vigie.rt.poll_cycle()
    await vigie.say(USER, "/alerts on")
    vigie.clock.now = dtm.datetime(2023, 9, 15, 8, 0, 30, tzinfo=dtm.UTC)
    await vigie.rt.send_digests()
    vigie.clock.now = dtm.datetime(2023, 9, 18, 10, 0, tzinfo=dtm.UTC)
    old = (
        "old",
        "Kim and Putin exchange rifles",
        "https://a.example/rifles",
        "Sat, 16 Sep 2023 09:00:00 +0000",
    )
    fresh = (
        "fresh",
        "Kim back in Pyongyang after Putin visit",
        "https://a.example/back",
        "Mon, 18 Sep 2023 09:30:00 +0000",
    )
    vigie.feeds.add("/en.rss", with_items("en.rss", [old, fresh]))
    before = len(vigie.fake.sent(USER))
    await vigie.rt.poll_cycle()
    alerts = vigie.fake.sent(USER)[before:]
    assert ["Pyongyang" in a.visible_text for a in alerts] == [True]
    await vigie.rt.send_digests()
    (digest,) = vigie.fake.sent(USER)[before + 1 :]
    assert "exchange rifles" in digest.visible_text


async def test_a_digest_waits_for_the_poll_cycle_under_way(vigie: Vigie) -> None:
    """A digest due while a poll cycle runs waits for it, and brings what it found."""
    await vigie.say(USER, "/track kim putin")
    await vigie.rt.poll_cycle()
    vigie.clock.now = dtm.datetime(2023, 9, 15, 8, 0, 30, tzinfo=dtm.UTC)
    late = ("late", "Putin and Kim sign a treaty", "https://a.example/treaty")
    vigie.feeds.add("/en.rss", with_items("en.rss", [late]), delay=1.0)
    hits = vigie.feeds.hits["/en.rss"]
    poll = asyncio.create_task(vigie.rt.poll_cycle())
    await vigie.feeds.wait_for_hits("/en.rss", hits + 1)
    before = len(vigie.fake.sent(USER))
    await vigie.rt.send_digests()
    assert poll.done()
    (digest,) = vigie.fake.sent(USER)[before:]
    assert "sign a treaty" in digest.visible_text


async def test_topics_remove_button(vigie: Vigie) -> None:
    """/topics lists the topics; its remove button takes one away."""
    await vigie.say(USER, "/track kim putin")
    await vigie.say(USER, "/track zelensky")
    (listing,) = await vigie.say(USER, "/topics")
    assert "zelensky" in listing.visible_text
    remove = next(d for d in listing.callback_data if d.startswith("untrack:"))
    edited = await vigie.press(USER, listing, remove, edits=True)
    assert "kim putin" not in edited.visible_text
    assert "zelensky" in edited.visible_text


async def test_a_press_too_old_to_answer_still_counts(vigie: Vigie) -> None:
    """A button press Telegram calls too old to answer is still carried out."""
    await vigie.say(USER, "/track kim putin")
    (listing,) = await vigie.say(USER, "/topics")
    assert "1. kim putin" in listing.visible_text
    remove = next(d for d in listing.callback_data if d.startswith("untrack:"))
    edits_before = len(listing.history)
    vigie.fake.press_button(USER, listing.message_id, remove, stale=True)
    await vigie.fake.wait_for(
        lambda m: m.message_id == listing.message_id and len(m.history) > edits_before,
        chat_id=USER,
    )
    assert "1. kim putin" not in listing.visible_text


async def test_untrack_by_number(vigie: Vigie) -> None:
    """/untrack 1 removes the first topic; a wrong number says how many there are."""
    await vigie.say(USER, "/track kim putin")
    await vigie.say(USER, "/track zelensky")
    (removed,) = await vigie.say(USER, "/untrack 1")
    assert "kim putin" in removed.visible_text
    (wrong,) = await vigie.say(USER, "/untrack 5")
    assert "5" in wrong.visible_text


async def test_settings_typed(vigie: Vigie) -> None:
    """/settings tz accepts a city name and shows the zone it chose."""
    (reply,) = await vigie.say(USER, "/settings tz Paris")
    assert "Europe/Paris" in reply.visible_text
    (bad,) = await vigie.say(USER, "/settings time 25:00")
    assert "25:00" in bad.visible_text


async def test_admin_feeds_and_refusal(vigie: Vigie) -> None:
    """Admins see feed health; anyone else gets a polite refusal."""
    await vigie.rt.poll_cycle()
    replies = await vigie.say(ADMIN, "/feeds")
    assert "seed.rss" in replies[0].visible_text
    (stats,) = await vigie.say(ADMIN, "/stats")
    assert any(ch.isdigit() for ch in stats.visible_text)
    (refused,) = await vigie.say(USER, "/feeds")
    assert "seed.rss" not in refused.visible_text


async def test_unknown_command_is_helped(vigie: Vigie) -> None:
    """An unknown command gets a pointer to /help."""
    (reply,) = await vigie.say(USER, "/frobnicate")
    assert "/help" in reply.visible_text


async def test_help_lists_commands(vigie: Vigie) -> None:
    """/help lists every command."""
    (reply,) = await vigie.say(USER, "/help")
    for command in (
        "/latest",
        "/track",
        "/topics",
        "/untrack",
        "/digest",
        "/alerts",
        "/settings",
        "/stop",
    ):
        assert command in reply.visible_text


async def test_stop_deletes_the_chat(vigie: Vigie) -> None:
    """/stop deletes the chat's topics: a later /topics shows none."""
    await vigie.say(USER, "/track kim putin")
    await vigie.say(USER, "/stop")
    (topics,) = await vigie.say(USER, "/topics")
    assert "1. kim putin" not in topics.visible_text


async def test_command_menus_in_english_and_french(vigie: Vigie) -> None:
    """The command menu is registered for English and French."""
    english = vigie.fake.commands_for()
    french = vigie.fake.commands_for(language_code="fr")
    assert {c["command"] for c in english} >= {"latest", "track", "digest"}
    assert english != french


async def test_blocked_chat_deactivated_others_served(vigie: Vigie) -> None:
    """A chat that blocked the bot is deactivated; the others still get their digest."""
    for chat in (USER, OTHER):
        await vigie.say(chat, "/track kim putin")
    vigie.tick(minutes=1)
    await vigie.rt.poll_cycle()
    vigie.fake.block(USER)
    vigie.clock.now = dtm.datetime(2023, 9, 15, 8, 0, 30, tzinfo=dtm.UTC)
    before = len(vigie.fake.sent(OTHER))
    report = await vigie.rt.send_digests()
    assert report is not None
    assert report.deactivated == 1
    assert len(vigie.fake.sent(OTHER)) == before + 1
    assert vigie.app.subscribers.chat(USER) is None


async def test_429_storm_delivers_every_digest_once(vigie: Vigie) -> None:
    """Under a storm of 429s, every chat still gets its digest exactly once."""
    chats = list(range(2001, 2011))
    for chat in chats:
        await vigie.say(chat, "/track putin")
    vigie.tick(minutes=1)
    await vigie.rt.poll_cycle()
    vigie.fake.force_429(6, retry_after=1)
    vigie.clock.now = dtm.datetime(2023, 9, 15, 8, 0, 30, tzinfo=dtm.UTC)
    before = {c: len(vigie.fake.sent(c)) for c in chats}
    await vigie.rt.send_digests()
    for _ in range(5):
        if all(len(vigie.fake.sent(c)) > before[c] for c in chats):
            break
        await vigie.rt.send_outbox()
    assert all(len(vigie.fake.sent(c)) == before[c] + 1 for c in chats)


async def test_schedules_survive_a_restart(
    fake_bot_api: FakeBotApi, feed_server: FeedServer, tmp_path: Path
) -> None:
    """A chat's digest time set before a restart is kept, and a digest missed while down is sent."""
    clock = Clock()
    async for first in running(fake_bot_api, feed_server, tmp_path, clock):
        first.serve(WORLD)
        await first.say(USER, "/settings tz Europe/Paris")
        await first.say(USER, "/track kim putin")
        first.tick(minutes=1)
        await first.rt.poll_cycle()
    clock.now = dtm.datetime(2023, 9, 15, 9, 30, tzinfo=dtm.UTC)  # 11:30 in Paris: 08:00 was missed
    async for second in running(fake_bot_api, feed_server, tmp_path, clock):
        before = len(fake_bot_api.sent(USER))
        await second.rt.send_digests()
        assert len(fake_bot_api.sent(USER)) == before + 1
        assert "kim putin" in fake_bot_api.sent(USER)[-1].visible_text


async def test_commands_are_answered_during_a_fan_out(vigie: Vigie) -> None:
    """While digests go out to many chats within Telegram's limits, a command is answered at once."""
    chats = list(range(3001, 3061))
    for chat in chats:
        await vigie.say(chat, "/track putin")
    vigie.tick(minutes=1)
    await vigie.rt.poll_cycle()
    vigie.clock.now = dtm.datetime(2023, 9, 15, 8, 0, 30, tzinfo=dtm.UTC)
    vigie.fake.limits = dataclasses.replace(vigie.fake.limits, enabled=True)
    fan_out = asyncio.create_task(vigie.rt.send_digests())
    await vigie.fake.wait_for(lambda m: m.chat_id in chats and "digest" in m.visible_text)
    (answer,) = await vigie.say(USER, "/help")
    assert "/latest" in answer.visible_text
    assert not fan_out.done()
    await fan_out
    assert not vigie.fake.rejected()


async def test_a_group_has_its_own_settings(vigie: Vigie) -> None:
    """In a group, topics and settings belong to the group, whoever types the command."""
    group = -100200300
    await vigie.say(group, "/track kim putin")
    await vigie.say(group, "/settings tz Tokyo")
    (topics,) = await vigie.say(group, "/topics")
    assert "kim putin" in topics.visible_text
    (mine,) = await vigie.say(USER, "/topics")
    assert "1. kim putin" not in mine.visible_text
    (settings,) = await vigie.say(group, "/settings")
    assert "Asia/Tokyo" in settings.visible_text


async def test_a_group_upgraded_to_a_supergroup_keeps_its_topics(vigie: Vigie) -> None:
    """Telegram's migration message moves a group's topics to its new supergroup id."""
    group, supergroup = -400500, -1000400500
    await vigie.say(group, "/track kim putin")
    vigie.fake.inject_update(
        {
            "message": {
                "message_id": 99,
                "date": 1694592000,
                "chat": {"id": group, "type": "group", "title": "Desk"},
                "migrate_to_chat_id": supergroup,
            }
        }
    )
    vigie.fake.add_chat(supergroup, "supergroup")
    for _ in range(100):
        if vigie.app.subscribers.chat(group) is None:
            break
        await asyncio.sleep(0.02)
    (topics,) = await vigie.say(supergroup, "/topics")
    assert "1. kim putin" in topics.visible_text


async def test_commands_for_other_bots_are_left_to_them(vigie: Vigie) -> None:
    """In a group, Vigie does not answer a command addressed to another bot."""
    group = -100777
    vigie.fake.inject_message(group, "/start@some_other_bot")
    vigie.fake.inject_message(
        group, f"/foo@{vigie.fake.bot_username}_2"
    )  # a name that starts as ours
    (answer,) = await vigie.say(group, "/help")
    await asyncio.sleep(0.3)  # the other bot's command was handled concurrently
    assert vigie.fake.sent(group) == [answer]


async def test_an_unknown_command_is_answered_in_the_users_language(vigie: Vigie) -> None:
    """A newcomer's unknown command gets its answer in the language of their Telegram."""
    (answer,) = await vigie.say(2001, "/aide", language_code="fr")
    assert answer.text == replies.unknown_command("fr").text


async def test_an_apology_even_when_the_database_fails(vigie: Vigie) -> None:
    """When the database itself fails, the user still gets an apology rather than silence."""
    with vigie.app.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE subscriptions")
        connection.exec_driver_sql("DROP TABLE deliveries")
        connection.exec_driver_sql("DROP TABLE chats")
    (answer,) = await vigie.say(USER, "/help")
    assert answer.text == replies.error("en").text


async def test_commands_work_in_a_channel(vigie: Vigie) -> None:
    """A command posted in a channel where the bot is admin is answered in the channel."""
    channel = -1009876543210
    vigie.fake.inject_update(
        {
            "channel_post": {
                "message_id": 1,
                "date": 1694592000,
                "chat": {"id": channel, "type": "channel", "title": "World desk"},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            }
        }
    )
    (answer,) = await vigie.fake.wait_for(chat_id=channel)
    assert "/latest" in answer.visible_text
