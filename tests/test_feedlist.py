"""Reading FEEDS_FILE: text lists and OPML."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.feedlist import FeedListError, parse_opml, parse_text_list, read_feed_list
from bot.settings import BUNDLED_FEEDS


def test_text_list_skips_comments_blanks_and_duplicates() -> None:
    """Comments, blank lines, non-URLs and repeats are dropped; order is kept."""
    text = "# news\nhttps://a.example/rss\n\nhttps://b.example/feed  # b\nnot a url\nhttps://a.example/rss\n"
    assert parse_text_list(text) == ["https://a.example/rss", "https://b.example/feed"]


def test_opml_outlines_give_their_feed_urls() -> None:
    """Every outline's xmlUrl is a feed, nested ones included."""
    opml = (
        '<opml version="2.0"><body><outline text="News">'
        '<outline text="A" xmlUrl="https://a.example/rss"/></outline>'
        '<outline text="B" xmlUrl="https://b.example/atom"/></body></opml>'
    )
    assert parse_opml(opml) == ["https://a.example/rss", "https://b.example/atom"]


def test_broken_opml_is_a_clear_error(tmp_path: Path) -> None:
    """An OPML file that is not XML raises FeedListError, not a crash."""
    path = tmp_path / "feeds.opml"
    path.write_text("<opml><body>", encoding="utf-8")
    with pytest.raises(FeedListError, match="OPML"):
        read_feed_list(path)


def test_bundled_list_covers_ten_languages() -> None:
    """The bundled list has at least 20 feeds."""
    assert len(read_feed_list(BUNDLED_FEEDS)) >= 20
