"""One canonical spelling per article URL, so the same story is recognised across feeds.

`canonical_link` is pure and never raises: anything that is not a usable http(s) URL is None.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import idna

# Query parameters that only say how a reader arrived (campaigns, click ids, referrers);
# dropping them never changes which page is served. Compared case-insensitively.
# Deliberately absent: generic names such as "ref", "source" or "cmp", which some sites use
# to pick the content itself.
TRACKING_PREFIXES: tuple[str, ...] = ("utm_",)  # Google Analytics campaign tags: utm_source...
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",  # Facebook click id
        "gclid",  # Google Ads click ids
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "twclid",  # X / Twitter
        "igshid",  # Instagram share id
        "mc_cid",  # Mailchimp campaign and member ids
        "mc_eid",
        "_ga",  # Google Analytics cross-domain linker
        "_gl",
        "_hsenc",  # HubSpot
        "_hsmi",
        "mkt_tok",  # Marketo
        "ref_src",  # Twitter embeds
        "ref_url",
        "oly_anon_id",  # Omeda
        "oly_enc_id",
        "vero_id",  # Vero
        "wt.mc_id",  # Webtrends, still on several news sites
        "at_medium",  # AT Internet (Le Monde, BBC...)
        "at_campaign",
    }
)

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are in paths and queries; everything else (spaces, non-ASCII
# letters of IRIs) is percent-encoded as UTF-8 so both spellings of a link become one.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
_BAD_HOST_CHARS = frozenset(" <>\"'{}|\\^`%/?#@") | frozenset(map(chr, [*range(32), 127]))
MAX_LENGTH = 2048  # what storage keeps; a longer link is no link


_ESCAPE = re.compile(r"%[0-9a-f]{2}", re.IGNORECASE)


def _upper(escape: re.Match[str]) -> str:
    """%c3%a9 and %C3%A9 (what quote makes of é) are one spelling."""
    return escape.group().upper()


def _ascii_host(host: str) -> str:
    """The host's ASCII (punycode) form by IDNA 2008, which keeps ß (faß.de is not fass.de);
    the host as it is when IDNA refuses it."""
    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError:
        return host


def is_tracking_param(name: str) -> bool:
    """True for a query parameter name that only tracks the reader."""
    key = unquote(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    kept = [
        quote(part, safe=_QUERY_SAFE)
        for part in query.split("&")
        if part and not is_tracking_param(part.split("=", 1)[0])
    ]
    return "&".join(kept)


def canonical_link(url: str, base: str | None = None) -> str | None:
    """Return the canonical absolute http(s) form of `url`, resolved against `base`.

    Scheme and host are lowercased, default ports and user info dropped, the fragment and
    tracking parameters removed; other query parameters keep their order and spelling.
    Returns None for non-http(s) schemes, for anything unparseable, and past MAX_LENGTH.
    """
    try:
        raw = url.strip()
        if not raw:
            return None
        if base:
            raw = urljoin(base.strip(), raw)
        parts = urlsplit(raw)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            return None
        host = (parts.hostname or "").rstrip(".")
        if not host or any(ch in _BAD_HOST_CHARS for ch in host):
            return None
        if not host.isascii():  # bücher.example and xn--bcher-kva.example are one host
            host = _ascii_host(host)
        port = parts.port  # ValueError when not a number or out of range
        netloc = f"[{host}]" if ":" in host else host
        if port is not None and port != _DEFAULT_PORTS[scheme]:
            netloc = f"{netloc}:{port}"
        path = quote(parts.path or "/", safe=_PATH_SAFE)
        query = _clean_query(parts.query)
        link = _ESCAPE.sub(_upper, urlunsplit((scheme, netloc, path, query, "")))
        return link if len(link) <= MAX_LENGTH else None
    except (ValueError, TypeError, AttributeError):  # UnicodeError is a ValueError
        return None
