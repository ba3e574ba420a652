"""Telegram HTML building blocks, pure: escaping, placeholders, safe links, sizes, messages.

Everything Vigie sends goes through these: text from a feed or a user is escaped with `esc` or
`fill`, links are only ever http(s) (`safe_url`, `link`), sizes are counted in UTF-16 code units
as Telegram counts them (`size`), and `pack` joins blocks into messages within the 4096 limit.
The messages themselves are made in bot.render, bot.replies and bot.menus.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from bot.text import collapse_whitespace, truncate

MAX_MESSAGE = 4096  # Telegram's limit; we hold the raw HTML to it, in UTF-16 units (stricter)
MAX_HREF = 2048

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%%")


def esc(text: str) -> str:
    """`text` made inert in Telegram HTML."""
    return html.escape(text, quote=True)


def substitute(template: str, **parts: object) -> str:
    """`template` with `%(name)s` / `%(name)d` replaced by `parts` and `%%` by `%`.

    A placeholder a translation got wrong stays visible instead of raising.
    """

    def put(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        name = match.group(1)
        return str(parts[name]) if name in parts else match.group(0)

    return _PLACEHOLDER.sub(put, template)


def fill(template: str, **parts: object) -> str:
    """A translated `template`, escaped, with placeholders replaced by `parts` as they are
    (HTML the caller built and escaped, or numbers). Only ever used between tags, never in
    an attribute, so quotes and apostrophes stay as they are."""
    return substitute(html.escape(template, quote=False), **parts)


def size(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def plain(text: str | None, limit: int) -> str:
    """One line of at most `limit` characters, without control characters."""
    return truncate(collapse_whitespace(text or ""), limit)


def safe_url(url: str | None) -> str | None:
    """`url` when it is an http(s) URL fit for a link, else None."""
    if not url or len(url) > MAX_HREF or not url.isprintable() or " " in url:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and host else None


def link(text: str, url: str | None) -> str:
    """Plain `text` as a link to `url`, or just escaped when `url` is not http(s)."""
    target = safe_url(url)
    return f'<a href="{esc(target)}">{esc(text)}</a>' if target else esc(text)


def host(url: str) -> str:
    """The host name of `url` without "www.", or the URL itself when it has none."""
    try:
        name = urlsplit(url).hostname or ""
    except ValueError:
        name = ""
    return name.removeprefix("www.") or url


def pack(blocks: Sequence[tuple[str, str]], limit: int = MAX_MESSAGE) -> list[str]:
    """Join (separator, block) pairs into as few messages of at most `limit` as order allows.

    A message only ever ends between blocks (the separator is dropped there); each block
    must already fit on its own.
    """
    messages: list[str] = []
    parts: list[str] = []
    used = 0
    for sep, block in blocks:
        extra = size(block) + (size(sep) if parts else 0)
        if parts and used + extra > limit:
            messages.append("".join(parts))
            parts, used, extra = [], 0, size(block)
        parts += [sep, block] if parts else [block]
        used += extra
    if parts:
        messages.append("".join(parts))
    return messages
