"""The configured feed list: a text file (one URL per line, '#' comments) or an OPML export."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path
from urllib.parse import urlsplit


class FeedListError(Exception):
    """The feed list cannot be read; the message says which file and why."""


def parse_text_list(text: str) -> list[str]:
    """URLs in file order, duplicates and comments dropped."""
    urls: dict[str, None] = {}
    for line in text.splitlines():
        line = "" if line.lstrip().startswith("#") else line.split(" #", 1)[0].strip()
        if line and is_feed_url(line):
            urls.setdefault(line)
    return list(urls)


def parse_opml(document: str | bytes) -> list[str]:
    """The xmlUrl of every outline, in document order (bytes follow their XML declaration)."""
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as exc:
        raise FeedListError(f"not valid OPML: {exc}") from None
    urls: dict[str, None] = {}
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if url and is_feed_url(url):
            urls.setdefault(url)
    return list(urls)


def is_feed_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1/": an IPv6 host left open
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def read_feed_list(path: Path) -> list[str]:
    """Read FEEDS_FILE; OPML when it ends in .opml or .xml, else a UTF-8 text list."""
    try:
        data = path.read_bytes()
        if path.suffix.lower() in (".opml", ".xml"):
            return parse_opml(data)
        return parse_text_list(data.decode("utf-8-sig"))  # Notepad's BOM is no part of a URL
    except (OSError, UnicodeDecodeError, FeedListError) as exc:
        raise FeedListError(f"FEEDS_FILE {path}: {exc}") from None
