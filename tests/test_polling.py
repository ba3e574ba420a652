"""When feeds are due: adaptive intervals and capped backoff with jitter."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.polling import MAX_BACKOFF, after_failure, after_success, is_broken

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_success_with_news_polls_at_the_base_interval() -> None:
    """A feed with new stories is due again after the configured interval."""
    nxt = after_success(now=NOW, base=300, interval=900, new_stories=3)
    assert nxt.due_at == NOW + timedelta(seconds=300)
    assert nxt.failures == 0


def test_quiet_feed_slows_down_up_to_a_cap() -> None:
    """A feed with nothing new is polled less often, at most four times less."""
    interval = 300
    for _ in range(20):
        interval = after_success(
            now=NOW, base=300, interval=interval, new_stories=0
        ).interval_seconds
    assert interval == 1200


def test_failures_back_off_exponentially_and_cap_at_six_hours() -> None:
    """Each failure doubles the delay, with jitter, never beyond six hours."""
    rng = random.Random(1)
    delays = [
        after_failure(now=NOW, base=300, interval=300, failures=n, retry_after=None, rng=rng).due_at
        - NOW
        for n in range(12)
    ]
    assert delays[1] > delays[0]
    assert all(d <= MAX_BACKOFF * 1.2 for d in delays)
    assert delays[-1] >= MAX_BACKOFF * 0.8


def test_retry_after_is_honoured() -> None:
    """A server's Retry-After pushes the next poll at least that far."""
    nxt = after_failure(
        now=NOW, base=30, interval=30, failures=0, retry_after=3600, rng=random.Random(0)
    )
    assert nxt.due_at >= NOW + timedelta(seconds=3600)


def test_long_failure_streak_marks_a_feed_broken() -> None:
    """Ten failures in a row mark a feed broken; fewer do not."""
    assert not is_broken(9)
    assert is_broken(10)
