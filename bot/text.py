"""Plain text out of feed markup, and the key that groups one headline across feeds.

Everything here is pure: strings in, strings out. The output of `html_to_text` is plain text,
not markup: it may legitimately contain "<" or "&" (from `&lt;` in the source), so whatever
renders it must still escape it.
"""

from __future__ import annotations

import unicodedata
from html.parser import HTMLParser

ELLIPSIS = "…"

# Elements whose content is never reader-visible text.
_INVISIBLE = frozenset({"script", "style", "template", "noscript", "applet"})

# Elements that end a line or a block in a browser: without a space, "<p>a</p><p>b</p>" reads "ab".
_BREAKING = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div",
        "dl", "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "img", "li", "main", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip


class _TextCollector(HTMLParser):
    """Collects character data, skipping invisible elements; convert_charrefs unescapes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden: list[str] = []  # open invisible elements, innermost last

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE:
            self._hidden.append(tag)
        else:
            self._break(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)  # <script/> hides nothing; <br/> still breaks

    def handle_endtag(self, tag: str) -> None:
        if tag in self._hidden:
            # Close it and anything left open inside it.
            del self._hidden[len(self._hidden) - 1 - self._hidden[::-1].index(tag) :]
        else:
            self._break(tag)

    def _break(self, tag: str) -> None:
        if tag in _BREAKING and not self._hidden:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


# Invisible format characters kept because they change how words are written:
# zero-width non-joiner and joiner (Persian, Indic scripts, emoji sequences).
_KEPT_FORMAT = frozenset({"\u200c", "\u200d"})


def _clean_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category in ("Cc", "Zl", "Zp"):
        return " "
    if category == "Cf" and ch not in _KEPT_FORMAT:
        return ""  # soft hyphens, BOMs, bidi overrides: nothing a reader should get
    return ch


def collapse_whitespace(value: str) -> str:
    """Drop control and format characters and join every run of whitespace into one space."""
    if value.isascii() and value.isprintable():
        return " ".join(value.split())
    return " ".join("".join(map(_clean_char, value)).split())


def truncate(value: str, limit: int) -> str:
    """Return `value` if it fits in `limit` characters, else cut at a word boundary plus "…".

    The result, ellipsis included, is never longer than `limit`.
    """
    if limit <= 0:
        return ""
    if len(value) <= limit:
        return value
    if limit == 1:
        return ELLIPSIS
    head = value[: limit - 1]
    if value[limit - 1] != " ":  # the cut falls inside a word: back up to its start
        space = head.rfind(" ")
        # ...unless that would throw away most of the room (one very long word, or a
        # script written without spaces such as Japanese): then cut mid-word.
        if space > 0 and space >= (limit - 1) // 2:
            head = head[:space]
    return head.rstrip() + ELLIPSIS


def html_to_text(value: str, limit: int) -> str:
    """Turn an HTML fragment into one line of plain text of at most `limit` characters.

    Tags are dropped (block tags become spaces), script/style content is dropped, entities
    are unescaped, whitespace is collapsed, and over-long text is cut at a word boundary
    with "…". Never raises on malformed markup.
    """
    parser = _TextCollector()
    try:
        parser.feed(value)
        # Feeds often cut HTML mid-tag ('Read more <a href="ht'): html.parser would hand
        # that unterminated tag back as text on close(), so drop it instead.
        rest = parser.rawdata
        if rest.startswith("<") and len(rest) > 1 and (rest[1].isalpha() or rest[1] in "/!?"):
            parser.rawdata = ""
        parser.close()
    except Exception:  # html.parser may give up on garbage: keep what it had read
        pass
    return truncate(collapse_whitespace("".join(parser.parts)), limit)


def plain_to_text(value: str, limit: int) -> str:
    """Collapse whitespace in text that is already plain (no markup parsing) and cap it."""
    return truncate(collapse_whitespace(value), limit)


def normalize_title_key(title: str) -> str:
    """A key equal for headlines that differ only in case, punctuation, spacing or accents.

    Accents are dropped only from Latin, Greek and Cyrillic letters: in other scripts a
    combining mark changes the word (Japanese dakuten, Devanagari vowel signs).
    """
    # Compatibility forms first (fullwidth, math letters), then case, then split accents off.
    folded = unicodedata.normalize("NFKD", title).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    kept: list[str] = []
    base = ""
    for ch in decomposed:
        category = unicodedata.category(ch)
        if category.startswith("M"):
            if base.isalpha() and ord(base) < 0x0530:
                continue
            kept.append(ch)
            continue
        base = ch
        kept.append(" " if category[0] in "PSZC" else ch)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())
