"""When each feed is due next: adaptive intervals on success, capped backoff with jitter on failure.

Pure: the clock and the random source are parameters.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(hours=6)
BROKEN_AFTER = 10  # consecutive failures before a feed is shown as broken
QUIET_FACTOR = 1.5  # a poll with nothing new stretches the interval by this much...
QUIET_CAP = 4  # ...up to this multiple of the configured interval


@dataclass(frozen=True, slots=True)
class NextPoll:
    failures: int
    interval_seconds: int
    due_at: datetime


def is_broken(failures: int) -> bool:
    return failures >= BROKEN_AFTER


def after_success(*, now: datetime, base: int, interval: int | None, new_stories: int) -> NextPoll:
    """A feed that answered: back to the base interval when it had news, slower when quiet."""
    if new_stories or interval is None:
        seconds = base
    else:
        seconds = min(round(interval * QUIET_FACTOR), base * QUIET_CAP)
    return NextPoll(failures=0, interval_seconds=seconds, due_at=now + timedelta(seconds=seconds))


def after_failure(
    *,
    now: datetime,
    base: int,
    interval: int | None,
    failures: int,
    retry_after: float | None,
    rng: random.Random,
) -> NextPoll:
    """A feed that failed `failures` times before this one: exponential backoff with jitter."""
    streak = failures + 1
    delay = min(base * 2 ** min(streak, 30), MAX_BACKOFF.total_seconds())
    delay *= rng.uniform(0.8, 1.2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_BACKOFF.total_seconds()))
    return NextPoll(
        failures=streak,
        interval_seconds=interval or base,
        due_at=now + timedelta(seconds=delay),
    )
