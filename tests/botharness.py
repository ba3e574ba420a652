"""A running Vigie for end-to-end tests: the real PTB Application against the fake Bot API,
feeds from the local feed server, a real SQLite file, and a clock the test moves."""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest_asyncio
from telegram.ext import Application

from bot.app import App
from bot.telegram import Runtime, Ticks, build_application, start, stop
from tests.fakebotapi import FakeBotApi, SentMessage
from tests.feedserver import FeedServer
from tests.ingestion import FIXTURES, Clock, make_app

# Jobs never fire on their own in these tests: each test runs the cycle it needs.
MANUAL = Ticks(poll=3600, digests=3600, outbox=3600, first_poll=3600)
WORLD = ["seed.rss", "en.rss", "ru.rss", "ko.rss", "de.rss", "ja.rss", "fr-ca.rss"]


class Vigie:
    """What a test holds: the app, its runtime, the fake Telegram and the feeds."""

    def __init__(
        self,
        app: App,
        application: Application,
        rt: Runtime,
        fake: FakeBotApi,
        feeds: FeedServer,
        clock: Clock,
    ) -> None:
        self.app, self.application, self.rt = app, application, rt
        self.fake, self.feeds, self.clock = fake, feeds, clock

    async def say(
        self, chat_id: int, text: str, *, language_code: str = "en", replies: int = 1
    ) -> list[SentMessage]:
        """Send `text` as a user of `chat_id` and wait for that many new replies."""
        before = len(self.fake.sent(chat_id))
        self.fake.inject_message(chat_id, text, language_code=language_code)
        await self.fake.wait_for(chat_id=chat_id, count=before + replies)
        return self.fake.sent(chat_id)[before:]

    async def press(
        self, chat_id: int, message: SentMessage, data: str, *, edits: bool = False
    ) -> SentMessage:
        """Press a button; the edited message, or the next new one."""
        before = len(self.fake.sent(chat_id))
        edits_before = len(message.history)  # the fake updates `message` in place
        self.fake.press_button(chat_id, message.message_id, data)
        if edits:
            await self.fake.wait_for(
                lambda m: m.message_id == message.message_id and len(m.history) > edits_before,
                chat_id=chat_id,
            )
            return message
        await self.fake.wait_for(chat_id=chat_id, count=before + 1)
        return self.fake.sent(chat_id)[before]

    def serve(self, names: Sequence[str]) -> None:
        for name in names:
            folder = "feeds" if name == "seed.rss" else "world"
            self.feeds.add(f"/{name}", (FIXTURES / folder / name).read_bytes())

    def tick(self, **delta: float) -> None:
        self.clock.now += dtm.timedelta(**delta)


async def running(
    fake: FakeBotApi,
    feeds: FeedServer,
    tmp_path: Path,
    clock: Clock,
    ticks: Ticks = MANUAL,
    **settings: str,
) -> AsyncIterator[Vigie]:
    """Start Vigie on the fake Bot API; stop it cleanly afterwards."""
    urls = [feeds.url(f"/{name}") for name in WORLD]
    app = make_app(
        tmp_path,
        urls,
        clock=clock,
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_BASE_URL=fake.base_url,
        **settings,
    )
    application = build_application(app, ticks)
    async with application:
        rt = await start(application, ticks)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=1))
        try:
            yield Vigie(app, application, rt, fake, feeds, clock)
        finally:
            await application.updater.stop()
            await application.stop()
            await stop(application)


@pytest_asyncio.fixture
async def vigie(
    fake_bot_api: FakeBotApi, feed_server: FeedServer, tmp_path: Path
) -> AsyncIterator[Vigie]:
    """Vigie running with the world fixture feeds served; every message checked against Telegram's rules."""
    clock = Clock()
    async for running_vigie in running(
        fake_bot_api, feed_server, tmp_path, clock, ADMIN_CHAT_IDS="999"
    ):
        running_vigie.serve(WORLD)
        yield running_vigie
    malformed = [
        c
        for c in fake_bot_api.rejected()
        if c.status == 400
        and c.method in ("sendMessage", "editMessageText")
        and "not modified" not in (c.description or "")  # an edit to the same text: harmless
    ]
    assert not malformed, malformed  # every message the bot sent passed Telegram's HTML rules
