"""Feed bytes to stories: feedparser reads the document, we turn each entry into plain values.

`parse_feed` is pure and CPU bound (a 2 MB feed takes over a second): callers run it in a
process or thread pool. It is a top-level function whose arguments and result pickle.
"""

from __future__ import annotations

import calendar
import contextlib
import hashlib
import html
import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from bot.links import canonical_link
from bot.model import ParsedFeed, ParsedStory, ParseError
from bot.text import html_to_text, plain_to_text

TITLE_LIMIT = 300
SUMMARY_LIMIT = 1000
GUID_LIMIT = 2048  # what storage keeps
WARNING_LIMIT = 200

# Without a Content-Type, feedparser would fall back to ISO-8859-1 for undeclared documents;
# application/xml makes it follow the XML rules instead (BOM, then declaration, then UTF-8).
_DEFAULT_CONTENT_TYPE = "application/xml"

# feedparser's content types for fields that are plain text rather than markup.
_PLAIN_TYPES = frozenset({"text/plain", "text"})

# feedparser's HTML sanitizer and relative-URI rewriting only rewrite markup, and we keep
# nothing of markup but its text: skipping them makes parsing 2.2x faster and leaves every
# stored field identical over the shared corpus (measured by bench/parse_options.py).
FEEDPARSER_OPTIONS: dict[str, bool] = {"sanitize_html": False, "resolve_relative_uris": False}

# A language tag's primary subtag, optionally followed by a script subtag (zh-Hant).
_LANGUAGE = re.compile(r"([a-z]{2,3})(?:[-_]([a-z]{4}))?(?=$|[-_])", re.IGNORECASE)


def parse_feed(body: bytes, *, url: str, content_type: str | None, now: datetime) -> ParsedFeed:
    """Parse a fetched feed body into its stories, in feed order.

    `url` is the feed's (final) URL, the base for relative links; `content_type` is the HTTP
    header, which may name the charset; `now` is the aware UTC time given to stories without
    a date and the latest date a story may carry.

    Raises ParseError when the body yields no entries (an HTML page, an empty or broken
    document). Ill-formed feeds whose entries could be recovered are kept, with
    `warning` set. Entries with neither title, summary nor link are skipped.
    """
    try:
        result = run_feedparser(body, url=url, content_type=content_type)
    except Exception as exc:  # feedparser is not supposed to raise; if it does, no feed...
        repaired = _IMPOSSIBLE_CHARACTER.sub(_replacement, body)
        if repaired == body:
            raise ParseError(f"feedparser failed: {_describe(exc)}") from exc
        try:  # ...unless the cause was a reference to no character, such as &#xD800;
            result = run_feedparser(repaired, url=url, content_type=content_type)
        except Exception:
            raise ParseError(f"feedparser failed: {_describe(exc)}") from exc
    written = written_ids(body, result.get("encoding"), url)
    return feed_from_result(result, url=url, now=now, written=written)


# The ids a feed writes: <guid>, <id>, <atom:id>... (CDATA or text), and RDF's rdf:about.
_ID_ELEMENT = re.compile(
    r"<(?:[\w.-]+:)?(?:guid|id)\b[^>]*>\s*(?:<!\[CDATA\[(.*?)\]\]>|([^<]*?))\s*"
    r"</(?:[\w.-]+:)?(?:guid|id)\s*>",
    re.DOTALL | re.IGNORECASE,
)
_RDF_ABOUT = re.compile(r"""rdf:about\s*=\s*["']([^"']*)["']""")


def written_ids(body: bytes, encoding: object, url: str) -> dict[str, str]:
    """Each id as feedparser may give it -> as the feed's text writes it (one pass over the body).

    feedparser resolves an RSS guid that claims to be a permalink (the default) against the
    document's URL: "12345" in a feed at https://a.example/news/rss becomes
    https://a.example/news/12345. Were that kept, the same story would get another id the day
    the feed moves (a redirect to https, to another path), and be stored again.
    """
    try:
        text = body.decode(encoding if isinstance(encoding, str) else "utf-8", errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    found = [m[1] if m[1] is not None else html.unescape(m[2]) for m in _ID_ELEMENT.finditer(text)]
    found += [html.unescape(m[1]) for m in _RDF_ABOUT.finditer(text)]
    raw_ids = [value.strip() for value in found]
    written: dict[str, str] = {}
    for raw in raw_ids:
        with contextlib.suppress(ValueError):
            written.setdefault(urljoin(url, raw), raw)
    written.update((raw, raw) for raw in raw_ids)  # an id written as it is stays as it is
    return written


_IMPOSSIBLE_CHARACTER = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def _replacement(reference: re.Match[bytes]) -> bytes:
    """U+FFFD for a reference to a surrogate or past U+10FFFF; other references as they are."""
    code = int(reference[1], 16) if reference[1] else int(reference[2])
    return b"&#xFFFD;" if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else reference[0]


def run_feedparser(
    body: bytes, *, url: str, content_type: str | None, **options: bool
) -> dict[str, Any]:
    """feedparser's raw result for `body`, with our options unless `options` overrides them."""
    headers = {"content-type": content_type or _DEFAULT_CONTENT_TYPE, "content-location": url}
    # Bytes in a BytesIO: feedparser then sniffs the charset itself (a str would already be
    # mis-decoded, and a bare str or bytes may be taken for a URL or a file name).
    result: dict[str, Any] = feedparser.parse(
        io.BytesIO(body), response_headers=headers, **(FEEDPARSER_OPTIONS | options)
    )
    return result


def feed_from_result(
    result: Mapping[str, Any], *, url: str, now: datetime, written: Mapping[str, str] | None = None
) -> ParsedFeed:
    """Turn feedparser's result into our values (see parse_feed); raises ParseError.

    `written`: the ids as the document writes them (see written_ids).
    """
    entries = result.get("entries") or []
    warning = _describe(result["bozo_exception"]) if result.get("bozo") else None
    if not entries:
        raise ParseError(warning or "no entries")

    feed = result.get("feed") or {}
    feed_language = normalize_language(feed.get("language"))
    # Only Atom declares whether a field is text or markup (see _text).
    atom = str(result.get("version") or "").startswith("atom")
    stories = tuple(
        story
        for entry in entries
        if (
            story := _story(
                entry, url=url, atom=atom, language=feed_language, now=now, written=written
            )
        )
        is not None
    )
    return ParsedFeed(
        title=_text(feed.get("title"), feed.get("title_detail"), TITLE_LIMIT, atom=atom) or None,
        link=canonical_link(feed.get("link") or "", url),
        language=feed_language,
        stories=stories,
        warning=warning,
    )


def _story(
    entry: Mapping[str, Any],
    *,
    url: str,
    atom: bool,
    language: str | None,
    now: datetime,
    written: Mapping[str, str] | None,
) -> ParsedStory | None:
    title = _text(entry.get("title"), entry.get("title_detail"), TITLE_LIMIT, atom=atom)
    summary = _summary(entry, atom=atom)
    raw_link = entry.get("link") or ""
    link = canonical_link(raw_link, url) if isinstance(raw_link, str) else None
    if not (title or summary or link):
        return None
    raw_id = entry.get("id")
    if isinstance(raw_id, str) and written:
        raw_id = written.get(raw_id.strip(), raw_id)
    guid = _identifier(raw_id)
    return ParsedStory(
        guid=guid,
        link=link,
        title=title,
        summary=summary,
        published=entry_date(entry, now),
        language=_entry_language(entry) or language,
    )


def _identifier(value: object) -> str | None:
    """An entry's id as storage can keep it: no control characters, at most GUID_LIMIT long.

    A longer id keeps its start and a hash of the whole, so it still tells entries apart.
    """
    if not isinstance(value, str):
        return None
    guid = "".join(ch for ch in value if ch.isprintable() or ch == " ").strip()
    if len(guid) > GUID_LIMIT:
        digest = hashlib.sha256(guid.encode("utf-8", "surrogatepass")).hexdigest()
        guid = f"{guid[: GUID_LIMIT - 72]}…sha256:{digest}"
    return guid or None


def _summary(entry: Mapping[str, Any], *, atom: bool) -> str:
    summary = entry.get("summary")
    if summary:
        detail = entry.get("summary_detail")
        if detail is None and entry.get("content"):
            # feedparser copies content into summary without a summary_detail.
            detail = entry["content"][0]
        return _text(summary, detail, SUMMARY_LIMIT, atom=atom)
    for content in entry.get("content") or ():
        if content.get("value"):
            return _text(content["value"], content, SUMMARY_LIMIT, atom=atom)
    return ""


def _text(value: object, detail: Mapping[str, Any] | None, limit: int, *, atom: bool) -> str:
    """Plain text of a feed field, read as markup unless the feed declared it plain text."""
    if not isinstance(value, str) or not value:
        return ""
    # Atom says type="text" when it means it, and then "<" is a literal character. In RSS
    # the "text/plain" type is feedparser's guess, made for anything holding an element it
    # does not know (<script>...</script>), so RSS fields are always read as HTML.
    if atom and detail is not None and detail.get("type") in _PLAIN_TYPES:
        return plain_to_text(value, limit)
    return html_to_text(value, limit)


def entry_date(entry: Mapping[str, Any], now: datetime) -> datetime:
    """The entry's publication time as aware UTC: published, else updated, else created.

    Missing or invalid dates give `now`; dates after `now` are clamped to `now`.
    """
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if isinstance(parsed, tuple) and len(parsed) >= 6:
            try:
                when = datetime.fromtimestamp(calendar.timegm(tuple(parsed)), UTC)
            except (ValueError, OverflowError, OSError, TypeError):
                continue
            return min(when, now)
    return now


def normalize_language(value: object) -> str | None:
    """'fr-FR' -> 'fr', 'zh-Hant-TW' -> 'zh-hant', 'EN_us' -> 'en'; None when not a language tag."""
    if not isinstance(value, str):
        return None
    match = _LANGUAGE.match(value.strip())
    if match is None:
        return None
    primary, script = match.group(1).lower(), match.group(2)
    return f"{primary}-{script.lower()}" if script else primary


def _entry_language(entry: Mapping[str, Any]) -> str | None:
    # feedparser reports an in-scope xml:lang on each text construct, not on the entry.
    for key in ("title_detail", "summary_detail"):
        detail = entry.get(key)
        if detail and (language := normalize_language(detail.get("language"))):
            return language
    for content in entry.get("content") or ():
        if language := normalize_language(content.get("language")):
            return language
    return None


def _describe(exc: object) -> str:
    text = f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else str(exc)
    return " ".join(text.split())[:WARNING_LIMIT]
