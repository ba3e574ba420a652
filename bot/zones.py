"""Reading a time zone as people type it: an IANA name, a city, or a country with one zone."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.core import get_global

from bot.normalize import normalize


@dataclass(frozen=True, slots=True)
class ZoneAnswer:
    zone: str | None
    suggestions: tuple[str, ...] = ()


# Languages whose city names for zones are read from CLDR ("Moscou", "Москва", "모스크바").
CITY_LANGUAGES = ("en", "fr", "de", "es", "ru", "uk", "ko", "ja", "zh", "ar")
# Two fixed days, winter and summer: zones that agree on both keep the same clock.
_PROBES = (datetime(2025, 1, 15, 12, tzinfo=UTC), datetime(2025, 7, 15, 12, tzinfo=UTC))


@cache
def _exact() -> dict[str, str]:
    """IANA names, case aside: "etc/gmt+5" must not meet "Etc/GMT-5" in normalising."""
    return {zone.lower(): zone for zone in available_timezones()}


def _current(zone: str) -> str:
    """The zone's current IANA name (CLDR still files Kolkata under Asia/Calcutta)."""
    current: str = get_global("zone_aliases").get(zone, zone)
    return current if current in _exact().values() else zone


@cache
def _names() -> dict[str, str]:
    """Normalised IANA names and city names (in CITY_LANGUAGES) -> the IANA name.

    A name that stands for several zones is left out: it gets suggestions instead.
    """
    found: dict[str, set[str]] = {}
    for zone in available_timezones():
        found.setdefault(normalize(zone), set()).add(_current(zone))
        if "/" in zone:
            found.setdefault(normalize(zone.rsplit("/", 1)[1]), set()).add(_current(zone))
    for language in CITY_LANGUAGES:
        for zone, names in Locale.parse(language).time_zones.items():
            city = names.get("city") if zone in _exact().values() else None
            if city:
                found.setdefault(normalize(city), set()).add(_current(zone))
    return {key: next(iter(zones)) for key, zones in found.items() if len(zones) == 1 and key}


def _clock(zone: str) -> tuple[object, ...]:
    return tuple(probe.astimezone(ZoneInfo(zone)).utcoffset() for probe in _PROBES)


def _one_per_clock(zones: list[str]) -> list[str]:
    """One zone for each clock the zones keep, the clocks most zones keep first."""
    clocks: dict[tuple[object, ...], list[str]] = {}
    for zone in zones:
        clocks.setdefault(_clock(zone), []).append(zone)
    return [group[0] for group in sorted(clocks.values(), key=len, reverse=True)]


def resolve_zone(text: str, countries: Callable[[str], frozenset[str]]) -> ZoneAnswer:
    """The IANA zone `text` means, or suggestions.

    An IANA name in any case; a city, in CITY_LANGUAGES; a country whose zones keep one clock
    (France, Japan, Germany with Büsingen). `countries(name)` gives the ISO codes a name stands
    for (the entity catalog knows every country's name in every language).
    """
    if text.strip().lower() in _exact():
        return ZoneAnswer(_exact()[text.strip().lower()])
    key = normalize(text)
    if not key:
        return ZoneAnswer(None)
    names = _names()
    if key in names:
        return ZoneAnswer(names[key])
    zones = get_global("territory_zones")
    for code in sorted(countries(text)):
        known = [_current(z) for z in zones.get(code, []) if z in _exact().values()]
        clocks = _one_per_clock(list(dict.fromkeys(known)))
        if len(clocks) == 1:
            return ZoneAnswer(clocks[0])
        if clocks:
            return ZoneAnswer(None, tuple(clocks[:5]))
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.75)
    return ZoneAnswer(None, tuple(dict.fromkeys(names[c] for c in close)))
