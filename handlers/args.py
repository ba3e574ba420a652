"""Reading command arguments and button data: pure functions from what was typed to values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DEFAULT_LATEST = 5
MAX_LATEST = 20
SETTING_NAMES = {
    "lang": "lang",
    "language": "lang",
    "langue": "lang",
    "time": "time",
    "heure": "time",
    "tz": "tz",
    "timezone": "tz",
    "zone": "tz",
    "digest": "digest",
    "nothing_new": "nothing_new",
    "nothing-new": "nothing_new",
}
ON = frozenset({"on", "yes", "oui", "1", "true"})
OFF = frozenset({"off", "no", "non", "0", "false"})


@dataclass(frozen=True, slots=True)
class LatestArgs:
    query: str  # empty: the chat's own topics
    count: int


MAX_ID = 2**62  # past any id a database hands out


def whole_number(text: str) -> int | None:
    """`text` as a whole number when it is written in ASCII digits (not "²" or "①"), else None."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


def latest_args(args: list[str]) -> LatestArgs:
    """`/latest kim putin 10`: a trailing number is how many stories (default 5, at most 20)."""
    words = list(args)
    count = DEFAULT_LATEST
    if words and (wanted := whole_number(words[-1])) is not None:
        words.pop()
        count = max(1, min(wanted, MAX_LATEST))
    return LatestArgs(" ".join(words).strip(), count)


def switch(args: list[str]) -> bool | None:
    """`on`/`off` (and yes/no, oui/non); None when it is neither."""
    if len(args) != 1:
        return None
    word = args[0].lower()
    return True if word in ON else False if word in OFF else None


def number(args: list[str]) -> int | None:
    """A single positive number (`/untrack 2`); None otherwise."""
    value = whole_number(args[0]) if len(args) == 1 else None
    return value if value else None


Setting = Literal["lang", "time", "tz", "digest", "nothing_new"]


def setting_args(args: list[str]) -> tuple[Setting, str] | None:
    """`/settings tz Europe/Paris` -> ("tz", "Europe/Paris"); None for a bare or unknown setting."""
    if len(args) < 2:
        return None
    name = SETTING_NAMES.get(args[0].lower())
    if name is None:
        return None
    return name, " ".join(args[1:])  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Press:
    """A button press: what it asks for and its argument."""

    action: str
    value: str


ACTIONS = frozenset({"track", "more", "untrack", "alerts", "set"})


def press(data: str | None) -> Press | None:
    """Button data is "action:value"; None for anything else (old or forged buttons)."""
    if not data or ":" not in data:
        return None
    action, value = data.split(":", 1)
    return Press(action, value) if action in ACTIONS and value else None
