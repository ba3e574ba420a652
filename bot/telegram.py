"""Running Vigie in Telegram: the PTB Application, its jobs, and a clean stop.

A poll cycle, the digest scheduler and the outbox run as JobQueue (APScheduler) jobs beside the
update handlers, so a cycle or a fan-out never blocks answering commands. `Runtime` holds what the
jobs need; tests drive its methods directly instead of waiting for the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import Application, ContextTypes

from bot import menus
from bot.app import App
from bot.i18n import SUPPORTED
from bot.ingest import FeedReport, Ingestor, Outcome
from bot.outbox import DrainReport, Outbox
from handlers import register
from handlers.context import KEY, Services

log = logging.getLogger(__name__)
RUNTIME = "vigie.runtime"


@dataclass(frozen=True, slots=True)
class Ticks:
    """How often each job runs, in seconds. Each feed is still due every POLL_INTERVAL_SECONDS."""

    poll: float = 30.0
    digests: float = 30.0
    outbox: float = 5.0
    # The first cycle starts right after start-up (APScheduler cannot start an interval at 0).
    first_poll: float = 1.0


class Runtime:
    """The long-lived parts of a running bot: ingestion, the outbox, and the jobs' work."""

    def __init__(self, app: App, application: Application) -> None:
        self.app = app
        self.outbox = Outbox(app.engine, application.bot, clock=app.clock)
        self._stack = contextlib.AsyncExitStack()
        self._ingestor: Ingestor | None = None
        self._polling = asyncio.Lock()

    async def open(self) -> None:
        self._ingestor = await self._stack.enter_async_context(self.app.ingestor())

    async def close(self) -> None:
        await self._stack.aclose()

    async def poll_cycle(self) -> list[FeedReport]:
        """Poll the due feeds, queue alerts for what is new, and send them."""
        if self._ingestor is None or self._polling.locked():  # the last cycle is still running
            return []
        async with self._polling:
            reports = await self._ingestor.poll(only_due=True)
            new_ids = [i for r in reports for i in r.new_story_ids]
            errors = sum(r.outcome is Outcome.ERROR for r in reports)
            log.info(
                "poll: %d feeds, %d new stories, %d errors", len(reports), len(new_ids), errors
            )
            queued = await asyncio.to_thread(self.app.alerts.enqueue, new_ids) if new_ids else 0
        if queued:
            await self.outbox.drain()
        return reports

    async def send_digests(self) -> DrainReport | None:
        """Queue the scheduled digests that are due, and send them.

        Never while a poll cycle stores stories: a story stamped as arrived before the digest's
        end but committed after its query would fall between two digests. Waiting also lets the
        first digest after a restart include what the first poll found.
        """
        async with self._polling:
            queued = await asyncio.to_thread(self.app.digests.enqueue_due)
        return await self.outbox.drain() if queued else None

    async def send_outbox(self) -> DrainReport:
        """Send what waits in the outbox (retries, messages queued before a restart)."""
        return await self.outbox.drain()


def runtime_of(application: Application) -> Runtime:
    found = application.bot_data[RUNTIME]
    assert isinstance(found, Runtime)
    return found


def build_application(app: App, ticks: Ticks = Ticks()) -> Application:
    """The PTB Application for `app`'s settings, with Vigie's handlers; `start` adds the rest."""
    token = app.settings.telegram_bot_token
    if token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    application = (
        Application.builder()
        .token(token.get_secret_value())
        .base_url(app.settings.telegram_base_url)
        .concurrent_updates(True)
        .post_init(lambda application: _started(application, ticks))
        .post_shutdown(stop)
        .build()
    )
    application.bot_data[KEY] = Services(app)
    register(application)
    return application


def _job(
    work: Callable[[Runtime], Awaitable[object]],
) -> Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    async def callback(context: ContextTypes.DEFAULT_TYPE) -> None:
        await work(runtime_of(context.application))

    return callback


async def start(application: Application, ticks: Ticks = Ticks()) -> Runtime:
    """Open ingestion, register the command menus and schedule the jobs (a poll cycle at once)."""
    services = application.bot_data[KEY]
    assert isinstance(services, Services)
    rt = Runtime(services.app, application)
    await rt.open()
    application.bot_data[RUNTIME] = rt
    for lang in SUPPORTED:
        commands = [BotCommand(name, text) for name, text in menus.COMMANDS(lang)]
        await application.bot.set_my_commands(
            commands, language_code=None if lang == "en" else lang
        )
    jobs = application.job_queue
    assert jobs is not None, "python-telegram-bot[job-queue] is required"
    # A long fan-out may outlast a tick: the overlapping run returns at once (busy or locked).
    overlap = {"max_instances": 2, "coalesce": True}
    jobs.run_repeating(
        _job(Runtime.poll_cycle),
        ticks.poll,
        first=ticks.first_poll,
        name="poll",
        job_kwargs=overlap,
    )
    jobs.run_repeating(
        _job(Runtime.send_digests),
        ticks.digests,
        first=ticks.digests / 3,
        name="digests",
        job_kwargs=overlap,
    )
    jobs.run_repeating(
        _job(Runtime.send_outbox),
        ticks.outbox,
        first=ticks.outbox,
        name="outbox",
        job_kwargs=overlap,
    )
    return rt


async def _started(application: Application, ticks: Ticks) -> None:
    await start(application, ticks)


async def stop(application: Application) -> None:
    """Close what `start` opened."""
    found = application.bot_data.pop(RUNTIME, None)
    if isinstance(found, Runtime):
        await found.close()


def run(app: App) -> int:
    """Long-poll Telegram until SIGINT or SIGTERM; exit code 0 after a clean stop."""
    application = build_application(app)
    application.run_polling(
        allowed_updates=Update.ALL_TYPES, stop_signals=(signal.SIGINT, signal.SIGTERM)
    )
    return 0
