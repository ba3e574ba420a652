"""The command line, run as a user runs it: `python -m bot ...` in a child process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.feedserver import FeedServer
from tests.ingestion import FIXTURES

WORLD = ["seed.rss", "en.rss", "ru.rss", "ko.rss", "de.rss", "ja.rss", "fr-ca.rss"]


def environment(tmp_path: Path, **values: str) -> dict[str, str]:
    """The child's environment: this one, minus Vigie's settings, plus `values`; run in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIGIE_"))}
    for name in ("DATABASE_URL", "FEEDS_FILE", "ENTITIES_FILE", "ADMIN_CHAT_IDS", "DIGEST_TIME"):
        env.pop(name, None)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'vigie.db'}"
    env.update(values)
    return env


def run(tmp_path: Path, *args: str, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=environment(tmp_path, **values),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def arun(tmp_path: Path, *args: str, **values: str) -> tuple[int, str, str]:
    """Like run(), without blocking the event loop that serves the feeds."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env=environment(tmp_path, **values),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), timeout=120)
    assert child.returncode is not None
    return child.returncode, out.decode(), err.decode()


def feeds_file(tmp_path: Path, server: FeedServer, names: list[str], extra: list[str] = ()) -> str:  # type: ignore[assignment]
    for name in names:
        folder = "feeds" if name == "seed.rss" else "world"
        server.add(f"/{name}", (FIXTURES / folder / name).read_bytes())
    path = tmp_path / "feeds.txt"
    path.write_text("\n".join([server.url(f"/{n}") for n in names] + list(extra)), encoding="utf-8")
    return str(path)


def test_help_lists_every_command(tmp_path: Path) -> None:
    """--help names every command."""
    result = run(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("run", "poll-once", "feeds", "latest", "entities", "rematch"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DIGEST_TIME", "25:00"),
        ("DEFAULT_TIMEZONE", "Nowhere/Land"),
        ("DATABASE_URL", "sqlite:////no/such/folder/vigie.db"),  # valid, but cannot be opened
    ],
)
def test_bad_setting_is_one_line_and_exit_2(tmp_path: Path, name: str, value: str) -> None:
    """A bad setting prints one line naming it, no traceback, and exits with 2."""
    result = run(tmp_path, "feeds", "list", **{name: value})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_run_without_token_says_how_to_get_one(tmp_path: Path) -> None:
    """`run` with no token points to @BotFather and exits with 2."""
    result = run(tmp_path, "run")
    assert result.returncode == 2
    assert "@BotFather" in result.stderr


async def test_poll_once_reports_each_feed_and_a_total(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """poll-once prints a line per feed and a total, and exits 0 even when a feed fails."""
    broken = feed_server.url("/status/500")
    path = feeds_file(tmp_path, feed_server, ["seed.rss"], [broken])
    code, out, _ = await arun(tmp_path, "poll-once", FEEDS_FILE=path)
    assert code == 0
    assert "1 new" in out
    assert f"error      {broken}  HTTP 500" in out
    assert out.strip().splitlines()[-1].startswith("total: 2 feeds, 1 new stories")


async def test_feeds_list_json(feed_server: FeedServer, tmp_path: Path) -> None:
    """feeds list --json gives one object per feed with its stories and health."""
    path = feeds_file(tmp_path, feed_server, ["seed.rss"])
    await arun(tmp_path, "poll-once", FEEDS_FILE=path)
    code, out, _ = await arun(tmp_path, "feeds", "list", "--json", FEEDS_FILE=path)
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert row["url"] == feed_server.url("/seed.rss")
    assert row["title"] == "Example.fr — Monde"
    assert row["stories"] == 1
    assert row["failures"] == 0
    assert row["error"] is None
    assert row["last_ok"]


def test_feeds_add_and_remove(tmp_path: Path) -> None:
    """A feed added by hand is listed; removed, it is not."""
    empty = tmp_path / "none.txt"
    empty.write_text("", encoding="utf-8")
    assert (
        run(tmp_path, "feeds", "add", "https://extra.example/rss", FEEDS_FILE=str(empty)).returncode
        == 0
    )
    listed = run(tmp_path, "feeds", "list", "--json", FEEDS_FILE=str(empty)).stdout
    assert "https://extra.example/rss" in listed
    assert (
        run(
            tmp_path, "feeds", "remove", "https://extra.example/rss", FEEDS_FILE=str(empty)
        ).returncode
        == 0
    )
    assert run(tmp_path, "feeds", "list", FEEDS_FILE=str(empty)).stdout == ""


def test_listed_feeds_are_listed_before_the_first_poll(tmp_path: Path) -> None:
    """feeds list shows FEEDS_FILE's feeds on a fresh database, and feeds remove finds them."""
    listed = tmp_path / "feeds.txt"
    listed.write_text("https://listed.example/rss\n", encoding="utf-8")
    assert (
        "https://listed.example/rss"
        in run(tmp_path, "feeds", "list", FEEDS_FILE=str(listed)).stdout
    )
    removed = run(tmp_path, "feeds", "remove", "https://listed.example/rss", FEEDS_FILE=str(listed))
    assert removed.returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ("feeds",),
        ("entities",),
        ("latest", "putin", "--limit", "0"),
        ("latest", "putin", "--limit", "51"),
    ],
)
def test_incomplete_or_out_of_range_commands_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    """A command without its action, or a --limit outside 1-50, is a usage error (exit 2)."""
    result = run(tmp_path, *args)
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_feeds_add_refuses_a_non_url(tmp_path: Path) -> None:
    """feeds add with something that is no http(s) URL says so and exits 2."""
    result = run(tmp_path, "feeds", "add", "ftp://example.org/feed")
    assert result.returncode == 2


async def test_latest_kim_putin_finds_the_seed_in_five_languages(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """After poll-once, `latest kim putin` lists the seed and the event in four other languages, newest first."""
    path = feeds_file(tmp_path, feed_server, WORLD)
    await arun(tmp_path, "poll-once", FEEDS_FILE=path)
    code, out, err = await arun(tmp_path, "latest", "kim", "putin", "--json", FEEDS_FILE=path)
    rows = [json.loads(line) for line in out.splitlines()]
    feeds = [r["feed"].rsplit("/", 1)[1] for r in rows]
    assert code == 0
    assert "seed.rss" in feeds
    assert {"en.rss", "ru.rss", "ko.rss", "de.rss", "ja.rss"} <= set(feeds)
    assert [r["published"] for r in rows] == sorted((r["published"] for r in rows), reverse=True)
    assert all({"vladimir-putin"} <= set(r["entities"]) for r in rows)
    assert "putin → Vladimir Putin" in err


async def test_latest_poutine_is_not_the_dish(feed_server: FeedServer, tmp_path: Path) -> None:
    """`latest Poutine` lists Putin stories and not the Quebec recipe."""
    path = feeds_file(tmp_path, feed_server, WORLD)
    await arun(tmp_path, "poll-once", FEEDS_FILE=path)
    _, out, _ = await arun(tmp_path, "latest", "Poutine", "--json", FEEDS_FILE=path)
    titles = [json.loads(line)["title"] for line in out.splitlines()]
    assert titles
    assert not any("poutine de Montréal" in t for t in titles)


async def test_latest_with_no_match_prints_nothing(feed_server: FeedServer, tmp_path: Path) -> None:
    """A query that matches nothing exits 0 with no output lines."""
    path = feeds_file(tmp_path, feed_server, ["seed.rss"])
    await arun(tmp_path, "poll-once", FEEDS_FILE=path)
    code, out, _ = await arun(tmp_path, "latest", "Zelensky", "--json", FEEDS_FILE=path)
    assert code == 0
    assert out == ""


def test_entities_search_shows_aliases(tmp_path: Path) -> None:
    """entities search resolves a name in any script to its entity and lists its aliases."""
    result = run(tmp_path, "entities", "search", "Путин")
    assert result.returncode == 0
    assert "vladimir-putin" in result.stdout
    assert "Poutine" in result.stdout


async def test_rematch_applies_a_new_catalog_entry(feed_server: FeedServer, tmp_path: Path) -> None:
    """After adding an entity in ENTITIES_FILE, rematch makes stored stories findable by it."""
    path = feeds_file(tmp_path, feed_server, ["seed.rss"])
    await arun(tmp_path, "poll-once", FEEDS_FILE=path)
    extra = tmp_path / "entities.yaml"
    extra.write_text(
        "entities:\n  - id: vostochny\n    kind: place\n"
        "    names: {en: Vostochny Cosmodrome, fr: cosmodrome de Vostochny}\n",
        encoding="utf-8",
    )
    code, out, _ = await arun(tmp_path, "rematch", FEEDS_FILE=path, ENTITIES_FILE=str(extra))
    assert code == 0
    assert "rematched 1 stories" in out
    _, found, err = await arun(
        tmp_path,
        "latest",
        "Vostochny Cosmodrome",
        "--json",
        FEEDS_FILE=path,
        ENTITIES_FILE=str(extra),
    )
    assert "query: Vostochny Cosmodrome" in err
    assert "vostochny" in json.loads(found.splitlines()[0])["entities"]


def test_bad_entities_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """An invalid ENTITIES_FILE names the file and the entry, and exits 2."""
    extra = tmp_path / "entities.yaml"
    extra.write_text(
        "entities:\n  - id: x\n    kind: pesron\n    names: {en: X}\n", encoding="utf-8"
    )
    result = run(tmp_path, "latest", "putin", ENTITIES_FILE=str(extra))
    assert result.returncode == 2
    assert "entities.yaml" in result.stderr
    assert "pesron" in result.stderr
    assert "Traceback" not in result.stderr
