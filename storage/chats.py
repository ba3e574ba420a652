"""Subscribers: chats, their settings, the topics they track, and what was already sent to them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.db import chunks
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
    since: Callable[[str, str, datetime], datetime] | None = None,
) -> Chat:
    """The chat's row, created with these defaults if new, reactivated if it had stopped.

    `since(digest_time, tz, now)` says where its digests start (default: now).
    """
    chat = session.get(Chat, chat_id)
    if chat is None:
        chat = Chat(
            id=chat_id,
            kind=kind,
            lang=lang,
            tz=tz,
            digest_time=digest_time,
            created_at=now,
            last_digest_at=since(digest_time, tz, now) if since else now,
        )
        session.add(chat)
    elif not chat.active:
        chat.active = True
        chat.last_digest_at = since(chat.digest_time, chat.tz, now) if since else now
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


def migrate_chat(session: Session, old_id: int, new_id: int) -> bool:
    """A group became a supergroup with a new id: its settings, topics, history and queue follow.

    When the supergroup already has a row (someone used the bot there first), its settings stay
    and the group's topics join its own. False when the group is unknown (or already moved).
    """
    if old_id == new_id:
        return False
    session.execute(  # also when the chat moved already, for messages loaded before it did
        update(OutboxMessage).where(col(OutboxMessage.chat_id) == old_id).values(chat_id=new_id)
    )
    old = session.get(Chat, old_id)
    if old is None:
        session.commit()
        return False
    new = session.get(Chat, new_id)
    if new is None:
        new = Chat(id=new_id, **old.model_dump(exclude={"id", "kind"}), kind="supergroup")
        session.add(new)
        session.flush()
    tracked = {s.query.casefold() for s in subscriptions(session, new_id)}
    for sub in subscriptions(session, old_id):
        if sub.query.casefold() not in tracked:
            sub.chat_id = new_id
    session.flush()
    history = session.exec(select(Delivery).where(Delivery.chat_id == old_id)).all()
    _insert_deliveries(session, [d.model_dump() | {"chat_id": new_id} for d in history])
    session.delete(old)
    session.commit()
    return True


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
    """Track `query` in the chat; False when it already did (in any letter case)."""
    if any(sub.query.casefold() == query.casefold() for sub in subscriptions(session, chat_id)):
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
    _insert_deliveries(session, rows)


def _insert_deliveries(session: Session, rows: list[dict[str, object]]) -> None:
    """Insert delivery rows, skipping those already there."""
    table = Delivery.__table__  # type: ignore[attr-defined]
    insert = sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert
    for chunk in chunks(rows):
        session.execute(insert(table).values(list(chunk)).on_conflict_do_nothing())


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
