"""Short replies: queries, confirmations and errors, each a single message.

Pure like bot.render: values in, Telegram HTML out, every user-typed value escaped. Each reply
takes the reader's language first. The welcome, help, topics, settings and stats menus live in
bot.menus.
"""

from __future__ import annotations

from collections.abc import Sequence

from babel import Locale, UnknownLocaleError

from bot.entities import Catalog
from bot.i18n import SUPPORTED, translator
from bot.markup import esc, fill, plain
from bot.query import Query
from bot.render import SOURCE_CHARS, Reply, understanding

VALUE_CHARS = 60  # what a user typed, quoted back
URL_CHARS = 300


def _quoted(lang: str, value: str) -> str:
    """HTML: what the user typed, cut short, in the language's quotation marks."""
    # TRANSLATORS: quotation marks around something the user typed.
    return fill(translator(lang).gettext("“%(value)s”"), value=esc(plain(value, VALUE_CHARS)))


def code_markup(text: str) -> str:
    return f"<code>{esc(text)}</code>"


def language_name(code: str) -> str:
    """A language's name in itself, capitalised: "English", "Français"."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, TypeError, UnknownLocaleError):
        name = code
    return name[:1].upper() + name[1:]


def arguments_markup(lang: str) -> tuple[str, str, str]:
    """HTML names of command arguments: a query, a number, a URL."""
    _ = translator(lang).gettext
    # TRANSLATORS: argument names in command syntax, as in "/latest query [N]".
    words = (_("query"), _("N"), _("URL"))
    return (f"<i>{esc(words[0])}</i>", f"<i>{esc(words[1])}</i>", f"<i>{esc(words[2])}</i>")


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
        code_markup("/latest " + _("kim putin")),
        code_markup("/latest " + _('"North Korea" OR Iran -sport')),
        fill(
            _("Names work in any language. Add a number for more stories: %(example)s"),
            example=code_markup("/latest " + _("kim putin") + " 10"),
        ),
    ]
    return Reply("\n".join(lines))


# --- Topics ----------------------------------------------------------------------------------


def no_topics(lang: str) -> Reply:
    """The user tracks nothing yet: how to start."""
    _ = translator(lang).gettext
    example = code_markup("/track " + _("kim putin"))
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
    names = dict(zip(("query", "number", "url"), arguments_markup(lang), strict=True))
    shown = esc(syntax)
    for key, name in names.items():
        shown = shown.replace("{" + key + "}", name)
    sample = code_markup(example.replace("{q}", _("kim putin")))
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
    return _reply(
        lang, text, value=_quoted(lang, value), example=code_markup("/settings time 07:30")
    )


def bad_zone(lang: str, value: str, suggestions: Sequence[str] = ()) -> Reply:
    """An unknown time zone, the closest known ones, and how to write one."""
    _ = translator(lang).gettext
    lines = [fill(_("%(value)s is not a time zone I know."), value=_quoted(lang, value))]
    if suggestions:
        names = ", ".join(code_markup(plain(s, VALUE_CHARS)) for s in suggestions[:5])
        lines.append(fill(_("Did you mean %(names)s?"), names=names))
    lines.append(
        fill(
            _("Write it as Area/City, for example: %(example)s"),
            example=code_markup("/settings tz Europe/Paris"),
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
    return code_markup(plain(url, URL_CHARS))


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
