"""Outbox pacing, pure: when the next message may leave, and what a failed send becomes.

Limits (core.telegram.org/bots/faq, "My bot is hitting limits"): about 30 messages a second
overall, one a second to a private chat, 20 a minute to a group or channel. The overall rate is
paced (evenly spaced slots); each chat keeps its own spacing, so a chat waiting for its turn
never holds back the others.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter
from telegram.warnings import PTBDeprecationWarning

_MIN_RATE = 1.0  # 429s never slow the overall pace below one message a second
# BadRequest descriptions that mean the chat itself is unreachable, not just this message.
_CHAT_GONE = (
    "chat not found",
    "peer_id_invalid",
    "chat_write_forbidden",
    "have no rights to send a message",
    "not enough rights to send text messages",
    "need administrator rights in the channel chat",
)


@dataclass(frozen=True)
class SendLimits:
    """Telegram's flood limits and the outbox's retry policy."""

    # Telegram allows about 30 messages a second in all; the outbox keeps 5 for answers to
    # commands, which go out directly while a fan-out is running.
    overall_per_second: float = 25.0
    overall_burst: int = 1  # messages that may leave back to back after a pause
    private_per_second: float = 1.0  # to one private chat (chat_id > 0)
    group_per_minute: float = 20.0  # to one group or channel (chat_id < 0)
    flood_slowdown: float = 0.5  # a 429 multiplies the overall rate by this...
    flood_recovery: float = 30.0  # ...and it climbs back to full over this many seconds
    max_attempts: int = 8  # failed tries (network, server) before a message is given up
    retry_base: float = 2.0  # seconds before the first retry; doubles with each failure
    retry_max: float = 3600.0
    linger: float = 5.0  # a drain waits itself for retries due within this many seconds
    max_in_flight: int = 30  # requests awaiting Telegram's answer at once
    batch: int = 500  # messages loaded per query

    def chat_interval(self, chat_id: int) -> float:
        """Seconds between two messages to one chat."""
        return 1 / self.private_per_second if chat_id > 0 else 60 / self.group_per_minute

    def retry_delay(self, failures: int) -> float:
        """Seconds before retrying a message that has failed `failures` times (1, 2, ...)."""
        return min(self.retry_max, self.retry_base * 2.0 ** min(max(failures - 1, 0), 60))


class Pacer:
    """When the next message may leave. Pure: times are monotonic seconds, passed in.

    Overall: evenly spaced slots at the current rate, `overall_burst` back to back at most.
    Per chat: the next message waits the chat's interval after Telegram answered the last one
    (from the answer, so a slow request never squeezes two messages together).
    A 429: that chat waits `retry_after`; the overall rate drops by `flood_slowdown` once per
    `retry_after` window (429s answered together are one event), then climbs back.
    """

    def __init__(self, limits: SendLimits) -> None:
        self.limits = limits
        self._next_slot = -math.inf  # the theoretical time of the next slot (GCRA)
        self._slowed_to: float | None = None
        self._slowed_at = 0.0
        self._calm_at = -math.inf
        self._chat_free_at: dict[int, float] = {}

    def rate(self, now: float) -> float:
        """Messages a second allowed overall at `now`."""
        full = self.limits.overall_per_second
        if self._slowed_to is None:
            return full
        regained = (full - self._slowed_to) * (now - self._slowed_at) / self.limits.flood_recovery
        return min(full, self._slowed_to + regained)

    def overall_ready_at(self, now: float) -> float:
        """The earliest time, from `now` on, the overall rate lets a message leave."""
        tolerance = (self.limits.overall_burst - 1) / self.rate(now)
        return max(now, self._next_slot - tolerance)

    def chat_ready_at(self, chat_id: int) -> float:
        """The earliest time the chat's own spacing lets a message to it leave."""
        return self._chat_free_at.get(chat_id, -math.inf)

    def take(self, now: float) -> None:
        """A message leaves at `now` (no earlier than overall_ready_at)."""
        self._next_slot = max(self._next_slot, now) + 1 / self.rate(now)

    def answered(self, chat_id: int, now: float) -> None:
        """Telegram answered a message to the chat at `now`."""
        self.hold(chat_id, now + self.limits.chat_interval(chat_id))

    def hold(self, chat_id: int, until: float) -> None:
        """Send nothing to the chat before `until`."""
        self._chat_free_at[chat_id] = max(self.chat_ready_at(chat_id), until)

    def flooded(self, chat_id: int, now: float, retry_after: float) -> None:
        """Telegram answered 429 for the chat at `now`: we went faster than it allows."""
        self.answered(chat_id, now)
        self.hold(chat_id, now + retry_after)
        if now >= self._calm_at:
            self._slowed_to = max(_MIN_RATE, self.rate(now) * self.limits.flood_slowdown)
            self._slowed_at = now
            self._calm_at = now + max(retry_after, 1.0)

    def forget(self, now: float) -> None:
        """Drop the spacing of chats that are free again (keeps memory bounded)."""
        self._chat_free_at = {c: t for c, t in self._chat_free_at.items() if t > now}


class Action(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAIL = "fail"
    DEACTIVATE = "deactivate"
    MIGRATE = "migrate"  # the group became a supergroup: its messages go to the new id
    WITHDRAWN = "withdrawn"  # gone from the outbox before its turn (the chat sent /stop)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What becomes of a message after one try."""

    action: Action
    delay: float = 0.0  # RETRY: seconds to wait
    flood: bool = False  # RETRY after a 429: the try does not count against max_attempts
    error: str = ""
    new_chat_id: int = 0  # MIGRATE: the supergroup's id


def retry_after_seconds(error: RetryAfter) -> float:
    """The wait a 429 asks for, in seconds (PTB 22 warns about the int/timedelta switch)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def judge(error: Exception, failures: int, limits: SendLimits) -> Verdict:
    """What to do with a message whose send raised `error`, having failed `failures` times."""
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, RetryAfter):
        return Verdict(Action.RETRY, retry_after_seconds(error), flood=True, error=text)
    if isinstance(error, Forbidden):  # blocked by the user, kicked from the group
        return Verdict(Action.DEACTIVATE, error=text)
    if isinstance(error, BadRequest):  # never succeeds as it is: bad HTML, too long, ...
        gone = any(phrase in error.message.lower() for phrase in _CHAT_GONE)
        return Verdict(Action.DEACTIVATE if gone else Action.FAIL, error=text)
    if isinstance(error, ChatMigrated):
        return Verdict(Action.MIGRATE, error=text, new_chat_id=error.new_chat_id)
    if failures + 1 >= limits.max_attempts:  # network errors, timeouts, server trouble
        return Verdict(Action.FAIL, error=text)
    return Verdict(Action.RETRY, limits.retry_delay(failures + 1), error=text)
