"""Measure the matcher: catalog load, automaton build, and stories matched per second.

Usage:
    .venv/bin/python -m bench.matching [--runs R] [--corpus DIR]

Stories are the titles and summaries of every entry feedparser reads from the feed corpus
(DIR, else $VIGIE_FEED_CORPUS, else /work/shared/feeds-corpus), read in place; summaries are
turned into plain text as ingestion does. Matching runs on one core over all stories, R times
(default 5), with the bundled catalog and with a catalog ten times larger (each alias plus nine
made-up copies: same script, same length, letters shifted), and prints the medians and the
ratio. A ratio near 1 means cost grows with the text, not the catalog.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import feedparser

from bot.catalog import load_catalog
from bot.entities import Alias, Catalog, Entity
from bot.matching import Matcher
from bot.normalize import normalize_with_map
from bot.scripts import script_of
from bot.text import html_to_text

FEED_SUFFIXES = {".xml", ".rss", ".atom", ".rdf"}


def corpus_dir(given: str | None) -> Path:
    return Path(given or os.environ.get("VIGIE_FEED_CORPUS") or "/work/shared/feeds-corpus")


def load_stories(root: Path) -> list[tuple[str, str]]:
    """(title, plain-text summary) for every entry of every feed file under `root`."""
    stories = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in FEED_SUFFIXES or not path.is_file():
            continue
        parsed = feedparser.parse(path.read_bytes())
        for entry in parsed.entries:
            title = html_to_text(entry.get("title", "") or "", 500)
            summary = html_to_text(entry.get("summary", "") or "", 1000)
            if title or summary:
                stories.append((title, summary))
    return stories


def _shift(text: str, k: int) -> str:
    """`text` with each letter moved k code points on, when that stays a letter of its script."""
    out = []
    for ch in text:
        moved = chr(ord(ch) + k) if ch.isalpha() and ord(ch) + k < 0x110000 else ch
        same = moved.isalpha() and script_of(moved) == script_of(ch)
        out.append(moved if same and moved.isupper() == ch.isupper() else ch)
    return "".join(out)


def tenfold(catalog: Catalog) -> Catalog:
    """The catalog plus nine made-up copies of every entity and alias (ids and texts distinct)."""
    entities: dict[str, Entity] = dict(catalog.entities)
    for copy in range(1, 10):
        for entity in catalog.entities.values():
            aliases = tuple(
                Alias(_shift(a.text, copy), a.lang, a.case_sensitive, a.weak, a.context)
                for a in entity.aliases
            )
            new_id = f"{entity.id}-copy{copy}"
            entities[new_id] = Entity(new_id, entity.kind, entity.names, aliases)
    return Catalog(entities=entities, topics=catalog.topics)


def timed(function: Callable[[], object], runs: int) -> tuple[float, object]:
    """The median wall time of `runs` calls, and the last call's result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def throughput(matcher: Matcher, stories: list[tuple[str, str]], runs: int) -> tuple[float, int]:
    """(median stories per second, mentions found) matching every story once per run."""

    def match_all() -> int:
        return sum(len(matcher.match(title, summary).mentions) for title, summary in stories)

    seconds, mentions = timed(match_all, runs)
    assert isinstance(mentions, int)
    return len(stories) / seconds, mentions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", default=None)
    args = parser.parse_args()

    root = corpus_dir(args.corpus)
    stories = load_stories(root)
    chars = sum(len(t) + len(s) for t, s in stories)
    print(f"corpus: {root}: {len(stories)} stories, {chars / max(len(stories), 1):.0f} chars each")

    load_time, catalog = timed(load_catalog, args.runs)
    assert isinstance(catalog, Catalog)
    aliases = sum(len(e.aliases) for e in catalog.entities.values())
    print(f"catalog load: {load_time * 1000:.0f} ms median ({len(catalog.entities)} entities, "
          f"{aliases} aliases, {len(catalog.topics)} topics)")  # fmt: skip

    build_time, matcher = timed(lambda: Matcher(catalog), args.runs)
    assert isinstance(matcher, Matcher)
    print(f"automaton build: {build_time * 1000:.0f} ms median ({matcher.size} keys)")

    norm_time, _ = timed(lambda: [normalize_with_map(t + " " + s) for t, s in stories], args.runs)
    print(f"normalisation alone: {len(stories) / norm_time:.0f} stories/s")

    rate, mentions = throughput(matcher, stories, args.runs)
    print(f"matching, bundled catalog: {rate:.0f} stories/s median ({mentions} mentions)")

    big = tenfold(catalog)
    big_build, big_matcher = timed(lambda: Matcher(big), 1)
    assert isinstance(big_matcher, Matcher)
    print(f"10x catalog: {len(big.entities)} entities, automaton build {big_build:.1f} s "
          f"({big_matcher.size} keys)")  # fmt: skip
    big_rate, big_mentions = throughput(big_matcher, stories, args.runs)
    print(f"matching, 10x catalog: {big_rate:.0f} stories/s median ({big_mentions} mentions)")
    print(f"ratio bundled/10x: {rate / big_rate:.2f}")


if __name__ == "__main__":
    main()
