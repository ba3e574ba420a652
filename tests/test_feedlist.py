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
    with pytest.raises(FeedListError, match=r"^FEEDS_FILE .*feeds.opml: not valid OPML"):
        read_feed_list(path)


def test_a_byte_order_mark_is_no_part_of_the_first_url(tmp_path: Path) -> None:
    """A list saved with a UTF-8 BOM keeps its first URL."""
    path = tmp_path / "feeds.txt"
    path.write_bytes(b"\xef\xbb\xbfhttps://a.example/rss\n")
    assert read_feed_list(path) == ["https://a.example/rss"]


def test_opml_in_its_declared_encoding(tmp_path: Path) -> None:
    """An OPML file declared ISO-8859-1 is read in that encoding."""
    path = tmp_path / "feeds.opml"
    opml = '<?xml version="1.0" encoding="ISO-8859-1"?><opml><body><outline text="Télé" xmlUrl="https://a.example/rss"/></body></opml>'
    path.write_bytes(opml.encode("iso-8859-1"))
    assert read_feed_list(path) == ["https://a.example/rss"]


def test_an_unclosed_ipv6_host_is_no_feed_url() -> None:
    """A line such as http://[::1/ is skipped, not a crash."""
    assert parse_text_list("http://[::1/\nhttps://a.example/rss") == ["https://a.example/rss"]


def test_bundled_list_covers_ten_languages() -> None:
    """The bundled list has at least 20 feeds."""
    assert len(read_feed_list(BUNDLED_FEEDS)) >= 20
