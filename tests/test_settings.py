"""Settings: defaults, parsing, and one clear line for each bad value."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.settings import BUNDLED_FEEDS, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test starts from an empty environment in an empty directory."""
    for name in [
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_BASE_URL",
        "DATABASE_URL",
        "FEEDS_FILE",
        "POLL_INTERVAL_SECONDS",
        "DIGEST_TIME",
        "DEFAULT_TIMEZONE",
        "ADMIN_CHAT_IDS",
        "ENTITIES_FILE",
        "LOG_LEVEL",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    """With nothing set, every setting has its documented default."""
    settings = load_settings(None)
    assert settings.telegram_bot_token is None
    assert settings.database_url == "sqlite:///vigie.db"
    assert settings.feeds_file == BUNDLED_FEEDS
    assert settings.poll_interval_seconds == 300
    assert settings.digest_time == time(8, 0)
    assert settings.default_timezone == "UTC"
    assert settings.admin_chat_ids == frozenset()


def test_values_from_env_file(tmp_path: Path) -> None:
    """A .env file is read, and empty values mean the default."""
    (tmp_path / ".env").write_text(
        "DIGEST_TIME=07:30\nDEFAULT_TIMEZONE=Europe/Paris\nADMIN_CHAT_IDS=1, -100\n"
        "FEEDS_FILE=\nENTITIES_FILE=\nTELEGRAM_BOT_TOKEN=\n",
        encoding="utf-8",
    )
    settings = load_settings(tmp_path / ".env")
    assert settings.digest_time == time(7, 30)
    assert settings.default_timezone == "Europe/Paris"
    assert settings.admin_chat_ids == frozenset({1, -100})
    assert settings.feeds_file == BUNDLED_FEEDS
    assert settings.telegram_bot_token is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DIGEST_TIME", "25:00"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus"),
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "mysql://x@y/z"),
        ("DATABASE_URL", "postgresql+psycopg2://x@127.0.0.1/z"),  # a driver not installed
        ("DATABASE_URL", "sqlite://"),  # in memory: empty for every connection
        ("DATABASE_URL", "postgresql+psycopg://x@127.0.0.1:99999/z"),
        ("DATABASE_URL", "sqlite:///x.db\x01"),
        ("FEEDS_FILE", "/no/such/feeds.txt"),
        ("ENTITIES_FILE", "/no/such/entities.yaml"),
        ("POLL_INTERVAL_SECONDS", "often"),
        ("ADMIN_CHAT_IDS", "12,abc"),
        ("LOG_LEVEL", "LOUD"),
        ("TELEGRAM_BASE_URL", "ftp://example.org/bot"),
    ],
)
def test_bad_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """A bad value raises SettingsError with one line that starts with the setting's name."""
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings(None)
    message = str(error.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message


def test_token_is_never_shown_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings' repr hides the bot token."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:SECRET")
    assert "SECRET" not in repr(load_settings(None))


def test_an_env_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    """A .env that is not UTF-8 raises SettingsError naming the file."""
    env = tmp_path / ".env"
    env.write_bytes(b"POLL_INTERVAL_SECONDS=\xff\n")
    with pytest.raises(SettingsError) as error:
        load_settings(env)
    assert str(error.value).startswith(str(env))
