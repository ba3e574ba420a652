"""What handlers reach through PTB's context: Vigie's core and the open "More" pages."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from telegram.ext import ContextTypes

from bot.app import App

KEY = "vigie"


@dataclass(frozen=True, slots=True)
class PageState:
    query: str
    cursor: tuple[datetime, int]
    count: int
    shown: frozenset[int] = frozenset()  # events on the pages before, never shown again


class Pages:
    """The cursors behind "More" buttons (button data holds 64 bytes: a token, not a cursor).

    Kept in memory, the most recent ones only: an old button after a restart says so politely.
    """

    def __init__(self, size: int = 2000) -> None:
        self._size = size
        self._pages: OrderedDict[str, PageState] = OrderedDict()

    def remember(self, state: PageState) -> str:
        token = secrets.token_urlsafe(9)
        self._pages[token] = state
        while len(self._pages) > self._size:
            self._pages.popitem(last=False)
        return token

    def get(self, token: str) -> PageState | None:
        return self._pages.get(token)


@dataclass
class Services:
    app: App
    pages: Pages = field(default_factory=Pages)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    found = context.bot_data[KEY]
    assert isinstance(found, Services)
    return found
