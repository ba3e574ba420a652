"""Measure the query engine's latency (`latest`) on 10 000 and 1 000 000 stored stories.

Usage:
    .venv/bin/python -m bench.latest [--regenerate] [--sizes 10000 1000000] [--reps 30]
                                     [--workdir /tmp/vigie-bench] [--postgres URL]

Generates SQLite databases of synthetic stories straight through the storage layer (cached in
the work directory; `--regenerate` rebuilds them): ~200 feeds, events reported by 1-6 feeds each,
0-4 entity mentions per story drawn from a Zipf law over the catalog's entities (Putin, Russia
and the US in 5-10% of stories, most entities rare), ~0.2% of stories naming both Putin and Kim
Jong-un, published over two years, with titles and summaries indexed by the FTS5 triggers.
`insert_stories` goes story by story (a clustering look-up each), so its rate is measured on a
small sample and the databases are filled with bulk Core inserts into the same tables.

Then runs `bot.search.find` with the real catalog's `QueryParser` for a set of queries, the
newest 5 and 20, and prints the median and p90 of `--reps` runs after warm-up at each size, the
ratio of the largest size to the smallest, and EXPLAIN QUERY PLAN of the statements "kim putin"
runs at the largest size. `--postgres URL` repeats the smallest size on PostgreSQL in a private
schema that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, func, insert, select, text
from sqlmodel import Session

from bot.catalog import load_catalog
from bot.entities import Catalog, Kind
from bot.model import ParsedStory
from bot.query import QueryParser
from bot.search import find
from storage.db import make_engine, session, upgrade
from storage.stories import IncomingStory, StoryMatches, insert_stories
from storage.tables import Cluster, Feed, Mention, Story, TopicMatch

VERSION = 1  # bump when the generator changes: cached databases are named after it
SEED = 20251201
NOW = datetime(2025, 12, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
FEEDS = 200
ZIPF_S = 0.75  # entity popularity ~ 1 / rank**s over ~480 entities
MENTION_COUNTS = (0, 1, 2, 3, 4)
MENTION_WEIGHTS = (15, 30, 30, 15, 10)
PAIR = ("vladimir-putin", "kim-jong-un")
PAIR_RATE = 0.0012  # forced co-mentions, on top of chance ones (~0.1%)
# The head of the ranking (most mentioned first); the rest of the catalog follows, shuffled.
HEAD = ["vladimir-putin", "country:RU", "country:US", "country:UA", "donald-trump"]
HEAD += ["volodymyr-zelensky", "country:CN", "country:IL", "european-union", "nato"]
PLACED = {"kim-jong-un": 30, "country:KP": 20, "valerii-zaluzhnyi": 420}  # id -> rank
EVENT_SIZES = (1, 2, 3, 4, 6)  # feeds reporting one event
EVENT_WEIGHTS = (60, 20, 10, 6, 4)
TOPIC_RULES = [  # topic -> entity sets, one id of each set present
    ("topic:russia-north-korea-arms", ({"vladimir-putin", "country:RU"}, {"kim-jong-un", "country:KP"})),
    ("topic:ukraine-war-peace-talks", ({"country:UA", "volodymyr-zelensky"}, {"country:RU"})),
    ("topic:us-china-trade", ({"country:US"}, {"country:CN"})),
    ("topic:iran-nuclear", ({"country:IR"},)),
]
NEWS_WORDS = "says warns talks minister president officials report attack deal troops border "
NEWS_WORDS += "ceasefire sanctions summit election drone strike nuclear army parliament protest "
NEWS_WORDS += "economy oil gas energy vote court agreement military forces war peace crisis aid"
SYLLABLES = "ka lo mi ne ra to su vi de pa gor lin tek bas mor rin sta vel dun har jo zu fen".split()
CHUNK = 25_000  # stories per bulk transaction

QUERIES = [
    ("kim putin", "two entities, rare intersection"),
    ("putin", "one frequent entity"),
    ('"north korea" missiles', "entity + keyword"),
    ("zaluzhnyi", "one rare entity"),
    ("putin -trump", "with an exclusion"),
    ("ceasefire", "keyword only"),
    ("putin", "page 2 (cursor)"),
]
LIMITS = (5, 20)
COUNTED = ["vladimir-putin", "country:RU", "country:US", "donald-trump", "kim-jong-un"]
COUNTED += ["country:KP", "valerii-zaluzhnyi"]
ENTITY_COUNT = "SELECT count(*) FROM mentions WHERE entity_id = :v"
PAIR_COUNT = (
    "SELECT count(*) FROM mentions a JOIN mentions b ON a.story_id = b.story_id "
    "WHERE a.entity_id = 'vladimir-putin' AND b.entity_id = 'kim-jong-un'"
)
WORD_COUNT = "SELECT count(*) FROM stories_fts WHERE stories_fts MATCH :v"


@dataclass(slots=True)
class Draft:
    """One generated story, before storage assigns it an id."""

    feed_id: int
    event: int
    title: str
    summary: str
    published: datetime
    first_seen: datetime
    entities: dict[str, bool]
    topics: frozenset[str]


@dataclass(slots=True)
class Corpus:
    """How stories are drawn: entities by Zipf rank, words by Zipf rank, feeds by volume."""

    catalog: Catalog
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    ranking: list[str] = field(default_factory=list)
    entity_cum: list[float] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    word_cum: list[float] = field(default_factory=list)
    feed_cum: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        rest = sorted(
            e.id
            for e in self.catalog.entities.values()
            if e.kind is not Kind.KEYWORD and e.id not in HEAD and e.id not in PLACED
        )
        self.rng.shuffle(rest)
        self.ranking = HEAD + rest
        for entity_id, rank in sorted(PLACED.items(), key=lambda p: p[1]):
            self.ranking.insert(rank - 1, entity_id)
        self.entity_cum = _cumulative(len(self.ranking), ZIPF_S)
        news = NEWS_WORDS.split()
        made = {"".join(self.rng.choices(SYLLABLES, k=self.rng.randint(2, 4))) for _ in range(6000)}
        self.words = [w for pair in zip(news, sorted(made)[: len(news)], strict=True) for w in pair]
        self.words += sorted(made)[len(news) :]
        self.word_cum = _cumulative(len(self.words), 1.0)
        self.feed_cum = _cumulative(FEEDS, 0.8)

    def entities(self) -> dict[str, bool]:
        rng = self.rng
        n = rng.choices(MENTION_COUNTS, MENTION_WEIGHTS)[0]
        ids = dict.fromkeys(rng.choices(self.ranking, cum_weights=self.entity_cum, k=n))
        if rng.random() < PAIR_RATE:
            ids.update(dict.fromkeys(PAIR))
        return {e: rng.random() < 0.5 for e in ids}

    def text(self, entities: dict[str, bool]) -> tuple[str, str]:
        """A title naming the entities flagged as in it, and a summary."""
        rng = self.rng
        names = [self.catalog.entities[e].name("en") for e, in_title in entities.items() if in_title]
        words = rng.choices(self.words, cum_weights=self.word_cum, k=rng.randint(4, 8))
        if "country:KP" in entities and rng.random() < 0.3:
            words.append("missiles")
        elif rng.random() < 0.005:
            words.append("missiles")
        title = " ".join(names + words).capitalize()
        summary = " ".join(rng.choices(self.words, cum_weights=self.word_cum, k=rng.randint(15, 35)))
        return title, summary + "."

    def drafts(self, size: int) -> Iterator[Draft]:
        """`size` stories in order of arrival, events spread evenly over SPAN before NOW."""
        rng = self.rng
        mean_event = sum(s * w for s, w in zip(EVENT_SIZES, EVENT_WEIGHTS, strict=True))
        mean_gap = SPAN.total_seconds() * sum(EVENT_WEIGHTS) / mean_event / size
        when, made, event = NOW - SPAN, 0, 0
        while made < size:
            event += 1
            when += timedelta(seconds=rng.expovariate(1 / mean_gap))
            entities = self.entities()
            topics = frozenset(t for t, sets in TOPIC_RULES if all(s & entities.keys() for s in sets))
            title, summary = self.text(entities)
            reporters = rng.choices(EVENT_SIZES, EVENT_WEIGHTS)[0]
            feeds = dict.fromkeys(rng.choices(range(1, FEEDS + 1), cum_weights=self.feed_cum, k=reporters))
            for feed_id in list(feeds)[: size - made]:
                published = min(when + timedelta(minutes=rng.randint(0, 360)), NOW)
                seen = min(published + timedelta(minutes=rng.randint(1, 30)), NOW)
                yield Draft(feed_id, event, title, summary, published, seen, entities, topics)
                made += 1


def _cumulative(n: int, s: float) -> list[float]:
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += rank**-s
        out.append(total)
    return out


def _title_key(title: str) -> str:
    return " ".join(title.lower().split())[:400]


def _add_feeds(session_: Session) -> None:
    session_.add_all(
        Feed(id=i, url=f"https://feed{i}.example.org/rss", title=f"Feed {i}", created_at=NOW - SPAN)
        for i in range(1, FEEDS + 1)
    )
    session_.commit()


def bulk_generate(engine: Engine, corpus: Corpus, size: int) -> None:
    """Fill a migrated database with `size` stories by Core inserts, CHUNK stories a transaction."""
    with session(engine) as s:
        _add_feeds(s)
    stories, mentions, topics, clusters = [], [], [], []
    last_event, story_id = 0, 0

    def flush(connection: Connection) -> None:
        for table, rows in ((Cluster, clusters), (Story, stories), (Mention, mentions), (TopicMatch, topics)):
            if rows:
                connection.execute(insert(table), rows)
                rows.clear()

    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA synchronous=OFF")  # generation only: a crash means --regenerate
        connection.exec_driver_sql("PRAGMA cache_size=-400000")
        for draft in corpus.drafts(size):
            story_id += 1
            if draft.event != last_event:
                last_event = draft.event
                clusters.append({"id": draft.event, "created_at": draft.first_seen})
            stories.append(
                {
                    "id": story_id,
                    "feed_id": draft.feed_id,
                    "dedup_key": f"g:{draft.feed_id}/{story_id}",
                    "guid": f"{draft.feed_id}/{story_id}",
                    "link": f"https://feed{draft.feed_id}.example.org/{story_id}",
                    "title": draft.title,
                    "summary": draft.summary,
                    "language": "en",
                    "title_key": _title_key(draft.title),
                    "published_at": draft.published,
                    "first_seen_at": draft.first_seen,
                    "cluster_id": draft.event,
                }
            )
            mentions += [
                {"story_id": story_id, "entity_id": e, "in_title": t, "published_at": draft.published}
                for e, t in draft.entities.items()
            ]
            topics += [
                {"story_id": story_id, "topic_id": t, "published_at": draft.published}
                for t in sorted(draft.topics)
            ]
            if len(stories) >= CHUNK:
                flush(connection)
                connection.commit()
        flush(connection)
        connection.commit()
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def insert_rate(workdir: Path, corpus: Corpus, count: int = 2000) -> float:
    """Stories per second through `insert_stories`, a feed's poll (50 stories) per call."""
    path = workdir / "insert-rate.db"
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    drafts = list(corpus.drafts(count))
    with session(engine) as s:
        _add_feeds(s)
        started = time.perf_counter()
        for start in range(0, count, 50):
            batch = drafts[start : start + 50]
            incoming = [
                IncomingStory(
                    ParsedStory(f"{i}", f"https://x.example/{i}", d.title, d.summary, d.published, "en"),
                    _title_key(d.title),
                    StoryMatches(d.entities, d.topics),
                )
                for i, d in enumerate(batch, start)
            ]
            insert_stories(s, batch[0].feed_id, incoming, batch[-1].first_seen)
        elapsed = time.perf_counter() - started
    engine.dispose()
    path.unlink()
    return count / elapsed


def database(workdir: Path, size: int, catalog: Catalog, regenerate: bool) -> tuple[Engine, float | None]:
    """An engine on the cached database of `size` stories; the seconds generation took, if it ran."""
    path = workdir / f"stories-{size}-v{VERSION}.db"
    done = path.with_suffix(".done")
    if regenerate or not done.exists():
        done.unlink(missing_ok=True)
        for stale in workdir.glob(path.name + "*"):
            stale.unlink()
        engine = make_engine(f"sqlite:///{path}")
        started = time.perf_counter()
        upgrade(engine)
        bulk_generate(engine, Corpus(catalog), size)
        elapsed = time.perf_counter() - started
        done.write_text(f"{elapsed:.1f}\n")
        return engine, elapsed
    return make_engine(f"sqlite:///{path}"), None


def describe_data(engine: Engine) -> str:
    """How often the entities and words the queries ask for occur."""
    with engine.connect() as c:
        total = c.scalar(select(func.count()).select_from(Story)) or 1
        clusters = c.scalar(select(func.count()).select_from(Cluster))

        def share(sql: str, value: str = "") -> str:
            n = c.scalar(text(sql), {"v": value}) or 0
            return f"{n} ({100 * n / total:.2f}%)"

        shares = [f"{e} {share(ENTITY_COUNT, e)}" for e in COUNTED]
        shares.append(f"putin+kim {share(PAIR_COUNT)}")
        shares += [f"'{w}' {share(WORD_COUNT, w)}" for w in ("missiles", "ceasefire")]
    return f"{total} stories, {clusters} events; " + ", ".join(shares)


@dataclass(frozen=True, slots=True)
class Timing:
    median_ms: float
    p90_ms: float
    hits: int
    statements: int


def measure(engine: Engine, parser: QueryParser, query: str, limit: int, page2: bool, reps: int) -> Timing:
    """Median and p90 of `reps` calls of `find` after three warm-up calls."""
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    with session(engine) as s:
        before = None
        if page2:
            before = find(s, parser, query, limit=limit).next_cursor
            assert before is not None
        for _ in range(3):
            hits = len(find(s, parser, query, limit=limit, before=before).hits)
        event.listen(engine, "before_cursor_execute", count)
        find(s, parser, query, limit=limit, before=before)
        event.remove(engine, "before_cursor_execute", count)
        times = []
        for _ in range(reps):
            started = time.perf_counter()
            find(s, parser, query, limit=limit, before=before)
            times.append((time.perf_counter() - started) * 1000)
    deciles = statistics.quantiles(times, n=10)
    return Timing(statistics.median(times), deciles[-1], hits, statements[0])


def query_plans(engine: Engine, parser: QueryParser, query: str) -> list[str]:
    """EXPLAIN QUERY PLAN of every distinct statement `find(query)` runs that walks an index."""
    seen: dict[str, Any] = {}

    def capture(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "ORDER BY" in statement and "stories_fts" not in statement[:40]:
            seen.setdefault(statement, parameters)

    event.listen(engine, "before_cursor_execute", capture)
    with session(engine) as s:
        find(s, parser, query, limit=5)
    event.remove(engine, "before_cursor_execute", capture)
    lines = []
    with engine.connect() as c:
        for statement, parameters in seen.items():
            if "published_at DESC" not in statement:
                continue  # the hydration queries (by primary key) are not the walk
            lines.append(statement)
            lines.append(f"  parameters: {parameters}")
            for row in c.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters):
                lines.append(f"  {'  ' * 0}{row[0]:>3} {row[1]:>3} {row[3]}")
    return lines


def run_size(engine: Engine, parser: QueryParser, reps: int) -> dict[tuple[str, str, int], Timing]:
    results = {}
    for query, label in QUERIES:
        for limit in LIMITS:
            results[query, label, limit] = measure(engine, parser, query, limit, label.startswith("page"), reps)
    return results


def print_table(sizes: Sequence[int], results: dict[int, dict[tuple[str, str, int], Timing]]) -> None:
    small, large = sizes[0], sizes[-1]
    head = f"{'query':<26}{'what':<32}{'n':>3}"
    for size in sizes:
        head += f" | {f'{size:,} med':>14}{'p90':>8}{'hits':>5}{'sql':>5}"
    if len(sizes) > 1:
        head += f" | {'ratio med':>9}"
    print(head)
    print("-" * len(head))
    for key in results[small]:
        query, label, limit = key
        line = f"{query:<26}{label:<32}{limit:>3}"
        for size in sizes:
            t = results[size][key]
            line += f" | {t.median_ms:>11.2f} ms{t.p90_ms:>8.2f}{t.hits:>5}{t.statements:>5}"
        if len(sizes) > 1:
            line += f" | {results[large][key].median_ms / results[small][key].median_ms:>9.1f}"
        print(line)


def postgres_run(url: str, workdir: Path, catalog: Catalog, parser: QueryParser, size: int, reps: int) -> None:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        engine = make_engine(url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}")
        upgrade(engine)
        started = time.perf_counter()
        bulk_generate(engine, Corpus(catalog), size)
        print(f"PostgreSQL: generated {size} stories in {time.perf_counter() - started:.1f} s")
        print_table([size], {size: run_size(engine, parser, reps)})
        engine.dispose()
    finally:
        with admin.begin() as c:
            c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def main() -> None:
    parser_ = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser_.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser_.add_argument("--reps", type=int, default=30)
    parser_.add_argument("--workdir", type=Path, default=Path("/tmp/vigie-bench"))
    parser_.add_argument("--regenerate", action="store_true")
    parser_.add_argument("--postgres", help="e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser_.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = sorted(args.sizes)
    catalog = load_catalog()
    parser = QueryParser(catalog)
    rate = insert_rate(args.workdir, Corpus(catalog))
    print(f"insert_stories: {rate:.0f} stories/s on a fresh database (1M would take ~{1e6 / rate / 60:.0f} min); bulk Core inserts instead")
    results = {}
    for size in sizes:
        engine, generated = database(args.workdir, size, catalog, args.regenerate)
        made = f"generated in {generated:.1f} s" if generated is not None else "cached"
        print(f"\n{size:,} stories ({made}): {describe_data(engine)}")
        results[size] = run_size(engine, parser, args.reps)
        if size == sizes[-1]:
            print(f"\nEXPLAIN QUERY PLAN of the walk of 'kim putin' at {size:,}:")
            print("\n".join(query_plans(engine, parser, "kim putin")))
        engine.dispose()
    print(f"\nfind() latency, {args.reps} runs after 3 warm-up runs (n = limit, sql = statements per call):")
    print_table(sizes, results)
    if args.postgres:
        print()
        postgres_run(args.postgres, args.workdir, catalog, parser, sizes[0], args.reps)


if __name__ == "__main__":
    main()
