"""Canonical URLs: one spelling per article, so URL variants never make a second row.

https, host lower-case without "www."/"m."/"amp.", old domains mapped to the current one,
AMP variants and tracking parameters removed, remaining query parameters sorted, fragment
dropped, no trailing slash (except the root), percent-encoding normalised.
"""
from __future__ import annotations

import posixpath
import re
import unicodedata
from typing import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

_HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")
# Click and campaign trackers; Zalo adds zarsrc/gidzl, Facebook fbclid, Google gclid/_ga.
_TRACKING = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid",
    "zarsrc", "gidzl", "_ga", "_gl", "_hsenc", "_hsmi", "mc_cid", "mc_eid", "mkt_tok",
    "ref", "ref_src", "referrer", "cmpid", "s_cid", "spm", "fbshare",
    "vn_source", "vn_medium", "vn_campaign", "itm_source", "itm_medium", "itm_campaign",
})
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_")
_AMP_PARAMS = {("amp", ""), ("amp", "1"), ("amp", "true"), ("outputtype", "amp"), ("output", "amp")}
# Characters a path keeps literally; everything else is percent-encoded with upper-case hex.
_PATH_SAFE = "/-._~!$&'()*+,;=:@"
_UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


class BadURL(ValueError):
    """A string that is not an http(s) URL with a host."""


def _normalise_percent(text: str) -> str:
    """Decode %XX that stand for unreserved ASCII, upper-case the others, encode raw non-ASCII."""
    def fix(m: re.Match) -> str:
        char = chr(int(m.group(1), 16))
        return char if _UNRESERVED.fullmatch(char) else "%" + m.group(1).upper()
    text = _PERCENT.sub(fix, unicodedata.normalize("NFC", text))
    return quote(text, safe=_PATH_SAFE + "%")


def host_aliases(sites: Iterable[tuple[Iterable[str], Iterable[str]]]) -> dict[str, str]:
    """Every form of each site's hosts → its main domain, from (domains, old_domains) pairs with
    the main (current) domain first: each host with and without www./m./amp.

    An old domain is listed under a site only when its content moved there, so aliasing it
    never merges unrelated pages.
    """
    aliases = {}
    for domains, old_domains in sites:
        domains = list(domains)
        for host in domains + list(old_domains):
            for prefix in ("", "www.", "m.", "amp."):
                aliases[prefix + host] = domains[0]
    return aliases


def _host(netloc: str, aliases: dict[str, str] | None) -> str:
    host = netloc.rsplit("@", 1)[-1].lower().rstrip(".")
    if host.endswith((":80", ":443")):
        host = host.rsplit(":", 1)[0]
    if aliases and host in aliases:
        host = aliases[host]
    changed = True
    while changed:
        changed = False
        for prefix in _HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") > 1:
                host, changed = host[len(prefix):], True
    if aliases and host in aliases:
        host = aliases[host]
    return host.removeprefix("www.")


def _path(path: str) -> str:
    path = _normalise_percent(path or "/")
    path = re.sub(r"/{2,}", "/", path)
    if "/." in path:
        path = posixpath.normpath(path)
    # AMP variants: /amp/slug.html, /slug.html/amp, slug.amp, slug.amp.html
    path = re.sub(r"/amp(?=/|$)", "", path)
    path = re.sub(r"\.amp(?=\.html?$|$)", "", path)
    if len(path) > 1:
        path = path.rstrip("/")
    return path or "/"


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key in _TRACKING or key.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str, aliases: dict[str, str] | None = None) -> str:
    """The one form of `url` the archive keys articles by; `aliases` maps old hosts to current ones."""
    if not url or not url.strip():
        raise BadURL("empty URL")
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port   # .port checks the port is a number in range
    except ValueError as e:   # "http://[::1" and other unparseable hosts
        raise BadURL(f"not a URL: {url!r} ({e})") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise BadURL(f"not an http(s) URL: {url!r}")
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
              if not _is_tracking(k) and (k.lower(), v.lower()) not in _AMP_PARAMS]
    query = urlencode(sorted(params), quote_via=quote, safe="-._~!$'()*,:@/")
    return urlunsplit(("https", _host(parts.netloc, aliases), _path(parts.path), query, ""))


def same_site(url_a: str, url_b: str, aliases: dict[str, str] | None = None) -> bool:
    """True when two URLs are on the same host once canonicalised (old domains count)."""
    try:
        return urlsplit(canonical_url(url_a, aliases)).netloc == urlsplit(canonical_url(url_b, aliases)).netloc
    except BadURL:
        return False


def article_canonical(url: str, declared: str | None = None,
                      aliases: dict[str, str] | None = None) -> str:
    """The article's key: its declared rel=canonical/og:url when it is on the same site, else its URL.

    A canonical pointing elsewhere (a syndication source, a share short-link host, a
    homepage) is ignored so that it can never merge two different articles.
    """
    own = canonical_url(url, aliases)
    if declared:
        try:
            theirs = canonical_url(declared, aliases)
        except BadURL:
            return own
        if urlsplit(theirs).netloc == urlsplit(own).netloc and urlsplit(theirs).path != "/":
            return theirs
    return own
