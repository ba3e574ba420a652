"""Shared fixtures. Servers live in their own modules and are registered here as plugins."""

import os

# PTB 22 warns when RetryAfter.retry_after is read as seconds; the bot sets this too (bot.cli run),
# so tests see the same timedelta the running bot does instead of a warning turned into an error.
os.environ.setdefault("PTB_TIMEDELTA", "true")

pytest_plugins = ["tests.databases", "tests.feedserver", "tests.fakebotapi", "tests.botharness"]
