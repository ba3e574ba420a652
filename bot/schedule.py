"""When a chat's daily digest is due, in its own time zone. Pure: `now` is a parameter.

A chat's schedule is its row (digest time, zone, end of the last digest's period), so a restart
keeps every schedule and a digest missed while Vigie was down goes out when it comes back.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_hhmm(value: str) -> time | None:
    """ "08:00" -> 08:00; None when it is not a valid time of day."""
    hours, sep, minutes = value.strip().partition(":")
    digits = f"{hours}{minutes}"
    if (
        not sep
        or not (digits.isascii() and digits.isdigit())
        or len(minutes) != 2
        or not 0 < len(hours) < 3
    ):
        return None
    if int(hours) > 23 or int(minutes) > 59:
        return None
    return time(int(hours), int(minutes))


def _at(day: datetime, local: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day.date(), local, tzinfo=tz).astimezone(UTC)


def next_digest_at(local: time, tz: ZoneInfo, after: datetime) -> datetime:
    """The first instant strictly after `after` when clocks in `tz` show `local` (in UTC)."""
    today = after.astimezone(tz)
    for days in range(3):
        candidate = _at(today + timedelta(days=days), local, tz)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a local time recurs every day")


def last_digest_at(local: time, tz: ZoneInfo, now: datetime) -> datetime:
    """The latest instant at or before `now` when clocks in `tz` showed `local` (in UTC)."""
    today = now.astimezone(tz)
    for days in range(3):
        candidate = _at(today - timedelta(days=days), local, tz)
        if candidate <= now:
            return candidate
    raise AssertionError("unreachable: a local time recurs every day")


def due_period(
    local: time, tz: ZoneInfo, now: datetime, previous_end: datetime | None
) -> tuple[datetime, datetime] | None:
    """The period a scheduled digest due by `now` covers, or None when none is due.

    It runs from the end of the previous digest's period to the latest scheduled instant; a chat
    whose previous period already ends there (or later) has nothing due, and neither has one
    whose previous period ended the same local day: a chat that moves its digest time (or zone)
    after today's digest gets the next one tomorrow, not a second one today.
    """
    end = last_digest_at(local, tz, now)
    start = previous_end or end - timedelta(days=1)
    if start >= end or start.astimezone(tz).date() >= end.astimezone(tz).date():
        return None
    return start, end
