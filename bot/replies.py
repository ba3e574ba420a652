"""Short replies and menus: welcome, help, commands, topics, settings, stats, confirmations.

Pure like bot.render: values in, Telegram HTML out, every user-typed value escaped. Each reply
takes the reader's language first. Button labels are plain text (Telegram does not parse them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal

from bot.entities import Catalog
from bot.i18n import SUPPORTED, pick_language, translator
from bot.query import Query
from bot.render import (
    MAX_MESSAGE,
    SOURCE_CHARS,
    Button,
    Reply,
    esc,
    fill,
    plain,
    size,
    substitute,
    understanding,
)

VALUE_CHARS = 60  # what a user typed, quoted back
TOPIC_CHARS = 100
URL_CHARS = 300
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


def _quoted(lang: str, value: str) -> str:
    """HTML: what the user typed, cut short, in the language's quotation marks."""
    # TRANSLATORS: quotation marks around something the user typed.
    return fill(translator(lang).gettext("“%(value)s”"), value=esc(plain(value, VALUE_CHARS)))


def _code(text: str) -> str:
    return f"<code>{esc(text)}</code>"


def language_name(code: str) -> str:
    """A language's name in itself, capitalised: "English", "Français"."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, TypeError, UnknownLocaleError):
        name = code
    return name[:1].upper() + name[1:]


# --- Queries ---------------------------------------------------------------------------------


def nothing_found(
    query: Query, catalog: Catalog, lang: str, suggestions: Sequence[str] = ()
) -> Reply:
    """No story yet: what was searched, and the names the user may have meant."""
    _ = translator(lang).gettext
    lines = [fill(_("Nothing yet for %(query)s."), query=understanding(query, catalog, lang))]
    if suggestions:
        names = ", ".join(esc(plain(s, SOURCE_CHARS)) for s in suggestions[:5])
        lines.append(fill(_("Did you mean %(names)s?"), names=names))
    lines.append(
        fill(
            _("Send %(command)s with the same words to get new stories in your daily digest."),
            command="/track",
        )
    )
    return Reply("\n".join(lines))


def not_understood(lang: str) -> Reply:
    """An empty query: how to write one, with examples."""
    _ = translator(lang).gettext
    lines = [
        fill(_("Tell me what to look for, for example:")),
        _code("/latest " + _("kim putin")),
        _code("/latest " + _('"North Korea" OR Iran -sport')),
        fill(
            _("Names work in any language. Add a number for more stories: %(example)s"),
            example=_code("/latest " + _("kim putin") + " 10"),
        ),
    ]
    return Reply("\n".join(lines))


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


def _arguments(lang: str) -> tuple[str, str, str]:
    """HTML names of command arguments: a query, a number, a URL."""
    _ = translator(lang).gettext
    # TRANSLATORS: argument names in command syntax, as in "/latest query [N]".
    words = (_("query"), _("N"), _("URL"))
    return (f"<i>{esc(words[0])}</i>", f"<i>{esc(words[1])}</i>", f"<i>{esc(words[2])}</i>")


def _commands(lang: str, admin: bool) -> list[tuple[str, str, str]]:
    """(command, arguments as HTML, plain description) for every command, in menu order."""
    _ = translator(lang).gettext
    query, number, url = _arguments(lang)
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
            example=_code(_("kim putin")),
        ),
        fill(
            _(
                '"Quotes" for an exact phrase, OR for either side, -word to leave one out: %(example)s'
            ),
            example=_code(_('"North Korea" OR Iran -sport')),
        ),
    ]
    return Reply("\n".join(lines))


# --- Topics ----------------------------------------------------------------------------------


def no_topics(lang: str) -> Reply:
    """The user tracks nothing yet: how to start."""
    _ = translator(lang).gettext
    example = _code("/track " + _("kim putin"))
    return Reply(
        fill(
            _("You don't track anything yet. Send /track and a query, for example: %(example)s"),
            example=example,
        )
    )


def tracked(query: Query, catalog: Catalog, lang: str) -> Reply:
    """Confirms a new topic and says what happens next."""
    _ = translator(lang).gettext
    return Reply(
        "✅ "
        + fill(_("Now tracking: %(topic)s"), topic=understanding(query, catalog, lang))
        + "\n"
        + fill(
            _(
                "New stories will be in your daily digest. %(command)s lists your topics and turns on 🔔 alerts."
            ),
            command="/topics",
        )
    )


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
        fill(_("Change the digest time: %(command)s"), command=_code("/settings time HH:MM")),
        fill(_("Change the time zone: %(command)s"), command=_code("/settings tz Area/City")),
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


# --- Confirmations and errors ----------------------------------------------------------------


def N_(message: str) -> str:
    """Marks `message` for extraction (pybabel's default N_ keyword); translated where used."""
    return message


def _reply(lang: str, message: str, **parts: object) -> Reply:
    """The English `message` in `lang`, escaped, with the HTML `parts` put in."""
    return Reply(fill(translator(lang).gettext(message), **parts))


def refused(lang: str) -> Reply:
    return _reply(lang, N_("Only Vigie's administrators can use this command."))


_USAGE: dict[str, tuple[str, str]] = {
    # command: (syntax, example); "{q}" is an example query, "{query}", "{number}", "{url}" argument names
    "latest": ("/latest {query} [{number}]", "/latest {q} 10"),
    "track": ("/track {query}", "/track {q}"),
    "untrack": ("/untrack {number}", "/untrack 2"),
    "alerts": ("/alerts on|off", "/alerts on"),
    "settings": ("/settings time HH:MM · /settings tz Area/City", "/settings time 07:30"),
    "feeds": ("/feeds add {url} · /feeds remove {url}", "/feeds add https://example.org/rss"),
}


def usage(lang: str, command: str) -> Reply:
    """How to write `command` (latest, track, untrack, alerts, settings, feeds), with an example."""
    if command not in _USAGE:
        return unknown_command(lang)
    _ = translator(lang).gettext
    syntax, example = _USAGE[command]
    names = dict(zip(("query", "number", "url"), _arguments(lang), strict=True))
    shown = esc(syntax)
    for key, name in names.items():
        shown = shown.replace("{" + key + "}", name)
    sample = _code(example.replace("{q}", _("kim putin")))
    return Reply(
        fill(_("Usage: %(syntax)s"), syntax=shown)
        + "\n"
        + fill(_("For example: %(example)s"), example=sample)
    )


def untrack_bad_number(lang: str, n: str | int, count: int) -> Reply:
    """`n` is not the number of a topic."""
    if count <= 0:
        return no_topics(lang)
    template = translator(lang).ngettext(
        "There is no topic %(number)s: you track %(n)d topic. /topics lists it.",
        "There is no topic %(number)s: you track %(n)d topics. /topics lists them.",
        count,
    )
    typed = str(n).strip()
    shown = esc(typed) if typed.isdigit() and len(typed) < 10 else _quoted(lang, typed)
    return Reply(fill(template, number=shown, n=count))


def untracked(lang: str, query: str) -> Reply:
    return _reply(lang, N_("Stopped tracking %(topic)s."), topic=_quoted(lang, query))


def already_tracking(lang: str, query: str) -> Reply:
    text = N_("You already track %(topic)s. /topics lists your topics.")
    return _reply(lang, text, topic=_quoted(lang, query))


def alerts_set(lang: str, on: bool, topics: int) -> Reply:
    """Confirms /alerts on|off for every topic."""
    tr = translator(lang)
    if not on:
        return Reply(
            "🔕 "
            + fill(tr.gettext("Alerts off for all your topics. Your daily digest is unchanged."))
        )
    if topics <= 0:
        return Reply(
            "🔔 " + fill(tr.gettext("Alerts are on, but you track nothing yet: send /track first."))
        )
    template = tr.ngettext(
        "Alerts on for your %(n)d topic.", "Alerts on for all your %(n)d topics.", topics
    )
    return Reply("🔔 " + fill(template, n=topics))


def settings_saved(lang: str) -> Reply:
    return _reply(lang, N_("✅ Saved."))


def bad_time(lang: str, value: str) -> Reply:
    text = N_("%(value)s is not a time. Write it as HH:MM, for example: %(example)s")
    return _reply(lang, text, value=_quoted(lang, value), example=_code("/settings time 07:30"))


def bad_zone(lang: str, value: str, suggestions: Sequence[str] = ()) -> Reply:
    """An unknown time zone, the closest known ones, and how to write one."""
    _ = translator(lang).gettext
    lines = [fill(_("%(value)s is not a time zone I know."), value=_quoted(lang, value))]
    if suggestions:
        names = ", ".join(_code(plain(s, VALUE_CHARS)) for s in suggestions[:5])
        lines.append(fill(_("Did you mean %(names)s?"), names=names))
    lines.append(
        fill(
            _("Write it as Area/City, for example: %(example)s"),
            example=_code("/settings tz Europe/Paris"),
        )
    )
    return Reply("\n".join(lines))


def bad_lang(lang: str, value: str) -> Reply:
    text = N_("%(value)s is not a language I speak. Choose one of: %(choices)s.")
    choices = ", ".join(f"{esc(language_name(c))} ({c})" for c in SUPPORTED)
    return _reply(lang, text, value=_quoted(lang, value), choices=choices)


def stopped(lang: str) -> Reply:
    """After /stop: everything is deleted; how to come back."""
    _ = translator(lang).gettext
    done = _("Done: your topics and settings are deleted, and I will not write to you again.")
    return Reply(fill(done) + "\n" + fill(_("Send /start to come back.")))


def unknown_command(lang: str) -> Reply:
    return _reply(lang, N_("I don't know this command. /help lists them all."))


def _url(url: str) -> str:
    return _code(plain(url, URL_CHARS))


def feed_added(lang: str, url: str) -> Reply:
    text = N_("✅ Feed added: %(url)s. It will be read in the next round.")
    return _reply(lang, text, url=_url(url))


def feed_exists(lang: str, url: str) -> Reply:
    return _reply(lang, N_("This feed is already read: %(url)s"), url=_url(url))


def feed_removed(lang: str, url: str) -> Reply:
    text = N_("Feed removed: %(url)s. Its stories can still be found.")
    return _reply(lang, text, url=_url(url))


def feed_unknown(lang: str, url: str) -> Reply:
    text = N_("No feed read has this address: %(url)s. /feeds lists them.")
    return _reply(lang, text, url=_url(url))


def bad_url(lang: str, value: str) -> Reply:
    text = N_("%(value)s is not a feed address: it must start with http:// or https://.")
    return _reply(lang, text, value=_quoted(lang, value))


def digest_empty(lang: str) -> Reply:
    return _reply(lang, N_("Nothing new on your topics since your last digest."))


def page_expired(lang: str) -> Reply:
    return _reply(lang, N_("That list has expired: send /latest again."))


def error(lang: str) -> Reply:
    return _reply(lang, N_("Something went wrong on my side. Please try again in a moment."))
