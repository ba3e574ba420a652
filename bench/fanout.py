"""Measure how fast the outbox fans a digest out, against the fake Bot API with Telegram's limits.

Usage:
    .venv/bin/python -m bench.fanout [--chats N] [--runs R]

Each run starts a fresh fake Bot API with Telegram's flood limits on and a fresh SQLite file
holding N private chats (default 300) with one queued digest each, then drains it through the
Outbox with a real python-telegram-bot Bot. Prints each run's messages per second, the median
of the runs (default 3), its ratio to Telegram's 30 messages/s bound, and how many 429s the fake
answered (0 means the pacing stayed within the limits). Every chat must get exactly one message.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from telegram import Bot

from bot.outbox import Outbox
from bot.pacing import SendLimits
from storage import outbox as outbox_store
from storage.db import make_engine, session, upgrade
from storage.tables import Chat
from tests.fakebotapi import FakeBotApi, RateLimits

DIGEST = '<b>Your digest</b>\n• <a href="https://example.org/a">Story</a> — Le Monde'


def utc_now() -> datetime:
    return datetime.now(UTC)


async def one_run(chats: int, workdir: Path) -> tuple[float, int]:
    """(messages per second, 429s answered) for one fan-out to `chats` private chats."""
    engine = make_engine(f"sqlite:///{workdir / 'vigie.db'}")
    upgrade(engine)
    now = utc_now()
    with session(engine) as s:
        s.add_all([Chat(id=c, created_at=now) for c in range(1, chats + 1)])
        for chat_id in range(1, chats + 1):
            outbox_store.enqueue(s, chat_id=chat_id, dedup_key=f"d:{chat_id}", text=DIGEST, now=now)
        s.commit()
    try:
        async with FakeBotApi() as fake:
            fake.limits = RateLimits(enabled=True)
            async with Bot(fake.token, base_url=fake.base_url) as bot:
                outbox = Outbox(engine, bot, clock=utc_now, limits=SendLimits())
                started = time.perf_counter()
                report = await outbox.drain()
                elapsed = time.perf_counter() - started
            received = Counter(m.chat_id for m in fake.all_sent())
            floods = len(fake.rejected("sendMessage"))
    finally:
        engine.dispose()
    if report.sent != chats or set(received.values()) != {1} or len(received) != chats:
        raise SystemExit(f"delivery broken: {report}, {len(received)} chats reached")
    return chats / elapsed, floods


async def main_async(chats: int, runs: int) -> None:
    bound = (
        30.0  # Telegram's overall limit; the outbox's own pace is SendLimits().overall_per_second
    )
    rates, floods = [], []
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            rate, flood = await one_run(chats, Path(tmp))
        rates.append(rate)
        floods.append(flood)
        print(f"  run {run + 1}: {rate:.2f} msg/s, {flood} x 429")
    median = statistics.median(rates)
    print(
        f"fan-out to {chats} private chats: median {median:.2f} msg/s over {runs} runs; "
        f"ratio to Telegram's {bound:.0f}/s bound {median / bound:.3f} (the outbox paces at "
        f"{SendLimits().overall_per_second:.0f}/s); 429s answered: {sum(floods)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main_async(args.chats, args.runs))


if __name__ == "__main__":
    main()
