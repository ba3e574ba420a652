"""Shared fixtures. Servers live in their own modules and are registered here as plugins."""

pytest_plugins = ["tests.databases", "tests.feedserver", "tests.fakebotapi"]
