"""Reading a time zone as people type it: an IANA name, a city, or a country with one zone."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from babel.core import get_global

from bot.normalize import normalize


@dataclass(frozen=True, slots=True)
class ZoneAnswer:
    zone: str | None
    suggestions: tuple[str, ...] = ()


@cache
def _names() -> dict[str, str]:
    """Normalised IANA names and city names -> the IANA name."""
    names: dict[str, str] = {}
    cities: dict[str, set[str]] = {}
    for zone in available_timezones():
        names[normalize(zone)] = zone
        if "/" in zone:
            city = normalize(zone.rsplit("/", 1)[1])
            cities.setdefault(city, set()).add(zone)
    for city, zones in cities.items():
        if len(zones) == 1:
            names.setdefault(city, next(iter(zones)))
    return names


def resolve_zone(text: str, countries: Callable[[str], frozenset[str]]) -> ZoneAnswer:
    """The IANA zone `text` means, or suggestions.

    `countries(name)` gives the ISO codes a name stands for (the entity catalog knows every
    country's name in every language); a country with a single zone (France, Japan) is accepted.
    """
    key = normalize(text)
    if not key:
        return ZoneAnswer(None)
    names = _names()
    if key in names:
        return ZoneAnswer(names[key])
    zones = get_global("territory_zones")
    for code in sorted(countries(text)):
        country_zones = zones.get(code, [])
        if len(country_zones) == 1:
            return ZoneAnswer(country_zones[0])
        if country_zones:
            return ZoneAnswer(None, tuple(country_zones[:5]))
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.75)
    return ZoneAnswer(None, tuple(dict.fromkeys(names[c] for c in close)))
