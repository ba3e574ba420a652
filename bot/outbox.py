"""The outbox sender: delivers queued digests and alerts within Telegram's flood limits.

Usage (wiring)::

    outbox = Outbox(engine, application.bot, clock=utc_now)
    report = await outbox.drain()  # from a JobQueue job every few seconds, and after queueing

The limits and the pacing that keeps to them are pure, in bot/pacing.py.

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
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.pacing import Action, Pacer, SendLimits, Verdict, judge
from storage import chats
from storage import outbox as store
from storage.db import session as open_session

log = logging.getLogger(__name__)

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True, slots=True)
class DrainReport:
    """What one drain() did. `busy`: another drain was running and will send what is due."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    deactivated: int = 0  # chats
    migrated: int = 0  # groups that became supergroups (their messages follow them)
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
        limits: SendLimits = SendLimits(),  # noqa: B008 - frozen: one shared default is safe
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
            migrated=tally[Action.MIGRATE],
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
            if not await asyncio.to_thread(self._is_pending, item.id):
                return Verdict(Action.WITHDRAWN)
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

    def _is_pending(self, message_id: int) -> bool:
        with open_session(self._engine) as session:
            return store.is_pending(session, message_id)

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
            elif verdict.action is Action.MIGRATE:
                chats.migrate_chat(session, item.chat_id, verdict.new_chat_id)
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
        elif verdict.action is Action.MIGRATE:
            log.info("outbox: chat %s is now %s", chat_id, verdict.new_chat_id)
            queue.clear()  # the drain's next load finds them under the new id
        elif verdict.action is Action.WITHDRAWN:
            queue.clear()  # the chat's messages went with it; a later drain finds any new ones
        else:
            if verdict.action is Action.FAIL:
                log.error("outbox: message %s to %s failed: %s", item.id, chat_id, verdict.error)
            self.pacer.answered(chat_id, now)
            queue.popleft()
        if self._stuck:
            queue.clear()
        return bool(queue)
