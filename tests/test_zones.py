"""Time zones as people type them."""

from __future__ import annotations

import pytest

from bot.zones import resolve_zone

COUNTRIES = {
    "france": "FR",
    "japon": "JP",
    "united states": "US",
    "allemagne": "DE",
    "moscou": "RU",
}


def countries(name: str) -> frozenset[str]:
    code = COUNTRIES.get(name.strip().lower())
    return frozenset({code}) if code else frozenset()


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("europe/paris", "Europe/Paris"),
        ("Paris", "Europe/Paris"),
        ("new york", "America/New_York"),
        ("Tokyo", "Asia/Tokyo"),
        ("France", "Europe/Paris"),
        ("Japon", "Asia/Tokyo"),
        ("UTC", "UTC"),
        ("Etc/GMT+5", "Etc/GMT+5"),  # UTC-5: must not meet Etc/GMT-5 when normalised
        ("etc/gmt-5", "Etc/GMT-5"),
        ("Moscou", "Europe/Moscow"),  # the city, though the catalog reads Moscou as Russia
        ("Москва", "Europe/Moscow"),
        ("서울", "Asia/Seoul"),
        ("Allemagne", "Europe/Berlin"),  # Büsingen keeps Berlin's clock
        ("Kolkata", "Asia/Kolkata"),  # CLDR files it under Asia/Calcutta: one zone all the same
        ("Kyiv", "Europe/Kyiv"),
        ("Kiev", "Europe/Kyiv"),
        ("Nuuk", "America/Nuuk"),
    ],
)
def test_names_resolve_to_one_zone(typed: str, zone: str) -> None:
    """IANA names, cities and single-zone countries give their zone."""
    assert resolve_zone(typed, countries).zone == zone


def test_country_with_many_zones_suggests() -> None:
    """A country with several zones is not guessed; its zones are suggested."""
    answer = resolve_zone("United States", countries)
    assert answer.zone is None
    assert answer.suggestions


def test_near_miss_is_suggested() -> None:
    """A misspelt zone suggests the close one."""
    answer = resolve_zone("Europe/Pariss", countries)
    assert answer.zone is None
    assert "Europe/Paris" in answer.suggestions


def test_nonsense_gives_nothing() -> None:
    """Text that is no zone gives no zone."""
    assert resolve_zone("zzzz", countries).zone is None


def test_suggestions_keep_different_clocks() -> None:
    """A country's suggestions are zones that keep different clocks."""
    answer = resolve_zone("United States", countries)
    assert len(set(answer.suggestions)) == len(answer.suggestions) == 5
    assert {"America/Chicago", "America/Anchorage"} <= set(answer.suggestions)
