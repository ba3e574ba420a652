"""The shared corpus of 122 real feeds, served from 127.0.0.1 and ingested in one cycle."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot.ingest import Outcome
from bot.parse import parse_feed
from storage.db import session
from storage.stories import dedup_key
from storage.tables import Feed, Story
from tests.feedserver import FeedServer
from tests.ingestion import SEPT_14_2023, make_app, poll

pytestmark = pytest.mark.corpus


@pytest.fixture
def corpus() -> tuple[Path, list[dict[str, Any]]]:
    """The corpus folder and its analysis, or a skip when VIGIE_FEED_CORPUS is unset."""
    folder = os.environ.get("VIGIE_FEED_CORPUS")
    if not folder:
        pytest.skip("VIGIE_FEED_CORPUS is unset")
    listing = json.loads((Path(folder) / "_analysis.json").read_text(encoding="utf-8"))
    return Path(folder), listing


def distinct_stories(path: Path, url: str) -> int:
    """Entries with content, less those the feed itself repeats (same guid, else link)."""
    feed = parse_feed(path.read_bytes(), url=url, content_type=None, now=SEPT_14_2023)
    return len({dedup_key(s) for s in feed.stories})


async def test_corpus_ingests_every_entry_once(
    feed_server: FeedServer, tmp_path: Path, corpus: tuple[Path, list[dict[str, Any]]]
) -> None:
    """Stories per feed equal feedparser's entry count less in-feed repeats; a second cycle adds none."""
    folder, listing = corpus
    feed_server.serve_dir("/corpus", folder)
    urls = {item["file"]: feed_server.url(f"/corpus/{item['file']}") for item in listing}
    app = make_app(tmp_path, list(urls.values()))

    reports = {r.url: r for r in await poll(app)}

    with session(app.engine) as s:
        stored = Counter(
            dict(
                s.exec(
                    select(Feed.url, func.count(col(Story.id)))
                    .join(Story, col(Story.feed_id) == col(Feed.id))
                    .group_by(col(Feed.url))
                ).all()
            )
        )
    for item in listing:
        url = urls[item["file"]]
        if item["fp_entries"] == 0:
            assert reports[url].outcome is Outcome.ERROR, item["file"]
            continue
        assert reports[url].outcome is Outcome.NEW, (item["file"], reports[url].error)
        assert stored[url] == distinct_stories(folder / item["file"], url), item["file"]

    again = await poll(app)
    assert sum(len(r.new_story_ids) for r in again) == 0
