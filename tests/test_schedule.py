"""Digest times in each chat's own zone, across daylight saving time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.schedule import due_period, last_digest_at, next_digest_at, parse_hhmm

PARIS = ZoneInfo("Europe/Paris")
TOKYO = ZoneInfo("Asia/Tokyo")


def test_paris_eight_is_seven_utc_in_winter() -> None:
    """08:00 in Paris is 07:00 UTC in January."""
    after = datetime(2026, 1, 15, 0, 0, tzinfo=UTC)
    assert next_digest_at(time(8, 0), PARIS, after) == datetime(2026, 1, 15, 7, 0, tzinfo=UTC)


def test_paris_eight_is_six_utc_in_summer() -> None:
    """08:00 in Paris is 06:00 UTC in July."""
    after = datetime(2026, 7, 15, 0, 0, tzinfo=UTC)
    assert next_digest_at(time(8, 0), PARIS, after) == datetime(2026, 7, 15, 6, 0, tzinfo=UTC)


def test_schedule_follows_the_clock_change() -> None:
    """Across the March change, consecutive Paris digests are 23 hours apart."""
    first = next_digest_at(time(8, 0), PARIS, datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    second = next_digest_at(time(8, 0), PARIS, first)
    assert second - first == timedelta(hours=23)


def test_two_zones_get_their_own_times() -> None:
    """The same 08:00 falls at different instants in Paris and Tokyo."""
    after = datetime(2026, 1, 15, 0, 0, tzinfo=UTC)
    assert next_digest_at(time(8, 0), TOKYO, after) == datetime(2026, 1, 15, 23, 0, tzinfo=UTC)
    assert next_digest_at(time(8, 0), PARIS, after) == datetime(2026, 1, 15, 7, 0, tzinfo=UTC)


def test_next_is_strictly_after() -> None:
    """At the digest instant itself, the next one is a day later."""
    at = datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    assert next_digest_at(time(8, 0), PARIS, at) == at + timedelta(days=1)


def test_last_digest_is_at_or_before_now() -> None:
    """Just before 08:00 Paris, the latest scheduled digest was yesterday's."""
    now = datetime(2026, 1, 15, 6, 59, tzinfo=UTC)
    assert last_digest_at(time(8, 0), PARIS, now) == datetime(2026, 1, 14, 7, 0, tzinfo=UTC)


def test_due_period_runs_from_previous_end() -> None:
    """A due digest covers everything since the previous one ended."""
    now = datetime(2026, 1, 15, 7, 0, 30, tzinfo=UTC)
    previous = datetime(2026, 1, 14, 7, 0, tzinfo=UTC)
    assert due_period(time(8, 0), PARIS, now, previous) == (
        previous,
        datetime(2026, 1, 15, 7, 0, tzinfo=UTC),
    )


def test_nothing_due_twice_in_one_period() -> None:
    """Once a period is done, the same day has no digest due."""
    now = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    done = datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    assert due_period(time(8, 0), PARIS, now, done) is None


def test_missed_days_are_caught_up_in_one_digest() -> None:
    """After three days down, one digest covers all three days."""
    now = datetime(2026, 1, 18, 10, 0, tzinfo=UTC)
    previous = datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    assert due_period(time(8, 0), PARIS, now, previous) == (
        previous,
        datetime(2026, 1, 18, 7, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00", time(8, 0)),
        ("7:05", time(7, 5)),
        ("23:59", time(23, 59)),
        ("25:00", None),
        ("8h", None),
        ("08:7", None),
        ("", None),
        ("-1:00", None),
        (":00", None),
        ("²:00", None),
        ("123:00", None),
    ],
)
def test_parse_hhmm(text: str, expected: time | None) -> None:
    """Times of day are HH:MM, hours 0-23 and minutes 00-59."""
    assert parse_hhmm(text) == expected


def test_a_later_time_after_todays_digest_waits_for_tomorrow() -> None:
    """Moving the digest from 08:00 to 20:00 after today's went out gives none more today."""
    done = datetime(2026, 1, 15, 7, 0, tzinfo=UTC)  # 08:00 in Paris
    assert due_period(time(20, 0), PARIS, datetime(2026, 1, 15, 19, 30, tzinfo=UTC), done) is None
    tomorrow = datetime(2026, 1, 16, 19, 0, 30, tzinfo=UTC)
    assert due_period(time(20, 0), PARIS, tomorrow, done) == (
        done,
        datetime(2026, 1, 16, 19, 0, tzinfo=UTC),
    )


def test_a_new_zone_after_todays_digest_waits_for_tomorrow() -> None:
    """Moving from Paris to New York after the 08:00 Paris digest gives none at 08:00 New York."""
    done = datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    new_york = ZoneInfo("America/New_York")
    assert due_period(time(8, 0), new_york, datetime(2026, 1, 15, 13, 30, tzinfo=UTC), done) is None
