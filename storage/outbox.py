"""The outbox: messages the bot sends on its own (digests, alerts), kept until Telegram takes them.

Nothing here commits. Whoever queues a message records its deliveries in the same transaction,
and the sender commits each outcome on its own, right after Telegram answers.

A chat's messages leave in the order they were queued: while one of them waits for a retry
(`not_before` in the future), the chat's later messages wait too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.tables import Chat, OutboxMessage

ERROR_LENGTH = 500  # the size of outbox.error


def enqueue(session: Session, *, chat_id: int, dedup_key: str, text: str, now: datetime) -> bool:
    """Queue `text` for `chat_id` unless a message with `dedup_key` exists; True if queued.

    The database's unique key decides, so two writers racing on one key queue it once.
    Does not commit: the caller commits it together with what it records as delivered.
    """
    row = {
        "chat_id": chat_id,
        "dedup_key": dedup_key,
        "text": text,
        "created_at": now,
        "attempts": 0,
    }
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"the outbox needs SQLite or PostgreSQL, not {dialect}")
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    statement = insert(table).values(row).on_conflict_do_nothing().returning(table.c.id)
    return session.execute(statement).first() is not None  # rowcount is unreliable here


def _pending() -> ColumnElement[bool]:
    return col(OutboxMessage.sent_at).is_(None) & col(OutboxMessage.failed_at).is_(None)


def due(session: Session, now: datetime, limit: int) -> list[OutboxMessage]:
    """Up to `limit` messages to send now, oldest first: unsent, not failed, for active chats.

    A message is due when its `not_before` is unset or past, and no earlier message of its
    chat is still waiting for a retry.
    """
    waiting = aliased(OutboxMessage)
    chat_is_waiting = exists().where(
        col(waiting.chat_id) == col(OutboxMessage.chat_id),
        col(waiting.sent_at).is_(None),
        col(waiting.failed_at).is_(None),
        col(waiting.not_before) > now,
    )
    query = (
        select(OutboxMessage)
        .join(Chat, col(Chat.id) == col(OutboxMessage.chat_id))
        .where(
            _pending(),
            col(Chat.active).is_(True),
            or_(col(OutboxMessage.not_before).is_(None), col(OutboxMessage.not_before) <= now),
            ~chat_is_waiting,
        )
        .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
        .limit(limit)
    )
    return list(session.exec(query))


def next_due_at(session: Session) -> datetime | None:
    """When the earliest pending message becomes due; None when nothing is pending.

    A message without `not_before` counts from its creation, so a time at or before now
    means something is due already.
    """
    when = func.min(func.coalesce(col(OutboxMessage.not_before), col(OutboxMessage.created_at)))
    query = (
        select(when)
        .join(Chat, col(Chat.id) == col(OutboxMessage.chat_id))
        .where(_pending(), col(Chat.active).is_(True))
    )
    return session.exec(query).one()


def is_pending(session: Session, message_id: int) -> bool:
    """The message is still queued: not sent, not given up, not deleted with its chat."""
    row = session.get(OutboxMessage, message_id)
    return row is not None and row.sent_at is None and row.failed_at is None


def mark_sent(session: Session, message_id: int, now: datetime) -> None:
    """Telegram accepted the message at `now`; it will never be sent again."""
    session.execute(
        update(OutboxMessage).where(col(OutboxMessage.id) == message_id).values(sent_at=now)
    )


def postpone(
    session: Session,
    message_id: int,
    until: datetime,
    error: str,
    *,
    count_attempt: bool = True,
) -> None:
    """Try the message again at `until`; counts one more attempt unless told not to.

    Flood control (429) is not the message's fault, so the sender does not count it.
    """
    attempts = col(OutboxMessage.attempts) + (1 if count_attempt else 0)
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(not_before=until, error=error[:ERROR_LENGTH], attempts=attempts)
    )


def fail(session: Session, message_id: int, now: datetime, error: str) -> None:
    """Give the message up: it will never be sent."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(failed_at=now, error=error[:ERROR_LENGTH])
    )


def deactivate_chat(session: Session, chat_id: int, now: datetime, error: str) -> int:
    """The chat is gone (blocked, kicked, unknown): stop it and give up its pending messages.

    Returns how many messages were given up. `storage.chats.ensure_chat` reactivates the chat
    when it talks to the bot again.
    """
    session.execute(update(Chat).where(col(Chat.id) == chat_id).values(active=False))
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.chat_id) == chat_id, _pending())
        .values(failed_at=now, error=error[:ERROR_LENGTH])
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def sent_count(session: Session, since: datetime) -> int:
    """How many messages Telegram accepted at or after `since`."""
    query = (
        select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.sent_at) >= since)
    )
    return int(session.exec(query).one())
