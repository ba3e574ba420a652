"""The database tables. Storage knows feeds, stories and subscribers, never Telegram."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def _when(*, nullable: bool = True, index: bool = False) -> datetime | None:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Feed(SQLModel, table=True):
    """A polled feed and its fetch state.

    `added` marks feeds added from the command line or by an admin (kept beside FEEDS_FILE's);
    `removed` hides a feed, including one listed in FEEDS_FILE, until it is added again.
    """

    __tablename__ = "feeds"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(unique=True, max_length=2048)
    title: str | None = Field(default=None, max_length=500)
    added: bool = False
    removed: bool = False
    final_url: str | None = Field(default=None, max_length=2048)
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    body_hash: str | None = Field(default=None, max_length=64)
    last_fetch_at: datetime | None = _when()
    last_ok_at: datetime | None = _when()
    last_error: str | None = Field(default=None, max_length=500)
    failures: int = 0
    next_due_at: datetime | None = _when(index=True)
    interval_seconds: int | None = None  # the adaptive polling interval in force
    created_at: datetime | None = _when()


class Cluster(SQLModel, table=True):
    """One event: the stories of several feeds that report the same article or headline."""

    __tablename__ = "clusters"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime | None = _when(index=True)


class Story(SQLModel, table=True):
    """One entry of one feed, stored once: unique by (feed, guid), else (feed, canonical link)."""

    __tablename__ = "stories"
    __table_args__ = (
        UniqueConstraint("feed_id", "dedup_key", name="uq_stories_feed_dedup"),
        Index("ix_stories_title_key_published", "title_key", "published_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(
        sa_column=Column(ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    dedup_key: str = Field(max_length=2100)
    guid: str | None = Field(default=None, max_length=2048)
    link: str | None = Field(default=None, max_length=2048, index=True)
    title: str
    summary: str
    language: str | None = Field(default=None, max_length=20)
    title_key: str = Field(max_length=400)
    published_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    first_seen_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    cluster_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("clusters.id", ondelete="SET NULL"), index=True),
    )


class Mention(SQLModel, table=True):
    """A story mentions an entity. `published_at` is copied so "X and Y, newest first" is one index."""

    __tablename__ = "mentions"
    __table_args__ = (
        Index("ix_mentions_entity_published", "entity_id", "published_at", "story_id"),
    )

    story_id: int = Field(
        sa_column=Column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    )
    entity_id: str = Field(primary_key=True, max_length=100)
    in_title: bool = False
    published_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class TopicMatch(SQLModel, table=True):
    """A story satisfies a catalog topic."""

    __tablename__ = "topic_matches"
    __table_args__ = (
        Index("ix_topic_matches_topic_published", "topic_id", "published_at", "story_id"),
    )

    story_id: int = Field(
        sa_column=Column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    )
    topic_id: str = Field(primary_key=True, max_length=100)
    published_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Chat(SQLModel, table=True):
    """A Telegram chat (private, group or channel) that uses Vigie, with its settings."""

    __tablename__ = "chats"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(default="private", max_length=20)
    lang: str = Field(default="en", max_length=10)
    tz: str = Field(default="UTC", max_length=64)
    digest_time: str = Field(default="08:00", max_length=5)
    digest_enabled: bool = True
    nothing_new: bool = False
    active: bool = True
    created_at: datetime | None = _when()
    last_digest_at: datetime | None = _when()  # the end of the last scheduled digest's period


class Subscription(SQLModel, table=True):
    """A topic a chat tracks: a query in Vigie's query language."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("chat_id", "query", name="uq_subscriptions_chat_query"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False)
    )
    query: str = Field(max_length=500)
    alerts: bool = False
    created_at: datetime | None = _when()


class Delivery(SQLModel, table=True):
    """An event already sent to a chat, so digests and alerts never repeat it."""

    __tablename__ = "deliveries"

    chat_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True)
    )
    cluster_id: int = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=10)  # "digest" or "alert"
    sent_at: datetime | None = _when()


class OutboxMessage(SQLModel, table=True):
    """A message the bot sends on its own (digest, alert), queued until Telegram accepts it.

    `dedup_key` makes a restart in the middle of a fan-out repeat nothing.
    """

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    dedup_key: str = Field(unique=True, max_length=200)
    text: str
    created_at: datetime | None = _when()
    not_before: datetime | None = _when(index=True)
    attempts: int = 0
    sent_at: datetime | None = _when(index=True)
    failed_at: datetime | None = _when()
    error: str | None = Field(default=None, max_length=500)
