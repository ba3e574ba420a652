"""Inflection rules the matcher applies to aliases, as data and one pure function.

- Cyrillic: paradigms of case endings chosen by how a word ends, and `cyrillic_word`, which
  cuts a word to its stem and gives the endings that stem may take (Россия → России, Россию).
- Korean: the particles (and pairs of them) that may follow a name inside its word (푸틴과).
- Arabic and Hebrew: the one-letter prefixes written onto the front of a word (وبوتين, ובישראל).

How the matcher uses them is described in bot.matching.
"""

from __future__ import annotations

from bot.scripts import script_of

ARABIC_PREFIXES = frozenset({"", "و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل", "وك"})
ARABIC_LAM = frozenset({"ل", "ول", "فل"})  # before a name in ال, written ل + ل...
HEBREW_PREFIXES = frozenset({"", "ו", "ה", "ב", "ל", "מ", "ש", "כ", "וה", "וב", "ול", "ומ", "וש",
                              "וכ", "שה", "שב", "של", "מה", "כש", "וכש"})  # fmt: skip
_PARTICLES_1 = ("이", "가", "은", "는", "을", "를", "의", "에", "도", "만", "과", "와", "로", "으로",
                "에게", "에서", "께", "께서", "한테", "랑", "이랑", "까지", "부터", "보다", "처럼",
                "이다", "이며", "이고", "이나", "나", "측", "쪽", "들", "라는", "이라는", "이란",
                "란", "라고", "이라고", "조차", "마저", "뿐")  # fmt: skip
_PARTICLES_2 = ("이", "가", "은", "는", "을", "를", "의", "도", "만", "과", "와", "에", "로")
KOREAN_PARTICLES = frozenset(_PARTICLES_1) | {a + b for a in _PARTICLES_1 for b in _PARTICLES_2}

# Cyrillic paradigms: (how the nominative word ends, letters cut to make the stem, endings the
# stem may take). First match wins, so longer word endings come first.
# masculine adjective forms (also surnames: Зеленский → Зеленского, Зеленський → Зеленського)
_ADJ_M = ("ий", "ый", "ой", "ого", "ому", "им", "ым", "ом", "ій", "ім", "его", "ему", "ем")
# every form of a lower-case adjective (северокорейский → северокорейская, северокорейских)
_ADJ_ALL = (*_ADJ_M, "ая", "яя", "ое", "ее", "ые", "ие", "ей", "ую", "юю", "ою", "ею", "ых", "их",
            "ыми", "ими", "а", "е", "і", "ої", "у", "ими")  # fmt: skip
_CYRILLIC_PARADIGMS: tuple[tuple[tuple[str, ...], int, frozenset[str]], ...] = tuple(
    (ends, cut, frozenset(endings))
    for ends, cut, endings in (
        (("ая", "яя"), 2, ("ая", "яя", "ой", "ей", "ую", "юю", "ою", "ею")),
        (("ий", "ый", "ой", "ій"), 2, _ADJ_M),
        (("ое", "ее"), 2, ("ое", "ее", "ого", "его", "ому", "ему", "ым", "им", "ом", "ем")),
        (("ые",), 2, ("ые", "ых", "ым", "ыми")),
        # plural adjectives and neuter nouns (вооружение → вооружения, вооружением)
        (("ие",), 2, ("ие", "их", "им", "ими", "ия", "ию", "ием", "ии")),
        (("я",), 1, ("я", "и", "е", "ю", "ей", "ею", "і", "ї", "єю", "ям", "ях", "ями")),
        (("а",), 1, ("а", "ы", "и", "е", "у", "ой", "ою", "ей", "і", "ої", "ій")),
        (("ь",), 1, ("ь", "и", "я", "ю", "е", "ем", "ей", "ям", "ях", "ями", "і", "ею", "ів")),
        (("й",), 1, ("й", "я", "ю", "ем", "е", "ї", "і", "єм")),
        (("ы",), 1, ("ы", "", "ов", "ам", "ами", "ах")),
        (("и",), 1, ("и", "", "ов", "ів", "ам", "ами", "ах")),
        (("і",), 1, ("і", "их", "им", "ими", "ій", "ім")),
        (("о", "е", "у", "ю", "э", "є", "ї", "ё"), 0, ("",)),
    )
)
_ADJECTIVE = frozenset(_ADJ_ALL)
_CONSONANT_ENDINGS = frozenset(
    ("", "а", "у", "ом", "ым", "ем", "е", "ы", "и", "ов", "ам", "ами", "ах", "ой", "і", "ові",
     "еві", "им", "ім", "ою")
)  # fmt: skip
EXACT = frozenset({""})
MIN_STEM = 3
_MIN_BARE_STEM = 5  # a plural's stem alone (Филиппины → Филиппин) only when this long


def cyrillic_word(word: str, written: str | None) -> tuple[str, frozenset[str]]:
    """(stem, endings) for one normalised Cyrillic word; `written` is its original spelling."""
    if written is not None and len(written) > 1 and written.isupper():
        return word, EXACT  # an abbreviation: КНДР, США, НАТО
    if script_of(word[-1]) != "cyrillic":
        return word, EXACT
    for ends, cut, endings in _CYRILLIC_PARADIGMS:
        if word.endswith(ends):
            stem = word[: len(word) - cut]
            if endings is _CYRILLIC_PARADIGMS[1][2] and written and written[0].islower():
                endings = _ADJECTIVE
            if "" in endings and len(stem) < _MIN_BARE_STEM:
                endings = endings - EXACT  # "Мали" must not match "Мал"
            return (stem, endings) if len(stem) >= MIN_STEM and cut else (word, EXACT)
    return word, _CONSONANT_ENDINGS
