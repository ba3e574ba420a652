"""Rendering: escaped feed text, safe links, Telegram's HTML rules and limits, in en and fr."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import markup, menus, render, replies
from bot.entities import Alias, Catalog, Entity, Kind
from bot.markup import MAX_MESSAGE
from bot.query import QueryParser
from bot.ranking import Section
from bot.render import Button, Reply
from storage.feeds import FeedRow
from storage.search import Hit, Source
from tests.telegram_html import parse_html, utf16_len

NOW = datetime(2023, 11, 24, 12, 0, tzinfo=UTC)
LANGS = ("en", "fr")
NASTY = '<script>alert("x")</script> <b>bold</b> & &amp; \'quoted\' "double" </a>'
CATALOG = Catalog(
    entities={
        "kim-jong-un": Entity(
            "kim-jong-un", Kind.PERSON, {"en": "Kim Jong-un"}, (Alias("Kim Jong-un"),)
        ),
        "kim-yo-jong": Entity(
            "kim-yo-jong", Kind.PERSON, {"en": "Kim Yo-jong"}, (Alias("Kim Yo-jong"),)
        ),
        "putin": Entity(
            "putin",
            Kind.PERSON,
            {"en": "Vladimir Putin", "fr": "Vladimir Poutine"},
            (Alias("Putin"), Alias("Poutine", case_sensitive=True)),
        ),
    }
)
PARSER = QueryParser(CATALOG)


def hit(
    n: int = 1,
    *,
    title: str = "Kim meets Putin",
    summary: str = "They met in Vladivostok.",
    link: str | None = "https://example.org/story?a=1&b=2",
    age: timedelta = timedelta(minutes=5),
    feed_title: str | None = "Le Monde",
    others: int = 0,
) -> Hit:
    sources = tuple(Source(f"https://other{i}.org/rss", None, None) for i in range(others))
    return Hit(
        story_id=n,
        title=title,
        summary=summary,
        link=link,
        published=NOW - age,
        feed_url="https://www.lemonde.fr/rss.xml",
        feed_title=feed_title,
        cluster_id=None,
        entity_ids=("putin",),
        title_entity_ids=("putin",),
        other_sources=sources,
    )


def check(text: str) -> str:
    """Assert `text` is a message Telegram accepts; return its visible text."""
    assert utf16_len(text) <= MAX_MESSAGE
    visible, entities = parse_html(text, strict=True)
    assert visible.strip()
    for entity in entities:
        if entity["type"] == "text_link":
            assert re.match(r"https?://", entity["url"]), entity
    return visible


def check_reply(reply: Reply) -> str:
    for row in reply.buttons:
        for button in row:
            assert button.text.strip()
            assert len(button.data.encode()) <= 64
    return check(reply.text)


def links(text: str) -> list[str]:
    return [e["url"] for e in parse_html(text)[1] if e["type"] == "text_link"]


# --- Escaping and links ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_feed_markup_is_shown_as_text(lang: str) -> None:
    """Tags, ampersands and quotes in a feed's title, summary and name come out as plain text."""
    feed = '<i>Feed</i> & "co"'
    story = hit(title=NASTY, summary="Summary: " + NASTY, feed_title=feed)
    query = PARSER.parse("putin")
    [reply] = render.latest(query, [story], catalog=CATALOG, lang=lang, now=NOW, more=None)
    visible = check_reply(reply)
    assert NASTY in visible
    assert feed in visible
    assert "<script" not in reply.text
    assert "<b>bold" not in reply.text
    lines = check(render.alert(story, NASTY, lang=lang, now=NOW)).splitlines()
    assert lines[:3] == ["🔔 " + NASTY, NASTY, "Summary: " + NASTY]
    assert lines[3].startswith(feed + " · ")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.org/file",
        "//example.org/no-scheme",
        "https://",
        "http://[::1",
        "https://exa mple.org/",
        "https://example.org/\nnext",
        "",
        None,
    ],
)
def test_unsafe_links_are_not_linked(url: str | None) -> None:
    """Anything but a well-formed http(s) URL leaves the title unlinked, but shown."""
    text = render.alert(hit(link=url), "putin", lang="en", now=NOW)
    assert "<a" not in text
    assert "Kim meets Putin" in check(text)


def test_http_links_survive_escaping() -> None:
    """A URL with & and quotes is escaped in the attribute and reaches Telegram unchanged."""
    url = 'https://example.org/a?x=1&y="2"&z=<3>'
    text = render.alert(hit(link=url), "putin", lang="en", now=NOW)
    assert links(text) == [url]


def test_query_text_is_escaped() -> None:
    """What the user typed is escaped in the "understood as" line."""
    query = PARSER.parse('"<b>x & y</b>" putin')
    line = render.understanding(query, CATALOG, "en")
    visible = check(line)
    assert "<b>" not in line
    assert visible == "“<b>x & y</b>” · putin → Vladimir Putin"


# --- How a query was understood ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "kim → Kim Jong-un, Kim Yo-jong · putin → Vladimir Putin"),
        ("fr", "kim → Kim Jong-un, Kim Yo-jong · putin → Vladimir Poutine"),
    ],
)
def test_understanding_names_every_term(lang: str, expected: str) -> None:
    """Each term is shown with the names it stands for, in the reader's language."""
    assert render.understanding(PARSER.parse("kim putin"), CATALOG, lang) == expected


def test_understanding_text_is_plain() -> None:
    """The plain form (for the topic list) is the same line, unescaped."""
    query = PARSER.parse('"<b>&</b>" putin')
    assert render.understanding_text(query, CATALOG, "en") == "“<b>&</b>” · putin → Vladimir Putin"


@pytest.mark.parametrize(("lang", "either"), [("en", "or"), ("fr", "ou")])
def test_understanding_shows_alternatives_and_exclusions(lang: str, either: str) -> None:
    """OR alternatives share a group; keywords are quoted; excluded terms keep their minus."""
    line = render.understanding(PARSER.parse("putin OR kim -sport"), CATALOG, lang)
    assert f" {either} kim → " in line
    assert line.endswith(" · -“sport”")


# --- Lists and splitting ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_sixty_long_stories_split_between_stories(lang: str) -> None:
    """60 long stories make several messages, each within the limit, no story cut in two."""
    hits = [
        hit(i, title=f"Story {i:02d} " + "<&> " * 75, link=f"https://example.org/{i}?a&b")
        for i in range(60)
    ]
    replies_ = render.latest(
        PARSER.parse("putin"), hits, catalog=CATALOG, lang=lang, now=NOW, more="more:abc"
    )
    assert len(replies_) > 1
    texts = [check_reply(r) for r in replies_]
    for i in range(60):
        found = [t for t in texts if f"Story {i:02d} " in t]
        assert len(found) == 1
        assert f"Story {i:02d} " + "<&> " * 60 in found[0]  # the whole title, not a piece
    assert all(r.buttons == () for r in replies_[:-1])
    assert replies_[-1].buttons == ((Button("Plus" if lang == "fr" else "More", "more:abc"),),)
    assert not any(r.preview for r in replies_)


def test_no_more_button_without_more_data() -> None:
    """The caller passes None when there is nothing more: no button."""
    [reply] = render.latest(
        PARSER.parse("putin"), [hit()], catalog=CATALOG, lang="en", now=NOW, more=None
    )
    assert reply.buttons == ()


def test_a_story_longer_than_a_message_is_shortened() -> None:
    """Title and summary are cut before escaping until the alert fits in one message."""
    story = hit(title='"' * 5000, summary="&" * 5000, link="https://example.org/" + "a&" * 300)
    text = render.alert(story, "<" * 5000, lang="en", now=NOW)
    visible = check(text)
    assert '"' * 50 in visible
    assert "…" in visible
    assert links(text)  # the link stays when the texts can make room


def test_a_link_too_long_for_a_message_is_dropped() -> None:
    """A URL that alone would overflow the message is left out; the title stays."""
    story = hit(link="https://example.org/" + "a&" * 1000)
    text = render.alert(story, "putin", lang="en", now=NOW)
    assert "Kim meets Putin" in check(text)
    assert links(text) == []


def test_pack_never_splits_a_block() -> None:
    """Blocks are kept whole and in order, separators dropped where a message ends."""
    blocks = [("", "head")] + [("\n\n", f"<b>{i}</b>" * 50) for i in range(100)]
    messages = markup.pack(blocks, limit=500)
    assert all(utf16_len(m) <= 500 for m in messages)
    assert "\n\n".join(messages) == "".join(sep + block for sep, block in blocks)


# --- Time ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "en", "fr"),
    [
        (timedelta(seconds=0), "just now", "à l'instant"),
        (timedelta(seconds=59), "just now", "à l'instant"),
        (timedelta(seconds=-3600), "just now", "à l'instant"),
        (timedelta(minutes=1), "1 min ago", "il y a 1 min"),
        (timedelta(minutes=5), "5 min ago", "il y a 5 min"),
        (timedelta(minutes=59, seconds=59), "59 min ago", "il y a 59 min"),
        (timedelta(hours=1), "1 h ago", "il y a 1 h"),
        (timedelta(hours=3, minutes=40), "3 h ago", "il y a 3 h"),
        (timedelta(hours=23, minutes=59), "23 h ago", "il y a 23 h"),
        (timedelta(days=1), "1 d ago", "il y a 1 j"),
        (timedelta(days=2, hours=5), "2 d ago", "il y a 2 j"),
        (timedelta(days=6, hours=23), "6 d ago", "il y a 6 j"),
        (timedelta(days=7), "17 Nov 2023", "17 nov. 2023"),
        (NOW - datetime(2023, 9, 13, 8, tzinfo=UTC), "13 Sep 2023", "13 sept. 2023"),
    ],
)
def test_relative_time(age: timedelta, en: str, fr: str) -> None:
    """Recent times are relative, older ones a short date, in the reader's language."""
    assert render.relative_time(NOW - age, NOW, "en") == en
    assert render.relative_time(NOW - age, NOW, "fr") == fr


@pytest.mark.parametrize(
    ("tz", "en", "fr"),
    [
        ("Asia/Tokyo", "Your digest — Saturday 25 November", "Votre revue — samedi 25 novembre"),
        (
            "America/New_York",
            "Your digest — Friday 24 November",
            "Votre revue — vendredi 24 novembre",
        ),
    ],
)
def test_digest_heading_uses_the_local_date(tz: str, en: str, fr: str) -> None:
    """At 23:30 UTC it is already Saturday in Tokyo and still Friday in New York."""
    now = datetime(2023, 11, 24, 23, 30, tzinfo=UTC)
    section = Section("kim putin", (hit(),), 0)
    for lang, expected in (("en", en), ("fr", fr)):
        [message] = render.digest([section], lang=lang, now=now, tz=ZoneInfo(tz))
        assert check(message).splitlines()[0] == "📰 " + expected


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [
        ("en", 1, "+1 other source"),
        ("en", 2, "+2 other sources"),
        ("en", 11, "+11 other sources"),
        ("fr", 1, "+1 autre source"),
        ("fr", 2, "+2 autres sources"),
        ("fr", 11, "+11 autres sources"),
    ],
)
def test_other_sources_plural(lang: str, count: int, expected: str) -> None:
    """ "+K other sources" takes the language's plural form, in lists, digests and alerts."""
    story = hit(others=count)
    [reply] = render.latest(
        PARSER.parse("putin"), [story], catalog=CATALOG, lang=lang, now=NOW, more=None
    )
    assert reply.text.endswith(" · " + expected)
    section = Section("putin", (story,), 0)
    assert render.digest([section], lang=lang, now=NOW, tz=UTC)[0].endswith(" · " + expected)
    assert render.alert(story, "putin", lang=lang, now=NOW).endswith(" · " + expected)


def test_no_other_sources_no_mention() -> None:
    """A story alone in its event says nothing about other sources."""
    assert "source" not in render.alert(hit(others=0), "putin", lang="en", now=NOW).split("\n")[-1]


# --- Digests ------------------------------------------------------------------------------------


def test_digest_sections_and_rest() -> None:
    """Each section has its bold title, one line per event and "… and N more"."""
    sections = [
        Section("kim <putin>", (hit(1), hit(2, title="Second")), 3),
        Section("empty", (), 0),
    ]
    [message] = render.digest(sections, lang="en", now=NOW, tz=UTC)
    lines = check(message).splitlines()
    assert lines[2:] == [
        "kim <putin>",
        "• Kim meets Putin — Le Monde",
        "• Second — Le Monde",
        "… and 3 more",
    ]
    assert "<b>kim &lt;putin&gt;</b>" in message


def test_digest_without_events_is_empty() -> None:
    """No event in any section: nothing to send (the caller may send nothing_new)."""
    assert render.digest([Section("x", (), 4)], lang="en", now=NOW, tz=UTC) == []


@pytest.mark.parametrize("lang", LANGS)
def test_long_digest_splits_between_events(lang: str) -> None:
    """A digest of many long events is split into messages between lines, each valid."""
    sections = [
        Section(f"topic {s}", tuple(hit(i, title=f"T{s}-{i} " + "& " * 140) for i in range(10)), 2)
        for s in range(8)
    ]
    messages = render.digest(sections, lang=lang, now=NOW, tz=UTC)
    assert len(messages) > 1
    visible = "\n".join(check(m) for m in messages)
    for s in range(8):
        for i in range(10):
            assert f"T{s}-{i} " + "& " * 100 in visible


# --- Every message, every language --------------------------------------------------------------

FEED = FeedRow(1, "https://example.org/rss?a=1&b=<2>", NASTY, 12, NOW, 0, None, None)
BROKEN = FeedRow(2, "http://broken.example/feed", None, 0, None, 7, "HTTP 500: <html> & co", None)
ENTRY = menus.TopicEntry(1, 17, NASTY, "kim → Kim Jong-un & <Kim>", True)
SETTINGS = menus.SettingsView("fr", "Europe/Paris", "08:00", True, False, 1, 3)
STATS = menus.StatsView(120, 3, 1_234_567, 10, 20, 5)
QUERY = PARSER.parse('kim putin -"<sport>"')

Scenario = Callable[[str], list[str]]
SCENARIOS: dict[str, Scenario] = {
    "latest": lambda lang: [
        r.text
        for r in render.latest(
            QUERY,
            [hit(others=2), hit(2, title=NASTY)],
            catalog=CATALOG,
            lang=lang,
            now=NOW,
            more="m",
        )
    ],
    "digest": lambda lang: render.digest(
        [Section(NASTY, (hit(others=1),), 4)], lang=lang, now=NOW, tz=UTC
    ),
    "alert": lambda lang: [render.alert(hit(summary=NASTY), NASTY, lang=lang, now=NOW)],
    "nothing_new": lambda lang: [render.nothing_new(lang)],
    "feeds": lambda lang: [
        r.text
        for r in render.feeds_admin([FEED, BROKEN], lang=lang, now=NOW, broken=lambda i: i == 2)
    ],
    "no feeds": lambda lang: [
        r.text for r in render.feeds_admin([], lang=lang, now=NOW, broken=lambda i: False)
    ],
    "nothing_found": lambda lang: [
        replies.nothing_found(QUERY, CATALOG, lang, ["Putin", NASTY]).text
    ],
    "not_understood": lambda lang: [replies.not_understood(lang).text],
    "welcome": lambda lang: [menus.welcome(lang, NASTY, "track:default").text],
    "help": lambda lang: [menus.help_text(lang, admin=False).text],
    "help admin": lambda lang: [menus.help_text(lang, admin=True).text],
    "tracked": lambda lang: [replies.tracked(QUERY, CATALOG, lang).text],
    "topics": lambda lang: [menus.topics([ENTRY, ENTRY], lang).text],
    "no topics": lambda lang: [menus.topics([], lang).text],
    "settings": lambda lang: [menus.settings(SETTINGS, lang).text],
    "settings off": lambda lang: [
        menus.settings(menus.SettingsView("en", "UTC", "07:00", False, True, 0, 0), lang).text
    ],
    "stats": lambda lang: [menus.stats(STATS, lang).text],
    "usage": lambda lang: [
        replies.usage(lang, c).text
        for c in ("latest", "track", "untrack", "alerts", "settings", "feeds", "nope")
    ],
    "short": lambda lang: [
        r.text
        for r in (
            replies.refused(lang),
            replies.untrack_bad_number(lang, "<7>", 3),
            replies.untrack_bad_number(lang, 9, 1),
            replies.untrack_bad_number(lang, 9, 0),
            replies.untracked(lang, NASTY),
            replies.already_tracking(lang, NASTY),
            replies.alerts_set(lang, True, 3),
            replies.alerts_set(lang, True, 1),
            replies.alerts_set(lang, True, 0),
            replies.alerts_set(lang, False, 3),
            replies.settings_saved(lang),
            replies.bad_time(lang, "25:00 <b>"),
            replies.bad_zone(lang, "Paris & <co>", ["Europe/Paris", "America/Paris"]),
            replies.bad_zone(lang, "Nowhere", []),
            replies.bad_lang(lang, "<xx>"),
            replies.stopped(lang),
            replies.unknown_command(lang),
            replies.feed_added(lang, "https://example.org/rss?a&b"),
            replies.feed_exists(lang, "https://example.org/rss?a&b"),
            replies.feed_removed(lang, "https://example.org/rss?a&b"),
            replies.feed_unknown(lang, "https://example.org/<rss>"),
            replies.bad_url(lang, "javascript:<x>"),
            replies.no_topics(lang),
            replies.digest_empty(lang),
            replies.error(lang),
        )
    ],
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_message_passes_telegram_html_rules(name: str, lang: str) -> None:
    """Each rendered message parses as strict Telegram HTML within the length limit."""
    messages = SCENARIOS[name](lang)
    assert messages
    for message in messages:
        visible = check(message)
        assert "%(" not in visible  # every placeholder was filled


def test_french_is_french() -> None:
    """The French replies are translated, with a no-break space before ? ! and :."""
    found = replies.nothing_found(PARSER.parse("puttin"), CATALOG, "fr", ["Poutine"]).text
    assert "Vouliez-vous dire Poutine\u00a0?" in found
    assert "Nothing" not in found
    english = replies.nothing_found(PARSER.parse("puttin"), CATALOG, "en", ["Putin"]).text
    assert "Did you mean Putin?" in english
    assert english.startswith("Nothing yet for “puttin”.")


# --- Menus and buttons --------------------------------------------------------------------------


def test_language_names_never_fail() -> None:
    """A language code Babel does not know is shown as the code itself."""
    assert replies.language_name("fr") == "Français"
    assert replies.language_name("zz") == "Zz"
    assert replies.language_name("not a code") == "Not a code"


def test_button_data_is_at_most_64_bytes() -> None:
    """Telegram refuses callback data over 64 bytes: the type does too."""
    Button("ok", "é" * 32)
    with pytest.raises(ValueError, match="64"):
        Button("too long", "é" * 33)
    with pytest.raises(ValueError, match="64"):
        Button("empty", "")


def test_welcome_offers_the_default_topic() -> None:
    """The welcome has one button to track the default topic, with the caller's data."""
    reply = menus.welcome("fr", "Ukraine", "track:ukraine")
    assert reply.buttons == ((Button("Suivre Ukraine", "track:ukraine"),),)
    assert "Bienvenue" in check_reply(reply)


def test_topics_buttons() -> None:
    """Each topic gets a remove button and an alerts toggle carrying its subscription id."""
    entries = [
        menus.TopicEntry(1, 17, "kim putin", "kim → Kim Jong-un · putin → Vladimir Putin", True),
        menus.TopicEntry(2, 23, "ukraine", "ukraine → Ukraine", False),
    ]
    reply = menus.topics(entries, "en")
    assert check_reply(reply).splitlines()[1:] == [
        "1. kim putin — kim → Kim Jong-un · putin → Vladimir Putin 🔔",
        "2. ukraine — ukraine → Ukraine",
    ]
    assert [[b.data for b in row] for row in reply.buttons] == [
        ["untrack:17", "alerts:17"],
        ["untrack:23", "alerts:23"],
    ]


def test_many_topics_fit_in_one_message() -> None:
    """Hundreds of long topics are cut with "… and N more", within the message and button limits."""
    entries = [menus.TopicEntry(i, i, "&" * 200, "<" * 400, False) for i in range(1, 301)]
    reply = menus.topics(entries, "en")
    visible = check_reply(reply)
    assert visible.splitlines()[-1].startswith("… and ")
    assert sum(len(row) for row in reply.buttons) <= 100


def test_empty_topics_hint_at_track() -> None:
    """No topics: a hint to use /track."""
    assert "/track" in menus.topics([], "en").text


@pytest.mark.parametrize("lang", LANGS)
def test_settings_buttons(lang: str) -> None:
    """Language buttons for every supported language, and on/off toggles for the rest."""
    view = menus.SettingsView(lang, "Europe/Paris", "08:00", True, False, 1, 3)
    reply = menus.settings(view, lang)
    assert [[b.data for b in row] for row in reply.buttons] == [
        ["set:lang:en", "set:lang:fr"],
        ["set:digest:off"],
        ["set:nothing_new:on"],
    ]
    assert [b.text for b in reply.buttons[0]] == [
        ("✓ " if lang == "en" else "") + "English",
        ("✓ " if lang == "fr" else "") + "Français",
    ]
    visible = check_reply(reply)
    assert "/settings time HH:MM" in visible
    assert "/settings tz Area/City" in visible


USER_COMMANDS = {
    "start", "latest", "track", "topics", "untrack", "digest", "alerts", "settings", "stop", "help"
}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
def test_help_lists_every_command(lang: str) -> None:
    """Help has one line per command; admins also see /feeds and /stats."""
    user = check_reply(menus.help_text(lang, admin=False))
    admin = check_reply(menus.help_text(lang, admin=True))
    for command in USER_COMMANDS:
        assert re.search(rf"^/{command}\b", user, re.MULTILINE), command
    assert "/feeds" not in user
    assert "/stats" not in user
    for line in ("/feeds add URL", "/feeds remove URL", "/stats"):
        assert line in admin
    assert " OR " in user
    assert "-sport" in user


@pytest.mark.parametrize("lang", LANGS)
def test_command_menu_suits_set_my_commands(lang: str) -> None:
    """Command names and descriptions fit Telegram's setMyCommands rules."""
    commands = menus.COMMANDS(lang)
    assert {c for c, _ in commands} == USER_COMMANDS
    assert {c for c, _ in menus.COMMANDS(lang, admin=True)} == USER_COMMANDS | {"feeds", "stats"}
    for command, description in commands:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", command)
        assert 1 <= len(description) <= 256


def test_feeds_admin_shows_health() -> None:
    """Each feed shows stories, last success, failures, last error, and BROKEN when flagged."""
    [reply] = render.feeds_admin([FEED, BROKEN], lang="en", now=NOW, broken=lambda i: i == 2)
    visible = check_reply(reply)
    assert "12 stories · last success: just now · 0 failures" in visible
    assert "2. broken.example ⚠️ BROKEN" in visible
    assert "0 stories · last success: never · 7 failures" in visible
    assert "Last error: HTTP 500: <html> & co" in visible
    assert "https://example.org/rss?a=1&b=<2>" in visible


def test_feeds_admin_splits_long_lists() -> None:
    """Hundreds of feeds are split into several valid messages."""
    rows = [
        FeedRow(i, f"https://example{i}.org/" + "x&" * 200, None, i, None, i, "<" * 500, None)
        for i in range(200)
    ]
    messages = render.feeds_admin(rows, lang="fr", now=NOW, broken=lambda i: i % 2 == 0)
    assert len(messages) > 1
    visible = "\n".join(check_reply(m) for m in messages)
    assert all(f"https://example{i}.org/" in visible for i in range(200))


def test_a_wrong_translation_placeholder_does_not_raise() -> None:
    """A placeholder a translator misspelt stays visible rather than crashing the reply."""
    assert markup.fill("%(nmae)s & %(n)d%%", n=3) == "%(nmae)s &amp; 3%"


# --- Anything a feed can send ---------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    title=st.text(max_size=3000),
    summary=st.text(max_size=3000),
    feed_title=st.none() | st.text(max_size=500),
    link=st.none() | st.text(max_size=300) | st.text().map(lambda s: "https://example.org/" + s),
    lang=st.sampled_from(LANGS),
)
def test_any_feed_text_renders_valid_html(
    title: str, summary: str, feed_title: str | None, link: str | None, lang: str
) -> None:
    """Whatever a feed sends, alerts, lists and digests are valid Telegram HTML within limits."""
    story = hit(title=title, summary=summary, feed_title=feed_title, link=link, others=3)
    check(render.alert(story, title, lang=lang, now=NOW))
    for reply in render.latest(
        PARSER.parse(title), [story] * 3, catalog=CATALOG, lang=lang, now=NOW, more="m"
    ):
        check(reply.text)
    for message in render.digest([Section(title, (story,) * 3, 1)], lang=lang, now=NOW, tz=UTC):
        check(message)
