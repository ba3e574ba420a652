"""Running Vigie in Telegram: the PTB Application, its jobs, and a clean stop.

A poll cycle, the digest scheduler and the outbox run as JobQueue (APScheduler) jobs beside the
update handlers, so a cycle or a fan-out never blocks answering commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field

from telegram import BotCommand, Update
from telegram.ext import Application, ContextTypes

from bot import replies
from bot.app import App
from bot.i18n import SUPPORTED
from bot.ingest import Ingestor, Outcome
from bot.outbox import Outbox
from handlers import register
from handlers.context import KEY, Services

log = logging.getLogger(__name__)
RUNTIME = "vigie.runtime"
POLL_TICK = 30.0  # how often due feeds are looked for; each feed is due every POLL_INTERVAL_SECONDS
DIGEST_TICK = 30.0
OUTBOX_TICK = 5.0


@dataclass
class Runtime:
    ingestor: Ingestor
    outbox: Outbox
    stack: contextlib.AsyncExitStack
    polling: asyncio.Lock = field(default_factory=asyncio.Lock)


def runtime(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    found = context.bot_data[RUNTIME]
    assert isinstance(found, Runtime)
    return found


def build_application(app: App) -> Application:
    """The PTB Application for `app`'s settings, with Vigie's handlers and jobs."""
    token = app.settings.telegram_bot_token
    if token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    application = (
        Application.builder()
        .token(token.get_secret_value())
        .base_url(app.settings.telegram_base_url)
        .concurrent_updates(True)
        .post_init(_started)
        .post_shutdown(_stopped)
        .build()
    )
    application.bot_data[KEY] = Services(app)
    register(application)
    return application


async def _started(application: Application) -> None:
    app = application.bot_data[KEY].app
    stack = contextlib.AsyncExitStack()
    ingestor = await stack.enter_async_context(app.ingestor())
    application.bot_data[RUNTIME] = Runtime(
        ingestor, Outbox(app.engine, application.bot, clock=app.clock), stack
    )
    for lang in SUPPORTED:
        commands = [BotCommand(name, text) for name, text in replies.COMMANDS(lang)]
        await application.bot.set_my_commands(
            commands, language_code=None if lang == "en" else lang
        )
    jobs = application.job_queue
    assert jobs is not None, "python-telegram-bot[job-queue] is required"
    jobs.run_repeating(poll_cycle, interval=POLL_TICK, first=0, name="poll")
    jobs.run_repeating(digest_tick, interval=DIGEST_TICK, first=DIGEST_TICK / 3, name="digests")
    jobs.run_repeating(outbox_tick, interval=OUTBOX_TICK, first=OUTBOX_TICK, name="outbox")


async def _stopped(application: Application) -> None:
    found = application.bot_data.get(RUNTIME)
    if isinstance(found, Runtime):
        await found.stack.aclose()


async def poll_cycle(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Poll the due feeds, queue alerts for what is new, and send them."""
    rt = runtime(context)
    if rt.polling.locked():  # the previous cycle is still running
        return
    app = context.bot_data[KEY].app
    async with rt.polling:
        reports = await rt.ingestor.poll(only_due=True)
        new_ids = [i for r in reports for i in r.new_story_ids]
        errors = sum(r.outcome is Outcome.ERROR for r in reports)
        log.info(
            "poll cycle: %d feeds, %d new stories, %d errors", len(reports), len(new_ids), errors
        )
        if new_ids and await asyncio.to_thread(app.alerts.enqueue, new_ids):
            await rt.outbox.drain()


async def digest_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Queue the scheduled digests that are due, and send them."""
    app = context.bot_data[KEY].app
    if await asyncio.to_thread(app.digests.enqueue_due):
        await runtime(context).outbox.drain()


async def outbox_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send what waits in the outbox (retries, messages queued before a restart)."""
    await runtime(context).outbox.drain()


def run(app: App) -> int:
    """Long-poll Telegram until SIGINT or SIGTERM; exit code 0 after a clean stop."""
    application = build_application(app)
    application.run_polling(
        allowed_updates=Update.ALL_TYPES, stop_signals=(signal.SIGINT, signal.SIGTERM)
    )
    return 0
