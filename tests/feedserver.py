"""A real HTTP server on 127.0.0.1 serving feeds to tests (a pytest plugin).

Usage, in any test (the plugin is registered by tests/conftest.py):

    async def test_something(feed_server):
        feed_server.add("/news.xml", body, etag='"v1"')
        url = feed_server.url("/news.xml")
        ...
        assert feed_server.hits["/news.xml"] == 1

Files can be added or replaced while a test runs, and whole folders served in place with
`serve_dir`. The server records `hits` per path, every request's headers (`requests`), and
the most requests it handled at once (`peak_in_flight`); `await wait_for_hits(path)` returns
once a request for `path` has arrived. Special routes exercise the fetcher's failure handling:

    /redirect/N[?to=/path]   N redirects in a row, then `to` (default: a small built-in feed)
    /slow[?seconds=S]        headers only after S seconds (default 30; the server's close ends it)
    /status/CODE             that status; 429 and 503 carry Retry-After (?retry_after=120)
    /huge[?bytes=N]          a chunked body of N bytes (default 8 MiB), streamed, never built
    /huge-declared[?bytes=N] the same with a Content-Length header
    /html                    an HTML page that is not a feed
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest_asyncio
from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
RSS = "application/rss+xml"

REDIRECT_TARGET = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Redirect target</title><link>http://127.0.0.1/</link>
<item><title>Arrived</title><link>http://127.0.0.1/arrived</link><guid>arrived</guid></item>
</channel></rss>
"""
CHUNK = b"<!-- padding -->" * 4096  # 64 KiB


@dataclass(frozen=True)
class ServedFile:
    body: bytes
    content_type: str
    etag: str | None = None
    last_modified: str | None = None
    headers: tuple[tuple[str, str], ...] = ()  # any others, such as Content-Encoding
    delay: float = 0.0  # seconds before answering


class FeedServer:
    """The object the `feed_server` fixture yields."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()  # requests per path
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, headers), in order
        self.in_flight = 0
        self.peak_in_flight = 0  # most requests handled at the same time
        self._files: dict[str, ServedFile] = {}
        self._moved: dict[str, str] = {}  # old path -> new path (301)
        self._dirs: dict[str, tuple[Path, str]] = {}
        self._closing = asyncio.Event()
        self._hit = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._base = ""
        self.add("/redirect-target.xml", REDIRECT_TARGET)
        self.add("/html", (FIXTURES / "page.html").read_bytes(), "text/html; charset=utf-8")

    def url(self, path: str) -> str:
        """Absolute URL of `path` on this server."""
        return self._base + (path if path.startswith("/") else "/" + path)

    def add(
        self,
        path: str,
        body: bytes,
        content_type: str = RSS,
        etag: str | None = None,
        last_modified: str | None = None,
        delay: float = 0.0,
        **headers: str,
    ) -> None:
        """Serve `body` at `path` from now on, replacing what was there, after `delay` seconds;
        `headers` as given (underscores become hyphens: content_encoding="gzip")."""
        extra = tuple((name.replace("_", "-"), value) for name, value in headers.items())
        self._files[path] = ServedFile(body, content_type, etag, last_modified, extra, delay)

    def move(self, old: str, new: str) -> None:
        """The feed at `old` now lives at `new`: `old` answers 301 to it."""
        self._files[new] = self._files.pop(old)
        self._moved[old] = new

    def serve_dir(
        self, prefix: str, directory: Path | str, content_type: str = "application/xml"
    ) -> None:
        """Serve every file under `directory` at `prefix`/relative/path, read at request time."""
        self._dirs[prefix.rstrip("/") + "/"] = (Path(directory).resolve(), content_type)

    async def wait_for_hits(self, path: str, count: int = 1) -> None:
        """Return once `path` has been requested `count` times (its handler has started)."""
        async with self._hit:
            await self._hit.wait_for(lambda: self.hits[path] >= count)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._base = f"http://{host}:{port}"

    async def close(self) -> None:
        self._closing.set()  # releases /slow handlers still waiting
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        async with self._hit:
            self.hits[request.path] += 1
            self._hit.notify_all()
        self.requests.append((request.path, dict(request.headers)))
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return await self._route(request)
        finally:
            self.in_flight -= 1

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path in self._moved:
            return web.Response(status=301, headers={"Location": self._moved[path]})
        if path in self._files:
            served = self._files[path]
            if served.delay:
                await asyncio.sleep(served.delay)
            return self._serve(request, served)
        for prefix, (directory, content_type) in self._dirs.items():
            if path.startswith(prefix):
                target = (directory / path[len(prefix) :]).resolve()
                if target.is_file() and target.is_relative_to(directory):
                    return web.Response(body=target.read_bytes(), content_type=content_type)
        head, _, rest = path.strip("/").partition("/")
        if head == "redirect" and rest.isdigit():
            return self._redirect(request, int(rest))
        if head == "status" and rest.isdigit():
            return self._status(request, int(rest))
        if path == "/slow":
            return await self._slow(request)
        if path in ("/huge", "/huge-declared"):
            return await self._huge(request, declared=path == "/huge-declared")
        return web.Response(status=404, text="not found")

    @staticmethod
    def _serve(request: web.Request, served: ServedFile) -> web.Response:
        headers = {}
        if served.etag:
            headers["ETag"] = served.etag
        if served.last_modified:
            headers["Last-Modified"] = served.last_modified
        if _not_modified(request, served):
            return web.Response(status=304, headers=headers)
        headers["Content-Type"] = served.content_type
        headers.update(served.headers)
        return web.Response(body=served.body, headers=headers)

    @staticmethod
    def _redirect(request: web.Request, remaining: int) -> web.Response:
        target = request.query.get("to", "/redirect-target.xml")
        location = f"/redirect/{remaining - 1}?to={target}" if remaining > 1 else target
        return web.Response(status=302, headers={"Location": location})

    @staticmethod
    def _status(request: web.Request, code: int) -> web.Response:
        headers = {}
        if code in (429, 503):
            headers["Retry-After"] = request.query.get("retry_after", "120")
        return web.Response(status=code, headers=headers, text=f"status {code}")

    async def _slow(self, request: web.Request) -> web.Response:
        seconds = float(request.query.get("seconds", "30"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)
        return web.Response(body=REDIRECT_TARGET, content_type=RSS)

    @staticmethod
    async def _huge(request: web.Request, *, declared: bool) -> web.StreamResponse:
        size = int(request.query.get("bytes", str(8 * 1024 * 1024)))
        response = web.StreamResponse(headers={"Content-Type": RSS})
        if declared:
            response.content_length = size
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        sent = 0
        try:
            while sent < size:
                chunk = CHUNK[: size - sent]
                await response.write(chunk)
                sent += len(chunk)
        except (ConnectionError, RuntimeError):  # the client hung up, as it should
            return response
        await response.write_eof()
        return response


def _not_modified(request: web.Request, served: ServedFile) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins over If-Modified-Since."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        if served.etag is None:
            return False
        tags = {tag.strip() for tag in if_none_match.split(",")}
        return "*" in tags or served.etag in tags
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since and served.last_modified:
        try:
            return parsedate_to_datetime(served.last_modified) <= parsedate_to_datetime(
                if_modified_since
            )
        except (TypeError, ValueError):
            return False
    return False


@pytest_asyncio.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """A running FeedServer on 127.0.0.1 at a free port, closed after the test."""
    server = FeedServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
