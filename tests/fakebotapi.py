"""A fake Telegram Bot API server for end-to-end tests (pytest plugin).

The real python-telegram-bot talks HTTP to it through ``base_url``; nothing in PTB is mocked.
It answers the methods Vigie uses, checks text the way Telegram does (HTML entities, length),
can refuse like Telegram (403 blocked, 400 chat not found, 429 flood control) and records
everything the bot sent so tests can wait for it.

Usage::

    async def test_start(fake_bot_api: FakeBotApi) -> None:
        app = Application.builder().token(fake_bot_api.token).base_url(fake_bot_api.base_url)...
        fake_bot_api.inject_message(42, "/start")
        [reply] = await fake_bot_api.wait_for(chat_id=42)

The fake is stricter than Telegram in two places, so that what passes here passes there:
every '&' must start a complete entity (Telegram keeps a lone '&' as text; ``strict_html``),
and the 4096 limit counts UTF-16 code units (Telegram may count code points).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import math
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from aiohttp import web

from tests.telegram_html import MAX_TEXT_UTF16, HtmlError, parse_html, utf16_len

DEFAULT_TOKEN = "123456:TEST-TOKEN"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note",
     "upload_video_note"}
)  # fmt: skip
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")

# ---------------------------------------------------------------------------------------------
# Records and refusals.


@dataclass
class RateLimits:
    """Telegram's flood limits; off by default so tests stay deterministic."""

    enabled: bool = False
    global_per_second: float = 30.0
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    min_retry_after: int = 1


@dataclass
class SentMessage:
    """A message the bot sent, in its current state (``history`` holds earlier texts)."""

    chat_id: int
    message_id: int
    text: str  # as sent: HTML source when parse_mode is HTML
    parse_mode: str | None
    visible_text: str  # what the user sees, after entity parsing
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    link_preview_options: dict[str, Any] | None
    disable_web_page_preview: bool | None
    date: int
    history: list[str] = field(default_factory=list)  # earlier texts, one per edit
    deleted: bool = False

    @property
    def edited(self) -> bool:
        return bool(self.history)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline keyboard buttons, row by row, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]


@dataclass(frozen=True)
class Call:
    """One request the bot made: canonical method name, decoded params, HTTP status."""

    method: str
    params: dict[str, Any]
    status: int
    description: str | None = None


class ApiError(Exception):
    """A Bot API refusal: {"ok": false, "error_code", "description"} and any `parameters`."""

    def __init__(self, code: int, description: str, **parameters: int) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _flood(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


# How form-encoded values are typed: PTB sends nested values as JSON strings, scalars as text.
_JSON_PARAMS = frozenset(
    {"reply_markup", "link_preview_options", "commands", "scope", "allowed_updates",
     "reply_parameters", "entities"}
)  # fmt: skip
_NUMBER_PARAMS = frozenset({"chat_id", "message_id", "offset", "limit", "timeout", "cache_time"})
_BOOL_PARAMS = frozenset(
    {"disable_web_page_preview", "disable_notification", "protect_content", "show_alert",
     "drop_pending_updates"}
)  # fmt: skip


def _typed(name: str, value: Any) -> Any:
    if isinstance(value, str) and name in _JSON_PARAMS:
        try:
            value = json.loads(value)
        except ValueError:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
    elif isinstance(value, str) and name in _NUMBER_PARAMS:
        with contextlib.suppress(ValueError):
            return float(value) if "." in value else int(value)
        if name != "chat_id":  # a chat may be named "@channel"
            raise ApiError(400, f"Bad Request: wrong parameter {name} in request")
    elif isinstance(value, str) and name in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    if name == "reply_markup" and not isinstance(value, dict | None):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    return value


# ---------------------------------------------------------------------------------------------
# The server.


class FakeBotApi:
    """An in-process Bot API on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "vigie_test_bot",
        bot_name: str = "Vigie",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.clock = clock  # dates and rate limits; tests may freeze it
        self.limits = RateLimits()
        self.strict_chats = False  # unknown chats -> "chat not found"
        self.reject_tokens = False  # every call gets 401 Unauthorized, as for a revoked token
        self.strict_html = True  # stricter than Telegram about '&' (see parse_html)
        self.tokens_seen: set[str] = set()
        self.calls: list[Call] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.forgotten: set[int] = set()
        self.migrated: dict[int, int] = {}  # group id -> its supergroup's id
        self._sent: list[SentMessage] = []
        self._by_id: dict[tuple[int, Any], SentMessage] = {}  # (chat_id, message_id)
        self._next_message_id: dict[int, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._query_ids = itertools.count(1)
        self._query_of_update: dict[int, str] = {}
        self._forced: dict[str, list[int]] = {}  # method -> [left, retry_after]
        self._buckets: dict[object, tuple[float, float]] = {}
        self._poll_generation = 0
        self.waiting_polls = 0  # getUpdates requests waiting for an update right now
        self._closing = False
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._methods: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "getUpdates": self._get_updates,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendChatAction": self._send_chat_action,
            }.items()
        }

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Value for PTB's ``base_url``: PTB appends the token, then "/<method>"."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Answer pending long polls with no updates, then close the server."""
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- controls for tests ------------------------------------------------------------------

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: sending to ``chat_id`` now gets 403."""
        self.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self.blocked.discard(chat_id)

    def forget(self, chat_id: int) -> None:
        """Telegram no longer knows ``chat_id``: 400 "chat not found"."""
        self.forgotten.add(chat_id)

    def migrate(self, group_id: int, supergroup_id: int) -> None:
        """The group became a supergroup: sending to ``group_id`` now gets 400 with the new id."""
        self.migrated[group_id] = supergroup_id

    def add_chat(self, chat_id: int, chat_type: str | None = None, **fields: Any) -> None:
        """Make ``chat_id`` known (needed when ``strict_chats`` is on)."""
        self.forgotten.discard(chat_id)
        self.chats[chat_id] = self._chat(chat_id, chat_type) | fields

    def force_429(self, n: int, retry_after: int = 1, *, method: str = "sendMessage") -> None:
        """The next ``n`` calls of ``method`` get 429 with ``retry_after`` (a flood storm)."""
        self._forced[method.lower()] = [n, retry_after]

    # -- updates -----------------------------------------------------------------------------

    def inject_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update (its update_id is assigned here); returns the update id."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id} | update)
        self._notify()
        return update_id

    def inject_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "en",
        chat_type: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
    ) -> int:
        """A user writes ``text`` in ``chat_id``; returns the update id.

        ``user_id`` defaults to ``chat_id`` in private chats (and 1000 in groups); a leading
        "/command" or "/command@bot" gets its bot_command entity, as Telegram adds it.
        """
        user = self._user(user_id, chat_id, language_code, username, first_name)
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "date": int(self.clock()),
            "chat": self.chats.setdefault(chat_id, self._chat(chat_id, chat_type)),
            "from": user,
            "text": text,
        }
        if command := _COMMAND.match(text):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}
            ]
        return self.inject_update({"message": message})

    def press_button(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "en",
        stale: bool = False,
    ) -> int:
        """A user presses the inline button carrying ``data`` under a message the bot sent.

        Returns the update id. Raises ValueError if the message has no such button, since a
        Telegram client could not send that. ``stale``: a press Telegram no longer lets the bot
        answer (400 "query is too old"), as for presses queued while the bot was down.
        """
        sent = self._by_id.get((chat_id, message_id))
        if sent is None or sent.deleted:
            raise ValueError(f"the bot sent no message {message_id} to chat {chat_id}")
        if data not in sent.callback_data:
            raise ValueError(f"message {message_id} has no button {data!r}: {sent.callback_data}")
        query_id = f"cq{next(self._query_ids)}"
        if not stale:
            self._open_queries.add(query_id)
        update_id = self.inject_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(user_id, chat_id, language_code, None, None),
                    "message": self._message_json(sent),
                    "chat_instance": f"ci{chat_id}",
                    "data": data,
                }
            }
        )
        self._query_of_update[update_id] = query_id
        return update_id

    # -- what the bot did --------------------------------------------------------------------

    def sent(self, chat_id: int) -> list[SentMessage]:
        """Messages the bot sent to ``chat_id``, oldest first, in their current state."""
        return [m for m in self._sent if m.chat_id == chat_id]

    def all_sent(self) -> list[SentMessage]:
        return list(self._sent)

    def rejected(self, method: str | None = None) -> list[Call]:
        """Calls Telegram would have refused (status >= 400), optionally of one method."""
        return [c for c in self.calls if c.status >= 400 and (method is None or c.method == method)]

    def commands_for(
        self, language_code: str = "", scope: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Commands set for exactly this scope and language, as getMyCommands would answer."""
        return self.commands.get(self._commands_key(scope, language_code), [])

    async def wait_for(
        self,
        predicate: Callable[[SentMessage], bool] | None = None,
        *,
        chat_id: int | None = None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - on expiry we fail with what was sent instead
    ) -> list[SentMessage]:
        """Wait until at least ``count`` sent messages (of ``chat_id``) match ``predicate``.

        Messages are tested in their current state, so edits count. Returns all matches;
        raises AssertionError naming what was sent if ``timeout`` passes first.
        """

        def matches() -> list[SentMessage] | None:
            pool = self._sent if chat_id is None else self.sent(chat_id)
            found = [m for m in pool if not m.deleted and (predicate is None or predicate(m))]
            return found if len(found) >= count else None

        what = f"{count} message(s)" + (f" to chat {chat_id}" if chat_id is not None else "")
        return await self._until(matches, what, timeout)

    async def wait_for_call(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - on expiry we fail with the calls seen
    ) -> list[Call]:
        """Wait until ``method`` has been called successfully ``count`` times."""

        def matches() -> list[Call] | None:
            found = [c for c in self.calls if c.method == method and c.status == 200]
            return found if len(found) >= count else None

        return await self._until(matches, f"{count} successful {method} call(s)", timeout)

    async def wait_until_polling(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - on expiry we fail with the calls seen
    ) -> None:
        """Wait until a getUpdates long poll is waiting on the server."""
        await self._until(lambda: True if self.waiting_polls else None, "a long poll", timeout)

    def callback_answer(self, update_id: int) -> dict[str, Any] | None:
        """Params of the answerCallbackQuery for the button press ``update_id``, if any."""
        return self.callback_answers.get(self._query_of_update.get(update_id, ""))

    # -- internals ---------------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _until(self, ready: Callable[[], Any], what: str, seconds: float) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (result := ready()) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                sent = [(m.chat_id, m.message_id, m.text[:80]) for m in self._sent]
                refused = [(c.method, c.status, c.description) for c in self.rejected()]
                raise AssertionError(
                    f"timed out after {seconds}s waiting for {what}; sent: {sent}; "
                    f"refused: {refused}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return result

    async def _handle(self, request: web.Request) -> web.Response:
        self.tokens_seen.add(request.match_info["token"])
        asked = request.match_info["method"]
        method, handler = self._methods.get(asked.lower(), (asked, None))
        params: dict[str, Any] = {}
        try:
            params = await self._read_params(request)
            if self.reject_tokens:
                raise ApiError(401, "Unauthorized")
            if handler is None:
                raise ApiError(404, "Not Found")
            forced = self._forced.get(method.lower())
            if forced and forced[0] > 0:
                forced[0] -= 1
                raise _flood(forced[1])
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as error:
            self._log(request, Call(method, params, error.code, error.description))
            return web.json_response(error.payload(), status=error.code)
        except Exception as bug:  # a fault of the fake: make it visible in the call log
            self._log(request, Call(method, params, 500, repr(bug)))
            body = {"ok": False, "error_code": 500, "description": f"fake bug: {bug!r}"}
            return web.json_response(body, status=500)
        self._log(request, Call(method, params, 200))
        return web.json_response({"ok": True, "result": result})

    def _log(self, request: web.Request, call: Call) -> None:
        # A long poll the client abandoned (PTB cancels it on stop) is nobody's answer.
        if request.transport is not None and not request.transport.is_closing():
            self.calls.append(call)
            self._notify()

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON object expected")
            raw |= body
        elif request.can_read_body:
            raw |= {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        return {name: _typed(name, value) for name, value in raw.items()}

    # -- chats, users, messages --------------------------------------------------------------

    def _chat(self, chat_id: int, chat_type: str | None) -> dict[str, Any]:
        kind = chat_type or ("private" if chat_id > 0 else "group")
        if chat_id <= -1_000_000_000_000 and chat_type is None:
            kind = "supergroup"
        if kind == "private":
            return {"id": chat_id, "type": kind, "first_name": f"User{chat_id}"}
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    def _user(
        self,
        user_id: int | None,
        chat_id: int,
        language_code: str | None,
        username: str | None,
        first_name: str | None,
    ) -> dict[str, Any]:
        uid = user_id if user_id is not None else (chat_id if chat_id > 0 else 1000)
        user = {"id": uid, "is_bot": False, "first_name": first_name or f"User{uid}"}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def _bot_user(self) -> dict[str, Any]:
        prefix = self.token.split(":", 1)[0]
        return {
            "id": int(prefix) if prefix.isdigit() else 123456,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def _new_message_id(self, chat_id: int) -> int:
        # One sequence per chat for both sides, as in Telegram's private chats.
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def _message_json(self, m: SentMessage) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": m.message_id,
            "date": m.date,
            "chat": self.chats.get(m.chat_id) or self._chat(m.chat_id, None),
            "from": self._bot_user(),
            "text": m.visible_text,
        }
        if m.entities:
            message["entities"] = m.entities
        if m.reply_markup:
            message["reply_markup"] = m.reply_markup
        if m.edited:
            message["edit_date"] = int(self.clock())
        return message

    def _target_chat(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if (
            not isinstance(chat_id, int)
            or chat_id in self.forgotten
            or (self.strict_chats and chat_id not in self.chats)
        ):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self.migrated[chat_id],
            )
        if chat_id in self.blocked:
            if chat_id > 0:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        return chat_id

    def _checked_text(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text = str(params.get("text") or "")
        parse_mode = params.get("parse_mode")
        visible, entities = text, list[dict[str, Any]]()
        if parse_mode and str(parse_mode).lower() == "html":
            try:
                visible, entities = parse_html(text, strict=self.strict_html)
            except HtmlError as error:
                raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
        elif parse_mode and str(parse_mode).lower() not in ("markdown", "markdownv2"):
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(visible) > MAX_TEXT_UTF16:
            raise ApiError(400, "Bad Request: message is too long")
        return visible, entities

    def _check_rate(self, chat_id: int) -> None:
        """Token buckets: everything, and this chat; refuse without spending if one is dry."""
        limits = self.limits
        if not limits.enabled:
            return
        now = self.clock()
        if chat_id < 0:
            chat_rule = (limits.group_per_minute / 60, limits.group_per_minute)
        else:
            chat_rule = (limits.private_per_second, float(limits.private_burst))
        rules = {"*": (limits.global_per_second, limits.global_per_second), chat_id: chat_rule}
        levels, wait = {}, 0.0
        for key, (rate, capacity) in rules.items():
            tokens, then = self._buckets.get(key, (capacity, now))
            levels[key] = min(capacity, tokens + (now - then) * rate)
            if levels[key] < 1:
                wait = max(wait, (1 - levels[key]) / rate)
        if wait:
            for key, level in levels.items():
                self._buckets[key] = (level, now)
            raise _flood(max(limits.min_retry_after, math.ceil(wait)))
        for key, level in levels.items():
            self._buckets[key] = (level - 1, now)

    def _find(self, params: dict[str, Any]) -> SentMessage:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: inline messages are not supported by the fake")
        chat_id = self._target_chat(params)
        found = self._by_id.get((chat_id, params.get("message_id")))
        if found is None or found.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        return found

    # -- methods -----------------------------------------------------------------------------

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_user() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if isinstance(offset, int) and offset < 0:
            del self._updates[:offset]  # keep the last -offset updates
        elif isinstance(offset, int):
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._poll_generation += 1  # a newer poll ends the older one, as on Telegram
        generation = self._poll_generation
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self.waiting_polls += 1
        self._notify()
        try:
            while True:
                if self._poll_generation != generation:
                    raise ApiError(409, _CONFLICT)
                if self._updates or self._closing or loop.time() >= deadline:
                    return self._updates[:limit]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), deadline - loop.time())
        finally:
            self.waiting_polls -= 1

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        visible, entities = self._checked_text(params)
        self._check_rate(chat_id)
        message = SentMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            text=str(params["text"]),
            parse_mode=params.get("parse_mode"),
            visible_text=visible,
            entities=entities,
            reply_markup=params.get("reply_markup"),
            link_preview_options=params.get("link_preview_options"),
            disable_web_page_preview=params.get("disable_web_page_preview"),
            date=int(self.clock()),
        )
        self._sent.append(message)
        self._by_id[(chat_id, message.message_id)] = message
        return self._message_json(message)

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        visible, entities = self._checked_text(params)
        markup = params.get("reply_markup")
        if (visible, entities, markup) == (
            message.visible_text,
            message.entities,
            message.reply_markup,
        ):
            raise ApiError(400, NOT_MODIFIED)
        message.history.append(message.text)
        message.text, message.visible_text, message.entities = (
            str(params["text"]),
            visible,
            entities,
        )
        message.parse_mode, message.reply_markup = params.get("parse_mode"), markup
        message.link_preview_options = params.get("link_preview_options")
        return self._message_json(message)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        if params.get("reply_markup") == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.history.append(message.text)
        message.reply_markup = params.get("reply_markup")
        return self._message_json(message)

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._target_chat(params)
        found = self._by_id.get((chat_id, params.get("message_id")))
        if found is None or found.deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        found.deleted = True
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_queries:
            raise ApiError(400, _QUERY_TOO_OLD)
        self._open_queries.discard(query_id)
        self.callback_answers[query_id] = params
        return True

    @staticmethod
    def _commands_key(scope: dict[str, Any] | None, language_code: str | None) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand JSON object")
            if not _BOT_COMMAND.fullmatch(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: command description must be non-empty")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands_for(params.get("language_code") or "", params.get("scope"))

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(
            self._commands_key(params.get("scope"), params.get("language_code")), None
        )
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True


@pytest_asyncio.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    """A running FakeBotApi, closed after the test."""
    async with FakeBotApi() as fake:
        yield fake
