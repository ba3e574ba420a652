"""The coarse script of a character: the scripts the normaliser and the matcher treat specially.

Written without spaces (Han, kana, Thai...), inflected (Cyrillic), with particles (Hangul), with
prefixes (Arabic, Hebrew); "latin" stands for Latin and every script not listed.
"""

from __future__ import annotations

from bisect import bisect_right

# Scripts the matcher treats specially, as (first, last, name) code point ranges, sorted.
SCRIPT_RANGES = (
    (0x0370, 0x03FF, "greek"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x08A0, 0x08FF, "arabic"),
    (0x0E00, 0x0E7F, "thai"),
    (0x0E80, 0x0EFF, "lao"),
    (0x0F00, 0x0FFF, "tibetan"),
    (0x1000, 0x109F, "myanmar"),
    (0x1100, 0x11FF, "hangul"),
    (0x1780, 0x17FF, "khmer"),
    (0x1C80, 0x1C8F, "cyrillic"),
    (0x1F00, 0x1FFF, "greek"),
    (0x2DE0, 0x2DFF, "cyrillic"),
    (0x2E80, 0x2FDF, "han"),
    (0x3005, 0x3007, "han"),
    (0x3021, 0x3029, "han"),
    (0x3040, 0x309F, "kana"),
    (0x30A0, 0x30FF, "kana"),
    (0x3130, 0x318F, "hangul"),
    (0x31F0, 0x31FF, "kana"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xA000, 0xA4CF, "yi"),
    (0xA640, 0xA69F, "cyrillic"),
    (0xA960, 0xA97F, "hangul"),
    (0xAC00, 0xD7FF, "hangul"),
    (0xF900, 0xFAFF, "han"),
    (0xFB1D, 0xFB4F, "hebrew"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE70, 0xFEFF, "arabic"),
    (0xFF66, 0xFF9F, "kana"),
    (0x1B000, 0x1B16F, "kana"),
    (0x20000, 0x3FFFF, "han"),
)
_SCRIPT_STARTS = tuple(r[0] for r in SCRIPT_RANGES)
# Scripts written without spaces between words: no word boundaries are required inside them.
UNSPACED_SCRIPTS = frozenset({"han", "kana", "thai", "lao", "khmer", "myanmar", "tibetan", "yi"})


def script_of(ch: str) -> str:
    """A coarse script name for one character ("latin" for Latin and anything unlisted)."""
    o = ord(ch)
    i = bisect_right(_SCRIPT_STARTS, o) - 1
    if i >= 0 and o <= SCRIPT_RANGES[i][1]:
        return SCRIPT_RANGES[i][2]
    return "latin"


def is_unspaced(ch: str) -> bool:
    """Whether `ch` is a letter of a script written without spaces between words."""
    return script_of(ch) in UNSPACED_SCRIPTS
