"""Feed URL to bytes: one shared HTTP client, conditional GETs, hard limits, no exceptions.

The fetcher alone knows HTTP: ETag and Last-Modified, redirects, Retry-After, size and time
limits. It hands back a FetchResult and never raises (cancellation aside), so one bad feed
cannot break a polling round.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from bot.model import FetchResult, FetchStatus, Validators

USER_AGENT = "Vigie/0.1 (+https://github.com/vigie-news/vigie; news feed reader)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
ENCODINGS = "gzip, deflate"
ERROR_LIMIT = 200
# Validators longer than the database keeps them are not worth sending back: dropped.
ETAG_LIMIT, LAST_MODIFIED_LIMIT = 500, 100


@dataclass(frozen=True)
class FetchLimits:
    """How much one feed may cost: bytes, seconds, redirects, and parallel requests."""

    max_bytes: int = 5 * 1024 * 1024  # decoded body size; gzip bombs stop here too
    connect_timeout: float = 10.0
    read_timeout: float = 20.0  # between two chunks, not for the whole body
    total_timeout: float = 30.0  # the whole fetch of one feed, redirects included
    max_redirects: int = 5
    concurrency: int = 16  # requests in flight overall
    per_host: int = 2  # requests in flight to one host


def make_client(limits: FetchLimits) -> httpx.AsyncClient:
    """The one HTTP client all feed fetches share (connection pool, timeouts, redirects).

    It asks for gzip or deflate only, and the fetcher decodes them itself (see Decoder).
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=limits.connect_timeout,
            read=limits.read_timeout,
            write=limits.read_timeout,
            pool=limits.total_timeout,
        ),
        limits=httpx.Limits(
            max_connections=limits.concurrency, max_keepalive_connections=limits.concurrency
        ),
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": ENCODINGS},
    )


def parse_retry_after(value: str, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds or an HTTP date.

    A date in the past gives 0.0; anything unreadable gives None. `now` is aware UTC.
    """
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC with an unknown origin
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def body_hash(body: bytes) -> str:
    """The digest stored in Validators.body_hash."""
    return hashlib.sha256(body).hexdigest()


class _BodyTooLarge(Exception):
    pass


class Fetcher:
    """Fetches feeds through a shared client, at most `concurrency` at once, `per_host` per host."""

    def __init__(self, client: httpx.AsyncClient, limits: FetchLimits) -> None:
        self._client = client
        self._limits = limits
        self._overall = asyncio.Semaphore(limits.concurrency)
        # host -> (semaphore, fetches using it); dropped when idle so the map stays small.
        self._hosts: dict[str, tuple[asyncio.Semaphore, int]] = {}

    async def fetch(self, url: str, validators: Validators) -> FetchResult:
        """GET `url` conditionally; every failure becomes a FetchStatus.ERROR result.

        The total timeout starts once a request slot is free, so waiting behind other
        feeds never counts against a feed.
        """
        started = time.monotonic()
        try:
            async with self._slot(httpx.URL(url).host):
                started = time.monotonic()
                async with asyncio.timeout(self._limits.total_timeout):
                    return await self._get(url, validators, started)
        except TimeoutError:
            message = f"timed out after {self._limits.total_timeout:g} s"
        except httpx.TooManyRedirects:
            message = f"more than {self._limits.max_redirects} redirects"
        except _BodyTooLarge:
            message = f"body exceeds {self._limits.max_bytes} bytes"
        except Exception as exc:  # a fetch must never take the polling round down
            message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return FetchResult(
            url=url,
            status=FetchStatus.ERROR,
            final_url=url,
            validators=validators,
            error=" ".join(message.split())[:ERROR_LIMIT],
            elapsed=time.monotonic() - started,
        )

    @asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        sem, users = self._hosts.get(host) or (asyncio.Semaphore(self._limits.per_host), 0)
        self._hosts[host] = (sem, users + 1)
        try:
            # Host first: feeds queued behind a busy host must not hold overall slots.
            async with sem, self._overall:
                yield
        finally:
            sem, users = self._hosts[host]
            if users <= 1:
                del self._hosts[host]
            else:
                self._hosts[host] = (sem, users - 1)

    async def _get(self, url: str, validators: Validators, started: float) -> FetchResult:
        headers = {}
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified

        async with self._client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            base = FetchResult(
                url=url,
                status=FetchStatus.ERROR,
                final_url=str(response.url),  # after redirects
                validators=validators,
                content_type=response.headers.get("content-type"),
                http_status=status,
            )
            if status == 304:
                return replace(
                    base, status=FetchStatus.NOT_MODIFIED, elapsed=time.monotonic() - started
                )
            if not 200 <= status < 300:
                retry_after = None
                if status in (429, 503) and "retry-after" in response.headers:
                    now = datetime.now(UTC)  # I/O edge: the one clock read of a fetch
                    retry_after = parse_retry_after(response.headers["retry-after"], now)
                return replace(
                    base,
                    error=f"HTTP {status}",
                    retry_after=retry_after,
                    elapsed=time.monotonic() - started,
                )

            body = await self._read_body(response)
            digest = body_hash(body)
            fresh = Validators(
                etag=_validator(response.headers.get("etag"), ETAG_LIMIT),
                last_modified=_validator(
                    response.headers.get("last-modified"), LAST_MODIFIED_LIMIT
                ),
                body_hash=digest,
            )
            elapsed = time.monotonic() - started
            if digest == validators.body_hash:
                return replace(
                    base, status=FetchStatus.UNCHANGED, validators=fresh, elapsed=elapsed
                )
            return replace(
                base, status=FetchStatus.OK, validators=fresh, body=body, elapsed=elapsed
            )

    async def _read_body(self, response: httpx.Response) -> bytes:
        """The decoded body, refused as soon as it grows past max_bytes.

        Decoded here from the raw stream, a bounded piece at a time: httpx would inflate a
        whole network chunk at once, and a few kilobytes of gzip can hold gigabytes.
        """
        limit = self._limits.max_bytes
        declared = response.headers.get("content-length", "")
        # Content-Length counts encoded bytes, and decoding never shrinks a body.
        if declared.isdigit() and int(declared) > limit:
            raise _BodyTooLarge
        decoder = Decoder(response.headers.get("content-encoding", ""), limit)
        async for chunk in response.aiter_raw():
            decoder.feed(chunk)
        return decoder.finish()


def _validator(value: str | None, limit: int) -> str | None:
    """An ETag or Last-Modified worth keeping: printable ASCII within the column's size."""
    if value is None or len(value) > limit or not (value.isascii() and value.isprintable()):
        return None
    return value


class Decoder:
    """Content-Encoding undone incrementally, never holding more than `limit` decoded bytes."""

    def __init__(self, header: str, limit: int) -> None:
        codings = [c.strip().lower() for c in header.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise ValueError(f"unsupported Content-Encoding: {header[:50]}")
        self._coding = codings[0] if codings else ""
        self._inflate: zlib._Decompress | None = None
        if self._coding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._limit = limit
        self._size = 0
        self._parts: list[bytes] = []
        self._head = b""  # deflate: bytes held until the header can be read

    def feed(self, data: bytes) -> None:
        if not data:
            return
        if self._coding == "deflate" and self._inflate is None:
            # "deflate" should be zlib-wrapped; some servers send the raw stream. The zlib
            # header's two bytes tell, so a one-byte first chunk waits for the next.
            data, self._head = self._head + data, b""
            if len(data) < 2:
                self._head = data
                return
            wrapped = (data[0] & 0x0F) == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        if self._inflate is None:
            self._keep(data)
            return
        while data:
            room = self._limit - self._size + 1  # one byte more than allowed proves too much
            self._keep(self._inflate.decompress(data, room))
            data = self._inflate.unconsumed_tail

    def finish(self) -> bytes:
        if self._head:  # a deflate body of one byte: raw deflate, or nothing worth reading
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            self._keep(self._inflate.decompress(self._head, self._limit + 1))
        if self._inflate is not None:
            self._keep(self._inflate.flush())
        return b"".join(self._parts)

    def _keep(self, piece: bytes) -> None:
        self._size += len(piece)
        if self._size > self._limit:
            raise _BodyTooLarge
        self._parts.append(piece)
