"""Menus: the welcome, help and command menu, the topics list, settings and stats.

Pure like bot.render: values in, Telegram HTML out, every user-typed value escaped. Each menu
takes the reader's language first. Button labels are plain text (Telegram does not parse them).
Short replies and confirmations live in bot.replies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal

from bot.i18n import SUPPORTED, pick_language, translator
from bot.markup import MAX_MESSAGE, esc, fill, plain, size, substitute
from bot.render import Button, Reply
from bot.replies import VALUE_CHARS, arguments_markup, code_markup, language_name, no_topics

TOPIC_CHARS = 100
MAX_TOPIC_BUTTONS = 49  # two per topic; Telegram takes at most 100 buttons


@dataclass(frozen=True)
class TopicEntry:
    number: int
    subscription_id: int
    query: str  # as the user wrote it
    understood: str  # plain text, already rendered
    alerts: bool


@dataclass(frozen=True)
class SettingsView:
    lang: str
    tz: str
    digest_time: str  # "HH:MM"
    digest_enabled: bool
    nothing_new: bool
    alerts_on: int  # topics with alerts
    topics: int


@dataclass(frozen=True)
class StatsView:
    feeds: int
    broken: int
    stories: int
    chats: int
    topics: int
    sent_today: int


# --- Welcome, help and the command menu ------------------------------------------------------


def welcome(lang: str, default_topic_name: str, track_data: str) -> Reply:
    """A short welcome, what Vigie does in three lines, and a button to track a first topic."""
    _ = translator(lang).gettext
    lines = [
        "<b>" + fill(_("Welcome to Vigie!")) + "</b>",
        fill(
            _(
                "I read the world's press in every language and follow the people, countries and topics you choose:"
            )
        ),
        "• "
        + fill(
            _("%(command)s — the newest stories, whatever language they are in"),
            command="/latest " + esc(_("kim putin")),
        ),
        "• "
        + fill(
            _("%(command)s — a daily digest of your topics, at the hour you choose"),
            command="/track",
        ),
        "• " + fill(_("🔔 alerts — as soon as one of your topics is in the news")),
        fill(_("Start with a topic below, or send %(command)s."), command="/help"),
    ]
    label = substitute(_("Track %(topic)s"), topic=plain(default_topic_name, 40))
    return Reply("\n".join(lines), ((Button(label, track_data),),))


def _commands(lang: str, admin: bool) -> list[tuple[str, str, str]]:
    """(command, arguments as HTML, plain description) for every command, in menu order."""
    _ = translator(lang).gettext
    query, number, url = arguments_markup(lang)
    table = [
        ("latest", f" {query} [{number}]", _("the newest stories (5 unless you add a number)")),
        ("track", f" {query}", _("follow a topic in your daily digest")),
        ("topics", "", _("your topics: remove them, turn alerts on or off")),
        ("untrack", f" {number}", _("stop following topic number N")),
        ("digest", "", _("your digest, right now")),
        ("alerts", " on|off", _("alerts for all your topics")),
        ("settings", "", _("language, time zone, digest time")),
        ("stop", "", _("delete everything about you and stop")),
        ("help", "", _("all commands and how to write a query")),
        ("start", "", _("welcome and a first topic")),
    ]
    if admin:
        table += [
            ("feeds", "", _("the feeds and their health")),
            ("feeds", f" add {url}", _("poll a new feed")),
            ("feeds", f" remove {url}", _("stop polling a feed")),
            ("stats", "", _("how Vigie is doing")),
        ]
    return table


def COMMANDS(lang: str, *, admin: bool = False) -> list[tuple[str, str]]:
    """(command, description) pairs for Telegram's setMyCommands, plain text."""
    seen: dict[str, str] = {}
    for command, _args, description in _commands(lang, admin):
        seen.setdefault(command, description)
    return list(seen.items())


def help_text(lang: str, *, admin: bool) -> Reply:
    """Every command with one line each, and how to write a query."""
    _ = translator(lang).gettext
    lines = ["<b>" + fill(_("Commands")) + "</b>"]
    lines += [f"/{c}{args} — {esc(d)}" for c, args, d in _commands(lang, admin)]
    lines += [
        "",
        "<b>" + fill(_("Queries")) + "</b>",
        fill(
            _("Names and words in any language; a story must match them all: %(example)s"),
            example=code_markup(_("kim putin")),
        ),
        fill(
            _(
                '"Quotes" for an exact phrase, OR for either side, -word to leave one out: %(example)s'
            ),
            example=code_markup(_('"North Korea" OR Iran -sport')),
        ),
    ]
    return Reply("\n".join(lines))


# --- Topics ----------------------------------------------------------------------------------


def topics(entries: Sequence[TopicEntry], lang: str) -> Reply:
    """The numbered topics, 🔔 for those with alerts, and remove / alerts buttons for each."""
    if not entries:
        return no_topics(lang)
    _ = translator(lang).gettext
    lines = ["<b>" + fill(_("Your topics")) + "</b>"]
    rows: list[tuple[Button, ...]] = []
    for shown, entry in enumerate(entries):
        query = esc(plain(entry.query, TOPIC_CHARS))
        meaning = esc(plain(entry.understood, 2 * TOPIC_CHARS))
        line = f"{entry.number}. {query} — {meaning}" + (" 🔔" if entry.alerts else "")
        if shown >= MAX_TOPIC_BUTTONS or size("\n".join([*lines, line])) > MAX_MESSAGE - 100:
            more = translator(lang).ngettext(
                "… and %(n)d more", "… and %(n)d more", len(entries) - shown
            )
            lines.append(fill(more, n=len(entries) - shown))
            break
        lines.append(line)
        toggle = _("🔕 Mute %(n)d") if entry.alerts else _("🔔 Alert me %(n)d")
        rows.append(
            (
                Button(
                    substitute(_("✖ Remove %(n)d"), n=entry.number),
                    f"untrack:{entry.subscription_id}",
                ),
                Button(substitute(toggle, n=entry.number), f"alerts:{entry.subscription_id}"),
            )
        )
    return Reply("\n".join(lines), tuple(rows))


# --- Settings and stats ----------------------------------------------------------------------


def settings(view: SettingsView, lang: str) -> Reply:
    """The reader's settings, buttons for language and on/off choices, how to type the rest."""
    tr = translator(lang)
    _ = tr.gettext
    if view.digest_enabled:
        digest = fill(_("Daily digest: at %(time)s"), time=esc(plain(view.digest_time, 5)))
    else:
        digest = fill(_("Daily digest: off"))
    quiet = (
        _("“Nothing new” messages: on") if view.nothing_new else _("“Nothing new” messages: off")
    )
    if view.topics:
        on = tr.ngettext(
            "Alerts: on for %(on)d topic of %(n)d",
            "Alerts: on for %(on)d topics of %(n)d",
            view.alerts_on,
        )
        alerts = fill(on, on=view.alerts_on, n=view.topics)
    else:
        alerts = fill(_("Alerts: no topics yet"))
    lines = [
        "<b>" + fill(_("Settings")) + "</b>",
        fill(_("Language: %(value)s"), value=esc(language_name(pick_language(view.lang)))),
        fill(_("Time zone: %(value)s"), value=esc(plain(view.tz, VALUE_CHARS))),
        digest,
        fill(quiet),
        alerts,
        "",
        fill(_("Change the digest time: %(command)s"), command=code_markup("/settings time HH:MM")),
        fill(_("Change the time zone: %(command)s"), command=code_markup("/settings tz Area/City")),
    ]
    current = pick_language(view.lang)
    languages = tuple(
        Button(("✓ " if code == current else "") + language_name(code), f"set:lang:{code}")
        for code in SUPPORTED
    )

    def toggle(label: str, key: str, state: bool) -> tuple[Button]:
        return (
            Button(("✅ " if state else "⬜ ") + label, f"set:{key}:{'off' if state else 'on'}"),
        )

    buttons = (
        languages,
        toggle(_("Daily digest"), "digest", view.digest_enabled),
        toggle(_("“Nothing new” messages"), "nothing_new", view.nothing_new),
    )
    return Reply("\n".join(lines), buttons)


def stats(view: StatsView, lang: str) -> Reply:
    """The numbers an administrator watches."""
    _ = translator(lang).gettext
    locale = pick_language(lang)

    def number(n: int) -> str:
        return esc(format_decimal(n, locale=locale))

    lines = [
        "<b>" + fill(_("Vigie in numbers")) + "</b>",
        fill(
            _("Feeds: %(n)s (%(broken)s broken)"), n=number(view.feeds), broken=number(view.broken)
        ),
        fill(_("Stories: %(n)s"), n=number(view.stories)),
        fill(_("Chats: %(n)s"), n=number(view.chats)),
        fill(_("Topics: %(n)s"), n=number(view.topics)),
        fill(_("Messages sent today: %(n)s"), n=number(view.sent_today)),
    ]
    return Reply("\n".join(lines))
