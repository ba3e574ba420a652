"""Telegram's HTML parse mode, pure: how the fake Bot API and the rendering tests read HTML.

`parse_html` turns Telegram HTML into the visible text and its message entities (UTF-16
offsets), or raises HtmlError with Telegram's own wording. It is modelled on tdlib's parse_html.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_TEXT_UTF16 = 4096

# fmt: off
_TAG_ENTITY = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link",
    "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
# fmt: on
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\v\f"
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")
_REFERENCE = re.compile(r"&(?:#[xX]([0-9A-Fa-f]+)|#([0-9]+)|([A-Za-z]+))(;?)")


class HtmlError(ValueError):
    """Telegram would answer "can't parse entities: <message>"."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram's offsets and limits."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8", "surrogatepass"))


def _decode_entity(source: str, i: int, strict: bool) -> tuple[str, int] | None:
    """Decode the character reference at ``source[i] == '&'``: (character, next index) or None.

    Telegram accepts a missing ';' and leaves unknown references as text; strict mode refuses
    both, because a lone '&' in our output means something was not escaped.
    """
    m = _REFERENCE.match(source, i)
    if m is None or (strict and not m.group(4)):
        return None
    hex_digits, dec_digits, name = m.group(1), m.group(2), m.group(3)
    if name is not None:
        char = _NAMED_ENTITIES.get(name)
        return None if char is None else (char, m.end())
    code = int(hex_digits, 16) if hex_digits else int(dec_digits)
    if code == 0 or code >= 0x10FFFF or m.end() - i - bool(m.group(4)) >= 10:
        return None
    if 0xD800 <= code <= 0xDFFF:
        raise HtmlError(
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        )
    return chr(code), m.end()


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the visible text
    start: int  # index into the output character list
    expandable: bool = False


def parse_html(source: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (visible text, message entities with UTF-16 offsets).

    Raises HtmlError with Telegram's wording. Tags must be supported, attributes well formed,
    end tags must close the innermost open tag. With ``strict`` every '&' must start
    &lt; &gt; &amp; &quot; or a numeric reference ending in ';'.
    """
    out: list[str] = []
    units = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(source)

    def fail(message: str, at: int) -> HtmlError:
        return HtmlError(f"{message} at byte offset {_byte_offset(source, at)}")

    while i < n:
        c = source[i]
        if c == "&":
            decoded = _decode_entity(source, i, strict)
            if decoded is not None:
                out.append(decoded[0])
                units += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict:
                raise fail("Character '&' does not start a supported HTML entity", i)
        if c != "<":
            out.append(c)
            units += utf16_len(c)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and source[i] == "/":
            if not stack:
                raise fail("Unexpected end tag", begin)
            i += 1
            while i < n and source[i] not in _SPACES and source[i] != ">":
                i += 1
            name = source[begin + 2 : i].lower()
            while i < n and source[i] in _SPACES:
                i += 1
            if i >= n or source[i] != ">":
                raise fail("Unclosed end tag", begin)
            i += 1
            top = stack.pop()
            if name and name != top.tag:
                where = f"Unmatched end tag at byte offset {_byte_offset(source, begin)}"
                raise HtmlError(f'{where}, expected "</{top.tag}>", found "</{name}>"')
            _close(top, "".join(out[top.start :]), units, entities)
            continue
        while i < n and source[i] not in _SPACES and source[i] != ">":
            i += 1
        if i >= n:
            raise fail("Unclosed start tag", begin)
        tag = source[begin + 1 : i].lower()
        if tag not in _TAG_ENTITY:
            raise fail(f'Unsupported start tag "{tag}"', begin)
        opened = _Open(tag, "", units, len(out))
        i = _read_attributes(source, i, begin, opened, strict, fail)
        if tag == "span" and opened.argument != "spoiler":
            raise fail('Tag "span" must have class "tg-spoiler"', begin)
        stack.append(opened)
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # a language needs a <pre> around the <code>
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _read_attributes(
    source: str, i: int, begin: int, opened: _Open, strict: bool, fail: Callable[..., HtmlError]
) -> int:
    """Read the attributes of a start tag from ``i``; return the index after its '>'."""
    n, tag = len(source), opened.tag
    while True:
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n:
            raise fail(f'Unclosed start tag "{tag}"', begin)
        if source[i] == ">":
            return i + 1
        name_start = i
        while i < n and source[i] not in _SPACES and source[i] not in "=>":
            i += 1
        name = source[name_start:i]
        if not name:
            raise fail(f'Empty attribute name in the tag "{tag}"', begin)
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n or source[i] != "=":
            if tag == "blockquote" and name == "expandable":
                opened.expandable = True
                continue
            raise fail(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}"', begin
            )
        i += 1
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n:
            raise fail(f'Unclosed start tag "{tag}"', begin)
        if source[i] in "'\"":
            quote, i, chars = source[i], i + 1, []
            while i < n and source[i] != quote:
                decoded = _decode_entity(source, i, strict) if source[i] == "&" else None
                if decoded is None and strict and source[i] == "&":
                    raise fail("Character '&' does not start a supported HTML entity", i)
                chars.append(decoded[0] if decoded else source[i])
                i = decoded[1] if decoded else i + 1
            if i >= n:
                raise fail("Unclosed start tag", begin)
            value, i = "".join(chars), i + 1
        else:
            token = _NAME_TOKEN.match(source, i)
            assert token is not None  # the pattern also matches the empty string
            value, i = token.group().lower(), token.end()
            if i < n and source[i] not in _SPACES and source[i] != ">":
                raise fail("Unexpected end of name token", token.start())
        if (tag, name) == ("a", "href") or (tag, name) == ("tg-emoji", "emoji-id"):
            opened.argument = value
        elif (tag, name) == ("code", "class") and value.startswith("language-"):
            opened.argument = value.removeprefix("language-")
        elif (tag, name) == ("span", "class") and value.startswith("tg-"):
            opened.argument = value.removeprefix("tg-")


def _close(top: _Open, inner: str, units: int, entities: list[dict[str, Any]]) -> None:
    """Turn a closed tag into a message entity (empty ones vanish, as in Telegram)."""
    length = units - top.offset
    if length <= 0:
        return
    entity: dict[str, Any] = {"type": _TAG_ENTITY[top.tag], "offset": top.offset, "length": length}
    if top.tag == "tg-emoji":
        if not top.argument.isdigit() or int(top.argument) == 0:
            raise HtmlError("Invalid custom emoji identifier specified")
        entity["custom_emoji_id"] = top.argument
    elif top.tag == "a":
        entity["url"] = top.argument or inner
    elif top.tag == "blockquote" and top.expandable:
        entity["type"] = "expandable_blockquote"
    # <pre><code class="language-x"> (either way round) is one pre entity with a language.
    last = entities[-1] if entities else {}
    same_span = (last.get("offset"), last.get("length")) == (top.offset, length)
    if top.tag == "pre" and same_span and last["type"] == "code" and "language" in last:
        last["type"] = "pre"
        return
    if top.tag == "code" and top.argument:
        if same_span and last["type"] == "pre":
            last["language"] = top.argument
            return
        entity["language"] = top.argument  # dropped at the end unless a <pre> closes around it
    entities.append(entity)
