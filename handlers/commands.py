"""Command handlers: read the arguments, ask the core, send what the renderer made."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import ContextTypes

from bot import menus, render, replies
from bot.i18n import pick_language
from bot.polling import is_broken
from bot.subscribers import ChatView, SettingResult
from handlers import args as parse
from handlers.context import PageState, services

DEFAULT_TOPIC = "topic:russia-north-korea-arms"


def keyboard(reply: render.Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in reply.buttons]
    )


async def send(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: render.Reply) -> None:
    """Send one rendered reply to the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        return
    await context.bot.send_message(
        chat.id,
        reply.text,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(reply),
        link_preview_options=LinkPreviewOptions(is_disabled=not reply.preview),
    )


async def chat_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> ChatView | None:
    """The chat's settings, created on first contact (in the user's language)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return None
    language = user.language_code if user else None
    return await asyncio.to_thread(
        services(context).app.subscribers.start, chat.id, chat.type, language
    )


Context = ContextTypes.DEFAULT_TYPE
ChatHandler = Callable[[Update, Context, ChatView], Awaitable[None]]


def for_chat(handler: ChatHandler) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """A handler that gets the chat's settings (created on first contact) as a third argument."""

    @functools.wraps(handler)
    async def handle(update: Update, context: Context) -> None:
        chat = await chat_of(update, context)
        if chat is not None:
            await handler(update, context, chat)

    return handle


@for_chat
async def start(update: Update, context: Context, chat: ChatView) -> None:
    """/start: welcome, what Vigie does, and a button to track the default topic."""
    catalog = services(context).app.catalog
    topic = catalog.topics.get(DEFAULT_TOPIC)
    name = topic.name(chat.lang) if topic else DEFAULT_TOPIC
    await send(update, context, menus.welcome(chat.lang, name, f"track:{DEFAULT_TOPIC}"))


@for_chat
async def help_command(update: Update, context: Context, chat: ChatView) -> None:
    """/help: every command, one line each."""
    await send(update, context, menus.help_text(chat.lang, admin=_is_admin(update, context)))


@for_chat
async def latest(update: Update, context: Context, chat: ChatView) -> None:
    """/latest QUERY [N]: the newest stories matching the query (or the chat's topics)."""
    core = services(context)
    wanted = parse.latest_args(context.args or [])
    now = core.app.clock()
    if not wanted.query:
        hits = await asyncio.to_thread(
            core.app.subscribers.latest_for_topics, chat.id, limit=wanted.count
        )
        if not hits:
            await send(update, context, replies.no_topics(chat.lang))
            return
        for reply in render.latest(
            None, hits, catalog=core.app.catalog, lang=chat.lang, now=now, more=None
        ):
            await send(update, context, reply)
        return
    results = await asyncio.to_thread(core.app.subscribers.latest, wanted.query, limit=wanted.count)
    if results.query.empty:
        await send(update, context, replies.not_understood(chat.lang))
        return
    if not results.hits:
        names = [
            core.app.catalog.entities[i].name(chat.lang)
            for ids in results.query.suggestions.values()
            for i in ids
            if i in core.app.catalog.entities
        ]
        await send(
            update,
            context,
            replies.nothing_found(results.query, core.app.catalog, chat.lang, names),
        )
        return
    more = None
    if results.next_cursor is not None:
        shown = frozenset(h.cluster_id for h in results.hits if h.cluster_id is not None)
        state = PageState(wanted.query, results.next_cursor, wanted.count, shown)
        token = core.pages.remember(state)
        more = f"more:{token}"
    for reply in render.latest(
        results.query, results.hits, catalog=core.app.catalog, lang=chat.lang, now=now, more=more
    ):
        await send(update, context, reply)


@for_chat
async def track(update: Update, context: Context, chat: ChatView) -> None:
    """/track QUERY: follow a topic."""
    text = " ".join(context.args or [])
    if not text.strip():
        await send(update, context, replies.usage(chat.lang, "track"))
        return
    core = services(context)
    query, added = await asyncio.to_thread(core.app.subscribers.track, chat.id, text)
    if query.empty:
        await send(update, context, replies.not_understood(chat.lang))
    elif added:
        await send(update, context, replies.tracked(query, core.app.catalog, chat.lang))
    else:
        await send(update, context, replies.already_tracking(chat.lang, text))


@for_chat
async def topics(update: Update, context: Context, chat: ChatView) -> None:
    """/topics: the chat's topics, with buttons to remove them and switch their alerts."""
    entries = await asyncio.to_thread(services(context).app.subscribers.topics, chat.id, chat.lang)
    await send(update, context, menus.topics(entries, chat.lang))


@for_chat
async def untrack(update: Update, context: Context, chat: ChatView) -> None:
    """/untrack N: stop following topic number N of /topics."""
    number = parse.number(context.args or [])
    if number is None:
        await send(update, context, replies.usage(chat.lang, "untrack"))
        return
    core = services(context)
    removed = await asyncio.to_thread(core.app.subscribers.untrack_number, chat.id, number)
    if removed is None:
        count = len(await asyncio.to_thread(core.app.subscribers.topics, chat.id, chat.lang))
        await send(update, context, replies.untrack_bad_number(chat.lang, number, count))
    else:
        await send(update, context, replies.untracked(chat.lang, removed))


@for_chat
async def digest(update: Update, context: Context, chat: ChatView) -> None:
    """/digest: the digest now."""
    texts = await asyncio.to_thread(services(context).app.digests.on_demand, chat.id)
    if not texts:
        await send(update, context, replies.digest_empty(chat.lang))
    for text in texts:
        await send(update, context, render.Reply(text))


@for_chat
async def alerts(update: Update, context: Context, chat: ChatView) -> None:
    """/alerts on|off: instant alerts for all the chat's topics."""
    on = parse.switch(context.args or [])
    if on is None:
        await send(update, context, replies.usage(chat.lang, "alerts"))
        return
    count = await asyncio.to_thread(services(context).app.subscribers.set_alerts, chat.id, on)
    await send(update, context, replies.alerts_set(chat.lang, on, count))


@for_chat
async def settings(update: Update, context: Context, chat: ChatView) -> None:
    """/settings [name value]: show the chat's settings, or change one."""
    core = services(context)
    typed = context.args or []
    if typed:
        wanted = parse.setting_args(typed)
        if wanted is None:
            await send(update, context, replies.usage(chat.lang, "settings"))
            return
        result = await asyncio.to_thread(core.app.subscribers.change, chat.id, *wanted)
        if not result.ok:
            await send(update, context, _bad_setting(wanted[0], wanted[1], result, chat.lang))
            return
        assert result.chat is not None
        chat = result.chat
    view = await asyncio.to_thread(core.app.subscribers.settings_view, chat)
    await send(update, context, menus.settings(view, chat.lang))


def _bad_setting(name: str, value: str, result: SettingResult, lang: str) -> render.Reply:
    zone = result.zone
    if name == "time":
        return replies.bad_time(lang, value)
    if name == "tz":
        return replies.bad_zone(lang, value, zone.suggestions if zone else ())
    if name == "lang":
        return replies.bad_lang(lang, value)
    return replies.usage(lang, "settings")


@for_chat
async def stop(update: Update, context: Context, chat: ChatView) -> None:
    """/stop: no more messages, and the chat's data deleted."""
    await asyncio.to_thread(services(context).app.subscribers.stop, chat.id)
    await send(update, context, replies.stopped(chat.lang))


def _is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    chat, user = update.effective_chat, update.effective_user
    return services(context).app.is_admin(chat.id if chat else None, user.id if user else None)


@for_chat
async def feeds(update: Update, context: Context, chat: ChatView) -> None:
    """/feeds [add|remove URL]: admins list and manage feeds."""
    if not _is_admin(update, context):
        await send(update, context, replies.refused(chat.lang))
        return
    admin = services(context).app.admin
    typed = context.args or []
    if not typed:
        rows = await asyncio.to_thread(admin.feeds)
        for reply in render.feeds_admin(
            rows, lang=chat.lang, now=services(context).app.clock(), broken=is_broken
        ):
            await send(update, context, reply)
        return
    if len(typed) != 2 or typed[0].lower() not in ("add", "remove"):
        await send(update, context, replies.usage(chat.lang, "feeds"))
        return
    url = typed[1]
    if typed[0].lower() == "add":
        added = await asyncio.to_thread(admin.add_feed, url)
        reply = (
            replies.bad_url(chat.lang, url)
            if added is None
            else replies.feed_added(chat.lang, url)
            if added
            else replies.feed_exists(chat.lang, url)
        )
    else:
        removed = await asyncio.to_thread(admin.remove_feed, url)
        reply = (
            replies.feed_removed(chat.lang, url)
            if removed
            else replies.feed_unknown(chat.lang, url)
        )
    await send(update, context, reply)


@for_chat
async def stats(update: Update, context: Context, chat: ChatView) -> None:
    """/stats: admins see feeds, stories, subscribers and messages sent today."""
    if not _is_admin(update, context):
        await send(update, context, replies.refused(chat.lang))
        return
    totals = await asyncio.to_thread(services(context).app.admin.stats)
    await send(update, context, menus.stats(menus.StatsView(**totals), chat.lang))


async def language_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The chat's language when Vigie knows the chat, else the user's own (without storing it)."""
    chat, user = update.effective_chat, update.effective_user
    stored = (
        await asyncio.to_thread(services(context).app.subscribers.chat, chat.id) if chat else None
    )
    return stored.lang if stored else pick_language(user.language_code if user else None)


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other command, or a message in a private chat: a pointer to /help.

    In groups and channels, only commands addressed to Vigie by name (/foo@vigie_bot) are
    answered: the others belong to the group's other bots, or to nobody.
    """
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None or not message.text:
        return
    if chat.type != ChatType.PRIVATE:
        _, _, addressee = message.text.split(maxsplit=1)[0].partition("@")
        if addressee.lower() != (context.bot.username or "").lower():
            return
    await send(update, context, replies.unknown_command(await language_of(update, context)))


async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: its settings and topics follow it to the new id."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:  # seen in the old group
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:  # seen in the new supergroup
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await asyncio.to_thread(services(context).app.subscribers.migrate, old, new)
