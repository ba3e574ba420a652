"""Command arguments and button data, read without Telegram."""

from __future__ import annotations

import pytest

from handlers.args import LatestArgs, Press, latest_args, number, press, setting_args, switch


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["kim", "putin"], LatestArgs("kim putin", 5)),
        (["kim", "putin", "10"], LatestArgs("kim putin", 10)),
        (["putin", "500"], LatestArgs("putin", 20)),
        (["putin", "0"], LatestArgs("putin", 1)),
        ([], LatestArgs("", 5)),
        (["7"], LatestArgs("", 7)),
        (['"north', 'korea"'], LatestArgs('"north korea"', 5)),
        (
            ["kim", "²"],
            LatestArgs("kim ²", 5),
        ),  # a superscript is a digit to isdigit(), not to int()
        (["putin", "9" * 40], LatestArgs("putin " + "9" * 40, 5)),
    ],
)
def test_latest_args(args: list[str], expected: LatestArgs) -> None:
    """A trailing number is the count, clamped to 1..20; the rest is the query."""
    assert latest_args(args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["on"], True),
        (["OFF"], False),
        (["oui"], True),
        (["maybe"], None),
        ([], None),
        (["on", "x"], None),
    ],
)
def test_switch(args: list[str], expected: bool | None) -> None:
    """on/off in English or French; anything else is not understood."""
    assert switch(args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["2"], 2),
        (["0"], None),
        (["-1"], None),
        (["two"], None),
        ([], None),
        (["²"], None),
        (["①"], None),
    ],
)
def test_number(args: list[str], expected: int | None) -> None:
    """/untrack takes one positive number."""
    assert number(args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["tz", "Europe/Paris"], ("tz", "Europe/Paris")),
        (["time", "07:30"], ("time", "07:30")),
        (["langue", "fr"], ("lang", "fr")),
        (["tz", "New", "York"], ("tz", "New York")),
        (["colour", "red"], None),
        (["tz"], None),
    ],
)
def test_setting_args(args: list[str], expected: tuple[str, str] | None) -> None:
    """A setting's name (English or French) and its value."""
    assert setting_args(args) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("untrack:12", Press("untrack", "12")),
        ("set:lang:fr", Press("set", "lang:fr")),
        ("bogus:1", None),
        ("more", None),
        ("", None),
        (None, None),
    ],
)
def test_press(data: str | None, expected: Press | None) -> None:
    """Button data is action:value with a known action."""
    assert press(data) == expected
