"""Vigie: follow a story across the world's press from Telegram."""
