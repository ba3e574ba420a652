"""Storage on a real SQLite file and, when reachable, on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, inspect, select

from bot.model import ParsedStory
from storage import feeds as feed_store
from storage.db import session, upgrade
from storage.stories import IncomingStory, StoryMatches, dedup_key, insert_stories
from storage.tables import Feed, Mention, Story, TopicMatch

NOW = datetime(2023, 9, 13, 12, 0, tzinfo=UTC)


def story(
    guid: str | None = "g1",
    link: str | None = "https://example.org/a",
    title: str = "Putin meets Kim at Vostochny cosmodrome",
    published: datetime = NOW,
) -> ParsedStory:
    return ParsedStory(
        guid=guid,
        link=link,
        title=title,
        summary="Talks on arms.",
        published=published,
        language="en",
    )


def incoming(s: ParsedStory, **entities: bool) -> IncomingStory:
    return IncomingStory(
        story=s, title_key=s.title.casefold(), matches=StoryMatches(entities=entities)
    )


def add_feed(engine: Engine, url: str = "https://example.org/feed") -> int:
    with session(engine) as s:
        feed_store.sync_listed(s, [url], NOW)
        feed = s.scalars(select(Feed).where(Feed.url == url)).one()
        assert feed.id is not None
        return feed.id


def count(engine: Engine, table: type) -> int:
    with session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    """Bringing an up-to-date schema up to date changes nothing."""
    upgrade(engine)
    assert {"feeds", "stories", "mentions", "outbox"} <= set(inspect(engine).get_table_names())


def test_story_stored_once_by_guid(engine: Engine) -> None:
    """The same guid in the same feed is stored once, even with another link."""
    feed = add_feed(engine)
    with session(engine) as s:
        first = insert_stories(s, feed, [incoming(story())], NOW)
        second = insert_stories(s, feed, [incoming(story(link="https://example.org/b"))], NOW)
    assert len(first) == 1
    assert second == []


def test_story_without_guid_stored_once_by_link(engine: Engine) -> None:
    """Without a guid, the canonical link identifies a story within its feed."""
    feed = add_feed(engine)
    with session(engine) as s:
        insert_stories(s, feed, [incoming(story(guid=None))], NOW)
        again = insert_stories(s, feed, [incoming(story(guid=None, title="Other"))], NOW)
    assert again == []


def test_duplicate_entries_in_one_batch_stored_once(engine: Engine) -> None:
    """A feed that repeats an entry gives one story."""
    feed = add_feed(engine)
    with session(engine) as s:
        ids = insert_stories(s, feed, [incoming(story()), incoming(story())], NOW)
    assert len(ids) == 1


def test_same_link_in_two_feeds_shares_a_cluster(engine: Engine) -> None:
    """The same article in two feeds is stored twice but is one event."""
    a, b = add_feed(engine, "https://a.example/feed"), add_feed(engine, "https://b.example/feed")
    with session(engine) as s:
        insert_stories(s, a, [incoming(story(guid="a1"))], NOW)
        insert_stories(s, b, [incoming(story(guid="b1", title="Different headline"))], NOW)
        clusters = set(s.scalars(select(Story.cluster_id)))
    assert len(clusters) == 1


def test_same_title_within_48h_shares_a_cluster(engine: Engine) -> None:
    """Two outlets with the same headline within 48 hours report one event."""
    a, b = add_feed(engine, "https://a.example/feed"), add_feed(engine, "https://b.example/feed")
    with session(engine) as s:
        insert_stories(s, a, [incoming(story(guid="a1", link="https://a.example/1"))], NOW)
        later = story(guid="b1", link="https://b.example/1", published=NOW + timedelta(hours=30))
        insert_stories(s, b, [incoming(later)], NOW)
        assert len(set(s.scalars(select(Story.cluster_id)))) == 1


def test_same_title_days_apart_is_another_event(engine: Engine) -> None:
    """The same headline three days later is a different event."""
    a = add_feed(engine)
    with session(engine) as s:
        insert_stories(s, a, [incoming(story(guid="1", link="https://a.example/1"))], NOW)
        later = story(guid="2", link="https://a.example/2", published=NOW + timedelta(days=3))
        insert_stories(s, a, [incoming(later)], NOW)
        assert len(set(s.scalars(select(Story.cluster_id)))) == 2


def test_mentions_stored_with_the_story(engine: Engine) -> None:
    """Each new story keeps its entities, whether seen in the title, and its topics."""
    feed = add_feed(engine)
    item = IncomingStory(
        story=story(),
        title_key="k",
        matches=StoryMatches(
            entities={"vladimir-putin": True, "country:KP": False}, topics=frozenset({"topic:x"})
        ),
    )
    with session(engine) as s:
        insert_stories(s, feed, [item], NOW)
        mentions = {(m.entity_id, m.in_title) for m in s.scalars(select(Mention))}
        topics = {t.topic_id for t in s.scalars(select(TopicMatch))}
    assert mentions == {("vladimir-putin", True), ("country:KP", False)}
    assert topics == {"topic:x"}


def test_datetimes_come_back_aware_utc(engine: Engine) -> None:
    """A stored publication time reads back as the same aware UTC datetime."""
    feed = add_feed(engine)
    with session(engine) as s:
        insert_stories(s, feed, [incoming(story())], NOW)
    with session(engine) as s:
        published = s.scalars(select(Story.published_at)).one()
    assert published == NOW
    assert published.tzinfo is not None


def test_dedup_key_prefers_guid_then_link_then_text() -> None:
    """A story's identity is its guid, else its link, else a hash of its text."""
    assert dedup_key(story()) == "g:g1"
    assert dedup_key(story(guid=None)) == "l:https://example.org/a"
    assert dedup_key(story(guid=None, link=None)).startswith("h:")


def test_removed_listed_feed_stays_removed(engine: Engine) -> None:
    """Removing a FEEDS_FILE feed hides it from polling even though the file still lists it."""
    url = "https://example.org/feed"
    add_feed(engine, url)
    with session(engine) as s:
        assert feed_store.remove_feed(s, url)
        feed_store.sync_listed(s, [url], NOW)
        assert feed_store.active_feeds(s, [url]) == []


def test_added_feed_is_polled_beside_the_list(engine: Engine) -> None:
    """A feed added by hand is polled though FEEDS_FILE does not list it."""
    with session(engine) as s:
        assert feed_store.add_feed(s, "https://extra.example/rss", NOW)
        assert not feed_store.add_feed(s, "https://extra.example/rss", NOW)
        urls = [f.url for f in feed_store.active_feeds(s, [])]
    assert urls == ["https://extra.example/rss"]


def test_feed_rows_count_stories(engine: Engine) -> None:
    """The feed listing counts each feed's stored stories."""
    feed = add_feed(engine)
    with session(engine) as s:
        insert_stories(
            s, feed, [incoming(story("1", "https://x/1")), incoming(story("2", "https://x/2"))], NOW
        )
        rows = feed_store.feed_rows(s, ["https://example.org/feed"])
    assert [(r.url, r.stories) for r in rows] == [("https://example.org/feed", 2)]


def test_same_link_within_one_batch_is_one_event(engine: Engine) -> None:
    """Two entries of one poll that share a link (different guids) report one event."""
    feed = add_feed(engine)
    with session(engine) as s:
        ids = insert_stories(
            s, feed, [incoming(story(guid="a")), incoming(story(guid="b", title="Another"))], NOW
        )
        clusters = set(s.scalars(select(Story.cluster_id)))
    assert len(ids) == 2
    assert clusters == {ids[0]}


def test_a_feed_of_thousands_of_new_stories_is_stored_whole(engine: Engine) -> None:
    """7,000 new stories in one feed (more bound parameters than one statement takes) all land."""
    feed_id = add_feed(engine)
    batch = [
        incoming(story(guid=f"g{i}", link=f"https://example.org/{i}", title=f"Story number {i}"))
        for i in range(7000)
    ]
    with session(engine) as s:
        assert len(insert_stories(s, feed_id, batch, NOW)) == 7000
        assert insert_stories(s, feed_id, batch, NOW) == []
    assert count(engine, Story) == 7000
