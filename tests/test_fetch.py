"""The fetcher against a real local HTTP server (tests/feedserver.py)."""

from __future__ import annotations

import asyncio
import gzip
import socket
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio

from bot.fetch import (
    USER_AGENT,
    Decoder,
    Fetcher,
    FetchLimits,
    body_hash,
    make_client,
    parse_retry_after,
)
from bot.model import FetchResult, FetchStatus, ParseError, Validators
from bot.parse import parse_feed
from tests.feedserver import FIXTURES, REDIRECT_TARGET, FeedServer

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
LAST_MODIFIED = "Wed, 13 Sep 2023 08:30:00 GMT"
NO_VALIDATORS = Validators()


@pytest_asyncio.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    """A fetcher with the default limits."""
    limits = FetchLimits()
    async with make_client(limits) as client:
        yield Fetcher(client, limits)


async def fetch_with(limits: FetchLimits, url: str, validators: Validators) -> FetchResult:
    async with make_client(limits) as client:
        return await Fetcher(client, limits).fetch(url, validators)


async def test_ok_returns_body_type_and_validators(feed_server: FeedServer, fetcher: Fetcher):
    """A 200 gives the body, its content type, and the validators for next time."""
    feed_server.add("/a.xml", FEED, etag='"v1"', last_modified=LAST_MODIFIED)
    result = await fetcher.fetch(feed_server.url("/a.xml"), NO_VALIDATORS)
    assert result.status is FetchStatus.OK
    assert result.body == FEED
    assert result.http_status == 200
    assert result.content_type == "application/rss+xml"
    assert result.final_url == feed_server.url("/a.xml")
    assert result.validators == Validators('"v1"', LAST_MODIFIED, body_hash(FEED))


async def test_sends_user_agent(feed_server: FeedServer, fetcher: Fetcher):
    """Every request names Vigie in its User-Agent."""
    feed_server.add("/a.xml", FEED)
    await fetcher.fetch(feed_server.url("/a.xml"), NO_VALIDATORS)
    assert feed_server.requests[-1][1]["User-Agent"] == USER_AGENT


async def test_etag_gives_not_modified(feed_server: FeedServer, fetcher: Fetcher):
    """A matching ETag gets a 304: NOT_MODIFIED, no body, old validators kept."""
    feed_server.add("/a.xml", FEED, etag='"v1"')
    first = await fetcher.fetch(feed_server.url("/a.xml"), NO_VALIDATORS)
    second = await fetcher.fetch(feed_server.url("/a.xml"), first.validators)
    assert feed_server.requests[-1][1]["If-None-Match"] == '"v1"'
    assert second.status is FetchStatus.NOT_MODIFIED
    assert second.body is None
    assert second.validators == first.validators
    assert feed_server.hits["/a.xml"] == 2


async def test_last_modified_gives_not_modified(feed_server: FeedServer, fetcher: Fetcher):
    """A Last-Modified date sent back as If-Modified-Since gets a 304."""
    feed_server.add("/a.xml", FEED, last_modified=LAST_MODIFIED)
    first = await fetcher.fetch(feed_server.url("/a.xml"), NO_VALIDATORS)
    second = await fetcher.fetch(feed_server.url("/a.xml"), first.validators)
    assert feed_server.requests[-1][1]["If-Modified-Since"] == LAST_MODIFIED
    assert second.status is FetchStatus.NOT_MODIFIED


async def test_same_body_gives_unchanged(feed_server: FeedServer, fetcher: Fetcher):
    """A 200 whose body hashes as last time is UNCHANGED, without a body."""
    feed_server.add("/a.xml", FEED)
    first = await fetcher.fetch(feed_server.url("/a.xml"), NO_VALIDATORS)
    second = await fetcher.fetch(feed_server.url("/a.xml"), first.validators)
    assert second.status is FetchStatus.UNCHANGED
    assert second.body is None
    assert second.validators.body_hash == body_hash(FEED)


async def test_replaced_file_is_fetched_again(feed_server: FeedServer, fetcher: Fetcher):
    """A feed changed on the server (new ETag) comes back OK with the new body."""
    feed_server.add("/a.xml", FEED, etag='"v1"')
    first = await fetcher.fetch(feed_server.url("/a.xml"), NO_VALIDATORS)
    feed_server.add("/a.xml", FEED + b"\n", etag='"v2"')
    second = await fetcher.fetch(feed_server.url("/a.xml"), first.validators)
    assert second.status is FetchStatus.OK
    assert second.body == FEED + b"\n"
    assert second.validators.etag == '"v2"'


async def test_redirects_are_followed_to_the_final_url(feed_server: FeedServer, fetcher: Fetcher):
    """A chain of redirects ends OK, with the final URL recorded."""
    result = await fetcher.fetch(feed_server.url("/redirect/3"), NO_VALIDATORS)
    assert result.status is FetchStatus.OK
    assert result.body == REDIRECT_TARGET
    assert result.url == feed_server.url("/redirect/3")
    assert result.final_url == feed_server.url("/redirect-target.xml")


async def test_five_redirects_are_allowed(feed_server: FeedServer, fetcher: Fetcher):
    """Exactly max_redirects (5) redirects still succeed."""
    result = await fetcher.fetch(feed_server.url("/redirect/5"), NO_VALIDATORS)
    assert result.status is FetchStatus.OK


async def test_too_many_redirects_is_an_error(feed_server: FeedServer, fetcher: Fetcher):
    """A sixth redirect is an error that says so."""
    result = await fetcher.fetch(feed_server.url("/redirect/6"), NO_VALIDATORS)
    assert result.status is FetchStatus.ERROR
    assert result.error == "more than 5 redirects"


async def test_slow_server_times_out(feed_server: FeedServer):
    """A server that does not answer within total_timeout gives a timeout error."""
    limits = FetchLimits(total_timeout=0.3)
    result = await fetch_with(limits, feed_server.url("/slow"), NO_VALIDATORS)
    assert result.status is FetchStatus.ERROR
    assert result.error == "timed out after 0.3 s"


async def test_server_error_is_reported(feed_server: FeedServer, fetcher: Fetcher):
    """A 500 is an error named by its status."""
    result = await fetcher.fetch(feed_server.url("/status/500"), NO_VALIDATORS)
    assert (result.status, result.error, result.http_status) == (FetchStatus.ERROR, "HTTP 500", 500)
    assert result.retry_after is None


async def test_not_found_is_reported(feed_server: FeedServer, fetcher: Fetcher):
    """A 404 is an error named by its status."""
    result = await fetcher.fetch(feed_server.url("/missing.xml"), NO_VALIDATORS)
    assert result.error == "HTTP 404"


async def test_too_many_requests_carries_retry_after(feed_server: FeedServer, fetcher: Fetcher):
    """A 429 gives Retry-After's delay in seconds."""
    result = await fetcher.fetch(feed_server.url("/status/429"), NO_VALIDATORS)
    assert (result.status, result.error, result.retry_after) == (FetchStatus.ERROR, "HTTP 429", 120)


async def test_unavailable_with_past_date_retries_now(feed_server: FeedServer, fetcher: Fetcher):
    """A 503 whose Retry-After date has passed gives a zero delay."""
    url = feed_server.url("/status/503?retry_after=Wed, 21 Oct 2015 07:28:00 GMT")
    result = await fetcher.fetch(url, NO_VALIDATORS)
    assert (result.error, result.retry_after) == ("HTTP 503", 0.0)


async def test_oversized_streamed_body_is_cut(feed_server: FeedServer):
    """A chunked body larger than max_bytes is refused while streaming."""
    limits = FetchLimits(max_bytes=1024 * 1024)
    result = await fetch_with(limits, feed_server.url("/huge"), NO_VALIDATORS)
    assert result.status is FetchStatus.ERROR
    assert result.error == "body exceeds 1048576 bytes"
    assert result.body is None


async def test_oversized_declared_body_is_refused(feed_server: FeedServer):
    """A Content-Length above max_bytes is refused before reading the body."""
    limits = FetchLimits(max_bytes=1000)
    result = await fetch_with(limits, feed_server.url("/huge-declared?bytes=5000"), NO_VALIDATORS)
    assert result.error == "body exceeds 1000 bytes"


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),  # raw, as some send
    ],
)
async def test_compressed_bodies_are_decoded(
    feed_server: FeedServer, fetcher: Fetcher, encoding: str, compress: Any
):
    """gzip and deflate bodies (zlib-wrapped or raw) arrive decoded."""
    feed_server.add("/packed.xml", compress(REDIRECT_TARGET), content_encoding=encoding)
    result = await fetcher.fetch(feed_server.url("/packed.xml"), NO_VALIDATORS)
    assert result.body == REDIRECT_TARGET


async def test_a_compression_bomb_stops_at_the_limit(feed_server: FeedServer):
    """A small gzip body that inflates past max_bytes is refused without inflating it whole."""
    bomb = gzip.compress(bytes(64 * 1024 * 1024))
    assert len(bomb) < 100_000
    feed_server.add("/bomb.xml", bomb, content_encoding="gzip")
    limits = FetchLimits(max_bytes=1024 * 1024)
    tracemalloc.start()
    try:
        result = await fetch_with(limits, feed_server.url("/bomb.xml"), NO_VALIDATORS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error == "body exceeds 1048576 bytes"
    assert peak < 16 * 1024 * 1024


async def test_an_unasked_content_encoding_is_an_error(feed_server: FeedServer, fetcher: Fetcher):
    """A body in an encoding Vigie did not ask for (br) is the feed's error, not garbage."""
    feed_server.add("/br.xml", b"\x8b\x00\x80", content_encoding="br")
    result = await fetcher.fetch(feed_server.url("/br.xml"), NO_VALIDATORS)
    assert result.status is FetchStatus.ERROR
    assert "Content-Encoding" in (result.error or "")


async def test_oversized_validators_are_not_kept(feed_server: FeedServer, fetcher: Fetcher):
    """An ETag or Last-Modified too long to store is dropped, not stored or sent back."""
    feed_server.add(
        "/long.xml", REDIRECT_TARGET, etag='"' + "e" * 600 + '"', last_modified="x" * 200
    )
    result = await fetcher.fetch(feed_server.url("/long.xml"), NO_VALIDATORS)
    assert result.status is FetchStatus.OK
    assert (result.validators.etag, result.validators.last_modified) == (None, None)


async def test_body_at_the_limit_is_accepted(feed_server: FeedServer):
    """A body of exactly max_bytes is fine."""
    limits = FetchLimits(max_bytes=200_000)
    result = await fetch_with(limits, feed_server.url("/huge?bytes=200000"), NO_VALIDATORS)
    assert result.status is FetchStatus.OK
    assert len(result.body or b"") == 200_000


async def test_refused_connection_is_an_error(fetcher: Fetcher):
    """A port nobody listens on gives an error result, not an exception."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await fetcher.fetch(f"http://127.0.0.1:{port}/feed.xml", NO_VALIDATORS)
    assert result.status is FetchStatus.ERROR
    assert (result.error or "").startswith("ConnectError")


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com/feed.xml", "", "http://"])
async def test_unusable_url_is_an_error(fetcher: Fetcher, url: str):
    """A URL httpx cannot fetch gives an error result, not an exception."""
    result = await fetcher.fetch(url, NO_VALIDATORS)
    assert result.status is FetchStatus.ERROR
    assert result.error


async def test_hanging_feed_does_not_delay_others(feed_server: FeedServer):
    """Other feeds on the same host finish while one feed hangs until its own timeout."""
    feed_server.add("/a.xml", FEED)
    limits = FetchLimits(total_timeout=1.0, per_host=2)
    async with make_client(limits) as client:
        fetcher = Fetcher(client, limits)
        slow = asyncio.create_task(fetcher.fetch(feed_server.url("/slow"), NO_VALIDATORS))
        await feed_server.wait_for_hits("/slow")
        fast = await asyncio.gather(
            *(fetcher.fetch(feed_server.url("/a.xml"), NO_VALIDATORS) for _ in range(5))
        )
        assert not slow.done()
        assert [r.status for r in fast] == [FetchStatus.OK] * 5
        assert (await slow).status is FetchStatus.ERROR


async def test_requests_per_host_are_bounded(feed_server: FeedServer):
    """No more than per_host requests reach one host at once."""
    limits = FetchLimits(per_host=2, concurrency=16)
    async with make_client(limits) as client:
        fetcher = Fetcher(client, limits)
        url = feed_server.url("/slow?seconds=0.2")
        await asyncio.gather(*(fetcher.fetch(url, NO_VALIDATORS) for _ in range(6)))
    assert feed_server.peak_in_flight == 2


async def test_requests_overall_are_bounded(feed_server: FeedServer):
    """No more than `concurrency` requests are in flight at once."""
    limits = FetchLimits(per_host=10, concurrency=3)
    async with make_client(limits) as client:
        fetcher = Fetcher(client, limits)
        url = feed_server.url("/slow?seconds=0.2")
        await asyncio.gather(*(fetcher.fetch(url, NO_VALIDATORS) for _ in range(6)))
    assert feed_server.peak_in_flight == 3


NOW = datetime(2023, 9, 13, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("  30 ", 30.0),
        ("Wed, 13 Sep 2023 08:31:00 GMT", 60.0),
        ("Wed, 13 Sep 2023 08:00:00 GMT", 0.0),
        ("Wed, 13 Sep 2023 10:31:00 +0200", 60.0),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
    ],
)
def test_parse_retry_after(value: str, expected: float | None):
    """Retry-After reads as seconds or an HTTP date relative to now; junk is None."""
    assert parse_retry_after(value, NOW) == expected


async def test_served_folder_files_are_fetched_as_is(feed_server: FeedServer, fetcher: Fetcher):
    """serve_dir serves a folder's files byte for byte, and nothing outside it."""
    feed_server.serve_dir("/fixtures", FIXTURES)
    result = await fetcher.fetch(feed_server.url("/fixtures/rss10.rdf"), NO_VALIDATORS)
    assert result.body == (FIXTURES / "rss10.rdf").read_bytes()
    outside = await fetcher.fetch(
        feed_server.url("/fixtures/%2e%2e/%2e%2e/feedserver.py"), NO_VALIDATORS
    )
    assert outside.error == "HTTP 404"


async def test_html_page_is_fetched_but_does_not_parse(feed_server: FeedServer, fetcher: Fetcher):
    """An HTML page is a successful fetch that parsing then refuses."""
    result = await fetcher.fetch(feed_server.url("/html"), NO_VALIDATORS)
    assert result.status is FetchStatus.OK
    assert result.content_type == "text/html; charset=utf-8"
    with pytest.raises(ParseError):
        parse_feed(
            result.body or b"", url=result.final_url, content_type=result.content_type, now=NOW
        )


async def test_busy_host_does_not_starve_other_hosts(feed_server: FeedServer):
    """Feeds queued behind a busy host leave overall slots free for other hosts."""
    feed_server.add("/a.xml", FEED)
    limits = FetchLimits(per_host=1, concurrency=2, total_timeout=0.5)
    async with make_client(limits) as client:
        fetcher = Fetcher(client, limits)
        busy = [
            asyncio.create_task(fetcher.fetch(feed_server.url("/slow"), NO_VALIDATORS))
            for _ in range(2)
        ]
        await feed_server.wait_for_hits("/slow")  # the first holds the host, the second queues
        other_host = feed_server.url("/a.xml").replace("127.0.0.1", "localhost")
        result = await fetcher.fetch(other_host, NO_VALIDATORS)
        assert result.status is FetchStatus.OK
        assert not any(task.done() for task in busy)
        await asyncio.gather(*busy)


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS])
def test_deflate_arriving_a_byte_at_a_time_is_decoded(wbits: int):
    """A deflate body whose first network chunk is one byte is still read as what it is."""
    packed = zlib.compress(REDIRECT_TARGET, wbits=wbits)
    decoder = Decoder("deflate", 1_000_000)
    for i in range(len(packed)):
        decoder.feed(packed[i : i + 1])
    assert decoder.finish() == REDIRECT_TARGET
