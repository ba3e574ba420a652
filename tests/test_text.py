"""Plain text from feed markup, and the headline key used for clustering."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text import ELLIPSIS, html_to_text, normalize_title_key, plain_to_text, truncate


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("plain words", "plain words"),
        ("<b>Bold</b> and <i>italic</i>", "Bold and italic"),
        ("<b>Bold</b>er", "Bolder"),
        ("<p>One.</p><p>Two.</p>", "One. Two."),
        ("line<br>break<br/>here", "line break here"),
        ("<ul><li>a</li><li>b</li></ul>", "a b"),
        ("<td>1</td><td>2</td>", "1 2"),
        ('a<script>alert("x")</script>b', "ab"),
        ("a<style>p { color: red }</style>b", "ab"),
        ("a<SCRIPT type='text/javascript'>x<y</SCRIPT>b", "ab"),
        ("a<noscript><img src=x></noscript>b", "ab"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("&lt;b&gt;not a tag&lt;/b&gt;", "<b>not a tag</b>"),
        ("caf&eacute; &#233; &#xE9;", "café é é"),
        ("AT&T", "AT&T"),
        ("1 < 2 > 0", "1 < 2 > 0"),
        ("a&nbsp;b", "a b"),
        ("  spread \n\t out  ", "spread out"),
        ("soft\xadhyphen\u200bzero\ufeffwidth", "softhyphenzerowidth"),
        ("evil\u202eoverride", "eviloverride"),
        ("نیم\u200cفاصله", "نیم\u200cفاصله"),
        ("ctrl\x00\x07chars", "ctrl chars"),
        ("<!-- comment -->text", "text"),
        ('Read more <a href="https://ex', "Read more"),
        ("<p>unclosed <b>tags", "unclosed tags"),
        ("</p></div>stray closers", "stray closers"),
        ("<![CDATA[x]]>y", "y"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, expected: str):
    """Tags go, block tags separate words, script/style go whole, entities are unescaped."""
    assert html_to_text(html, 1000) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly ten", 11, "exactly ten"),
        ("one two three four", 12, "one two…"),
        ("one two three four", 9, "one two…"),
        ("one two three four", 8, "one two…"),
        ("one two three four", 7, "one…"),
        ("abcdefghijklmnop", 6, "abcde…"),
        ("日本語のテキストはスペースがない", 6, "日本語のテ…"),
        ("anything", 1, ELLIPSIS),
        ("anything", 0, ""),
    ],
)
def test_truncate(text: str, limit: int, expected: str):
    """Long text is cut at the last word that fits, else mid-word, and ends with "…"."""
    assert truncate(text, limit) == expected


def test_plain_to_text_keeps_markup_characters():
    """Plain text is not parsed: tags in it are text."""
    assert plain_to_text("Use <b>  for\nbold &amp;", 100) == "Use <b> for bold &amp;"


TAGS = st.sampled_from(
    ["<b>", "</b>", "<p>", "</p>", "<br/>", '<a href="x">', "</a>", "<img src='y'>",
     "<script>var a = '<b>';</script>", "<style>b{}</style>", "<!-- c -->", "<div class=z>"]
)  # fmt: skip
PLAIN = st.text(alphabet=st.characters(blacklist_characters="<&"), max_size=30)


@given(st.lists(st.one_of(TAGS, PLAIN), max_size=20), st.integers(min_value=0, max_value=200))
def test_html_to_text_leaves_no_tags_and_fits(pieces: list[str], limit: int):
    """With '<' only in tags, the text has no '<' at all and never exceeds the limit."""
    text = html_to_text("".join(pieces), limit)
    assert "<" not in text
    assert len(text) <= limit


@given(st.text(max_size=300), st.integers(min_value=0, max_value=100))
def test_html_to_text_never_raises_and_fits(html: str, limit: int):
    """Any input gives single-spaced text within the limit."""
    text = html_to_text(html, limit)
    assert len(text) <= limit
    assert text == text.strip()
    assert "  " not in text


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Poutine et Kim Jong-un se serrent la main", "POUTINE ET KIM JONG UN SE SERRENT LA MAIN"),
        ("Élections régionales : la majorité résiste", "elections regionales la majorite resiste"),
        ("“Quoted” headline!", '"quoted" headline'),
        ("Straße  gesperrt", "STRASSE gesperrt"),
        ("Ёлка горит", "елка горит"),
        ("Cumbre en Bogotá — día 2", "cumbre en bogota dia 2"),
        ("Ｆｕｌｌｗｉｄｔｈ １２３", "fullwidth 123"),
    ],
)
def test_title_keys_match(a: str, b: str):
    """Headlines differing in case, accents, punctuation or spacing share a key."""
    assert normalize_title_key(a) == normalize_title_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Summit in Seoul", "Summit in Tokyo"),
        ("がっこう", "かっこう"),  # dakuten make different words
        ("서울에서 정상회담", "서울에서 정상회의"),
    ],
)
def test_title_keys_differ(a: str, b: str):
    """Different headlines, and marks that change a word in non-Latin scripts, keep apart."""
    assert normalize_title_key(a) != normalize_title_key(b)


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Poutine et Kim Jong-un, à Vostochny.", "poutine et kim jong un a vostochny"),
        ("  서울에서   정상회담  ", "서울에서 정상회담"),
        ("首相が記者会見", "首相が記者会見"),
        ("!!!", ""),
    ],
)
def test_title_key_value(title: str, key: str):
    """The key is casefolded words separated by single spaces, composed back (NFC)."""
    assert normalize_title_key(title) == key


@given(st.text(max_size=100))
def test_title_key_is_idempotent(title: str):
    """Keying a key changes nothing."""
    key = normalize_title_key(title)
    assert normalize_title_key(key) == key
