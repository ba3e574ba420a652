"""`python -m bot run` as an operator runs it: a child process against the fake Bot API."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from tests.fakebotapi import FakeBotApi
from tests.feedserver import FeedServer
from tests.ingestion import FIXTURES
from tests.test_cli import environment


async def start_bot(
    tmp_path: Path, fake: FakeBotApi, **settings: str
) -> asyncio.subprocess.Process:
    """`python -m bot run` in a child process, on the fake Bot API, logging at DEBUG."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=environment(
            tmp_path,
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_BASE_URL=fake.base_url,
            LOG_LEVEL="DEBUG",
            **settings,
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_run_polls_serves_and_stops_cleanly_on_sigterm(
    fake_bot_api: FakeBotApi, feed_server: FeedServer, tmp_path: Path
) -> None:
    """The bot registers its menus, polls feeds at once, answers, and exits 0 on SIGTERM; no token in logs."""
    feed_server.add("/seed.rss", (FIXTURES / "feeds" / "seed.rss").read_bytes())
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(feed_server.url("/seed.rss") + "\n", encoding="utf-8")
    child = await start_bot(tmp_path, fake_bot_api, FEEDS_FILE=str(feeds))
    try:
        await fake_bot_api.wait_until_polling(timeout=60)
        await asyncio.wait_for(feed_server.wait_for_hits("/seed.rss"), timeout=60)
        fake_bot_api.inject_message(77, "/help")
        await fake_bot_api.wait_for(chat_id=77, timeout=30)
        assert fake_bot_api.commands_for(language_code="fr")
    finally:
        child.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(child.communicate(), timeout=30)
    assert child.returncode == 0
    log = err.decode()
    assert "poll:" in log
    assert fake_bot_api.token not in log
    assert fake_bot_api.token.split(":")[1] not in log


async def test_a_rejected_token_is_one_line_and_never_shown(
    fake_bot_api: FakeBotApi, tmp_path: Path
) -> None:
    """A token Telegram refuses: one line naming TELEGRAM_BOT_TOKEN, exit 2, the token nowhere."""
    fake_bot_api.reject_tokens = True
    child = await start_bot(tmp_path, fake_bot_api)
    out, err = await asyncio.wait_for(child.communicate(), timeout=60)
    assert child.returncode == 2
    assert err.decode().strip().splitlines()[-1].startswith("vigie: TELEGRAM_BOT_TOKEN: ")
    assert fake_bot_api.token.split(":")[1] not in (out + err).decode()
