"""The fake Bot API itself: raw HTTP first, then the real python-telegram-bot against it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakebotapi import NOT_MODIFIED, FakeBotApi
from tests.telegram_html import MAX_TEXT_UTF16, parse_html

CHAT = 42
GROUP = -100


async def call(fake: FakeBotApi, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """POST like PTB does: form fields, nested values as JSON."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{fake.base_url}{fake.token}/{method}", data=data)
    return response.status_code, response.json()


async def send(fake: FakeBotApi, text: str, chat_id: int = CHAT, **params: Any) -> dict[str, Any]:
    """Send ``text`` as HTML and return the whole Bot API answer."""
    _, body = await call(
        fake, "sendMessage", chat_id=chat_id, text=text, parse_mode="HTML", **params
    )
    return body


# -- HTML, as Telegram parses it ---------------------------------------------------------------

ACCEPTED = [
    "plain text",
    "<b>bold</b> <strong>bold</strong> <i>it</i> <em>it</em> <u>u</u> <ins>u</ins>",
    "<s>s</s> <strike>s</strike> <del>s</del>",
    '<span class="tg-spoiler">hidden</span> <tg-spoiler>hidden</tg-spoiler>',
    '<a href="https://example.org/?a=1&amp;b=2">link</a>',
    "<code>x &lt; y</code> <pre>block</pre>",
    '<pre><code class="language-python">print(1)</code></pre>',
    "<blockquote>quote</blockquote> <blockquote expandable>long quote</blockquote>",
    '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
    "<b>bold <i>italic <u>underline</u></i></b>",
    "&lt;&gt;&amp;&quot; &#39; &#x41; 5 > 3",
    "<B>upper-case tags</B>",
]

REJECTED = [
    ("a < b", 'Unsupported start tag ""'),
    ("<p>paragraph</p>", 'Unsupported start tag "p"'),
    ("<br>", 'Unsupported start tag "br"'),
    ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b><i>crossed</b></i>", 'Unmatched end tag at byte offset 13, expected "</i>", found "</b>"'),
    ("stray</b>", "Unexpected end tag at byte offset 5"),
    ("unclosed <b", "Unclosed start tag at byte offset 9"),
    ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ("<a href=a/b>x</a>", "Unexpected end of name token at byte offset 8"),
    ("AT&T", "Character '&' does not start a supported HTML entity at byte offset 2"),
    ("&nbsp;", "Character '&' does not start a supported HTML entity"),
    ("&lt without semicolon", "Character '&' does not start a supported HTML entity"),
    ("&#xD800;", "Text contains invalid Unicode characters"),
]


@pytest.mark.parametrize("html", ACCEPTED)
async def test_supported_html_is_accepted(fake_bot_api: FakeBotApi, html: str) -> None:
    """Every tag and entity Telegram documents for HTML parse mode is accepted."""
    body = await send(fake_bot_api, html)
    assert body["ok"], body


@pytest.mark.parametrize(("html", "reason"), REJECTED)
async def test_malformed_html_is_refused(fake_bot_api: FakeBotApi, html: str, reason: str) -> None:
    """Unsupported tags, bad nesting and stray '<' or '&' get Telegram's 400 and are not sent."""
    body = await send(fake_bot_api, html)
    assert body["error_code"] == 400
    assert body["description"].startswith("Bad Request: can't parse entities: ")
    assert reason in body["description"]
    assert fake_bot_api.sent(CHAT) == []


def test_lenient_mode_reads_ampersands_like_telegram() -> None:
    """Outside strict mode a lone '&' is text and '&lt' needs no semicolon, as in tdlib."""
    assert parse_html("AT&T &lt3", strict=False) == ("AT&T <3", [])


def test_entities_carry_utf16_offsets() -> None:
    """Entity offsets and lengths count UTF-16 code units after entity decoding."""
    _, entities = parse_html("😀 <b>&amp;😀</b>")
    assert entities == [{"type": "bold", "offset": 3, "length": 3}]


def test_language_belongs_to_pre_only() -> None:
    """<pre><code class="language-x"> makes one pre entity; a lone code tag drops the language."""
    _, entities = parse_html(
        '<pre><code class="language-go">x</code></pre><code class="language-go">y</code>'
    )
    assert entities == [
        {"type": "pre", "offset": 0, "length": 1, "language": "go"},
        {"type": "code", "offset": 1, "length": 1},
    ]


# -- text limits --------------------------------------------------------------------------------


async def test_length_is_measured_after_entity_parsing(fake_bot_api: FakeBotApi) -> None:
    """4096 visible characters pass however much markup and escaping surrounds them."""
    body = await send(fake_bot_api, "<b>" + "&amp;" * MAX_TEXT_UTF16 + "</b>")
    assert body["ok"], body


async def test_visible_text_over_4096_is_too_long(fake_bot_api: FakeBotApi) -> None:
    """One visible character over the limit gets "message is too long"."""
    body = await send(fake_bot_api, "<i>" + "a" * (MAX_TEXT_UTF16 + 1) + "</i>")
    assert body["description"] == "Bad Request: message is too long"


async def test_astral_characters_count_twice(fake_bot_api: FakeBotApi) -> None:
    """An emoji outside the BMP is two UTF-16 code units towards the limit."""
    body = await send(fake_bot_api, "😀" * (MAX_TEXT_UTF16 // 2 + 1))
    assert body["description"] == "Bad Request: message is too long"


async def test_markup_without_text_is_empty(fake_bot_api: FakeBotApi) -> None:
    """A message whose visible text is blank gets "message text is empty"."""
    body = await send(fake_bot_api, "<b> </b>")
    assert body["description"] == "Bad Request: message text is empty"


# -- refusals -------------------------------------------------------------------------------------


async def test_blocked_user_gets_403(fake_bot_api: FakeBotApi) -> None:
    """Sending to a user who blocked the bot is 403 Forbidden."""
    fake_bot_api.block(CHAT)
    status, body = await call(fake_bot_api, "sendMessage", chat_id=CHAT, text="hi")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")


async def test_forgotten_chat_is_not_found(fake_bot_api: FakeBotApi) -> None:
    """A forgotten chat is 400 "chat not found"."""
    fake_bot_api.forget(CHAT)
    status, body = await call(fake_bot_api, "sendMessage", chat_id=CHAT, text="hi")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")


async def test_strict_chats_refuse_unknown_chats(fake_bot_api: FakeBotApi) -> None:
    """With strict_chats only chats the fake has seen can be written to."""
    fake_bot_api.strict_chats = True
    fake_bot_api.add_chat(7)
    assert (await call(fake_bot_api, "sendMessage", chat_id=7, text="hi"))[0] == 200
    assert (await call(fake_bot_api, "sendMessage", chat_id=8, text="hi"))[0] == 400


async def test_forced_429_refuses_and_does_not_deliver(fake_bot_api: FakeBotApi) -> None:
    """force_429 answers the next sends with retry_after, then delivers again."""
    fake_bot_api.force_429(2, retry_after=3)
    refused = [await call(fake_bot_api, "sendMessage", chat_id=CHAT, text="x") for _ in range(2)]
    assert refused == [(429, {"ok": False, "error_code": 429,
                              "description": "Too Many Requests: retry after 3",
                              "parameters": {"retry_after": 3}})] * 2  # fmt: skip
    assert (await call(fake_bot_api, "sendMessage", chat_id=CHAT, text="x"))[0] == 200
    assert len(fake_bot_api.sent(CHAT)) == 1


async def test_private_chat_allows_a_small_burst(fake_bot_api: FakeBotApi) -> None:
    """With limits on and time frozen, a private chat takes its burst, then gets 429."""
    fake_bot_api.limits.enabled = True
    fake_bot_api.clock = lambda: 1000.0
    statuses = [
        (await call(fake_bot_api, "sendMessage", chat_id=CHAT, text="x"))[0] for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


async def test_private_chat_refills_one_message_per_second(fake_bot_api: FakeBotApi) -> None:
    """After a refused burst, one second later the chat may send one more message."""
    now = [1000.0]
    fake_bot_api.limits.enabled = True
    fake_bot_api.clock = lambda: now[0]
    for _ in range(4):
        await call(fake_bot_api, "sendMessage", chat_id=CHAT, text="x")
    now[0] += 1
    statuses = [
        (await call(fake_bot_api, "sendMessage", chat_id=CHAT, text="x"))[0] for _ in range(2)
    ]
    assert statuses == [200, 429]


async def test_group_allows_twenty_a_minute(fake_bot_api: FakeBotApi) -> None:
    """A group takes 20 messages a minute and tells the 21st how long to wait."""
    fake_bot_api.limits.enabled = True
    fake_bot_api.clock = lambda: 1000.0
    for _ in range(20):
        assert (await call(fake_bot_api, "sendMessage", chat_id=GROUP, text="x"))[0] == 200
    status, body = await call(fake_bot_api, "sendMessage", chat_id=GROUP, text="x")
    assert (status, body["parameters"]["retry_after"]) == (429, 3)


async def test_rejections_are_logged_with_their_code(fake_bot_api: FakeBotApi) -> None:
    """Refused calls stay in the call log with status and description."""
    await send(fake_bot_api, "<p>")
    [refused] = fake_bot_api.rejected("sendMessage")
    assert (refused.status, refused.params["text"]) == (400, "<p>")


# -- messages and edits -------------------------------------------------------------------------


async def test_message_ids_increase_per_chat(fake_bot_api: FakeBotApi) -> None:
    """Each chat numbers its messages from 1."""
    ids = [(await send(fake_bot_api, "x", chat_id=c))["result"]["message_id"] for c in (1, 1, 2)]
    assert ids == [1, 2, 1]


async def test_editing_an_unknown_message_is_refused(fake_bot_api: FakeBotApi) -> None:
    """Editing a message the bot never sent is "message to edit not found"."""
    _, body = await call(fake_bot_api, "editMessageText", chat_id=CHAT, message_id=9, text="x")
    assert body["description"] == "Bad Request: message to edit not found"


async def test_identical_edit_is_not_modified(fake_bot_api: FakeBotApi) -> None:
    """Editing to the same text and markup is "message is not modified"."""
    await send(fake_bot_api, "<b>same</b>")
    _, body = await call(
        fake_bot_api,
        "editMessageText",
        chat_id=CHAT,
        message_id=1,
        text="<b>same</b>",
        parse_mode="HTML",
    )
    assert body["description"] == NOT_MODIFIED


async def test_a_button_can_be_answered_once(fake_bot_api: FakeBotApi) -> None:
    """A second answerCallbackQuery for the same press is "query is too old"."""
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    await send(fake_bot_api, "Sure?", reply_markup=markup)
    fake_bot_api.press_button(CHAT, 1, "yes")
    _, polled = await call(fake_bot_api, "getUpdates")
    query_id = polled["result"][0]["callback_query"]["id"]
    answers = [
        await call(fake_bot_api, "answerCallbackQuery", callback_query_id=query_id) for _ in "12"
    ]
    assert [status for status, _ in answers] == [200, 400]


def test_pressing_a_button_the_message_lacks_is_a_test_error(fake_bot_api: FakeBotApi) -> None:
    """press_button refuses data no button carries, as no Telegram client could send it."""
    with pytest.raises(ValueError, match="sent no message"):
        fake_bot_api.press_button(CHAT, 1, "yes")


async def test_wait_for_names_what_was_sent_on_timeout(fake_bot_api: FakeBotApi) -> None:
    """A wait that times out fails with the messages sent so far."""
    await send(fake_bot_api, "only this")
    with pytest.raises(AssertionError, match="only this"):
        await fake_bot_api.wait_for(chat_id=CHAT, count=2, timeout=0.01)


@pytest.mark.parametrize(
    "params",
    [
        {"chat_id": CHAT, "text": "x", "reply_markup": "{not json"},
        {"chat_id": CHAT, "text": "x", "reply_markup": "[1, 2]"},
        {"chat_id": "@nobody", "text": "x"},
    ],
)
async def test_malformed_parameters_are_bad_requests(
    fake_bot_api: FakeBotApi, params: dict[str, Any]
) -> None:
    """Garbage parameters get a 400, never a crash of the fake."""
    assert (await call(fake_bot_api, "sendMessage", **params))[0] == 400


async def test_unknown_methods_are_not_found(fake_bot_api: FakeBotApi) -> None:
    """A method the fake does not serve is 404, as Telegram answers unknown methods."""
    status, body = await call(fake_bot_api, "sendPhoto", chat_id=CHAT)
    assert (status, body["ok"]) == (404, False)


async def test_any_token_is_accepted_and_recorded(fake_bot_api: FakeBotApi) -> None:
    """Requests under another token are served and the token is remembered."""
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{fake_bot_api.base_url}999:OTHER/getMe")
    assert response.json()["result"]["id"] == 123456
    assert "999:OTHER" in fake_bot_api.tokens_seen


# -- updates --------------------------------------------------------------------------------------


async def test_long_poll_wakes_when_an_update_arrives(fake_bot_api: FakeBotApi) -> None:
    """A waiting getUpdates returns the update injected while it waits."""
    poll = asyncio.create_task(call(fake_bot_api, "getUpdates", timeout=30))
    await fake_bot_api.wait_until_polling()
    update_id = fake_bot_api.inject_message(CHAT, "hello")
    async with asyncio.timeout(10):
        _, body = await poll
    assert [u["update_id"] for u in body["result"]] == [update_id]


async def test_offset_confirms_earlier_updates(fake_bot_api: FakeBotApi) -> None:
    """Updates below the offset are dropped for good."""
    first = fake_bot_api.inject_message(CHAT, "one")
    second = fake_bot_api.inject_message(CHAT, "two")
    await call(fake_bot_api, "getUpdates", offset=first + 1)
    _, body = await call(fake_bot_api, "getUpdates")
    assert [u["update_id"] for u in body["result"]] == [second]


async def test_a_second_poller_ends_the_first_with_409(fake_bot_api: FakeBotApi) -> None:
    """Two bot instances polling at once: the older long poll gets 409 Conflict, as on Telegram."""
    first = asyncio.create_task(call(fake_bot_api, "getUpdates", timeout=30))
    await fake_bot_api.wait_until_polling()
    await call(fake_bot_api, "getUpdates")
    async with asyncio.timeout(10):
        status, body = await first
    assert (status, body["description"].split(":")[0]) == (409, "Conflict")


async def test_dropping_pending_updates_empties_the_queue(fake_bot_api: FakeBotApi) -> None:
    """deleteWebhook with drop_pending_updates forgets queued updates."""
    fake_bot_api.inject_message(CHAT, "old")
    await call(fake_bot_api, "deleteWebhook", drop_pending_updates=True)
    assert (await call(fake_bot_api, "getUpdates"))[1]["result"] == []


async def test_stop_answers_a_pending_long_poll(fake_bot_api: FakeBotApi) -> None:
    """Stopping the server answers a waiting getUpdates with no updates."""
    poll = asyncio.create_task(call(fake_bot_api, "getUpdates", timeout=30))
    await fake_bot_api.wait_until_polling()
    await fake_bot_api.stop()
    async with asyncio.timeout(10):
        assert (await poll)[1] == {"ok": True, "result": []}


# -- the real python-telegram-bot -----------------------------------------------------------------


@pytest.fixture
async def bot(fake_bot_api: FakeBotApi) -> AsyncIterator[Bot]:
    """A PTB Bot talking to the fake."""
    async with Bot(fake_bot_api.token, base_url=fake_bot_api.base_url) as bot:
        yield bot


async def test_ptb_send_message_round_trip(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    """PTB's send_message returns the Message the fake recorded, keyboard included."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    message = await bot.send_message(CHAT, "<b>Hi</b> &amp; bye", parse_mode=ParseMode.HTML,
                                     reply_markup=keyboard)  # fmt: skip
    [sent] = fake_bot_api.sent(CHAT)
    assert (message.message_id, message.text, message.text_html) == (
        1,
        "Hi & bye",
        "<b>Hi</b> &amp; bye",
    )
    assert sent.reply_markup == keyboard.to_dict()
    assert sent.callback_data == ["yes"]


async def test_ptb_edit_message_text_keeps_history(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    """An edit through PTB replaces the text and keeps the old one in history."""
    await bot.send_message(CHAT, "first")
    await bot.edit_message_text("second", chat_id=CHAT, message_id=1)
    [sent] = fake_bot_api.sent(CHAT)
    assert (sent.text, sent.history) == ("second", ["first"])


async def test_ptb_can_remove_a_keyboard(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    """edit_message_reply_markup without markup removes the buttons."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    await bot.send_message(CHAT, "Sure?", reply_markup=keyboard)
    await bot.edit_message_reply_markup(chat_id=CHAT, message_id=1)
    assert fake_bot_api.sent(CHAT)[0].buttons == []


async def test_ptb_sends_chat_actions(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    """send_chat_action("typing") is accepted and logged."""
    assert await bot.send_chat_action(CHAT, "typing")
    assert fake_bot_api.calls[-1].params == {"chat_id": CHAT, "action": "typing"}


async def test_ptb_records_link_preview_choice(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    """Disabling link previews reaches the fake as link_preview_options."""
    await bot.send_message(CHAT, "https://example.org", disable_web_page_preview=True)
    assert fake_bot_api.sent(CHAT)[0].link_preview_options == {"is_disabled": True}


async def test_ptb_raises_forbidden_for_blocked_users(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    """PTB turns the 403 into telegram.error.Forbidden."""
    fake_bot_api.block(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hi")


async def test_ptb_raises_bad_request_for_unknown_chats(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    """PTB turns "chat not found" into BadRequest, without the "Bad Request: " prefix."""
    fake_bot_api.forget(CHAT)
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(CHAT, "hi")
    assert caught.value.message == "Chat not found"


async def test_ptb_raises_bad_request_for_bad_html(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    """An unescaped '<' surfaces in PTB as BadRequest "can't parse entities"."""
    with pytest.raises(BadRequest, match="Can't parse entities: unsupported start tag"):
        await bot.send_message(CHAT, "1 < 2", parse_mode=ParseMode.HTML)


async def test_ptb_raises_retry_after_for_429(
    fake_bot_api: FakeBotApi, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PTB turns the 429 into RetryAfter carrying retry_after."""
    # Without it, merely building RetryAfter emits a PTBDeprecationWarning (an error here).
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake_bot_api.force_429(1, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "hi")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)


async def test_ptb_commands_are_kept_per_language(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    """set_my_commands stores one list per language; get_my_commands reads it back."""
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands([BotCommand("start", "Démarrer")], language_code="fr")
    french = await bot.get_my_commands(language_code="fr")
    assert [(c.command, c.description) for c in french] == [("start", "Démarrer")]
    assert fake_bot_api.commands_for("") == [{"command": "start", "description": "Start"}]


async def test_ptb_invalid_command_name_is_refused(bot: Bot) -> None:
    """Command names must be lower-case letters, digits and underscores."""
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "Start")])


@contextlib.asynccontextmanager
async def polling(
    fake: FakeBotApi, *handlers: Any
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A real Application polling the fake with ``handlers``; stopped cleanly on exit."""
    app = Application.builder().token(fake.token).base_url(fake.base_url).build()
    app.add_handlers(handlers)
    updater = app.updater
    assert updater is not None
    async with app:  # initialize (getMe) ... shutdown
        await app.start()
        await updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=1))
        try:
            yield app
        finally:
            await updater.stop()  # cancels the long poll, confirms fetched updates
            await app.stop()


async def greet(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the user's language back."""
    assert update.effective_message
    assert update.effective_user
    await update.effective_message.reply_text(f"hello {update.effective_user.language_code}")


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button and show the choice in place of the question."""
    query = update.callback_query
    assert query
    await query.answer("noted")
    await query.edit_message_text(f"chose {query.data}")


async def test_application_answers_a_command(fake_bot_api: FakeBotApi) -> None:
    """A polling Application runs its CommandHandler for an injected /start."""
    async with polling(fake_bot_api, CommandHandler("start", greet)):
        fake_bot_api.inject_message(CHAT, "/start", language_code="fr")
        [reply] = await fake_bot_api.wait_for(chat_id=CHAT)
    assert reply.text == "hello fr"


async def test_application_accepts_commands_addressed_to_it(fake_bot_api: FakeBotApi) -> None:
    """/start@<bot username> in a group reaches the CommandHandler."""
    async with polling(fake_bot_api, CommandHandler("start", greet)):
        fake_bot_api.inject_message(GROUP, f"/start@{fake_bot_api.bot_username}", user_id=5)
        [reply] = await fake_bot_api.wait_for(chat_id=GROUP)
    assert reply.text == "hello en"


async def test_application_handles_a_button_press(fake_bot_api: FakeBotApi) -> None:
    """A pressed inline button reaches the CallbackQueryHandler, which answers and edits."""
    async with polling(fake_bot_api, CallbackQueryHandler(choose)) as app:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
        question = await app.bot.send_message(CHAT, "Sure?", reply_markup=keyboard)
        pressed = fake_bot_api.press_button(CHAT, question.message_id, "yes")
        [edited] = await fake_bot_api.wait_for(lambda m: m.text == "chose yes")
        await fake_bot_api.wait_for_call("answerCallbackQuery")
    assert (fake_bot_api.callback_answer(pressed) or {}).get("text") == "noted"
    assert edited.history == ["Sure?"]
