"""One text normalisation for catalog aliases and story text, with a map back to the original.

`normalize` is what both sides of a match go through, so an alias written "Kim Jong-un" finds
"KIM JONG‑UN" and "Kim Jong Un". The steps, applied to each base character together with the
combining characters that follow it (a "segment"):

1. NFKC, then casefold (fullwidth "ＰＵＴＩＮ" → "putin", "ß" → "ss", final sigma → "σ").
2. Diacritics are folded only where that is spelling noise: combining marks are dropped after
   Latin, Greek and Cyrillic letters ("é" → "e", "ё" → "е", stressed "Пу́тин" → "путин") but
   "й", "ї" and "ў" are kept (distinct letters: folding them would merge different words); a few
   Latin letters that do not decompose are folded by hand ("ø" → "o", "ł" → "l", "æ" → "ae").
   Arabic harakat and tatweel and Hebrew points are dropped. Every other script keeps its marks:
   Hangul syllables stay composed (never split into jamo), kana keep their voicing marks
   ("が" is not "か"), Devanagari and Thai keep their vowel signs.
3. Punctuation, symbols, dashes, hyphens and apostrophes of every kind become a space (so
   "Jong-un", "Jong‑un", "Jong–un" and "Jong un" agree, and "Putin's" still contains the word
   "putin"); format characters (soft hyphen, zero-width joiners) vanish; runs of whitespace
   collapse to one space; the ends are stripped. Decimal digits of any script become ASCII.
4. A space separates a letter of a script written without spaces (Han, kana, Thai...) from a
   letter or digit of any other script ("普京Putin" → "普京 putin"), so word boundaries are
   always spaces.

The result is idempotent: normalize(normalize(x)) == normalize(x). `normalize_with_map` also
says which original characters each normalised one came from, so that a match found in the
normalised text can be reported (and its case checked) in the original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.scripts import is_unspaced

# Letters without a canonical decomposition that readers still type without their stroke.
_LATIN_EXTRA = {
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "ħ": "h",
    "ı": "i",
    "ŧ": "t",
    "ƀ": "b",
    "ɨ": "i",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
}
# Cyrillic letters whose marks make a different letter, not an accent.
_KEEP_MARKED = frozenset("йїў")
# Look-alike apostrophes that are letters (Lm) in Unicode but spelling noise in text.
_APOSTROPHE_LETTERS = frozenset("\u02bb\u02bc\u02bd\u02be\u02bf\u02b9\u02ba\u02c8\u02ca\u02cb")
_TATWEEL = "\u0640"
_ZERO_WIDTH_SPACE = "\u200b"


def _is_folded_script(ch: str) -> bool:
    """Latin, Greek or Cyrillic: the scripts whose combining marks are dropped."""
    o = ord(ch)
    return (
        o < 0x0250  # Basic Latin .. Latin Extended-B
        or 0x0370 <= o < 0x0530  # Greek, Cyrillic, Cyrillic Supplement
        or 0x1C80 <= o < 0x1C90  # Cyrillic Extended-C
        or 0x1E00 <= o < 0x2000  # Latin Extended Additional, Greek Extended
        or 0x2C60 <= o < 0x2C80  # Latin Extended-C
        or 0x2DE0 <= o < 0x2E00  # Cyrillic Extended-A
        or 0xA640 <= o < 0xA6A0  # Cyrillic Extended-B
        or 0xA720 <= o < 0xA800  # Latin Extended-D
        or 0xAB30 <= o < 0xAB70  # Latin Extended-E
    )


def _is_stripped_mark(ch: str) -> bool:
    """Arabic harakat and Hebrew points: dropped whatever precedes them."""
    o = ord(ch)
    return 0x064B <= o <= 0x065F or o == 0x0670 or 0x0591 <= o <= 0x05C7


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "M"


def _is_hangul_jamo(ch: str) -> bool:
    o = ord(ch)
    return 0x1100 <= o < 0x1200 or 0xA960 <= o < 0xA980 or 0xD7B0 <= o < 0xD800


def _is_hangul_compat_jamo(ch: str) -> bool:
    o = ord(ch)
    return 0x3130 <= o < 0x3190 or 0xFFA0 <= o < 0xFFE0


_CONTINUES: dict[str, bool] = {}


def _continues(ch: str) -> bool:
    """Whether `ch` belongs to the segment of the character before it.

    True for combining marks (also those NFKC produces, e.g. halfwidth kana voicing marks) and
    for medial/final Hangul jamo, so that NFKC sees and composes the whole sequence at once.
    """
    known = _CONTINUES.get(ch)
    if known is None:
        if _is_hangul_jamo(ch):
            known = unicodedata.combining(ch) != 0 or not (
                0x1100 <= ord(ch) < 0x1160 or 0xA960 <= ord(ch) < 0xA980
            )
        else:
            k = unicodedata.normalize("NFKC", ch)
            known = bool(k) and (_is_mark(k[0]) or unicodedata.combining(k[0]) != 0)
        if len(_CONTINUES) < 100_000:  # bounded: feed text can hold any character
            _CONTINUES[ch] = known
    return known


_FOLDED: dict[str, str] = {}


def _fold_char(ch: str, prev_base: str) -> str:
    """One character of an NFKC-casefolded segment, folded (see the module docstring)."""
    if _is_mark(ch):
        if _is_stripped_mark(ch) or not prev_base or _is_folded_script(prev_base):
            return ""
        return ch
    if ch == _TATWEEL or _is_stripped_mark(ch):
        return ""
    cat = unicodedata.category(ch)
    if ch in _APOSTROPHE_LETTERS or cat[0] in "PSZ" or cat == "Cc" or ch == _ZERO_WIDTH_SPACE:
        return " "
    if cat[0] == "C":  # format, private use, unassigned, surrogates: invisible
        return ""
    if cat == "Nd":
        return str(unicodedata.decimal(ch))
    if _is_folded_script(ch) and ch not in _KEEP_MARKED:
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not _is_mark(c))
        return "".join(_LATIN_EXTRA.get(c, c) for c in base)
    return ch


def _fold_segment(segment: str) -> str:
    folded = _FOLDED.get(segment)
    if folded is None:
        if _is_hangul_compat_jamo(segment[0]):
            # NFKC would turn compatibility jamo into conjoining jamo that compose with a
            # neighbour on the next pass: keep them as they are (they are not in names).
            text = segment
        else:
            text = unicodedata.normalize("NFKC", segment).casefold()
            text = unicodedata.normalize("NFKC", text)
        out = []
        prev_base = ""
        for ch in text:
            folded_ch = _fold_char(ch, prev_base)
            out.append(folded_ch)
            if not _is_mark(ch):
                # a mark after a base that vanished or became a space is dropped with it
                prev_base = ch if folded_ch and folded_ch != " " else ""
        folded = "".join(out)
        if len(_FOLDED) < 100_000:  # bounded: feed text can hold any character
            _FOLDED[segment] = folded
    return folded


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text plus, per normalised character, the original span it came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original-text span of normalised characters text[start:end] (end > start)."""
        return self.starts[start], self.ends[end - 1]


_SPACE, _SPACED, _UNSPACED = 0, 1, 2
_CLASSES: dict[str, int] = {" ": _SPACE}


def _class(ch: str) -> int:
    known = _CLASSES.get(ch)
    if known is None:
        known = _UNSPACED if is_unspaced(ch) else _SPACED
        if len(_CLASSES) < 100_000:
            _CLASSES[ch] = known
    return known


# Characters that fold to a space on their own and are not combining: the usual word gaps.
_SEPARATORS = " \t\n\r,.;:!?'\"()[]{}<>/|-‐‑‒–—―…«»‹›‘’‚‛“”„·•"
_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits: folded as a whole, cached
_ASCII_OTHER = re.compile(r"[^a-z0-9]+")


class _Sink:
    """The normalised text being built, with its map back to the original."""

    __slots__ = ("ends", "out", "prev", "starts")

    def __init__(self) -> None:
        self.out: list[str] = []  # pieces: one character, or a folded word
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.prev = _SPACE  # class of the last character in `out`

    def fold(self, text: str, i: int, stop: int) -> int:
        """Fold the segments of text starting in [i, stop); return where the last one ends."""
        n = len(text)
        out, starts, ends = self.out, self.starts, self.ends
        prev = self.prev
        continues = _CONTINUES
        while i < stop:
            j = i + 1
            while j < n and (continues.get(text[j]) or _continues(text[j])):
                j += 1
            for ch in _fold_segment(text[i:j]):
                cls = _class(ch)
                if cls == _SPACE:
                    if out and prev != _SPACE:
                        out.append(" ")
                        starts.append(i)
                        ends.append(j)
                        prev = _SPACE
                    continue
                if prev != _SPACE and prev != cls:
                    if _is_mark(ch):  # a mark stays with its letter, whatever its block
                        cls = prev
                    else:
                        out.append(" ")  # zero-width in the original: between two segments
                        starts.append(i)
                        ends.append(i)
                out.append(ch)
                starts.append(i)
                ends.append(j)
                prev = cls
            i = j
        self.prev = prev
        return i


# A word folded on its own: (text, starts and ends relative to the word or None when the
# mapping is one to one, class of its first and last characters).
_FoldedWord = tuple[str, tuple[int, ...] | None, tuple[int, ...] | None, int, int]
_WORDS: dict[str, _FoldedWord | None] = {}


def _fold_word(word: str) -> _FoldedWord | None:
    """`word` folded alone, or None when its fold starts or ends with a space or is empty
    (then it depends on its neighbours and takes the general path)."""
    raw = "".join(_fold_segment(seg) for seg in _segments(word))
    if not raw or raw[0] == " " or raw[-1] == " ":
        return None
    sink = _Sink()
    sink.fold(word, 0, len(word))
    text = "".join(sink.out)
    first = _class(text[0])
    one_to_one = sink.starts == list(range(len(word))) and sink.ends == list(
        range(1, len(word) + 1)
    )
    if one_to_one:
        return text, None, None, first, sink.prev
    return text, tuple(sink.starts), tuple(sink.ends), first, sink.prev


def _segments(text: str) -> list[str]:
    found, i, n = [], 0, len(text)
    while i < n:
        j = i + 1
        while j < n and _continues(text[j]):
            j += 1
        found.append(text[i:j])
        i = j
    return found


def normalize_with_map(text: str) -> Normalized:
    """Normalise `text` and remember where each normalised character came from.

    Besides the folding described in the module docstring, a space is put between a letter of
    a script written with spaces and one written without ("普京Putin" → "普京 putin"), so that
    word boundaries can always be found as spaces.
    """
    sink = _Sink()
    out, starts, ends = sink.out, sink.starts, sink.ends
    words, continues = _WORDS, _CONTINUES
    n = len(text)
    pos = 0
    for m in _WORD.finditer(text):
        start, end = m.span()
        span_end = end
        if start > pos:
            if not text[pos:start].strip(_SEPARATORS) and not (
                continues.get(text[start]) or _continues(text[start])
            ):
                # the usual gap between words: one space (or none at the start)
                if out and sink.prev != _SPACE:
                    out.append(" ")
                    starts.append(pos)
                    ends.append(pos + 1)
                    sink.prev = _SPACE
                pos = start
            else:
                pos = sink.fold(text, pos, start)
        if pos > start:  # a segment reached into the word: fold the rest the general way
            pos = sink.fold(text, pos, end)
            continue
        while end > start and end < n and (continues.get(text[end]) or _continues(text[end])):
            end -= 1  # its last letter takes combining marks: leave it to the general way
        word = text[start:end]
        if word in words:
            folded = words[word]
        else:
            folded = _fold_word(word) if word else None
            if len(words) < 200_000:  # bounded: feed text can hold any word
                words[word] = folded
        if folded is None:
            pos = sink.fold(text, start, span_end)
            continue
        folded_text, rel_starts, rel_ends, first, last = folded
        if sink.prev != _SPACE and sink.prev != first:
            out.append(" ")
            starts.append(start)
            ends.append(start)
        out.append(folded_text)
        if rel_starts is None or rel_ends is None:
            starts.extend(range(start, end))
            ends.extend(range(start + 1, end + 1))
        else:
            starts.extend([start + r for r in rel_starts])
            ends.extend([start + r for r in rel_ends])
        sink.prev = last
        pos = end
        if end < span_end:
            pos = sink.fold(text, end, span_end)
    if pos < n:
        sink.fold(text, pos, n)
    if out and sink.prev == _SPACE:
        out.pop()
        starts.pop()
        ends.pop()
    return Normalized("".join(out), tuple(starts), tuple(ends))


def normalize(text: str) -> str:
    """The normalised form of `text` (see the module docstring); idempotent."""
    if text.isascii():
        return _ASCII_OTHER.sub(" ", text.lower()).strip()
    sink = _Sink()  # the general path alone: no word cache to fill with one-off names
    sink.fold(text, 0, len(text))
    return "".join(sink.out).rstrip(" ")
