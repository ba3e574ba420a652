"""bot.normalize: one folding for aliases and stories, with a map back to the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.normalize import normalize, normalize_with_map
from bot.scripts import is_unspaced, script_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kim Jong-un", "kim jong un"),
        ("  Vladimir\t\nPUTIN  ", "vladimir putin"),
        ("Corée du Nord", "coree du nord"),
        ("Straße", "strasse"),
        ("ＰＵＴＩＮ", "putin"),
        ("Łódź, Søren, Æsir", "lodz soren aesir"),
        ("Putin's", "putin s"),
        ("Côte d’Ivoire", "cote d ivoire"),
        ("Pu\u00adtin", "putin"),  # soft hyphen
        ("Ёлка, Пу́тин", "елка путин"),
        ("Йемен, Їжак", "йемен їжак"),  # й and ї are letters, not accented и and і
        ("ΣΊΣΥΦΟΣ", "σισυφοσ"),
        ("بُوتِين وبـوتين", "بوتين وبوتين"),  # harakat and tatweel go
        ("김정은과 푸틴", "김정은과 푸틴"),
        ("プーチン大統領が", "プーチン大統領が"),
        ("ｶﾞｷﾞ", "ガギ"),  # halfwidth kana compose with their voicing marks
        ("普京Putin会见", "普京 putin 会见"),
        ("٢٠٢٤ ２０２４", "2024 2024"),
        ("e\u0301te\u0301", "ete"),  # decomposed accents
        ("«Poutine» — «Kim»…", "poutine kim"),
        ("", ""),
        ("!!! ---", ""),
    ],
)
def test_normalize_table(text: str, expected: str) -> None:
    """Each text folds to the expected normal form."""
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "variant",
    [
        "Kim Jong Un",
        "Kim Jong-un",
        "Kim Jong\u2011un",  # non-breaking hyphen
        "Kim Jong\u2013un",  # en dash
        "Kim Jong\u2014un",  # em dash
        "Kim Jong\u2010un",  # hyphen
        "Kim Jong\u2212un",  # minus sign
        "KIM JONG_UN",
        "Kim\u00a0Jong\u00a0Un",  # no-break spaces
        "Kim  Jong\u3000Un",  # ideographic space
    ],
)
def test_hyphen_and_space_variants_agree(variant: str) -> None:
    """Dashes, hyphens and odd spaces all normalise like a plain space."""
    assert normalize(variant) == "kim jong un"


@pytest.mark.parametrize("apostrophe", ["'", "’", "‘", "ʼ", "`", "´", "′"])
def test_apostrophe_variants_agree(apostrophe: str) -> None:
    """Every apostrophe look-alike normalises the same way."""
    assert normalize(f"Côte d{apostrophe}Ivoire") == normalize("Côte d'Ivoire")


@pytest.mark.parametrize(
    ("char", "script"),
    [("a", "latin"), ("Я", "cyrillic"), ("한", "hangul"), ("普", "han"), ("カ", "kana"),
     ("ب", "arabic"), ("ש", "hebrew"), ("ก", "thai"), ("Ω", "greek")],
)  # fmt: skip
def test_script_of(char: str, script: str) -> None:
    """script_of names the script of common letters."""
    assert script_of(char) == script


def test_unspaced_scripts() -> None:
    """Han, kana and Thai are written without spaces; Latin and Hangul are not."""
    assert [is_unspaced(c) for c in "普カกa한"] == [True, True, True, False, False]


def test_map_points_back_to_the_original() -> None:
    """Each normalised character maps to the original characters it came from."""
    original = "«KIM Jong‑un» Ｐｕｔｉｎ"
    norm = normalize_with_map(original)
    assert norm.text == "kim jong un putin"
    start = norm.text.index("jong")
    assert original[slice(*norm.span(start, start + 4))] == "Jong"
    start = norm.text.index("putin")
    assert original[slice(*norm.span(start, start + 5))] == "Ｐｕｔｉｎ"


def test_map_covers_expanded_characters() -> None:
    """A character that folds to several ("ß" → "ss") maps all of them back to itself."""
    norm = normalize_with_map("Straße")
    assert norm.span(4, 6) == (4, 5)
    assert norm.span(0, len(norm.text)) == (0, 6)


def test_map_covers_combining_marks() -> None:
    """A decomposed accent belongs to the span of its letter."""
    norm = normalize_with_map("Pe\u0301rou")
    assert norm.text == "perou"
    assert norm.span(1, 2) == (1, 3)


_ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec=None, exclude_categories=("Cs",)),
        st.sampled_from(list("aZ09 -'\u0301\u0308\u3099ｶﾞ普京éЁй김⒈ـ\xad_ßİ…\u1161\u11a8ᄀ")),
    ),
    max_size=40,
)


@settings(max_examples=500)
@given(_ANY_TEXT)
def test_idempotent(text: str) -> None:
    """Normalising twice changes nothing."""
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=300)
@given(_ANY_TEXT)
def test_map_agrees_with_normalize(text: str) -> None:
    """normalize_with_map gives the same text as normalize, and a well-formed map."""
    norm = normalize_with_map(text)
    assert norm.text == normalize(text)
    assert len(norm.starts) == len(norm.ends) == len(norm.text)
    assert all(0 <= s <= e <= len(text) for s, e in zip(norm.starts, norm.ends, strict=True))
    assert list(norm.starts) == sorted(norm.starts)


_HANGUL = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
_KANA = st.sampled_from([chr(c) for c in (*range(0x3041, 0x3097), *range(0x30A1, 0x30FB), 0x30FC)])


@given(st.lists(st.text(alphabet=_HANGUL, min_size=1, max_size=6), min_size=1, max_size=5))
def test_hangul_is_preserved(words: list[str]) -> None:
    """Hangul syllables come out exactly as they went in (never split into jamo)."""
    text = " ".join(words)
    assert normalize(text) == text


@given(st.text(alphabet=_KANA, min_size=1, max_size=12))
def test_kana_is_preserved(text: str) -> None:
    """Kana keep their voicing marks (が is not か)."""
    assert normalize(text) == text


@given(
    st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=6), min_size=2, max_size=5),
    st.lists(st.sampled_from(["-", "\u2010", "\u2011", "\u2013", "\u2014", " - ", "\u2212"])),
)
def test_hyphen_variants_equal_spaces(words: list[str], dashes: list[str]) -> None:
    """Words joined by any dash normalise like words joined by spaces."""
    joined = words[0]
    for i, word in enumerate(words[1:]):
        joined += (dashes[i] if i < len(dashes) else "-") + word
    assert normalize(joined) == " ".join(words)
