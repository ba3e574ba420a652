"""Values that flow through the ingestion pipeline: fetch results, parsed feeds and stories.

Nothing here does I/O; every datetime is timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class FetchStatus(StrEnum):
    OK = "ok"  # a new body to parse
    NOT_MODIFIED = "not_modified"  # 304: nothing to parse
    UNCHANGED = "unchanged"  # 200, but the body hashes as last time: nothing to parse
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Validators:
    """What a feed's last successful fetch left behind for the next conditional GET."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one HTTP fetch of one feed."""

    url: str
    status: FetchStatus
    final_url: str
    validators: Validators = field(default_factory=Validators)
    body: bytes | None = None
    content_type: str | None = None
    http_status: int | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, from a Retry-After header on 429/503
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class ParsedStory:
    """One feed entry turned into plain text, ready to store."""

    guid: str | None
    link: str | None  # canonical form (see bot.links.canonical_link)
    title: str
    summary: str
    published: datetime  # aware UTC; first-seen time when the feed gives none; never in the future
    language: str | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed body: its own metadata and its stories in feed order."""

    title: str | None
    link: str | None
    language: str | None
    stories: tuple[ParsedStory, ...]
    warning: str | None = None  # feedparser's bozo text when entries were recovered anyway


class ParseError(Exception):
    """The body is not a feed we can take stories from (an HTML page, an empty document...)."""
