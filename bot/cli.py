"""Vigie's command line: `python -m bot COMMAND`. Each command parses its arguments, calls the core,
prints what it got. Bad settings or data files: one line on stderr, exit code 2.

Usage:
    python -m bot run
    python -m bot poll-once
    python -m bot feeds list [--json]
    python -m bot feeds add URL
    python -m bot feeds remove URL
    python -m bot latest QUERY... [--limit N] [--json]
    python -m bot entities search NAME
    python -m bot rematch
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.app import App, configure_logging
from bot.catalog import CatalogError
from bot.feedlist import FeedListError
from bot.ingest import FeedReport, Outcome, story_matches
from bot.render import understanding_text
from bot.search import MAX_LIMIT, find
from bot.settings import SettingsError, load_settings
from storage import stories as story_store
from storage.db import session
from storage.feeds import FeedRow
from storage.search import Hit

EXIT_USAGE = 2
Command = Callable[[App, argparse.Namespace], int]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def report_line(report: FeedReport) -> str:
    """One line per feed for poll-once."""
    if report.outcome is Outcome.ERROR:
        return f"error      {report.url}  {report.error}"
    if report.outcome is Outcome.UNCHANGED:
        return f"unchanged  {report.url}"
    return f"{len(report.new_story_ids):>4} new   {report.url}"


def poll_once(app: App, _args: argparse.Namespace) -> int:
    """Fetch every configured feed once and store what is new."""

    async def cycle() -> list[FeedReport]:
        async with app.ingestor() as ingestor:
            return await ingestor.poll()

    started = time.monotonic()
    reports = asyncio.run(cycle())
    for report in reports:
        print(report_line(report))
    new = sum(len(r.new_story_ids) for r in reports)
    errors = sum(r.outcome is Outcome.ERROR for r in reports)
    unchanged = sum(r.outcome is Outcome.UNCHANGED for r in reports)
    print(
        f"total: {len(reports)} feeds, {new} new stories, {unchanged} unchanged, "
        f"{errors} errors in {time.monotonic() - started:.1f} s"
    )
    return 0


def feed_json(row: FeedRow) -> str:
    return json.dumps(
        {
            "url": row.url,
            "title": row.title,
            "stories": row.stories,
            "last_ok": _iso(row.last_ok_at),
            "failures": row.failures,
            "error": row.last_error,
            "next_due": _iso(row.next_due_at),
        },
        ensure_ascii=False,
    )


def feed_text(row: FeedRow) -> str:
    from bot.polling import is_broken

    health = "BROKEN" if is_broken(row.failures) else ("failing" if row.failures else "ok")
    lines = [
        f"{row.url}",
        f"    {row.title or '(no title yet)'} · {row.stories} stories · {health}"
        f" · last ok {_iso(row.last_ok_at) or 'never'} · failures {row.failures}",
    ]
    if row.last_error:
        lines.append(f"    last error: {row.last_error}")
    return "\n".join(lines)


def feeds_list(app: App, args: argparse.Namespace) -> int:
    """List every polled feed with its health."""
    for row in app.admin.feeds():
        print(feed_json(row) if args.json else feed_text(row))
    return 0


def feeds_add(app: App, args: argparse.Namespace) -> int:
    """Poll URL beside FEEDS_FILE's feeds."""
    added = app.admin.add_feed(args.url)
    if added is None:
        print(f"not an http(s) URL: {args.url}", file=sys.stderr)
        return EXIT_USAGE
    print(f"added {args.url}" if added else f"already polled: {args.url}")
    return 0


def feeds_remove(app: App, args: argparse.Namespace) -> int:
    """Stop polling URL; its stories stay."""
    removed = app.admin.remove_feed(args.url)
    print(f"removed {args.url}" if removed else f"not polled: {args.url}")
    return 0 if removed else 1


def hit_json(hit: Hit) -> str:
    return json.dumps(
        {
            "url": hit.link,
            "title": hit.title,
            "published": hit.published.isoformat(),
            "feed": hit.feed_url,
            "source": hit.feed_title,
            "entities": list(hit.entity_ids),
            "other_sources": [s.feed_url for s in hit.other_sources],
        },
        ensure_ascii=False,
    )


def hit_text(hit: Hit) -> str:
    others = f" · +{len(hit.other_sources)} other sources" if hit.other_sources else ""
    when = hit.published.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{hit.title}\n    {hit.feed_title or hit.feed_url} · {when}{others}\n    {hit.link or ''}"
    )


def latest(app: App, args: argparse.Namespace) -> int:
    """Print the newest stories matching the query; how it was understood goes to stderr."""
    text = " ".join(args.query)
    with session(app.engine) as s:
        results = find(s, app.query_parser, text, limit=args.limit)
    if results.query.empty:
        print("nothing to search for in that query", file=sys.stderr)
        return EXIT_USAGE
    print(f"query: {understanding_text(results.query, app.catalog, 'en')}", file=sys.stderr)
    for word, ids in results.query.suggestions.items():
        names = ", ".join(app.catalog.entities[i].name("en") for i in ids)
        if not results.hits:
            print(f"did you mean {names} (for {word!r})?", file=sys.stderr)
    for hit in results.hits:
        print(hit_json(hit) if args.json else hit_text(hit))
    return 0


def entities_search(app: App, args: argparse.Namespace) -> int:
    """Show which entities a name resolves to, with their aliases."""
    ids = app.query_parser.lookup(args.name)
    if not ids:
        close = app.query_parser.suggest(args.name)
        hint = ", ".join(app.catalog.entities[i].name("en") for i in close)
        print(f"no entity is called {args.name!r}" + (f"; did you mean {hint}?" if hint else ""))
        return 1
    for entity_id in sorted(ids):
        entity = app.catalog.entities[entity_id]
        print(f"{entity.id} ({entity.kind}): {entity.name('en')}")
        for lang, name in sorted(entity.names.items()):
            print(f"    name [{lang}] {name}")
        for alias in entity.aliases:
            flags = [
                f
                for f, on in (("case-sensitive", alias.case_sensitive), ("weak", alias.weak))
                if on
            ]
            print(
                f"    alias [{alias.lang}] {alias.text}"
                + (f" ({', '.join(flags)})" if flags else "")
            )
    return 0


def rematch(app: App, _args: argparse.Namespace) -> int:
    """Recompute every stored story's mentions and topics with the current catalog."""
    total = 0
    with session(app.engine) as s:
        for batch in story_store.iter_stories(s):
            for story in batch:
                matches = story_matches(app.matcher, story.title, story.summary)
                story_store.replace_matches(s, story, matches)
            s.commit()
            total += len(batch)
    print(f"rematched {total} stories")
    return 0


def run(app: App, _args: argparse.Namespace) -> int:
    """Start the Telegram bot: long polling, feed polling, digests and alerts."""
    if app.settings.telegram_bot_token is None:
        print(
            "vigie: TELEGRAM_BOT_TOKEN is not set: talk to @BotFather on Telegram "
            "(https://t.me/BotFather), send /newbot, and put the token in .env",
            file=sys.stderr,
        )
        return EXIT_USAGE
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # PTB 22: retry_after as a timedelta
    from bot.telegram import run as run_bot

    return run_bot(app)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Vigie: follow a story across the world's press."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, func: Command, help: str, parent: Any = commands) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(name, help=help, description=help)
        sub.set_defaults(func=func)
        return sub

    add("run", run, "start the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    add("poll-once", poll_once, "fetch every configured feed once, store new stories")
    feeds = add("feeds", _missing_subcommand, "list, add or remove feeds")
    feed_commands = feeds.add_subparsers(dest="feeds_command", metavar="ACTION")
    listing = add("list", feeds_list, "each feed with its health and story count", feed_commands)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    add("add", feeds_add, "poll URL beside FEEDS_FILE's feeds", feed_commands).add_argument("url")
    add("remove", feeds_remove, "stop polling URL", feed_commands).add_argument("url")
    latest_parser = add("latest", latest, "the newest stories matching a query")
    latest_parser.add_argument("query", nargs="+", help='e.g. kim putin, "north korea" -trump')
    latest_parser.add_argument(
        "--limit", type=_limit, default=10, help=f"how many, 1 to {MAX_LIMIT} (default 10)"
    )
    latest_parser.add_argument("--json", action="store_true", help="one JSON object per story")
    entities = add("entities", _missing_subcommand, "look up the entity catalog")
    entity_commands = entities.add_subparsers(dest="entities_command", metavar="ACTION")
    add("search", entities_search, "which entity a name resolves to", entity_commands).add_argument(
        "name"
    )
    add("rematch", rematch, "recompute stored stories' entities after a catalog change")
    return parser


def _limit(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to {MAX_LIMIT}, got {value!r}")
    return number


def _missing_subcommand(_app: App, args: argparse.Namespace) -> int:
    """`feeds` or `entities` without an action: their help, as a usage error."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    print(commands.choices[args.command].format_help(), file=sys.stderr, end="")
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    token = ""
    try:
        settings = load_settings()
        if settings.telegram_bot_token is not None:
            token = settings.telegram_bot_token.get_secret_value()
        configure_logging(settings)
        app = App(settings)
        return int(args.func(app, args))
    except (SettingsError, FeedListError, CatalogError) as exc:
        print(f"vigie: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one line, never a traceback, never the token
        print(f"vigie: {_problem(exc)}".replace(token or "\0", "<token>"), file=sys.stderr)
        return EXIT_USAGE if _is_setting_problem(exc) else 1


def _is_setting_problem(exc: Exception) -> bool:
    from sqlalchemy.exc import OperationalError
    from telegram.error import InvalidToken

    return isinstance(exc, OperationalError | InvalidToken)


def _problem(exc: Exception) -> str:
    """What went wrong, in one line that names the setting to look at when there is one."""
    from sqlalchemy.exc import OperationalError
    from telegram.error import InvalidToken

    if isinstance(exc, InvalidToken):
        return "TELEGRAM_BOT_TOKEN: Telegram refused it; ask @BotFather for the right one"
    if isinstance(exc, OperationalError):
        first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "no answer"
        return f"DATABASE_URL: cannot use the database: {first}"
    logging.getLogger("bot").exception("unexpected error")
    return f"unexpected error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
