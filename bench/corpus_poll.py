"""poll-once over the shared corpus, served from 127.0.0.1: wall time of a first and a second cycle,
and stories stored against feedparser's own entry counts.

Usage:
    .venv/bin/python -m bench.corpus_poll [corpus dir]   (default: $VIGIE_FEED_CORPUS or ../shared/feeds-corpus)
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from tests.feedserver import FeedServer

ROOT = Path(__file__).parents[1]


async def poll_once(folder: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "poll-once",
        cwd=folder,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"poll-once failed: {err.decode()[-2000:]}")
    return time.perf_counter() - started, out.decode().strip().splitlines()[-1]


async def main(corpus: Path) -> None:
    listing = json.loads((corpus / "_analysis.json").read_text(encoding="utf-8"))
    server = FeedServer()
    await server.start()
    server.serve_dir("/corpus", corpus)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "feeds.txt").write_text(
                "\n".join(server.url(f"/corpus/{item['file']}") for item in listing),
                encoding="utf-8",
            )
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
                "DATABASE_URL": f"sqlite:///{folder / 'vigie.db'}",
                "FEEDS_FILE": str(folder / "feeds.txt"),
                "LOG_LEVEL": "WARNING",
            }
            first, first_total = await poll_once(folder, env)
            second, second_total = await poll_once(folder, env)
            with sqlite3.connect(folder / "vigie.db") as db:
                stored = db.execute("SELECT count(*) FROM stories").fetchone()[0]
                mentions = db.execute("SELECT count(*) FROM mentions").fetchone()[0]
    finally:
        await server.close()
    expected = sum(item["fp_entries"] for item in listing)
    print(
        f"feeds: {len(listing)}; feedparser entries: {expected}; stories stored: {stored}; mentions: {mentions}"
    )
    print(f"first cycle:  {first:6.2f} s wall  ({first_total})")
    print(f"second cycle: {second:6.2f} s wall  ({second_total})")


if __name__ == "__main__":
    default = os.environ.get("VIGIE_FEED_CORPUS") or str(ROOT.parent / "shared" / "feeds-corpus")
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else default)))
