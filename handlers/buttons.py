"""Button presses: track the default topic, page with "More", manage topics and settings.

Each press is answered (so the button stops spinning) and, where it changes a list, the message
holding the buttons is edited in place.
"""

from __future__ import annotations

import asyncio
import contextlib

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot import menus, render, replies
from handlers import args as parse
from handlers.commands import chat_of, keyboard, send
from handlers.context import PageState, services


async def edit(update: Update, reply: render.Reply) -> None:
    """Replace the pressed message with `reply` (unchanged content is not an error)."""
    query = update.callback_query
    if query is None:
        return
    with contextlib.suppress(BadRequest):  # "message is not modified" when pressed twice
        await query.edit_message_text(
            reply.text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(reply),
            link_preview_options=LinkPreviewOptions(is_disabled=not reply.preview),
        )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every inline button of Vigie's messages."""
    query = update.callback_query
    if query is None:
        return
    with contextlib.suppress(BadRequest):  # "query is too old": the press still counts
        await query.answer()
    chat = await chat_of(update, context)
    action = parse.press(query.data)
    if chat is None or action is None:
        return
    core = services(context)
    subscribers = core.app.subscribers
    if action.action == "track":
        # A catalog topic is tracked by its name in the chat's language, as a person would type it.
        topic = core.app.catalog.topics.get(action.value)
        text = topic.name(chat.lang) if topic else action.value
        topic_query, added = await asyncio.to_thread(subscribers.track, chat.id, text)
        reply = (
            replies.tracked(topic_query, core.app.catalog, chat.lang)
            if added
            else replies.already_tracking(chat.lang, text)
        )
        await send(update, context, reply)
    elif action.action == "more":
        await _more(update, context, action.value, chat.lang)
    elif action.action in ("untrack", "alerts") and (sub_id := parse.whole_number(action.value)):
        if action.action == "untrack":
            await asyncio.to_thread(subscribers.untrack_id, chat.id, sub_id)
        else:
            await asyncio.to_thread(subscribers.toggle_alerts, chat.id, sub_id)
        entries = await asyncio.to_thread(subscribers.topics, chat.id, chat.lang)
        await edit(update, menus.topics(entries, chat.lang))
    elif action.action == "set" and ":" in action.value:
        name, value = action.value.split(":", 1)
        if name in ("lang", "digest", "nothing_new"):
            result = await asyncio.to_thread(subscribers.change, chat.id, name, value)  # type: ignore[arg-type]
            updated = result.chat or chat
            view = await asyncio.to_thread(subscribers.settings_view, updated)
            await edit(update, menus.settings(view, updated.lang))


async def _more(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str, lang: str) -> None:
    """The next page of a /latest list, in place of the current one."""
    core = services(context)
    state = core.pages.get(token)
    if state is None:
        await send(update, context, replies.page_expired(lang))
        return
    results = await asyncio.to_thread(
        core.app.subscribers.latest,
        state.query,
        limit=state.count,
        before=state.cursor,
        shown=state.shown,
    )
    more = None
    if results.next_cursor is not None:
        shown = state.shown | {h.cluster_id for h in results.hits if h.cluster_id is not None}
        more = "more:" + core.pages.remember(
            PageState(state.query, results.next_cursor, state.count, shown)
        )
    pages = render.latest(
        results.query,
        results.hits,
        catalog=core.app.catalog,
        lang=lang,
        now=core.app.clock(),
        more=more,
    )
    if pages:
        await edit(update, pages[0])
    for reply in pages[1:]:
        await send(update, context, reply)
