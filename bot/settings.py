"""Settings: read once from the environment and `.env`, validated, then passed down.

No other module reads the environment. A bad value becomes a `SettingsError` whose message is
one line naming the setting; the CLI prints it and exits with code 2.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

BUNDLED_FEEDS = Path(__file__).parent / "data" / "feeds.txt"
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class SettingsError(Exception):
    """A setting has a bad value; the message is one line that names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    telegram_bot_token: SecretStr | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_base_url: str = Field("https://api.telegram.org/bot", alias="TELEGRAM_BASE_URL")
    database_url: str = Field("sqlite:///vigie.db", alias="DATABASE_URL")
    feeds_file: Path = Field(BUNDLED_FEEDS, alias="FEEDS_FILE")
    poll_interval_seconds: int = Field(300, ge=30, le=86400, alias="POLL_INTERVAL_SECONDS")
    digest_time: time = Field(time(8, 0), alias="DIGEST_TIME")
    default_timezone: str = Field("UTC", alias="DEFAULT_TIMEZONE")
    admin_chat_ids: Annotated[frozenset[int], NoDecode] = Field(frozenset(), alias="ADMIN_CHAT_IDS")
    entities_file: Path | None = Field(None, alias="ENTITIES_FILE")
    log_level: str = Field("INFO", alias="LOG_LEVEL")

    @field_validator("telegram_bot_token", "entities_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("feeds_file", mode="before")
    @classmethod
    def _empty_is_bundled(cls, value: Any) -> Any:
        return BUNDLED_FEEDS if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        if not value.isprintable():
            raise ValueError("contains a control character")
        try:
            url = make_url(value)
        except (ArgumentError, ValueError):
            raise ValueError(f"not a SQLAlchemy URL: {value!r}") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(f"only sqlite and postgresql are supported, not {url.drivername!r}")
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            raise ValueError("an in-memory SQLite database forgets everything: give a file path")
        if url.port is not None and not 0 < url.port < 65536:
            raise ValueError(f"port out of range: {url.port}")
        try:
            url.get_dialect().import_dbapi()
        except Exception:  # ImportError, or a plugin that fails to load
            raise ValueError(
                f"no driver for {url.drivername!r} here: use sqlite:///FILE or "
                "postgresql+psycopg://USER@HOST/DB"
            ) from None
        return value

    @field_validator("feeds_file", "entities_file")
    @classmethod
    def _existing_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {str(value)!r}")
        return value

    @field_validator("digest_time", mode="before")
    @classmethod
    def _hh_mm(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
            if not match or int(match[1]) > 23 or int(match[2]) > 59:
                raise ValueError(f"expected HH:MM between 00:00 and 23:59, got {value!r}")
            return time(int(match[1]), int(match[2]))
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone: {value!r}") from None
        if value not in available_timezones() and value != "UTC":
            raise ValueError(f"unknown IANA time zone: {value!r}")
        return value

    @field_validator("admin_chat_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return frozenset(int(part) for part in value.split(",") if part.strip())
            except ValueError:
                raise ValueError(f"expected comma-separated chat ids, got {value!r}") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().upper() in LOG_LEVELS:
            return value.strip().upper()
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}, got {value!r}")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.default_timezone)


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Read and validate the settings, or raise SettingsError naming the first bad one."""
    try:
        return Settings(_env_file=env_file, **overrides)
    except UnicodeDecodeError:
        raise SettingsError(f"{env_file}: not UTF-8 text") from None
    except ValueError as exc:  # ValidationError is one, but a NUL byte in .env is another
        if not isinstance(exc, ValidationError):
            raise SettingsError(f"{env_file}: {exc}") from None
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "settings"
        field = Settings.model_fields.get(name)
        name = (field.alias if field and field.alias else name).upper()
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
