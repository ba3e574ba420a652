"""Poll cycles end to end: local feed server -> fetch -> parse -> match -> SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, select

from bot.fetch import FetchLimits
from bot.ingest import Outcome
from storage.db import session
from storage.tables import Feed, Mention, Story
from tests.feedserver import FeedServer
from tests.ingestion import FIXTURES, Clock, make_app, poll

FEEDS = [
    "rss091.xml",
    "rss092.xml",
    "rss10.rdf",
    "rss20.xml",
    "atom03.xml",
    "atom10.xml",
    "seed.rss",
]


def serve_fixtures(server: FeedServer, names: list[str] = FEEDS) -> list[str]:
    for name in names:
        server.add(f"/{name}", (FIXTURES / "feeds" / name).read_bytes(), etag=f'"{name}"')
    return [server.url(f"/{name}") for name in names]


def stories(app_db: object) -> list[Story]:
    with session(app_db) as s:  # type: ignore[arg-type]
        return list(s.exec(select(Story).order_by(col(Story.id))))


async def test_first_cycle_stores_every_format(feed_server: FeedServer, tmp_path: Path) -> None:
    """RSS 0.91 to Atom 1.0: every fixture feed gives stories on the first cycle."""
    app = make_app(tmp_path, serve_fixtures(feed_server))
    reports = await poll(app)
    assert all(r.outcome is Outcome.NEW for r in reports)
    assert all(r.new_story_ids for r in reports)


async def test_second_cycle_adds_and_changes_nothing(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """Re-polling unchanged feeds stores nothing new and changes no story."""
    app = make_app(tmp_path, serve_fixtures(feed_server))
    await poll(app)
    before = [s.model_dump() for s in stories(app.engine)]
    reports = await poll(app)
    assert [r.outcome for r in reports] == [Outcome.UNCHANGED] * len(FEEDS)
    assert [s.model_dump() for s in stories(app.engine)] == before


async def test_conditional_get_sends_the_etag(feed_server: FeedServer, tmp_path: Path) -> None:
    """The second fetch of a feed carries the ETag the first one got."""
    app = make_app(tmp_path, serve_fixtures(feed_server, ["rss20.xml"]))
    await poll(app)
    await poll(app)
    headers = [h for path, h in feed_server.requests if path == "/rss20.xml"]
    assert headers[-1].get("If-None-Match") == '"rss20.xml"'


async def test_seed_story_is_stored_intact(feed_server: FeedServer, tmp_path: Path) -> None:
    """The French seed article keeps its title, summary, canonical link and date."""
    app = make_app(tmp_path, serve_fixtures(feed_server, ["seed.rss"]))
    await poll(app)
    (story,) = stories(app.engine)
    assert story.title == "Poutine et Kim Jong-un se serrent la main au cosmodrome de Vostochny"
    assert story.summary.startswith("VLADIMIR Poutine et Kim Jong-un se sont serrés la main")
    assert "l’invasion russe de l’Ukraine." in story.summary
    assert story.link == "https://www.example.fr/monde/poutine-kim-vostochny"
    assert story.published_at == datetime(2023, 9, 13, 8, 30, tzinfo=UTC)
    assert story.language == "fr"


async def test_seed_story_mentions_putin_and_kim(feed_server: FeedServer, tmp_path: Path) -> None:
    """At ingestion the seed story gets its entities and the default topic."""
    app = make_app(tmp_path, serve_fixtures(feed_server, ["seed.rss"]))
    await poll(app)
    with session(app.engine) as s:
        entities = set(s.exec(select(Mention.entity_id)))
    assert {"vladimir-putin", "kim-jong-un"} <= entities


async def test_broken_feeds_never_stop_the_cycle(feed_server: FeedServer, tmp_path: Path) -> None:
    """A 500, an HTML page and a hanging server are errors of their own feed only."""
    urls = [
        feed_server.url("/status/500"),
        feed_server.url("/html"),
        feed_server.url("/slow?seconds=30"),
        *serve_fixtures(feed_server, ["rss20.xml"]),
    ]
    app = make_app(tmp_path, urls)
    limits = FetchLimits(total_timeout=1.0, read_timeout=1.0)
    reports = {r.url: r for r in await poll(app, limits)}
    assert reports[urls[-1]].outcome is Outcome.NEW
    assert [reports[u].outcome for u in urls[:3]] == [Outcome.ERROR] * 3
    assert "not a feed" in (reports[urls[1]].error or "")


async def test_failure_is_recorded_and_backed_off(feed_server: FeedServer, tmp_path: Path) -> None:
    """A failing feed records its error, counts the failure and is due later, not now."""
    clock = Clock()
    app = make_app(tmp_path, [feed_server.url("/status/500")], clock=clock)
    await poll(app)
    with session(app.engine) as s:
        feed = s.exec(select(Feed)).one()
    assert feed.failures == 1
    assert feed.last_error == "HTTP 500"
    assert feed.next_due_at is not None
    assert feed.next_due_at > clock.now


async def test_a_story_added_later_is_stored_once(feed_server: FeedServer, tmp_path: Path) -> None:
    """When a feed gains an item, the next cycle stores exactly that one."""
    app = make_app(tmp_path, serve_fixtures(feed_server, ["rss20.xml"]))
    await poll(app)
    body = (FIXTURES / "feeds" / "rss20.xml").read_text(encoding="utf-8")
    item = (
        "<item><title>Late news</title><link>https://late.example/1</link>"
        "<guid>late-1</guid></item></channel>"
    )
    feed_server.add("/rss20.xml", body.replace("</channel>", item).encode(), etag='"v2"')
    (report,) = await poll(app)
    assert len(report.new_story_ids) == 1


ODD_ITEMS = (
    '<item><title>Nul in the guid</title><guid isPermaLink="false">ab&#0;c</guid></item>'
    f"<item><title>Long guid</title><guid>{'g' * 3000}</guid></item>"
    f"<item><title>Long link</title><link>https://odd.example/{'p' * 3000}</link></item>"
    "<item><title>Nul in the host</title><link>http://ex&#0;ample.com/x</link></item>"
)


async def test_odd_entries_are_stored_on_every_database(
    feed_server: FeedServer, tmp_path: Path, database_url: str
) -> None:
    """NUL characters, a 3,000-character guid or link and a huge ETag are stored, not refused."""
    body = f'<rss version="2.0"><channel><title>Odd</title>{ODD_ITEMS}</channel></rss>'
    feed_server.add("/odd.xml", body.encode(), etag='"' + "e" * 600 + '"')
    app = make_app(tmp_path, [feed_server.url("/odd.xml")], database_url=database_url)
    try:
        (report,) = await poll(app)
        stored = {s.title: s for s in stories(app.engine)}
    finally:
        app.engine.dispose()
    assert report.outcome is Outcome.NEW
    assert len(stored) == 4
    assert stored["Nul in the guid"].guid == "abc"
    assert len(stored["Long guid"].guid or "") == 2048
    assert stored["Long link"].link is None
    assert stored["Nul in the host"].link is None


async def test_a_story_the_database_refuses_is_its_feeds_error(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """When the database refuses a feed's stories, that feed records the error; the others store."""
    bad = '<rss version="2.0"><channel><item><title>refused</title><guid>1</guid></item></channel></rss>'
    feed_server.add("/bad.xml", bad.encode())
    urls = [feed_server.url("/bad.xml"), *serve_fixtures(feed_server, ["rss20.xml"])]
    app = make_app(tmp_path, urls)
    with app.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON stories WHEN NEW.title = 'refused' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    reports = await poll(app)
    assert [r.outcome for r in reports] == [Outcome.ERROR, Outcome.NEW]
    assert (reports[0].error or "").startswith("could not store")
    with session(app.engine) as s:
        feed = s.exec(select(Feed).where(Feed.url == urls[0])).one()
    assert (feed.failures, (feed.last_error or "")[:15]) == (1, "could not store")


async def test_a_feed_that_moves_stores_nothing_twice(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """Bare guids ("12345") keep their identity when the feed redirects to a new address."""
    item = "<item><title>{0}</title><guid>{1}</guid></item>"
    channel = '<rss version="2.0"><channel><title>Moving</title>{0}</channel></rss>'
    feed_server.add("/news/feed.xml", channel.format(item.format("Story one", "12345")).encode())
    app = make_app(tmp_path, [feed_server.url("/news/feed.xml")])
    await poll(app)
    feed_server.move("/news/feed.xml", "/v2/feed.xml")
    both = item.format("Story one", "12345") + item.format("Story two", "12346")
    feed_server.add("/v2/feed.xml", channel.format(both).encode())
    (report,) = await poll(app)
    assert len(report.new_story_ids) == 1
    assert sorted(s.guid or "" for s in stories(app.engine)) == ["12345", "12346"]
