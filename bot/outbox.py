"""The outbox sender: delivers queued digests and alerts within Telegram's flood limits.

Usage (wiring)::

    outbox = Outbox(engine, application.bot, clock=utc_now)
    report = await outbox.drain()  # from a JobQueue job every few seconds, and after queueing

Limits (core.telegram.org/bots/faq, "My bot is hitting limits"): about 30 messages a second
overall, one a second to a private chat, 20 a minute to a group or channel. The overall rate is
paced (evenly spaced slots); each chat keeps its own spacing, so a chat waiting for its turn
never holds back the others.

Restart safety: each message is marked sent, in its own transaction, right after Telegram
accepts it, and a cancelled drain still lets the sends in flight finish and be marked. One
window cannot be closed: if the process dies after Telegram accepted a message and before the
mark is committed, that message is sent again after the restart. A timeout is that window seen
from the network (Telegram may have taken the message), so its retry may repeat it too. Nothing
is ever lost.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import time
import warnings
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from storage import outbox as store
from storage.db import session as open_session

log = logging.getLogger(__name__)

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
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

    overall_per_second: float = 30.0
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


@dataclass(frozen=True, slots=True)
class Verdict:
    """What becomes of a message after one try."""

    action: Action
    delay: float = 0.0  # RETRY: seconds to wait
    flood: bool = False  # RETRY after a 429: the try does not count against max_attempts
    error: str = ""


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
    if isinstance(error, ChatMigrated):  # the chat's new id must come from a migration update
        return Verdict(Action.FAIL, error=text)
    if failures + 1 >= limits.max_attempts:  # network errors, timeouts, server trouble
        return Verdict(Action.FAIL, error=text)
    return Verdict(Action.RETRY, limits.retry_delay(failures + 1), error=text)


@dataclass(frozen=True, slots=True)
class DrainReport:
    """What one drain() did. `busy`: another drain was running and will send what is due."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    deactivated: int = 0  # chats
    busy: bool = False


@dataclass(slots=True)
class _Queued:
    id: int
    chat_id: int
    text: str
    failures: int


class Outbox:
    """Sends what the outbox table holds, within `limits`. Make one per process."""

    def __init__(
        self,
        engine: Engine,
        bot: Bot,
        *,
        clock: Callable[[], datetime],
        limits: SendLimits = SendLimits(),  # frozen: one shared default is safe
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._engine = engine
        self._bot = bot
        self._clock = clock
        self._limits = limits
        self._monotonic = monotonic
        self._sleep = sleep
        self.pacer = Pacer(limits)
        self._running = False
        self._again = False
        self._unmarked: dict[int, datetime] = {}  # accepted by Telegram, mark not committed
        self._stuck = False  # a non-send outcome could not be recorded

    async def drain(self) -> DrainReport:
        """Send every message due now, and retries due within `limits.linger` seconds.

        If a drain is already running this returns at once (busy=True), and the running one
        looks for due messages once more before it ends. Raises only if the database fails.
        """
        if self._running:
            self._again = True
            return DrainReport(busy=True)
        self._running, self._stuck = True, False
        tally: Counter[Action] = Counter()
        try:
            while not self._stuck:
                self._again = False
                batch = await asyncio.to_thread(self._load, dict(self._unmarked))
                if batch:
                    await self._send_batch(batch, tally)
                elif not self._again:
                    break
        finally:
            self._running = False
        report = DrainReport(
            sent=tally[Action.SENT],
            retried=tally[Action.RETRY],
            failed=tally[Action.FAIL],
            deactivated=tally[Action.DEACTIVATE],
        )
        if report != DrainReport():
            log.info("outbox: %s", report)
        return report

    async def next_due_at(self) -> datetime | None:
        """When the next pending message is due (at or before now: already); None if none."""
        return await asyncio.to_thread(self._next_due_at)

    def _next_due_at(self) -> datetime | None:
        with open_session(self._engine) as session:
            return store.next_due_at(session)

    def _load(self, unmarked: dict[int, datetime]) -> list[_Queued]:
        with open_session(self._engine) as session:
            for message_id, sent_at in unmarked.items():
                store.mark_sent(session, message_id, sent_at)
            session.commit()
            for message_id in unmarked:
                self._unmarked.pop(message_id, None)
            rows = store.due(session, self._clock(), self._limits.batch)
        unmarked_now = set(self._unmarked)  # sends whose mark failed since the copy was taken
        return [
            _Queued(r.id, r.chat_id, r.text, r.attempts)
            for r in rows
            if r.id is not None and r.id not in unmarked_now
        ]

    async def _send_batch(self, batch: list[_Queued], tally: Counter[Action]) -> None:
        """Send a batch: chats in parallel, each chat's messages in order."""
        queues: dict[int, deque[_Queued]] = {}
        for item in batch:
            queues.setdefault(item.chat_id, deque()).append(item)
        self.pacer.forget(self._monotonic())
        # (when the chat may go, queue order, chat): the oldest ready chat goes first.
        ready = [(self.pacer.chat_ready_at(c), order, c) for order, c in enumerate(queues)]
        heapq.heapify(ready)
        in_flight: dict[asyncio.Task[Verdict], tuple[_Queued, int]] = {}
        try:
            while ready or in_flight:
                now, wake = self._monotonic(), None
                if ready and len(in_flight) < self._limits.max_in_flight:
                    at = max(ready[0][0], self.pacer.overall_ready_at(now))
                    if at <= now:
                        _, order, chat_id = heapq.heappop(ready)
                        self.pacer.take(now)
                        item = queues[chat_id][0]
                        in_flight[asyncio.create_task(self._deliver(item))] = (item, order)
                        continue
                    wake = at - now
                for task in await self._first_done(in_flight, wake):
                    item, order = in_flight.pop(task)
                    tally[task.result().action] += 1
                    if self._settle(item, task.result(), queues[item.chat_id]):
                        entry = (self.pacer.chat_ready_at(item.chat_id), order, item.chat_id)
                        heapq.heappush(ready, entry)
        finally:
            if in_flight:  # even when cancelled: let sends already made finish and be marked
                await asyncio.wait(in_flight)

    async def _first_done(
        self, tasks: Collection[asyncio.Task[Verdict]], seconds: float | None
    ) -> set[asyncio.Task[Verdict]]:
        """Wait for the first task to finish, or `seconds` (on the injected sleep)."""
        waiters: set[asyncio.Future[Any]] = set(tasks)
        sleeper = asyncio.ensure_future(self._sleep(seconds)) if seconds is not None else None
        if sleeper is not None:
            waiters.add(sleeper)
        try:
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if sleeper is not None:
                sleeper.cancel()
        return {task for task in tasks if task in done}

    async def _deliver(self, item: _Queued) -> Verdict:
        """Try one message and record the outcome; never raises."""
        try:
            await self._bot.send_message(
                chat_id=item.chat_id,
                text=item.text,
                parse_mode=ParseMode.HTML,
                link_preview_options=_NO_PREVIEW,
            )
            verdict = Verdict(Action.SENT)
        except Exception as error:  # each failure becomes a verdict; none stops the drain
            if not isinstance(error, TelegramError):
                log.exception("outbox: unexpected error sending message %s", item.id)
            verdict = judge(error, item.failures, self._limits)
            verdict = replace(verdict, error=verdict.error.replace(self._bot.token, "<token>"))
        now = self._clock()
        try:
            await asyncio.to_thread(self._record, item, verdict, now)
        except Exception:
            log.exception("outbox: could not record %s for message %s", verdict.action, item.id)
            if verdict.action is Action.SENT:
                self._unmarked[item.id] = now  # marked before the next query; never resent
            else:
                self._stuck = True
        return verdict

    def _record(self, item: _Queued, verdict: Verdict, now: datetime) -> None:
        with open_session(self._engine) as session:
            if verdict.action is Action.SENT:
                store.mark_sent(session, item.id, now)
            elif verdict.action is Action.RETRY:
                until = now + timedelta(seconds=verdict.delay)
                store.postpone(
                    session, item.id, until, verdict.error, count_attempt=not verdict.flood
                )
            elif verdict.action is Action.FAIL:
                store.fail(session, item.id, now, verdict.error)
            else:
                store.deactivate_chat(session, item.chat_id, now, verdict.error)
            session.commit()

    def _settle(self, item: _Queued, verdict: Verdict, queue: deque[_Queued]) -> bool:
        """Update the pacing and the chat's queue; True if the chat has more to send now."""
        now, chat_id = self._monotonic(), item.chat_id
        if verdict.action is Action.RETRY:
            if verdict.flood:
                self.pacer.flooded(chat_id, now, verdict.delay)
            else:
                item.failures += 1
                self.pacer.answered(chat_id, now)
                self.pacer.hold(chat_id, now + verdict.delay)
            log.info("outbox: message %s to %s retried in %.0fs: %s", item.id, chat_id,
                     verdict.delay, verdict.error)  # fmt: skip
            if verdict.delay > self._limits.linger:
                queue.clear()  # a later drain sends it, and the chat's later messages after it
        elif verdict.action is Action.DEACTIVATE:
            log.warning("outbox: chat %s deactivated: %s", chat_id, verdict.error)
            queue.clear()
        else:
            if verdict.action is Action.FAIL:
                log.error("outbox: message %s to %s failed: %s", item.id, chat_id, verdict.error)
            self.pacer.answered(chat_id, now)
            queue.popleft()
        if self._stuck:
            queue.clear()
        return bool(queue)
