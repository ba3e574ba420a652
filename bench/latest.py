"""Measure the query engine's latency (`latest`) on 10 000 and 1 000 000 stored stories.

Usage:
    .venv/bin/python -m bench.latest [--regenerate] [--sizes 10000 1000000] [--reps 30]
                                     [--workdir /tmp/vigie-bench] [--postgres URL]

Generates SQLite databases of synthetic stories straight through the storage layer, cached in
the work directory (`--regenerate` rebuilds them): 200 feeds; events reported by 1-6 feeds
each (one cluster); 0-4 entity mentions per story drawn from a Zipf law over the catalog's
entities (Putin, Russia and the US in 5-11% of stories, most entities rare); ~0.2% of stories
naming both Putin and Kim Jong-un; keyword groups (term:...) mentioned wherever their words
appear, as the matcher stores them; published over two years; titles and summaries indexed by
the FTS5 triggers. `insert_stories` clusters story by story (~500 stories/s, so 1M would take
half an hour): its rate is measured on a sample, and the databases are filled by bulk Core
inserts into the same tables (1M in about two minutes).

Then runs `bot.search.find`, with the parser `bot.app` builds (catalog and matcher), on each of
QUERIES for the newest 5 and 20, and prints the median and p90 of `--reps` calls after three
warm-up calls at each size, the ratio of the largest size's median to the smallest's, the SQL
statements each call runs, how many hits break the query (an entity missing, an excluded one
present), EXPLAIN QUERY PLAN of the "kim putin" walk at the largest size, and there each keyword
query with its keywords checked each way (sort, walk, probe) beside the way the plan chose.
`--postgres URL` repeats the smallest size on PostgreSQL in a private schema dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, insert, select, text

from bot.catalog import load_catalog
from bot.entities import Catalog, Kind
from bot.matching import Matcher
from bot.model import ParsedStory
from bot.normalize import normalize
from bot.query import Query, QueryParser, TermKind
from bot.search import find, plan
from storage.db import make_engine, session, upgrade
from storage.search import Hit, KeywordStrategy, search
from storage.stories import IncomingStory, StoryMatches, insert_stories
from storage.tables import Cluster, Feed, Mention, Story, TopicMatch

VERSION = 3  # bump when the generator changes: cached databases carry it in their name
NOW = datetime(2025, 12, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
FEEDS = 200
CHUNK = 25_000  # stories per bulk transaction
MENTIONS = ((0, 1, 2, 3, 4), (15, 30, 30, 15, 10))  # mentions per story, weights
EVENT_FEEDS = ((1, 2, 3, 4, 6), (60, 20, 10, 6, 4))  # feeds reporting one event, weights
PAIR, PAIR_RATE = ("vladimir-putin", "kim-jong-un"), 0.0012  # forced, beside chance ones
# Word lists read best as text (SIM905 would spread each over 30 lines).
# Most mentioned first; rank**-0.75 over the ~480 catalog entities. The rest follow shuffled.
HEAD = "vladimir-putin country:RU country:US country:UA donald-trump volodymyr-zelensky country:CN country:IL european-union nato".split()  # noqa: SIM905
PLACED = {"country:KP": 20, "kim-jong-un": 30, "kim-yo-jong": 80, "kim-ju-ae": 200}
PLACED["valerii-zaluzhnyi"] = 420
TOPICS = [  # a topic matches when the story names one entity of each set
    ("topic:russia-north-korea-arms", ({"vladimir-putin", "country:RU"}, {"kim-jong-un"})),
    ("topic:ukraine-war-peace-talks", ({"country:UA", "volodymyr-zelensky"}, {"country:RU"})),
    ("topic:us-china-trade", ({"country:US"}, {"country:CN"})),
]
NEWS = """says warns talks minister president officials report attack deal troops border ceasefire
sanctions summit election drone strike nuclear army parliament protest economy oil gas energy vote
court agreement military forces war peace crisis aid""".split()  # noqa: SIM905
SYLLABLES = "ka lo mi ne ra to su vi de pa gor lin tek bas mor rin sta vel dun har jo zu".split()  # noqa: SIM905
COUNTED = "vladimir-putin country:RU country:US donald-trump kim-jong-un kim-yo-jong country:KP valerii-zaluzhnyi term:arms term:ceasefire".split()  # noqa: SIM905
RARE_WORD, RARE_RATE = "referendum", 0.002  # a word no entity names, in 0.2% of summaries
ENTITY_COUNT = "SELECT count(*) FROM mentions WHERE entity_id = :e"
PAIR_COUNT = """SELECT count(*) FROM mentions a JOIN mentions b ON a.story_id = b.story_id
    WHERE a.entity_id = 'vladimir-putin' AND b.entity_id = 'kim-jong-un'"""
WORD_COUNT = "SELECT count(*) FROM stories_fts WHERE stories_fts MATCH :w"
QUERIES = [  # (text, what it exercises, second page)
    ("kim putin", "two entities, rare together", False),
    ("putin", "one frequent entity", False),
    ('"north korea" missiles', "entity + keyword", False),
    ("zaluzhnyi", "one rare entity", False),
    ("putin -trump", "an exclusion", False),
    ("election", "keyword only, common", False),
    (RARE_WORD, "keyword only, rare", False),
    ("putin election", "entity + keyword", False),
    ("putin", "second page (cursor)", True),
]


def _cumulative(n: int, s: float) -> list[float]:
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += rank**-s
        out.append(total)
    return out


@dataclass(slots=True)
class Draft:
    """One generated story; its event becomes its cluster."""

    feed_id: int
    event: int
    title: str
    summary: str
    published: datetime
    first_seen: datetime
    entities: dict[str, bool]  # entity id -> named in the title
    topics: frozenset[str]


class Corpus:
    """Draws stories: entities and words by Zipf rank, feeds by volume, from a fixed seed."""

    def __init__(self, catalog: Catalog, seed: int = 20251201) -> None:
        self.catalog, self.rng = catalog, random.Random(seed)
        kinds = [e.id for e in catalog.entities.values() if e.kind is not Kind.KEYWORD]
        rest = sorted(set(kinds) - set(HEAD) - set(PLACED))
        self.rng.shuffle(rest)
        self.ranking = HEAD + rest
        for entity_id, rank in sorted(PLACED.items(), key=lambda p: p[1]):
            self.ranking.insert(rank - 1, entity_id)
        self.entity_cum = _cumulative(len(self.ranking), 0.75)
        made = sorted(
            {"".join(self.rng.choices(SYLLABLES, k=self.rng.randint(2, 4))) for _ in range(6000)}
        )
        self.words = [w for pair in zip(NEWS, made, strict=False) for w in pair] + made[len(NEWS) :]
        self.word_cum = _cumulative(len(self.words), 1.0)
        self.feed_cum = _cumulative(FEEDS, 0.8)
        # The matcher stores keyword groups as mentions of term:... entities; one word each here.
        self.terms = {
            normalize(alias.text): e.id
            for e in catalog.entities.values()
            if e.kind is Kind.KEYWORD
            for alias in e.aliases
            if " " not in normalize(alias.text)
        }

    def _entities(self) -> dict[str, bool]:
        n = self.rng.choices(*MENTIONS)[0]
        ids = dict.fromkeys(self.rng.choices(self.ranking, cum_weights=self.entity_cum, k=n))
        if self.rng.random() < PAIR_RATE:
            ids.update(dict.fromkeys(PAIR))
        return {e: self.rng.random() < 0.5 for e in ids}

    def _text(self, entities: dict[str, bool]) -> tuple[str, str, dict[str, bool]]:
        """A title naming the entities flagged as in it, a summary, and the keyword groups found."""
        rng, entity = self.rng, self.catalog.entities
        words = rng.choices(self.words, cum_weights=self.word_cum, k=rng.randint(4, 8))
        if rng.random() < (0.3 if "country:KP" in entities else 0.005):
            words.append("missiles")
        names = [entity[e].name("en") for e, in_title in entities.items() if in_title]
        summary = rng.choices(self.words, cum_weights=self.word_cum, k=rng.randint(15, 35))
        if rng.random() < RARE_RATE:
            summary.append(RARE_WORD)
        terms = {self.terms[w]: False for w in summary if w in self.terms}
        terms.update({self.terms[w]: True for w in words if w in self.terms})
        return " ".join(names + words).capitalize(), " ".join(summary) + ".", terms

    def drafts(self, size: int) -> Iterator[Draft]:
        """`size` stories in order of arrival, their events spread evenly over SPAN before NOW."""
        rng = self.rng
        per_event = sum(s * w for s, w in zip(*EVENT_FEEDS, strict=True)) / sum(EVENT_FEEDS[1])
        mean_gap = SPAN.total_seconds() * per_event / size
        when, made, event = NOW - SPAN, 0, 0
        while made < size:
            event += 1
            when += timedelta(seconds=rng.expovariate(1 / mean_gap))
            entities = self._entities()
            topics = frozenset(t for t, sets in TOPICS if all(s & entities.keys() for s in sets))
            title, summary, terms = self._text(entities)
            entities.update(terms)
            k = rng.choices(*EVENT_FEEDS)[0]
            feeds = dict.fromkeys(rng.choices(range(1, FEEDS + 1), cum_weights=self.feed_cum, k=k))
            for feed_id in list(feeds)[: size - made]:
                published = min(when + timedelta(minutes=rng.randint(0, 360)), NOW)
                seen = min(published + timedelta(minutes=rng.randint(1, 30)), NOW)
                yield Draft(feed_id, event, title, summary, published, seen, entities, topics)
                made += 1


def _title_key(title: str) -> str:
    return " ".join(title.lower().split())[:400]


def _add_feeds(engine: Engine) -> None:
    with session(engine) as s:
        s.add_all(
            Feed(
                id=i,
                url=f"https://feed{i}.example.org/rss",
                title=f"Feed {i}",
                created_at=NOW - SPAN,
            )
            for i in range(1, FEEDS + 1)
        )
        s.commit()


def bulk_generate(engine: Engine, corpus: Corpus, size: int) -> None:
    """Fill a migrated, empty database with `size` stories by Core inserts, CHUNK per transaction."""
    _add_feeds(engine)
    rows: dict[Any, list[dict[str, Any]]] = {Cluster: [], Story: [], Mention: [], TopicMatch: []}
    last_event = 0
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":  # generation only: a crash just means --regenerate
            c.exec_driver_sql("PRAGMA synchronous=OFF")
            c.exec_driver_sql("PRAGMA cache_size=-400000")
        for story_id, d in enumerate(corpus.drafts(size), 1):
            if d.event != last_event:
                last_event = d.event
                rows[Cluster].append({"id": d.event, "created_at": d.first_seen})
            rows[Story].append(
                {
                    "id": story_id,
                    "feed_id": d.feed_id,
                    "dedup_key": f"g:{d.feed_id}/{story_id}",
                    "guid": f"{d.feed_id}/{story_id}",
                    "link": f"https://feed{d.feed_id}.example.org/{story_id}",
                    "title": d.title,
                    "summary": d.summary,
                    "language": "en",
                    "title_key": _title_key(d.title),
                    "published_at": d.published,
                    "first_seen_at": d.first_seen,
                    "cluster_id": d.event,
                }
            )
            for entity_id, in_title in d.entities.items():
                rows[Mention].append(
                    {
                        "story_id": story_id,
                        "entity_id": entity_id,
                        "in_title": in_title,
                        "published_at": d.published,
                    }
                )
            for topic_id in sorted(d.topics):
                rows[TopicMatch].append(
                    {"story_id": story_id, "topic_id": topic_id, "published_at": d.published}
                )
            if len(rows[Story]) >= CHUNK or story_id == size:
                for table, values in rows.items():
                    if values:
                        c.execute(insert(table), values)
                    values.clear()
                c.commit()
        if engine.dialect.name == "sqlite":
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def insert_rate(workdir: Path, catalog: Catalog, count: int = 2000) -> float:
    """Stories per second through `insert_stories` into a fresh database, 50 stories a call."""
    path = workdir / "insert-rate.db"
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    _add_feeds(engine)
    drafts = list(Corpus(catalog).drafts(count))
    with session(engine) as s:
        started = time.perf_counter()
        for start in range(0, count, 50):
            batch = [
                IncomingStory(
                    ParsedStory(
                        f"{i}", f"https://x.example/{i}", d.title, d.summary, d.published, "en"
                    ),
                    _title_key(d.title),
                    StoryMatches(d.entities, d.topics),
                )
                for i, d in enumerate(drafts[start : start + 50], start)
            ]
            insert_stories(s, drafts[start].feed_id, batch, drafts[start].first_seen)
        elapsed = time.perf_counter() - started
    engine.dispose()
    path.unlink()
    return count / elapsed


def database(workdir: Path, size: int, catalog: Catalog, regenerate: bool) -> tuple[Engine, str]:
    """An engine on the cached SQLite database of `size` stories, and how it was obtained."""
    path = workdir / f"stories-{size}-v{VERSION}.db"
    done = path.with_suffix(".done")  # written last: a half-built database is rebuilt
    if done.exists() and not regenerate:
        took = done.read_text().strip()
        return make_engine(f"sqlite:///{path}"), f"cached; generated in {took} s"
    done.unlink(missing_ok=True)
    for stale in workdir.glob(path.name + "*"):
        stale.unlink()
    engine = make_engine(f"sqlite:///{path}")
    started = time.perf_counter()
    upgrade(engine)
    bulk_generate(engine, Corpus(catalog), size)
    elapsed = f"{time.perf_counter() - started:.1f}"
    done.write_text(elapsed + "\n")
    return engine, f"generated in {elapsed} s"


def describe_data(engine: Engine) -> str:
    """How often the entities and words the queries ask for occur."""
    counts = [(e, ENTITY_COUNT, {"e": e}) for e in COUNTED] + [("putin+kim", PAIR_COUNT, {})]
    if engine.dialect.name == "sqlite":
        counts += [(f"'{w}'", WORD_COUNT, {"w": w}) for w in ("election", RARE_WORD)]
    with engine.connect() as c:
        total = c.scalar(select(func.count()).select_from(Story)) or 1
        events = c.scalar(select(func.count()).select_from(Cluster))
        shares = [(name, c.scalar(text(sql), values) or 0) for name, sql, values in counts]
    listed = ", ".join(f"{name} {n} ({100 * n / total:.2f}%)" for name, n in shares)
    return f"{total} stories, {events} events; {listed}"


def wrong(query: Query, hit: Hit) -> bool:
    """Whether a hit breaks its query: a clause unmet or an excluded term present."""
    words = f" {normalize(hit.title + ' ' + hit.summary)} "

    def meets(kind: TermKind, ids: frozenset[str], keyword: str) -> bool:
        if kind is TermKind.ENTITY:
            return bool(ids & set(hit.entity_ids))
        return kind is TermKind.TOPIC or f" {keyword} " in words  # topics are not in a Hit

    clauses = all(any(meets(t.kind, t.ids, t.keyword) for t in c) for c in query.clauses)
    return not clauses or any(
        meets(t.kind, t.ids, t.keyword) for t in query.excluded if t.kind is not TermKind.TOPIC
    )


@dataclass(frozen=True, slots=True)
class Timing:
    median_ms: float
    p90_ms: float
    hits: int
    wrong: int
    statements: int  # per call


def measure(
    engine: Engine, parser: QueryParser, query: str, limit: int, page2: bool, reps: int
) -> Timing:
    """Latency of `find(query)` over `reps` calls after three warm-up calls, and what it found."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    with session(engine) as s:
        before = find(s, parser, query, limit=limit).next_cursor if page2 else None
        for _ in range(3):
            results = find(s, parser, query, limit=limit, before=before)
        event.listen(engine, "before_cursor_execute", count)
        find(s, parser, query, limit=limit, before=before)
        event.remove(engine, "before_cursor_execute", count)
        times = []
        for _ in range(reps):
            started = time.perf_counter()
            find(s, parser, query, limit=limit, before=before)
            times.append((time.perf_counter() - started) * 1000)
    bad = sum(wrong(results.query, h) for h in results.hits)
    p90 = statistics.quantiles(times, n=10)[-1]
    return Timing(statistics.median(times), p90, len(results.hits), bad, len(statements))


KEYWORD_QUERIES = [
    RARE_WORD,
    "election",
    "president",
    "putin election",
    "putin -election",
    f"putin {RARE_WORD}",
]


def keyword_strategies(engine: Engine, parser: QueryParser, reps: int) -> list[str]:
    """Each keyword query with its keywords checked each way, and as planned: medians in ms.

    The ways alternate call by call, so the machine's noise falls on all of them alike.
    """
    strategies: list[KeywordStrategy] = ["sort", "walk", "probe", "plan"]
    lines = [f"{'query (limit 5)':<24}" + "".join(f"{name:>10}" for name in strategies)]
    with session(engine) as s:
        for query in KEYWORD_QUERIES:
            clauses, excluded = plan(parser.parse(query))
            times: dict[str, list[float]] = {name: [] for name in strategies}
            for rep in range(reps + 1):
                for name in strategies:
                    started = time.perf_counter()
                    search(s, clauses, excluded, limit=5, keywords=name)
                    if rep:  # the first round warms up
                        times[name].append((time.perf_counter() - started) * 1000)
            medians = "".join(f"{statistics.median(times[n]):>10.2f}" for n in strategies)
            lines.append(f"{query:<24}{medians}")
    return lines


def parse_ms(parser: QueryParser, query: str, reps: int) -> float:
    """Median time of parsing the query alone (part of every `find`, whatever the size)."""
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        parser.parse(query)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def walk_plans(engine: Engine, parser: QueryParser, query: str) -> list[str]:
    """EXPLAIN QUERY PLAN of each distinct walk statement (newest first) `find(query)` runs."""
    seen: dict[str, Any] = {}

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "published_at DESC" in statement:
            seen.setdefault(statement, parameters)

    event.listen(engine, "before_cursor_execute", capture)
    with session(engine) as s:
        find(s, parser, query, limit=5)
    event.remove(engine, "before_cursor_execute", capture)
    lines = []
    with engine.connect() as c:
        for statement, parameters in seen.items():
            lines += [" ".join(statement.split()), f"  parameters: {parameters}"]
            explained = c.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            lines += [f"  {row[0]:>3} {row[1]:>3}  {row[3]}" for row in explained]
    return lines


Results = dict[tuple[int, int], Timing]  # (query index, limit) -> timing


def measure_all(engine: Engine, parser: QueryParser, reps: int) -> Results:
    return {
        (i, limit): measure(engine, parser, query, limit, page2, reps)
        for i, (query, _, page2) in enumerate(QUERIES)
        for limit in (5, 20)
    }


def print_table(sizes: Sequence[int], results: dict[int, Results], parsing: list[float]) -> None:
    head = f"{'query':<24}{'what':<28}{'n':>3}{'parse':>7}"
    for size in sizes:
        head += f" | {f'{size:,}: median':>17}{'p90':>8}{'hits':>5}{'bad':>4}{'sql':>5}"
    head += f" | {'ratio':>6}" if len(sizes) > 1 else ""
    print(head + "\n" + "-" * len(head))
    for (i, limit), _ in results[sizes[0]].items():
        query, what, _ = QUERIES[i]
        line = f"{query:<24}{what:<28}{limit:>3}{parsing[i]:>7.2f}"
        for size in sizes:
            t = results[size][i, limit]
            line += f" | {t.median_ms:>14.2f} ms{t.p90_ms:>8.2f}{t.hits:>5}{t.wrong:>4}{t.statements:>5}"
        if len(sizes) > 1:
            line += f" | {results[sizes[-1]][i, limit].median_ms / results[sizes[0]][i, limit].median_ms:>6.1f}"
        print(line)


def postgres_results(
    url: str, catalog: Catalog, parser: QueryParser, size: int, reps: int
) -> Results:
    """The measurements on PostgreSQL, in a private schema dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        engine = make_engine(
            url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
        )
        started = time.perf_counter()
        upgrade(engine)
        bulk_generate(engine, Corpus(catalog), size)
        with engine.begin() as c:
            c.exec_driver_sql("ANALYZE")  # autovacuum would, a minute later
        print(f"PostgreSQL, {size:,} stories generated in {time.perf_counter() - started:.1f} s")
        results = measure_all(engine, parser, reps)
        engine.dispose()
    finally:
        with admin.begin() as c:
            c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
    return results


def main() -> None:
    options = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    options.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    options.add_argument("--reps", type=int, default=30)
    options.add_argument("--workdir", type=Path, default=Path("/tmp/vigie-bench"))
    options.add_argument("--regenerate", action="store_true")
    options.add_argument("--postgres", help="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = options.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = sorted(args.sizes)
    catalog = load_catalog()
    parser = QueryParser(catalog, Matcher(catalog))  # as bot.app.language builds it
    rate = insert_rate(args.workdir, catalog)
    print(
        f"insert_stories: {rate:.0f} stories/s into a fresh database (1M: ~{1e6 / rate / 60:.0f} min)"
    )
    results = {}
    for size in sizes:
        engine, how = database(args.workdir, size, catalog, args.regenerate)
        print(f"\n{size:,} stories ({how}): {describe_data(engine)}")
        results[size] = measure_all(engine, parser, args.reps)
        if size == sizes[-1]:
            print(f"\nEXPLAIN QUERY PLAN of the walk of 'kim putin' at {size:,} stories:")
            print("\n".join(walk_plans(engine, parser, "kim putin")))
            print(f"\nKeywords on SQLite at {size:,} stories, each way (ms, median):")
            print("\n".join(keyword_strategies(engine, parser, args.reps)))
        engine.dispose()
    parsing = [parse_ms(parser, query, args.reps) for query, _, _ in QUERIES]
    print(f"\nfind(), ms: median and p90 of {args.reps} calls after 3 warm-up calls; n = limit;")
    print(
        "parse = QueryParser.parse alone; bad = hits breaking the query; sql = statements per call"
    )
    print_table(sizes, results, parsing)
    if args.postgres:
        print()
        pg = postgres_results(args.postgres, catalog, parser, sizes[0], args.reps)
        print_table([sizes[0]], {sizes[0]: pg}, parsing)


if __name__ == "__main__":
    main()
