"""canonical_link: one spelling per article URL."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.links import TRACKING_PARAMS, canonical_link, is_tracking_param

BASE = "https://news.example.com/feeds/world.xml"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example.com/a", "https://news.example.com/a"),
        ("HTTPS://News.Example.COM/Path/Keeps/Case", "https://news.example.com/Path/Keeps/Case"),
        ("https://news.example.com:443/a", "https://news.example.com/a"),
        ("http://news.example.com:80/a", "http://news.example.com/a"),
        ("http://news.example.com:8080/a", "http://news.example.com:8080/a"),
        ("https://news.example.com:80/a", "https://news.example.com:80/a"),
        ("https://news.example.com", "https://news.example.com/"),
        ("https://news.example.com./a", "https://news.example.com/a"),
        ("https://news.example.com/a#comments", "https://news.example.com/a"),
        ("https://user:secret@news.example.com/a", "https://news.example.com/a"),
        ("  https://news.example.com/a \n", "https://news.example.com/a"),
        ("http://[2001:DB8::1]:8080/a", "http://[2001:db8::1]:8080/a"),
        ("https://ex.com/путь", "https://ex.com/%D0%BF%D1%83%D1%82%D1%8C"),
        ("https://ex.com/%D0%BF%D1%83", "https://ex.com/%D0%BF%D1%83"),
        ("https://ex.com/a b", "https://ex.com/a%20b"),
    ],
)
def test_scheme_host_port_fragment(url: str, expected: str):
    """Scheme and host lowercased, default port, user info and fragment dropped, path kept."""
    assert canonical_link(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://ex.com/a?utm_source=rss&utm_medium=feed", "https://ex.com/a"),
        ("https://ex.com/a?id=7&utm_source=rss&page=2", "https://ex.com/a?id=7&page=2"),
        ("https://ex.com/a?b=2&a=1", "https://ex.com/a?b=2&a=1"),
        ("https://ex.com/a?fbclid=x&gclid=y&mc_cid=1&mc_eid=2", "https://ex.com/a"),
        ("https://ex.com/a?yclid=1&igshid=2&_ga=3&ref_src=twsrc", "https://ex.com/a"),
        ("https://ex.com/a?UTM_Source=x&Fbclid=y&q=1", "https://ex.com/a?q=1"),
        ("https://ex.com/a?q=a%26b&utm_term=z", "https://ex.com/a?q=a%26b"),
        ("https://ex.com/a?q=&flag&&x=1", "https://ex.com/a?q=&flag&x=1"),
        ("https://ex.com/a?ref=home&source=rss", "https://ex.com/a?ref=home&source=rss"),
        ("https://ex.com/a?q=слово", "https://ex.com/a?q=%D1%81%D0%BB%D0%BE%D0%B2%D0%BE"),
    ],
)
def test_tracking_parameters_removed_others_kept_in_order(url: str, expected: str):
    """Tracking parameters go; every other parameter stays, in order and as spelled."""
    assert canonical_link(url) == expected


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("/world/story", BASE, "https://news.example.com/world/story"),
        ("story?utm_source=x", BASE, "https://news.example.com/feeds/story"),
        ("../story", BASE, "https://news.example.com/story"),
        ("//cdn.example.net/story", BASE, "https://cdn.example.net/story"),
        ("https://other.example.org/x", BASE, "https://other.example.org/x"),
        ("/world/story", None, None),
        ("/world/story", "", None),
    ],
)
def test_relative_links_resolve_against_base(url: str, base: str | None, expected: str | None):
    """Relative links resolve against the base; without one they are unusable."""
    assert canonical_link(url, base) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "javascript:alert(1)",
        "mailto:desk@example.com",
        "ftp://example.com/file",
        "data:text/html,<script>alert(1)</script>",
        "http://",
        "http:///path-only",
        "http://[::1",
        "http://example.com:99999/",
        "http://example.com:port/",
        "http://exa mple.com/",
        "http://ex<ample.com/",
        "http://example.com/\udc80",
    ],
)
def test_unusable_links_are_none(url: str):
    """Non-http(s) schemes and unparseable URLs give None."""
    assert canonical_link(url) is None


def test_non_http_base_does_not_make_a_link():
    """A relative link against a non-http base is still unusable."""
    assert canonical_link("story", "file:///etc/") is None


@pytest.mark.parametrize("name", sorted(TRACKING_PARAMS))
def test_every_documented_tracking_param_is_dropped(name: str):
    """Each name in TRACKING_PARAMS is removed from links."""
    assert is_tracking_param(name)
    assert canonical_link(f"https://ex.com/a?{name}=1&keep=1") == "https://ex.com/a?keep=1"


@given(st.text(max_size=80), st.one_of(st.none(), st.text(max_size=40)))
def test_never_raises(url: str, base: str | None):
    """Any string gives a link or None, never an exception."""
    result = canonical_link(url, base)
    assert result is None or result.startswith(("http://", "https://"))


@given(
    st.from_regex(
        r"https?://[a-z]{1,10}\.example/[a-z/]{0,20}(\?[a-z]=[a-z0-9]{1,5})?", fullmatch=True
    )
)
def test_canonical_link_is_idempotent(url: str):
    """Canonicalising a canonical link changes nothing."""
    once = canonical_link(url)
    assert once is not None
    assert canonical_link(once) == once


def test_a_control_character_in_the_host_is_no_link() -> None:
    """A host with a NUL or another control character is not a usable link."""
    assert canonical_link("http://ex\x00ample.com/x") is None
    assert canonical_link("http://ex\x7fample.com/x") is None


def test_a_link_longer_than_storage_keeps_is_no_link() -> None:
    """A link past 2,048 characters is dropped rather than cut into a wrong one."""
    assert canonical_link("https://example.org/" + "p" * 2100) is None
    assert canonical_link("https://example.org/" + "p" * 2000) is not None


def test_an_international_host_has_one_spelling() -> None:
    """A host in Unicode and its punycode form give the same link."""
    assert canonical_link("http://bücher.example/a") == canonical_link(
        "http://xn--bcher-kva.example/a"
    )


def test_percent_escapes_have_one_spelling() -> None:
    """Lowercase escapes, uppercase escapes and the raw letters give the same link."""
    links = {
        canonical_link(u)
        for u in (
            "https://x.example/caf%c3%a9",
            "https://x.example/caf%C3%A9",
            "https://x.example/café",
        )
    }
    assert links == {"https://x.example/caf%C3%A9"}


def test_an_international_host_keeps_its_letters() -> None:
    """faß.de is its own domain (IDNA 2008), not fass.de."""
    assert canonical_link("https://faß.de/artikel") == "https://xn--fa-hia.de/artikel"
