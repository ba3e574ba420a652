"""Feed bytes to stories: every fixture format and encoding, markup, links, dates, failures."""

from __future__ import annotations

import json
import os
import pickle
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.links import canonical_link
from bot.model import ParsedFeed, ParsedStory, ParseError
from bot.parse import (
    entry_date,
    feed_from_result,
    normalize_language,
    parse_feed,
    run_feedparser,
)
from bot.text import html_to_text

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
NOW = datetime(2024, 1, 1, tzinfo=UTC)
FIXTURES = ["rss091.xml", "rss092.xml", "rss10.rdf", "rss20.xml", "atom03.xml", "atom10.xml"]
FIXTURES += ["illformed.xml", "seed.rss"]


def parse(name: str, content_type: str | None = None, url: str | None = None) -> ParsedFeed:
    url = url or f"https://news.example.com/feeds/{name}"
    return parse_feed((FEEDS / name).read_bytes(), url=url, content_type=content_type, now=NOW)


def at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def rss(items: str, channel: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"{channel}{items}</channel></rss>"
    ).encode()


# --- formats and encodings -------------------------------------------------------------


def test_rss091_in_iso_8859_1():
    """RSS 0.91 in ISO-8859-1: French accents intact, undated stories get now."""
    feed = parse("rss091.xml")
    assert (feed.title, feed.link, feed.language) == (
        "Le Journal du Matin",
        "http://www.journal.example.fr/",
        "fr",
    )
    assert feed.stories == (
        ParsedStory(
            guid=None,
            link="http://www.journal.example.fr/politique/elections.html",
            title="Élections régionales : la majorité résiste à Besançon",
            summary="Le scrutin s'est déroulé sans incident ; « une journée calme », selon le préfet.",
            published=NOW,
            language="fr",
        ),
        ParsedStory(
            guid=None,
            link="http://www.journal.example.fr/meteo/ete.html",
            title="Météo : un été très chaud à Nîmes",
            summary="Les températures dépassent 35 °C.",
            published=NOW,
            language="fr",
        ),
    )


def test_rss092_in_windows_1251():
    """RSS 0.92 in windows-1251: Cyrillic intact; an untitled item keeps its description."""
    feed = parse("rss092.xml")
    assert feed.stories == (
        ParsedStory(
            guid=None,
            link="https://vesti.example.bg/novini/most",
            title="Открит е нов мост над Дунав",
            summary="Мостът свързва Видин и Калафат.",
            published=NOW,
            language="bg",
        ),
        ParsedStory(
            guid=None,
            link="https://vesti.example.bg/novini/kratka",
            title="",
            summary="Кратка новина без заглавие: София посреща туристи.",
            published=NOW,
            language="bg",
        ),
    )


def test_rss10_rdf_in_koi8_r():
    """RSS 1.0 (RDF) in KOI8-R: Russian intact, dc:date and dc:language read."""
    feed = parse("rss10.rdf")
    assert (feed.title, feed.language) == ("Новости дня", "ru")
    assert feed.stories == (
        ParsedStory(
            guid="https://lenta.example.ru/news/vostochny",
            link="https://lenta.example.ru/news/vostochny",
            title="Путин встретился с Ким Чен Ыном на Восточном",
            summary="Встреча прошла на космодроме Восточный в Амурской области.",
            published=at(2023, 9, 13, 8, 30),
            language="ru",
        ),
    )


def test_atom03_in_utf8_japanese():
    """Atom 0.3: Japanese text intact, issued is the publication date, xml:lang the language."""
    feed = parse("atom03.xml")
    assert feed.stories == (
        ParsedStory(
            guid="tag:tokyo.example.jp,2023:1",
            link="https://tokyo.example.jp/articles/1",
            title="首相が官邸で記者会見",
            summary="首相は午後、官邸で記者会見を開いた。",
            published=at(2023, 9, 13, 9, 0),
            language="ja",
        ),
    )


def test_atom10_in_utf8_korean():
    """Atom 1.0: xml:base resolves links, html title stripped, xhtml content, entry xml:lang."""
    feed = parse("atom10.xml")
    assert (feed.title, feed.language) == ("서울 뉴스", "ko")
    assert feed.stories == (
        ParsedStory(
            guid="urn:uuid:0b6f2c55-2a8e-4d61-8e8b-3f4a9c7d1e01",
            link="https://seoul.example.kr/news/2023/09/summit?lang=ko",
            title="속보 서울에서 정상회담",
            summary="정상들이 만나 협력을 논의했다.",
            published=at(2023, 9, 12, 23, 0),
            language="ko",
        ),
        ParsedStory(
            guid="urn:uuid:0b6f2c55-2a8e-4d61-8e8b-3f4a9c7d1e02",
            link="https://seoul.example.kr/en/summit",
            title="Summit in Seoul",
            summary="Leaders met today. Talks went on.",
            published=at(2023, 9, 13, 1, 0),
            language="en",
        ),
    )


def test_rss20_first_story_exactly():
    """RSS 2.0: HTML title and summary flattened, script dropped, link canonical, guid trimmed."""
    story = parse("rss20.xml").stories[0]
    assert story == ParsedStory(
        guid="geneva-talks-7",
        link="https://news.example.com/world/geneva-talks?id=7",
        title="Breaking news: talks resume in Geneva",
        summary="Diplomats met again. More talks & tea.",
        published=at(2023, 9, 12, 8, 0),
        language="en",
    )


def test_seed_story_intact():
    """The French seed article comes through whole: text, canonical link, date, language."""
    feed = parse("seed.rss")
    assert feed.stories == (
        ParsedStory(
            guid="example-fr-monde-poutine-kim-vostochny",
            link="https://www.example.fr/monde/poutine-kim-vostochny",
            title="Poutine et Kim Jong-un se serrent la main au cosmodrome de Vostochny",
            summary=(
                "VLADIMIR Poutine et Kim Jong-un se sont serrés la main alors qu’ils se "
                "rencontraient sur une base spatiale pour des négociations sur les armes, "
                "quelques heures seulement après que la Corée du Nord a tiré deux missiles "
                "balistiques. Le dictateur nord-coréen s’apprête à discuter avec le tyran "
                "Vlad, 70 ans, de la fourniture d’armes pour soutenir l’invasion russe de "
                "l’Ukraine."
            ),
            published=at(2023, 9, 13, 8, 30),
            language="fr",
        ),
    )


# --- charsets from HTTP ------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [None, "application/rss+xml", "text/xml", "text/xml; charset=utf-8", "text/html"],
)
def test_declared_charset_survives_any_content_type(content_type: str | None):
    """An ISO-8859-1 feed decodes right whatever Content-Type the server sent."""
    feed = parse("rss091.xml", content_type=content_type)
    assert feed.stories[0].title == "Élections régionales : la majorité résiste à Besançon"


def test_undeclared_utf8_without_content_type_is_utf8():
    """A feed with no XML declaration and no Content-Type is read as UTF-8."""
    body = '<rss version="2.0"><channel><item><title>Ça marche</title></item></channel></rss>'
    feed = parse_feed(body.encode(), url="https://x.example/", content_type=None, now=NOW)
    assert feed.stories[0].title == "Ça marche"


def test_http_charset_names_the_encoding():
    """A charset in Content-Type decodes an undeclared feed."""
    body = '<rss version="2.0"><channel><item><title>Ça marche</title></item></channel></rss>'
    feed = parse_feed(
        body.encode("iso-8859-1"),
        url="https://x.example/",
        content_type="application/rss+xml; charset=ISO-8859-1",
        now=NOW,
    )
    assert feed.stories[0].title == "Ça marche"


# --- the kitchen-sink RSS 2.0 fixture ----------------------------------------------------


def test_relative_link_resolved_against_feed_url():
    """A relative item link is resolved against the feed's URL and cleaned of tracking."""
    feed = parse("rss20.xml", url="https://mirror.example.org/rss/world.xml")
    assert feed.stories[1].link == "https://mirror.example.org/world/relative-story?page=2"


def test_missing_date_is_now():
    """An item without any date is dated now."""
    assert parse("rss20.xml").stories[1].published == NOW


def test_future_date_is_clamped_to_now():
    """An item dated in 2100 is dated now."""
    story = parse("rss20.xml").stories[2]
    assert (story.title, story.published) == ("From the future", NOW)


def test_content_used_when_no_description():
    """content:encoded becomes the summary when there is no description."""
    story = parse("rss20.xml").stories[3]
    assert (story.summary, story.published) == ("Heading Body text.", at(2023, 9, 12, 7, 30))


def test_duplicate_guids_are_all_kept_in_order():
    """Parsing keeps every entry, duplicate guids included; storage decides."""
    stories = [s for s in parse("rss20.xml").stories if s.guid == "dup-1"]
    assert [s.title for s in stories] == ["First copy", "Second copy"]


def test_entry_without_title_summary_or_link_is_skipped():
    """Only the item with nothing to show is dropped."""
    feed = parse("rss20.xml")
    assert len(feed.stories) == 8
    assert "empty-1" not in {s.guid for s in feed.stories}


def test_script_in_escaped_title_is_dropped():
    """An entity-escaped <script> in a title is markup, and its content is dropped."""
    story = parse("rss20.xml").stories[6]
    assert (story.title, story.summary) == ("Scripted title", "Bold & plain")


def test_lone_less_than_sign_stays_text():
    """A '<' that opens no tag is text and stays."""
    story = parse("rss20.xml").stories[7]
    assert (story.title, story.summary) == ("Tom & Jerry < 3 cats", "Plain text with a < sign.")


def test_atom_plain_text_keeps_angle_brackets():
    """Atom type="text" is literal: "<b>" in it is text, not a tag."""
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="text">'
        b"Use &lt;b&gt; for bold</title><id>x</id></entry></feed>"
    )
    feed = parse_feed(body, url="https://x.example/", content_type=None, now=NOW)
    assert feed.stories[0].title == "Use <b> for bold"


def test_illformed_feed_is_kept_with_warning():
    """A feed that is not well-formed XML keeps its recovered entries and says why."""
    feed = parse("illformed.xml")
    assert [s.title for s in feed.stories] == ["Fish & chips", "Second"]
    assert feed.stories[0].link == "https://broken.example.org/a?x=1&y=2"
    assert feed.warning is not None
    assert "not well-formed" in feed.warning


def test_well_formed_feed_has_no_warning():
    """A clean feed carries no warning."""
    assert parse("rss20.xml").warning is None


# --- limits -------------------------------------------------------------------------------


def test_long_title_and_summary_are_capped():
    """Titles stop at 300 characters and summaries at 1000, at a word boundary with "…"."""
    words = " ".join(["word"] * 400)
    feed = parse_feed(
        rss(f"<item><title>{words}</title><description>{words}</description></item>"),
        url="https://x.example/",
        content_type=None,
        now=NOW,
    )
    story = feed.stories[0]
    assert story.title == " ".join(["word"] * 60) + "…"  # 299 characters and "…"
    assert story.summary == " ".join(["word"] * 200) + "…"


# --- failures -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        (FEEDS / "page.html").read_bytes(),
        b"",
        b"   \n",
        b"\x00\xff\xfe garbage",
        b'{"json": "feed?"}',
        rss(""),
    ],
    ids=["html", "empty", "blank", "binary", "json", "no-items"],
)
def test_no_entries_is_a_parse_error(body: bytes):
    """A body without entries raises ParseError."""
    with pytest.raises(ParseError):
        parse_feed(body, url="https://x.example/", content_type="text/html", now=NOW)


def test_only_empty_entries_give_an_empty_feed():
    """Entries that all get skipped leave a feed with no stories, not an error."""
    body = rss('<item><guid isPermaLink="false">a</guid></item>')
    feed = parse_feed(body, url="https://x.example/", content_type=None, now=NOW)
    assert feed.stories == ()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(FIXTURES),
    cut=st.integers(min_value=0, max_value=3000),
    noise=st.binary(max_size=20),
)
def test_mangled_feeds_raise_only_parse_error(name: str, cut: int, noise: bytes):
    """A truncated or corrupted feed gives stories or ParseError, nothing else."""
    body = (FEEDS / name).read_bytes()
    mangled = body[:cut] + noise + body[cut + len(noise) :]
    try:
        feed = parse_feed(mangled, url="https://x.example/", content_type=None, now=NOW)
    except ParseError:
        return
    for story in feed.stories:
        assert len(story.title) <= 300
        assert len(story.summary) <= 1000
        assert story.published <= NOW


# --- pieces --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("fr", "fr"),
        ("fr-FR", "fr"),
        ("EN_us", "en"),
        ("zh-Hant", "zh-hant"),
        ("zh-Hant-TW", "zh-hant"),
        ("zh-TW", "zh"),
        (" ru ", "ru"),
        ("English", None),
        ("x-klingon", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_language(tag: str | None, expected: str | None):
    """Language tags reduce to a lowercase primary subtag, plus a script subtag if any."""
    assert normalize_language(tag) == expected


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"published_parsed": (2023, 9, 13, 8, 30, 0, 2, 256, 0)}, at(2023, 9, 13, 8, 30)),
        ({"updated_parsed": (2023, 9, 13, 8, 30, 0, 2, 256, 0)}, at(2023, 9, 13, 8, 30)),
        ({"created_parsed": (2023, 9, 13, 8, 30, 0, 2, 256, 0)}, at(2023, 9, 13, 8, 30)),
        ({"published_parsed": (2023, 13, 45, 8, 30, 0, 0, 0, 0)}, NOW),
        ({"published_parsed": "yesterday"}, NOW),
        ({}, NOW),
    ],
)
def test_entry_date(entry: dict[str, object], expected: datetime):
    """Dates come from published, updated or created; anything unusable is now."""
    assert entry_date(entry, NOW) == expected


def test_parsed_feed_pickles():
    """A parse result survives pickling, for a process pool."""
    feed = parse("rss20.xml")
    assert pickle.loads(pickle.dumps(feed)) == feed


@pytest.mark.parametrize("name", FIXTURES)
def test_feedparser_defaults_store_the_same(name: str):
    """Our faster feedparser options store exactly what its defaults would."""
    body, url = (FEEDS / name).read_bytes(), f"https://news.example.com/feeds/{name}"
    defaults = run_feedparser(
        body, url=url, content_type=None, sanitize_html=True, resolve_relative_uris=True
    )
    assert feed_from_result(defaults, url=url, now=NOW) == parse(name)


# --- the shared corpus -------------------------------------------------------------------


def _corpus_params() -> list[object]:
    corpus = os.environ.get("VIGIE_FEED_CORPUS")
    if not corpus:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason="VIGIE_FEED_CORPUS unset"))]
    listing = json.loads((Path(corpus) / "_analysis.json").read_text("utf-8"))
    return [pytest.param(Path(corpus), item, id=item["file"]) for item in listing]


# Entries of the shared corpus with neither title, summary nor link, counted by hand.
EMPTY_ENTRIES = {
    "nodefp/illegally-nested.xml": 10,  # items nested in items: feedparser opens empty ones
    "miniflux/parser_no_encoding_ISO-8859-1.xml": 1,  # an item of empty elements
    "feedparser-tests/illformed_rss_incomplete_cdata.xml": 1,  # cut inside <title><![CD
}


def _is_empty(entry: Any, url: str) -> bool:
    """The skip rule, restated on feedparser's raw entry: no text, no usable link."""
    texts = [entry.get("title"), entry.get("summary")]
    texts += [c.get("value") for c in entry.get("content") or ()]
    has_text = any(isinstance(t, str) and html_to_text(t, 1000) for t in texts)
    link = entry.get("link")
    return not has_text and not (isinstance(link, str) and canonical_link(link, url))


@pytest.mark.corpus
@pytest.mark.parametrize(("corpus", "item"), _corpus_params())
def test_corpus_file_parses_to_its_entry_count(corpus: Path, item: dict[str, Any]):
    """Each corpus file yields feedparser's entry count minus its empty entries, or ParseError."""
    body = (corpus / item["file"]).read_bytes()
    url = f"https://feeds.example.net/{item['file']}"
    expected = item["fp_entries"]
    if expected == 0:
        with pytest.raises(ParseError):
            parse_feed(body, url=url, content_type=None, now=NOW)
        return
    raw = run_feedparser(body, url=url, content_type=None)
    assert len(raw["entries"]) == expected
    skipped = sum(_is_empty(entry, url) for entry in raw["entries"])
    assert skipped == EMPTY_ENTRIES.get(item["file"], 0)
    feed = parse_feed(body, url=url, content_type=None, now=NOW)
    assert len(feed.stories) == expected - skipped


def test_a_reference_to_no_character_loses_no_entry():
    """An entry holding &#xD800; (a lone surrogate) makes feedparser raise; every entry still comes through."""
    body = (
        b'<rss version="2.0"><channel><item><title>bad &#xD800; ref</title><guid>1</guid></item>'
        b"<item><title>good</title><guid>2</guid></item></channel></rss>"
    )
    feed = parse_feed(body, url="https://x.example/rss", content_type=None, now=NOW)
    assert [s.title for s in feed.stories] == ["bad \ufffd ref", "good"]


def guid_at(url: str, written: str) -> str | None:
    body = f'<rss version="2.0"><channel><item><title>t</title><guid>{written}</guid></item></channel></rss>'
    (story,) = parse_feed(body.encode(), url=url, content_type=None, now=NOW).stories
    return story.guid


@pytest.mark.parametrize("written", ["12345", "/news/12345", "news/12345"])
def test_a_guid_is_the_same_wherever_the_feed_lives(written: str):
    """A bare guid is kept as written, not resolved against the feed's (changing) address."""
    urls = [
        "https://a.example/news/rss",
        "https://a.example/rss.xml",
        "http://b.example/feed.php?cat=news/world",
    ]
    assert {guid_at(url, written) for url in urls} == {written}


def test_an_absolute_guid_in_cdata_is_kept_whole():
    """A URL guid in CDATA, with a literal &, stays the full URL."""
    written = "<![CDATA[https://a.example/news/view?id=5&section=world]]>"
    guid = guid_at("https://a.example/news/rss", written)
    assert guid == "https://a.example/news/view?id=5&section=world"
