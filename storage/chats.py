"""Subscribers: chats, their settings, the topics they track, and what was already sent to them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.tables import Chat, Delivery, Feed, OutboxMessage, Story, Subscription

SETTABLE = frozenset({"lang", "tz", "digest_time", "digest_enabled", "nothing_new"})


def get_chat(session: Session, chat_id: int) -> Chat | None:
    return session.get(Chat, chat_id)


def ensure_chat(
    session: Session,
    chat_id: int,
    *,
    kind: str,
    lang: str,
    tz: str,
    digest_time: str,
    now: datetime,
) -> Chat:
    """The chat's row, created with these defaults if new, reactivated if it had stopped."""
    chat = session.get(Chat, chat_id)
    if chat is None:
        chat = Chat(
            id=chat_id,
            kind=kind,
            lang=lang,
            tz=tz,
            digest_time=digest_time,
            created_at=now,
            last_digest_at=now,
        )
        session.add(chat)
    elif not chat.active:
        chat.active = True
        chat.last_digest_at = now
    session.commit()
    return chat


def update_chat(session: Session, chat_id: int, **values: object) -> Chat:
    """Change some of a chat's settings (lang, tz, digest_time, digest_enabled, nothing_new)."""
    unknown = set(values) - SETTABLE
    if unknown:
        raise ValueError(f"not a chat setting: {', '.join(sorted(unknown))}")
    chat = session.get_one(Chat, chat_id)
    for name, value in values.items():
        setattr(chat, name, value)
    session.commit()
    return chat


def delete_chat(session: Session, chat_id: int) -> bool:
    """Forget a chat: its settings, topics, deliveries and queued messages. False if unknown."""
    session.execute(delete(OutboxMessage).where(col(OutboxMessage.chat_id) == chat_id))
    result = session.execute(delete(Chat).where(col(Chat.id) == chat_id))
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def active_chats(session: Session) -> list[Chat]:
    return list(session.exec(select(Chat).where(col(Chat.active).is_(True)).order_by(col(Chat.id))))


def subscriptions(session: Session, chat_id: int) -> list[Subscription]:
    """The chat's topics in the order they were added (their /topics numbers)."""
    return list(
        session.exec(
            select(Subscription)
            .where(Subscription.chat_id == chat_id)
            .order_by(col(Subscription.id))
        )
    )


def add_subscription(session: Session, chat_id: int, query: str, now: datetime) -> bool:
    """Track `query` in the chat; False when it already did."""
    exists = session.exec(
        select(Subscription).where(Subscription.chat_id == chat_id, Subscription.query == query)
    ).first()
    if exists is not None:
        return False
    session.add(Subscription(chat_id=chat_id, query=query, created_at=now))
    session.commit()
    return True


def remove_subscription(
    session: Session, chat_id: int, subscription_id: int
) -> Subscription | None:
    """Stop tracking one of the chat's topics; the removed topic, or None."""
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.chat_id != chat_id:
        return None
    session.delete(sub)
    session.commit()
    return sub


def set_alerts(session: Session, chat_id: int, on: bool, subscription_id: int | None = None) -> int:
    """Switch instant alerts for one topic, or all the chat's topics; how many changed."""
    changed = 0
    for sub in subscriptions(session, chat_id):
        if subscription_id is None or sub.id == subscription_id:
            sub.alerts = on
            changed += 1
    session.commit()
    return changed


def alert_subscriptions(session: Session) -> list[Subscription]:
    """Every topic with instant alerts on, in active chats."""
    return list(
        session.exec(
            select(Subscription)
            .join(Chat, col(Chat.id) == col(Subscription.chat_id))
            .where(col(Subscription.alerts).is_(True), col(Chat.active).is_(True))
            .order_by(col(Subscription.id))
        )
    )


def delivered(session: Session, chat_id: int, cluster_ids: Iterable[int], kind: str) -> set[int]:
    """Which of these events the chat already received as `kind` ("digest" or "alert")."""
    ids = sorted(set(cluster_ids))
    if not ids:
        return set()
    return set(
        session.exec(
            select(Delivery.cluster_id).where(
                Delivery.chat_id == chat_id,
                Delivery.kind == kind,
                col(Delivery.cluster_id).in_(ids),
            )
        )
    )


def record_deliveries(
    session: Session, chat_id: int, cluster_ids: Iterable[int], kind: str, now: datetime
) -> None:
    """Remember events as sent to the chat (no commit: goes with the outbox message)."""
    rows = [
        {"chat_id": chat_id, "cluster_id": c, "kind": kind, "sent_at": now}
        for c in sorted(set(cluster_ids))
    ]
    if not rows:
        return
    table = Delivery.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    statement = (sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)).values(
        rows
    )
    session.execute(statement.on_conflict_do_nothing())


def counts(session: Session) -> dict[str, int]:
    """Totals for /stats: feeds, stories, active chats, topics."""

    def total(query: object) -> int:
        return int(session.scalar(query) or 0)  # type: ignore[call-overload]

    return {
        "feeds": total(select(func.count()).select_from(Feed).where(col(Feed.removed).is_(False))),
        "stories": total(select(func.count()).select_from(Story)),
        "chats": total(select(func.count()).select_from(Chat).where(col(Chat.active).is_(True))),
        "topics": total(select(func.count()).select_from(Subscription)),
    }


def chats_by_id(session: Session, ids: Sequence[int]) -> dict[int, Chat]:
    return {c.id: c for c in session.exec(select(Chat).where(col(Chat.id).in_(list(ids))))}
