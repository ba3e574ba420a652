"""Vigie's Telegram layer: command and button handlers, registered on a PTB Application."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from handlers import buttons, commands

log = logging.getLogger(__name__)

COMMANDS = {
    "start": commands.start,
    "help": commands.help_command,
    "latest": commands.latest,
    "track": commands.track,
    "topics": commands.topics,
    "untrack": commands.untrack,
    "digest": commands.digest,
    "alerts": commands.alerts,
    "settings": commands.settings,
    "stop": commands.stop,
    "feeds": commands.feeds,
    "stats": commands.stats,
}


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a handler's failure (never the token: PTB's errors do not carry it) and say sorry."""
    log.error("handling an update failed: %s", type(context.error).__name__, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        from bot import replies

        try:
            lang = await commands.language_of(update, context)
        except Exception:  # the database may be what failed: apologise in English
            lang = "en"
        try:
            await commands.send(update, context, replies.error(lang))
        except Exception:  # the chat may be gone; the failure is already logged
            log.debug("could not apologise to the chat", exc_info=True)


def register(application: Application) -> None:
    """Every command, button and fallback, in private chats, groups and channels."""
    updates = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    for name, callback in COMMANDS.items():
        application.add_handler(CommandHandler(name, callback, filters=updates))
    application.add_handler(CallbackQueryHandler(buttons.pressed))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, commands.migrated))
    application.add_handler(MessageHandler(filters.COMMAND & updates, commands.unknown))
    application.add_handler(
        MessageHandler(filters.TEXT & filters.ChatType.PRIVATE & updates, commands.unknown)
    )
    application.add_error_handler(on_error)
