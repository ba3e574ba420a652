"""The query engine: free text -> terms -> stories. Used by `latest` on the command line and `/latest`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.query import Query, QueryParser, Term, TermKind
from storage.search import Clause, Condition, Hit, search

MAX_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Results:
    query: Query
    hits: tuple[Hit, ...]
    next_cursor: tuple[datetime, int] | None


def condition(term: Term) -> Condition:
    """The storage condition a query term stands for."""
    if term.kind is TermKind.ENTITY:
        return Condition("entities", ids=term.ids)
    if term.kind is TermKind.TOPIC:
        return Condition("topics", ids=term.ids)
    return Condition("keyword", keyword=term.keyword)


def plan(query: Query) -> tuple[list[Clause], list[Condition]]:
    """Clauses (all required, each any of its conditions) and exclusions for storage."""
    clauses: list[Clause] = [[condition(t) for t in clause] for clause in query.clauses]
    return clauses, [condition(t) for t in query.excluded]


def find(
    session: Session,
    parser: QueryParser,
    text: str,
    *,
    limit: int = 5,
    before: tuple[datetime, int] | None = None,
    shown: Collection[int] = (),
) -> Results:
    """The newest events matching `text`, and how the text was understood.

    Paging: `before` is the previous page's `next_cursor`, `shown` the events pages showed.
    """
    query = parser.parse(text)
    if query.empty:
        return Results(query, (), None)
    clauses, excluded = plan(query)
    limit = max(1, min(limit, MAX_LIMIT))
    page = search(session, clauses, excluded, limit=limit, before=before, shown=shown)
    if not page.hits:
        query = parser.with_suggestions(query)
    return Results(query, page.hits, page.next_cursor)
