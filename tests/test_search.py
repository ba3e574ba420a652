"""Finding stories by entities, topics and keywords, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.model import ParsedStory
from storage import feeds as feed_store
from storage.db import session
from storage.search import Condition, keyword_plan, search
from storage.stories import IncomingStory, StoryMatches, insert_stories

T0 = datetime(2023, 9, 13, 8, 0, tzinfo=UTC)
PUTIN = Condition("entities", ids=frozenset({"vladimir-putin"}))
KIM = Condition("entities", ids=frozenset({"kim-jong-un", "kim-yo-jong"}))
TRUMP = Condition("entities", ids=frozenset({"donald-trump"}))


def store(
    engine: Engine,
    feed_url: str,
    rows: list[tuple[str, dict[str, bool], int]],
    *,
    seen: datetime = T0,
) -> list[int]:
    """Store stories (title, entities, hours after T0) in one feed; their ids."""
    with session(engine) as s:
        feed_store.add_feed(s, feed_url, T0)
        feed = next(f for f in feed_store.active_feeds(s, []) if f.url == feed_url)
        assert feed.id is not None
        items = [
            IncomingStory(
                story=ParsedStory(
                    guid=f"{feed_url}#{title}",
                    link=f"https://news.example/{title.replace(' ', '-')}",
                    title=title,
                    summary=f"About {title}.",
                    published=T0 + timedelta(hours=hours),
                    language="en",
                ),
                title_key=title.casefold(),
                matches=StoryMatches(entities=entities),
            )
            for title, entities, hours in rows
        ]
        return insert_stories(s, feed.id, items, seen)


@pytest.fixture
def news(engine: Engine) -> Engine:
    """A small archive: Putin and Kim together, each alone, and Trump with Putin."""
    store(
        engine,
        "https://a.example/rss",
        [
            ("putin kim summit", {"vladimir-putin": True, "kim-jong-un": True}, 1),
            ("putin alone", {"vladimir-putin": True}, 2),
            ("kim sister statement", {"kim-yo-jong": True, "vladimir-putin": False}, 3),
            ("trump calls putin", {"donald-trump": True, "vladimir-putin": True}, 4),
            ("weather in paris", {}, 5),
            ("kim alone", {"kim-jong-un": True}, 6),
        ],
    )
    return engine


def titles(
    engine: Engine, clauses: list[list[Condition]], excluded: Sequence[Condition] = (), **kw: Any
) -> list[str]:
    with session(engine) as s:
        return [h.title for h in search(s, clauses, excluded, **kw).hits]


def test_every_clause_must_match_newest_first(news: Engine) -> None:
    """Putin AND (either Kim) finds both stories, newest first."""
    assert titles(news, [[PUTIN], [KIM]]) == ["kim sister statement", "putin kim summit"]


def test_or_within_a_clause(news: Engine) -> None:
    """A clause is satisfied by any of its conditions."""
    assert titles(news, [[KIM, TRUMP]]) == [
        "kim alone",
        "trump calls putin",
        "kim sister statement",
        "putin kim summit",
    ]


def test_a_story_must_mention_every_entity_itself(news: Engine) -> None:
    """A Kim story without Putin does not match Putin AND Kim, though other stories have Putin."""
    assert "kim alone" not in titles(news, [[KIM], [PUTIN]], limit=10)
    assert "kim alone" not in titles(news, [[PUTIN], [KIM]], limit=10)


def test_exclusion(news: Engine) -> None:
    """An excluded entity removes its stories, and only those."""
    assert titles(news, [[PUTIN]], [TRUMP], limit=10) == [
        "kim sister statement",
        "putin alone",
        "putin kim summit",
    ]


def test_keyword_search(news: Engine) -> None:
    """A word no entity names is found in titles and summaries."""
    assert titles(news, [[Condition("keyword", keyword="weather")]]) == ["weather in paris"]


def test_keyword_with_entity(news: Engine) -> None:
    """Keywords and entities combine."""
    assert titles(news, [[PUTIN], [Condition("keyword", keyword="summit")]]) == ["putin kim summit"]


SUMMIT = Condition("keyword", keyword="summit")
ALONE = Condition("keyword", keyword="alone")


@pytest.mark.parametrize("strategy", ["sort", "walk", "probe"])
def test_keyword_checks_agree_every_way(news: Engine, strategy: Any) -> None:
    """Sorted, walked or probed story by story, keywords select the same stories."""
    assert titles(news, [[ALONE]], keywords=strategy) == ["kim alone", "putin alone"]
    assert titles(news, [[PUTIN], [SUMMIT]], keywords=strategy) == ["putin kim summit"]
    assert titles(news, [[PUTIN]], [ALONE], keywords=strategy, limit=10) == [
        "trump calls putin",
        "kim sister statement",
        "putin kim summit",
    ]
    assert titles(news, [[SUMMIT, ALONE]], keywords=strategy) == [
        "kim alone",
        "putin alone",
        "putin kim summit",
    ]


@pytest.mark.parametrize(
    ("matches", "plan"),
    [(0, "sort"), (500, "sort"), (2_000, "walk"), (100_000, "walk"), (130_000, "probe")],
)
def test_keyword_plan_follows_how_common_the_keyword_is(matches: int, plan: str) -> None:
    """Among a million stories: a rare keyword is sorted, a common one walked, a very common one probed."""
    assert keyword_plan(matches, 1_000_000, 15) == plan


@pytest.mark.parametrize(("matches", "plan"), [(2_000, "walk"), (100_000, "probe")])
def test_an_excluded_keyword_is_probed_unless_rare(matches: int, plan: str) -> None:
    """Excluding a common keyword leaves most stories passing: probing the few walked is cheapest."""
    assert keyword_plan(matches, 1_000_000, 15, excluded=True) == plan


def test_paging_continues_where_it_stopped(news: Engine) -> None:
    """The cursor of a page starts the next one, without overlap."""
    with session(news) as s:
        first = search(s, [[PUTIN]], limit=2)
        assert first.next_cursor is not None
        second = search(s, [[PUTIN]], limit=2, before=first.next_cursor)
    assert [h.title for h in first.hits] == ["trump calls putin", "kim sister statement"]
    assert [h.title for h in second.hits] == ["putin alone", "putin kim summit"]


def test_last_page_has_no_cursor(news: Engine) -> None:
    """When nothing is left, the page says so."""
    with session(news) as s:
        assert search(s, [[KIM]], limit=10).next_cursor is None


def test_one_line_per_event_with_other_sources(news: Engine) -> None:
    """The same article in another feed is one hit with one other source."""
    store(
        news,
        "https://b.example/rss",
        [("putin kim summit", {"vladimir-putin": True, "kim-jong-un": True}, 1)],
    )
    with session(news) as s:
        hits = search(s, [[PUTIN], [KIM]], limit=10).hits
    summit = [h for h in hits if h.title == "putin kim summit"]
    assert len(summit) == 1
    assert len(summit[0].other_sources) == 1


def test_hits_carry_title_entities(news: Engine) -> None:
    """A hit knows which entities its title names."""
    with session(news) as s:
        hit = search(s, [[KIM], [PUTIN]], limit=1).hits[0]
    assert hit.title == "kim sister statement"
    assert hit.title_entity_ids == ("kim-yo-jong",)
    assert set(hit.entity_ids) == {"kim-yo-jong", "vladimir-putin"}


def test_first_seen_window(news: Engine) -> None:
    """Only stories that arrived in the window are found."""
    later = T0 + timedelta(days=1)
    store(
        news, "https://c.example/rss", [("putin again", {"vladimir-putin": True}, 20)], seen=later
    )
    found = titles(news, [[PUTIN]], first_seen=(T0, later), limit=10)
    assert found == ["putin again"]


def test_only_given_story_ids(news: Engine) -> None:
    """Restricting to new story ids finds only those."""
    ids = store(news, "https://c.example/rss", [("putin new", {"vladimir-putin": True}, 30)])
    assert titles(news, [[PUTIN]], story_ids=ids, limit=10) == ["putin new"]


def test_a_page_that_ends_the_results_has_no_cursor(news: Engine) -> None:
    """When exactly `limit` events match, there is no next page to offer."""
    with session(news) as s:
        page = search(s, [[PUTIN], [KIM]], limit=2)
    assert len(page.hits) == 2
    assert page.next_cursor is None


ZELENSKY = Condition("entities", ids=frozenset({"volodymyr-zelensky"}))


def test_an_event_shown_on_a_page_is_not_shown_again(engine: Engine) -> None:
    """The older copy of an event already shown never comes back on a later page."""
    z = {"volodymyr-zelensky": True}
    store(
        engine,
        "https://a.example/rss",
        [("zelensky visits washington for aid talks", z, 10), ("zelensky meets troops", z, 9)],
    )
    store(engine, "https://b.example/rss", [("zelensky visits washington for aid talks", z, 8)])
    pages: list[list[str]] = []
    before, shown = None, frozenset[int]()
    with session(engine) as s:
        while True:
            page = search(s, [[ZELENSKY]], limit=1, before=before, shown=shown)
            pages.append([h.title for h in page.hits])
            shown |= {h.cluster_id for h in page.hits if h.cluster_id is not None}
            if page.next_cursor is None:
                break
            before = page.next_cursor
    assert pages == [["zelensky visits washington for aid talks"], ["zelensky meets troops"]]
