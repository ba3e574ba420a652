"""Telegram HTML for what Vigie sends about stories: results, digests, alerts, the feed list.

Pure: values in, text out; `now` and the time zone are parameters. Every piece of text that
comes from a feed or a user is escaped, links are only ever http(s), and no message is longer
than Telegram's 4096 characters: long lists are split between stories, never inside one, and a
story too long on its own has its title and summary shortened before they are escaped.
Short replies live in bot.replies, menus in bot.menus, HTML building blocks in bot.markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from gettext import NullTranslations

from babel.dates import format_date

from bot.entities import Catalog
from bot.i18n import pick_language, translator
from bot.markup import MAX_HREF, MAX_MESSAGE, esc, fill, host, link, pack, plain, size, substitute
from bot.query import Query, TermKind, understood
from bot.ranking import Section
from storage.feeds import FeedRow
from storage.search import Hit

MAX_CALLBACK_BYTES = 64
TITLE_CHARS = 300
SUMMARY_CHARS = 280
SOURCE_CHARS = 60
QUERY_CHARS = 500  # the "how it was understood" line, before escaping
NAMES_SHOWN = 4  # names per query term before "…"
MIN_SUMMARY = 20  # a summary cut shorter than this says nothing: leave it out


@dataclass(frozen=True)
class Button:
    """An inline button; `data` comes back in the callback query."""

    text: str
    data: str

    def __post_init__(self) -> None:
        if not 1 <= len(self.data.encode("utf-8")) <= MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data must be 1-64 bytes of UTF-8: {self.data!r}")


@dataclass(frozen=True)
class Reply:
    """One message: Telegram HTML, rows of inline buttons, and whether to show a link preview."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    preview: bool = False


# --- Story building blocks (Telegram HTML's own are in bot.markup) ----------------------------


def source_name(feed_title: str | None, feed_url: str) -> str:
    """What to call a feed: its title, else the host of its URL (plain text)."""
    return plain(feed_title, SOURCE_CHARS) or plain(host(feed_url), SOURCE_CHARS)


def fit(
    make: Callable[[int, bool], str], limit: int = MAX_MESSAGE, start: int = TITLE_CHARS
) -> str:
    """`make(budget, linked)` at the largest text budget up to `start` that fits in `limit`.

    The budget caps the plain texts of a block (title, summary...) before they are escaped.
    A link that leaves no room at all (a huge URL) is dropped.
    """
    for linked in (True, False):
        block = make(start, linked)
        if size(block) <= limit:
            return block
        low, high, best = 0, start, None  # make(high) is too long; make(low) fits if low > 0
        while high - low > 1:
            middle = (low + high) // 2
            candidate = make(middle, linked)
            if size(candidate) <= limit:
                low, best = middle, candidate
            else:
                high = middle
        if best is not None:
            return best
    return make(1, False)


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def relative_time(when: datetime, now: datetime, lang: str, tz: tzinfo = UTC) -> str:
    """Plain text: "just now", "5 min ago", "3 h ago", "2 d ago"; a week or more: "13 Sep 2023"."""
    tr = translator(lang)
    seconds = (_utc(now) - _utc(when)).total_seconds()
    if seconds < 60:  # future dates too: a feed's clock is not ours
        return tr.gettext("just now")
    minutes = int(seconds // 60)
    if minutes < 60:
        return substitute(tr.ngettext("%(n)d min ago", "%(n)d min ago", minutes), n=minutes)
    hours = minutes // 60
    if hours < 24:
        return substitute(tr.ngettext("%(n)d h ago", "%(n)d h ago", hours), n=hours)
    days = hours // 24
    if days < 7:
        return substitute(tr.ngettext("%(n)d d ago", "%(n)d d ago", days), n=days)
    # TRANSLATORS: a CLDR date pattern (https://cldr.unicode.org) for stories a week old or more.
    pattern = tr.gettext("d MMM y")
    return format_date(_utc(when).astimezone(tz).date(), pattern, locale=pick_language(lang))


def other_sources(count: int, lang: str) -> str:
    """HTML "+K other sources", empty for none."""
    if count <= 0:
        return ""
    tr = translator(lang)
    return fill(tr.ngettext("+%(n)d other source", "+%(n)d other sources", count), n=count)


def _meta(hit: Hit, lang: str, now: datetime | None) -> str:
    """HTML "Source · 5 min ago · +2 other sources" (no time when `now` is None)."""
    parts = [esc(source_name(hit.feed_title, hit.feed_url))]
    if now is not None:
        parts.append(esc(relative_time(hit.published, now, lang)))
    parts.append(other_sources(len(hit.other_sources), lang))
    return " · ".join(p for p in parts if p)


def _title(hit: Hit, budget: int, linked: bool, tr: NullTranslations) -> str:
    title = plain(hit.title, min(budget, TITLE_CHARS)) or tr.gettext("(no title)")
    return link(title, hit.link if linked else None)


# --- Queries and results ---------------------------------------------------------------------


def understanding_text(query: Query, catalog: Catalog, lang: str) -> str:
    """Plain text, one line: "kim → Kim Jong-un, Kim Yo-jong · putin → Vladimir Putin".

    For TopicEntry.understood; messages use `understanding`, its escaped form.
    """
    tr = translator(lang)
    readings = iter(understood(query, catalog, pick_language(lang)))
    groups = [*query.clauses, *((t,) for t in query.excluded)]
    # TRANSLATORS: between alternatives of a query, as in "kim or putin".
    either = tr.gettext("or")
    shown: list[str] = []
    for group in groups:
        alternatives = []
        for term in group:
            typed, names = next(readings)
            if term.kind is TermKind.KEYWORD or not names:
                sign = "-" if typed.startswith("-") else ""
                alternatives.append(sign + names[0] if names else typed)
                continue
            if names == [typed]:  # a topic tracked by its own name
                alternatives.append(typed)
                continue
            more = ", …" if len(names) > NAMES_SHOWN else ""
            alternatives.append(f"{typed} → {', '.join(names[:NAMES_SHOWN])}{more}")
        shown.append(f" {either} ".join(alternatives))
    return plain(" · ".join(shown), QUERY_CHARS)


def understanding(query: Query, catalog: Catalog, lang: str) -> str:
    """HTML, one line: how each term of the query was read (see `understanding_text`)."""
    return esc(understanding_text(query, catalog, lang))


def _story(hit: Hit, lang: str, now: datetime) -> str:
    tr = translator(lang)
    return fit(lambda budget, linked: f"{_title(hit, budget, linked, tr)}\n{_meta(hit, lang, now)}")


def latest(
    query: Query | None,
    hits: Sequence[Hit],
    *,
    catalog: Catalog,
    lang: str,
    now: datetime,
    more: str | None,
) -> list[Reply]:
    """How the query was understood, then each story; a "More" button on the last message.

    With no query (the chat's own topics), the heading says so.
    """
    tr = translator(lang)
    heading = understanding(query, catalog, lang) if query else esc(tr.gettext("Your topics"))
    blocks = [("", "🔎 " + heading)]
    blocks += [("\n\n", _story(hit, lang, now)) for hit in hits]
    texts = pack(blocks)
    buttons = ((Button(tr.gettext("More"), more),),) if more else ()
    return [Reply(t) for t in texts[:-1]] + [Reply(texts[-1], buttons)]


# --- Digests and alerts ----------------------------------------------------------------------


def digest(sections: Sequence[Section], *, lang: str, now: datetime, tz: tzinfo) -> list[str]:
    """The digest as messages, split between events; [] when no section has any event."""
    tr = translator(lang)
    _ = tr.gettext
    if not any(s.hits for s in sections):
        return []
    # TRANSLATORS: a CLDR date pattern for the digest heading: "Tuesday 24 November".
    day = format_date(_utc(now).astimezone(tz).date(), _("EEEE d MMMM"), locale=pick_language(lang))
    blocks = [("", "📰 <b>" + fill(_("Your digest — %(date)s"), date=esc(day)) + "</b>")]
    for section in sections:
        if not section.hits:
            continue
        heading = f"<b>{esc(plain(section.title, QUERY_CHARS // 2))}</b>\n"
        for i, hit in enumerate(section.hits):
            blocks.append(
                ("\n" if i else "\n\n", _digest_line(hit, heading if i == 0 else "", lang))
            )
        if section.rest > 0:
            more = tr.ngettext("… and %(n)d more", "… and %(n)d more", section.rest)
            blocks.append(("\n", fill(more, n=section.rest)))
    return pack(blocks)


def _digest_line(hit: Hit, heading: str, lang: str) -> str:
    """HTML "• Title — Source · +2 other sources", after the section heading for the first."""
    tr = translator(lang)
    meta = _meta(hit, lang, None)
    return fit(lambda budget, linked: f"{heading}• {_title(hit, budget, linked, tr)} — {meta}")


def nothing_new(lang: str) -> str:
    """The optional daily message when no topic had anything new."""
    return fill(translator(lang).gettext("Nothing new on your topics today."))


def alert(hit: Hit, topic: str, *, lang: str, now: datetime) -> str:
    """🔔 and the topic, the linked title, a short summary, source, time, other sources."""
    tr = translator(lang)
    heading = f"🔔 <b>{esc(plain(topic, QUERY_CHARS // 2))}</b>"

    def make(budget: int, linked: bool) -> str:
        lines = [heading, _title(hit, budget, linked, tr)]
        summary = plain(hit.summary, min(budget, SUMMARY_CHARS))
        if budget >= MIN_SUMMARY and summary and summary != plain(hit.title, TITLE_CHARS):
            lines.append(f"<i>{esc(summary)}</i>")
        return "\n".join([*lines, _meta(hit, lang, now)])

    return fit(make)


# --- Feeds (admins) --------------------------------------------------------------------------


def feeds_admin(
    rows: Sequence[FeedRow], *, lang: str, now: datetime, broken: Callable[[int], bool]
) -> list[Reply]:
    """Every feed with its health; `broken(feed_id)` says which ones to flag."""
    tr = translator(lang)
    _ = tr.gettext
    if not rows:
        return [Reply(fill(_("No feeds yet. Add one with /feeds add URL.")))]
    blocks = [("", "<b>" + fill(_("Feeds (%(n)d)"), n=len(rows)) + "</b>")]
    for number, row in enumerate(rows, 1):
        flag = " ⚠️ " + fill(_("BROKEN")) if broken(row.id) else ""
        ok = relative_time(row.last_ok_at, now, lang) if row.last_ok_at else _("never")
        stats = [
            fill(tr.ngettext("%(n)d story", "%(n)d stories", row.stories), n=row.stories),
            fill(_("last success: %(when)s"), when=esc(ok)),
            fill(tr.ngettext("%(n)d failure", "%(n)d failures", row.failures), n=row.failures),
        ]
        head = f"<b>{number}. {esc(source_name(row.title, row.url))}</b>{flag}"
        blocks.append(("\n\n", fit(_feed_block(head, " · ".join(stats), row, tr), start=MAX_HREF)))
    return [Reply(text) for text in pack(blocks)]


def _feed_block(
    head: str, stats: str, row: FeedRow, tr: NullTranslations
) -> Callable[[int, bool], str]:
    """A feed's block at a text budget: the URL (to copy for /feeds remove) and last error."""

    def make(budget: int, linked: bool) -> str:
        lines = [head, f"<code>{esc(plain(row.url, budget))}</code>", stats]
        if row.last_error:
            error = esc(plain(row.last_error, min(budget, SUMMARY_CHARS)))
            lines.append(fill(tr.gettext("Last error: %(error)s"), error=error))
        return "\n".join(lines)

    return make
