"""Write docs/conversation.md: one example conversation with Vigie, produced by running the real
bot against the fake Bot API and the fixture feeds (nothing in it is typed by hand).

Usage:
    .venv/bin/python -m tests.conversation [output path]
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import sys
import tempfile
from pathlib import Path

from tests.botharness import WORLD, Vigie, running
from tests.fakebotapi import FakeBotApi, SentMessage
from tests.feedserver import FeedServer
from tests.ingestion import Clock

CHAT = 4242
OUTPUT = Path(__file__).parents[1] / "docs" / "conversation.md"


def shown(message: SentMessage) -> str:
    """A message as the user sees it, with its buttons."""
    lines = [f"    {line}" if line else "" for line in message.visible_text.splitlines()]
    buttons = [f"[{b['text']}]" for b in message.buttons]
    if buttons:
        lines.append("    " + " ".join(buttons))
    return "\n".join(lines)


async def converse(vigie: Vigie, out: list[str]) -> None:
    async def say(text: str, replies: int = 1, language_code: str = "en") -> list[SentMessage]:
        answers = await vigie.say(CHAT, text, replies=replies, language_code=language_code)
        out.append(f"**You:** `{text}`\n")
        out.extend(f"**Vigie:**\n\n{shown(m)}\n" for m in answers)
        return answers

    (welcome,) = await say("/start")
    tracked = await vigie.press(CHAT, welcome, welcome.callback_data[0])
    out.append(f"*(presses “{welcome.buttons[0]['text']}”)*\n")
    out.append(f"**Vigie:**\n\n{shown(tracked)}\n")
    await say("/track kim putin")
    vigie.tick(minutes=1)
    reports = await vigie.rt.poll_cycle()
    new = sum(len(r.new_story_ids) for r in reports)
    out.append(f"*(a poll cycle stores {new} new stories from {len(reports)} feeds)*\n")
    (latest,) = await say("/latest kim putin 3")
    before = latest.visible_text
    page = await vigie.press(CHAT, latest, latest.callback_data[0], edits=True)
    out.append("*(presses “More”: the list is replaced by the next stories)*\n")
    out.append(f"**Vigie:**\n\n{shown(page)}\n")
    assert page.visible_text != before
    await say("/latest Poutine")
    await say("/latest puttin")
    await say("/topics")
    await say("/settings tz Paris")
    vigie.clock.now = dtm.datetime(2023, 9, 15, 6, 0, 30, tzinfo=dtm.UTC)
    count = len(vigie.fake.sent(CHAT))
    await vigie.rt.send_digests()
    out.append("*(the next morning, 08:00 in Paris: the scheduled digest arrives)*\n")
    out.extend(f"**Vigie:**\n\n{shown(m)}\n" for m in vigie.fake.sent(CHAT)[count:])
    await say("/aide")
    await say("/stop")


async def main() -> str:
    out = [
        "# An example conversation",
        "",
        "Produced by `.venv/bin/python -m tests.conversation`: the real bot against the fake Bot API",
        "server, with the fixture feeds of `tests/fixtures/` (the seed article and the same event in",
        "English, Russian, Korean, German and Japanese, plus a Quebec poutine recipe). Times are the",
        "test's clock: 14 September 2023.",
        "",
    ]
    with tempfile.TemporaryDirectory() as folder:
        async with FakeBotApi() as fake:
            feeds = FeedServer()
            await feeds.start()
            try:
                async for vigie in running(fake, feeds, Path(folder), Clock()):
                    vigie.serve(WORLD)
                    await converse(vigie, out)
            finally:
                await feeds.close()
    return "\n".join(out)


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    path.write_text(asyncio.run(main()), encoding="utf-8")
    print(f"wrote {path}")
