"""The site registry: one entry per outlet, loaded from ``sites.toml`` (data, not code).

Every outlet is a ``[[site]]`` table; this module only reads it, checks it and answers lookups
by slug, by URL and by host. Hosts are compared without ``www.``/``m.``/``amp.`` prefixes so any
form of a known domain finds its site.

The gazetteer (common/provinces.toml, read by common.provinces) holds the 34 provinces since the
1 July 2025 merger, the 63 before it merged into each, and common spellings, so `select_sites`
finds outlets by any name of a province, and `coverage` says which outlets cover each province.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

from common import urls
from common.provinces import GAZETTEER as PROVINCES_TOML  # noqa: F401  (where the gazetteer lives)
from common.provinces import (Province, load_provinces, only_before_merger, province_key,  # noqa: F401
                              region_named, resolve_province)
from common.text import nfc

SITES_TOML = files(__name__) / "sites.toml"  # read from the package: also inside a zipped egg (Scrapyd)

CMS_FAMILIES = frozenset({"cms", "afcbc", "content-fck", "sc-longform", "own"})
# Same keys as a family in families.toml; every value is a list of CSS selectors.
SELECTOR_KEYS = frozenset({"title", "sapo", "body", "authors", "date", "junk", "related", "tags"})
# Host prefixes that serve the same site (mobile, AMP); stripped before every host lookup.
HOST_PREFIXES = ("www.", "m.", "amp.")


@dataclass(frozen=True)
class Site:
    slug: str
    name: str
    province: str
    province_before: str
    domains: tuple[str, ...]
    old_domains: tuple[str, ...]
    feeds: tuple[str, ...]
    sitemaps: tuple[str, ...]
    sections: tuple[str, ...]
    article_pattern: str
    cms: str
    selectors: dict = field(hash=False)
    national: bool
    verified: bool
    note: str = ""

    @property
    def domain(self) -> str:
        """The main (current) domain."""
        return self.domains[0]

    @property
    def start_url(self) -> str:
        return f"https://{self.domain}/"

    def profile(self) -> dict:
        """What extraction needs to know of the site, as plain data: the spider puts it in each
        page item, so pipelines/ never reads the registry."""
        return {"slug": self.slug, "name": self.name, "province": self.province, "cms": self.cms,
                "selectors": dict(self.selectors), "article_pattern": self.article_pattern,
                "domains": list(self.domains), "old_domains": list(self.old_domains)}


class UnknownSite(KeyError):
    def __str__(self) -> str:  # KeyError would print the message with quotes around it
        return str(self.args[0]) if self.args else ""


class RegistryError(ValueError):
    """sites.toml has an entry that breaks the registry's rules."""


def bare_host(host: str) -> str:
    """Lower-case host without port and without a leading www./m./amp. prefix."""
    host = (host or "").strip().lower().rstrip(".")
    host = host.rsplit("@", 1)[-1].split(":", 1)[0]
    for prefix in HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix):]
    return host


def _tuple(entry: dict, key: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if isinstance(value, str):
        value = [value]
    return tuple(value)


def _site_from_entry(entry: dict) -> Site:
    slug = entry.get("slug", "")
    if not slug or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", slug):
        raise RegistryError(f"site entry has a bad slug {slug!r}")
    domains = tuple(bare_host(d) for d in _tuple(entry, "domains"))
    if not domains:
        raise RegistryError(f"site {slug!r} has no domains")
    cms = entry.get("cms", "own")
    if cms not in CMS_FAMILIES:
        raise RegistryError(f"site {slug!r}: unknown cms {cms!r} (known: {', '.join(sorted(CMS_FAMILIES))})")
    pattern = entry.get("article_pattern", "")
    try:
        re.compile(pattern)
    except re.error as e:
        raise RegistryError(f"site {slug!r}: bad article_pattern {pattern!r}: {e}") from None
    selectors = dict(entry.get("selectors", {}))
    unknown = set(selectors) - SELECTOR_KEYS
    if unknown:
        raise RegistryError(f"site {slug!r}: unknown selector keys {sorted(unknown)}")
    for key, value in selectors.items():
        if not (isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)):
            raise RegistryError(f"site {slug!r}: selector {key!r} must be a list of CSS selectors")
    for key in ("feeds", "sitemaps", "sections"):
        for url in _tuple(entry, key):
            if not url.startswith(("http://", "https://")):
                raise RegistryError(f"site {slug!r}: {key} entry {url!r} is not an absolute URL")
    return Site(
        slug=slug,
        name=nfc(entry.get("name", slug)),
        province=nfc(entry.get("province", "")),
        province_before=nfc(entry.get("province_before", "")),
        domains=domains,
        old_domains=tuple(bare_host(d) for d in _tuple(entry, "old_domains")),
        feeds=_tuple(entry, "feeds"),
        sitemaps=_tuple(entry, "sitemaps"),
        sections=_tuple(entry, "sections"),
        article_pattern=pattern,
        cms=cms,
        selectors=selectors,
        national=bool(entry.get("national", False)),
        verified=bool(entry.get("verified", False)),
        note=nfc(entry.get("note", "")),
    )


def parse_registry(text: str) -> dict[str, Site]:
    """Sites from the text of a sites.toml; raises RegistryError on a broken entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RegistryError(f"sites.toml is not valid TOML: {e}") from None
    sites: dict[str, Site] = {}
    owner: dict[str, str] = {}
    for entry in data.get("site", []):
        site = _site_from_entry(entry)
        if site.slug in sites:
            raise RegistryError(f"site {site.slug!r} is registered twice")
        for host in site.domains + site.old_domains:
            if host in owner:
                raise RegistryError(f"host {host!r} belongs to both {owner[host]!r} and {site.slug!r}")
            owner[host] = site.slug
        sites[site.slug] = site
    return sites


@cache
def load_sites() -> dict[str, Site]:
    """All registered sites by slug (read once)."""
    return parse_registry(SITES_TOML.read_text(encoding="utf-8"))


def get_site(slug: str) -> Site:
    sites = load_sites()
    try:
        return sites[slug]
    except KeyError:
        raise UnknownSite(f"unknown site {slug!r} (known: {', '.join(sorted(sites))})") from None


@cache
def _sites_by_host() -> dict[str, Site]:
    by_host = {}
    for site in load_sites().values():
        for host in site.domains + site.old_domains:
            by_host[host] = site
    return by_host


def site_for_url(url: str) -> Site | None:
    """The site serving ``url`` (by current or old domain), or None for an unknown host."""
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:  # unparseable, e.g. "http://[x": no host, no site
        return None
    return _sites_by_host().get(bare_host(host or ""))


def site_profile_for_url(url: str) -> dict | None:
    """What extraction needs to know of the site serving `url` (Site.profile()), None if unknown."""
    site = site_for_url(url)
    return site.profile() if site is not None else None


def url_site_filter(slugs: list[str] | None = None, *, all_vn: bool = False,
                    hosts: list[str] | None = None):
    """url → (site slug, Site.profile() or None) for the URLs to take, None for the others.

    Registered sites are taken (only `slugs` when given); with `all_vn` any other .vn host too,
    and with `hosts` those hosts, as unregistered sites named by their host."""
    chosen = {get_site(slug) for slug in slugs} if slugs else None
    extra = {bare_host(h) for h in hosts or ()}

    def site_of(url: str):
        site = site_for_url(url)
        if site is not None:
            return (site.slug, site.profile()) if chosen is None or site in chosen else None
        host = bare_host(urlsplit(url).hostname or "") if "//" in url else ""
        if host and (host in extra or all_vn and host.endswith(".vn")):
            return host, None
        return None
    return site_of


@cache
def host_aliases() -> dict[str, str]:
    """Every known host form of the registered sites → the site's main domain (common.urls)."""
    return urls.host_aliases((site.domains, site.old_domains) for site in load_sites().values())


# -- provinces ------------------------------------------------------------------------------
# The gazetteer is common/provinces.toml, read by common.provinces (extraction and the archive
# tag articles with it too): `load_provinces`, `resolve_province` are its.
_province_key = province_key


def select_sites(province: str | None = None) -> list[Site]:
    """Registered sites by slug; with ``province``, those covering it after or before the merger.

    Any spelling the gazetteer knows works, without accents or case. A province since the merger
    gives every outlet of it (old papers of the provinces merged into it too): "Phú Thọ" finds Báo
    Phú Thọ and Báo Vĩnh Phúc. A pre-merger province gives its own old paper, if registered, and
    the outlets of the province it is now part of: "Yên Bái" finds Báo Lào Cai, "vinh phuc" finds
    Báo Vĩnh Phúc and Báo Phú Thọ. A region gives the outlets of all its provinces ("Tây Nguyên").
    """
    sites = sorted(load_sites().values(), key=lambda s: s.slug)
    if province is None:
        return sites
    key = _province_key(province)
    now, before = resolve_province(province)
    if now is None and (region := region_named(province)) is not None:  # every outlet of its provinces
        keys = {_province_key(p) for p in region.provinces}
        return [s for s in sites if not s.national and _province_key(s.province) in keys]
    if now is None:  # a name the gazetteer does not know: the registry's own spelling, if any
        return [s for s in sites if key in (_province_key(s.province), _province_key(s.province_before))]
    now_key = _province_key(now)
    if before is not None and only_before_merger(province):
        before_key = _province_key(before)
        return [s for s in sites if not s.national
                and (_province_key(s.province_before) == before_key or _province_key(s.province) == now_key)]
    return [s for s in sites if not s.national and _province_key(s.province) == now_key]


def coverage() -> list[dict]:
    """Per province since the merger (gazetteer order): its pre-merger provinces and the outlets
    covering it, each {"slug", "name", "province_before", "verified"}."""
    sites = sorted((s for s in load_sites().values() if not s.national), key=lambda s: s.slug)
    rows = []
    for province in load_provinces():
        key = _province_key(province.name)
        rows.append({"province": province.name, "before": list(province.before), "outlets": [
            {"slug": s.slug, "name": s.name, "province_before": s.province_before, "verified": s.verified}
            for s in sites if _province_key(s.province) == key]})
    return rows
