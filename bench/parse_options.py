"""Measure feedparser's default options against ours, and check they store the same stories.

Usage:
    .venv/bin/python -m bench.parse_options [corpus dir] [--repeat N]

The corpus directory defaults to $VIGIE_FEED_CORPUS, else /work/shared/feeds-corpus; it must
hold `_analysis.json` listing its files. Both settings run in one process, interleaved file by
file (their order alternating between repetitions), so machine noise hits both alike. Prints
the median total time of each setting, their ratio, and every stored field (ParsedStory title,
summary, link, published, and guid and language too) that differs between the two.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from bot.model import ParsedFeed, ParseError
from bot.parse import FEEDPARSER_OPTIONS, feed_from_result, run_feedparser

DEFAULT_OPTIONS: dict[str, bool] = {"sanitize_html": True, "resolve_relative_uris": True}
NOW = datetime(2030, 1, 1, tzinfo=UTC)  # after every corpus date: no clamping differences
BASE = "https://feeds.example.net/"  # the corpus files have no URL of their own


def corpus_files(corpus: Path) -> list[tuple[str, bytes]]:
    """(name, body) of every file listed in the corpus's _analysis.json, read in place."""
    listing = json.loads((corpus / "_analysis.json").read_text("utf-8"))
    return [(item["file"], (corpus / item["file"]).read_bytes()) for item in listing]


def timed(body: bytes, url: str, options: dict[str, bool]) -> float:
    started = time.perf_counter()
    run_feedparser(body, url=url, content_type=None, **options)
    return time.perf_counter() - started


def time_both(files: list[tuple[str, bytes]], repeat: int) -> dict[str, list[float]]:
    """Total seconds per repetition for each setting, the two interleaved file by file."""
    settings = {"default": DEFAULT_OPTIONS, "vigie": FEEDPARSER_OPTIONS}
    totals: dict[str, list[float]] = {name: [] for name in settings}
    for rep in range(repeat):
        order = list(settings) if rep % 2 == 0 else list(reversed(settings))
        sums = dict.fromkeys(settings, 0.0)
        for name, body in files:
            for setting in order:
                sums[setting] += timed(body, BASE + name, settings[setting])
        for setting, total in sums.items():
            totals[setting].append(total)
        print(f"  repetition {rep + 1}: " + ", ".join(f"{k} {v:.3f}s" for k, v in sums.items()))
    return totals


def stored(body: bytes, url: str, options: dict[str, bool]) -> ParsedFeed | str:
    try:
        result = run_feedparser(body, url=url, content_type=None, **options)
        return feed_from_result(result, url=url, now=NOW)
    except ParseError as exc:
        return f"ParseError: {exc}"


def differences(files: list[tuple[str, bytes]]) -> tuple[int, list[str]]:
    """(stories compared, one line per stored field that differs between the settings)."""
    compared, report = 0, []
    for name, body in files:
        url = BASE + name
        default, ours = stored(body, url, DEFAULT_OPTIONS), stored(body, url, FEEDPARSER_OPTIONS)
        if isinstance(default, str) or isinstance(ours, str):
            if default != ours:
                report.append(f"{name}: {default!r} != {ours!r}")
            continue
        if len(default.stories) != len(ours.stories):
            report.append(f"{name}: {len(default.stories)} != {len(ours.stories)} stories")
            continue
        for index, (a, b) in enumerate(zip(default.stories, ours.stories, strict=True)):
            compared += 1
            for field in fields(a):
                left, right = getattr(a, field.name), getattr(b, field.name)
                if left != right:
                    report.append(f"{name} #{index} {field.name}: {left!r} != {right!r}")
    return compared, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "corpus",
        nargs="?",
        type=Path,
        default=Path(os.environ.get("VIGIE_FEED_CORPUS") or "/work/shared/feeds-corpus"),
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    files = corpus_files(args.corpus)
    size = sum(len(body) for _, body in files)
    print(f"corpus: {args.corpus} ({len(files)} files, {size / 1e6:.1f} MB)")
    print(f"default: {DEFAULT_OPTIONS}\nvigie:   {FEEDPARSER_OPTIONS}")

    totals = time_both(files, args.repeat)
    default, ours = statistics.median(totals["default"]), statistics.median(totals["vigie"])
    print(f"median over {args.repeat} repetitions: default {default:.3f}s, vigie {ours:.3f}s")
    print(f"ratio default/vigie: {default / ours:.2f}x (vigie takes {ours / default:.0%})")

    compared, report = differences(files)
    print(f"stored fields compared for {compared} stories: {len(report)} differences")
    for line in report:
        print("  " + line)
    return 1 if report else 0


if __name__ == "__main__":
    sys.exit(main())
