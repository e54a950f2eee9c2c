"""NewsSpider: one generic spider for every registered outlet, or for any news site by URL.

    scrapy crawl news -a site=baolaocai            # one registered site ("a,b" or "all" for more)
    scrapy crawl news -a url=https://example.vn/    # a site not in the registry
    scrapy crawl news -a site=baolaocai -a limit=20 -s TINTINH_DB=archive.db

Article URLs are discovered from the site's RSS/Atom feeds, (news) sitemaps and section pages
(crawler.discovery does the parsing); only URLs of that site with an article shape are followed.
The spider yields raw `Page` items, one per article fetch and one per failed fetch; the pipelines
(pipelines/stages.py) extract, check and archive them. Article URLs already in the archive are
skipped before fetching unless the crawl is a refresh.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archive.store import Archive
from common.urls import BadURL, canonical_url
from crawler import discovery
from crawler.guard import Refused
from crawler.robots import ROBOTS_META, RobotsUnavailable
from crawler.sites import Site, UnknownSite, bare_host, get_site, host_aliases, load_sites, site_for_url
from pipelines import decode

HTML_TYPES = {"text/html", "application/xhtml+xml"}
# Response headers worth keeping with a page (the rest is noise for an archive).
KEPT_HEADERS = ("content-type", "content-length", "last-modified", "etag", "date", "location")


@dataclass
class Page:
    """One fetch of an article URL: the raw page, or why there is none."""
    url: str                   # the real URL asked for (before redirects)
    site: str                  # registry slug, or the host for an unregistered site
    site_profile: dict | None = field(default=None, repr=False)  # Site.profile() of a registered site
    final_url: str = ""        # after redirects
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: bytes | None = field(default=None, repr=False)
    fetched_at: str = ""
    failure: str = ""          # reason, e.g. "http_404", "timeout", "not_html"; "" when fetched
    detail: str = ""
    kind: str = "article"      # article | feed | sitemap | section | robots | start
    article: dict | None = field(default=None, repr=False)   # filled by the extract pipeline


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


UNREACHABLE = {"dns_error", "connection_refused", "timeout", "download_failed", "forbidden_address"}


def failure_reason(failure, maxsize: int = 0) -> tuple[str, str]:
    """A Twisted failure from an errback → (reason, detail); `maxsize` is the request's
    DOWNLOAD_MAXSIZE, named when a body was stopped at it."""
    exc = failure.value
    detail = str(exc)
    if isinstance(exc, RobotsUnavailable) and exc.cause is not None:
        # robots.txt could not be fetched at all: the host is unreachable, say how
        reason, why = failure_reason(Failure(exc.cause))
        if reason in UNREACHABLE:
            return reason, f"robots.txt: {why}"
    if isinstance(exc, Refused):   # off_site, off_site_redirect, forbidden_address, robots_unavailable
        return exc.reason, exc.detail
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}", f"HTTP {exc.response.status}"
    if isinstance(exc, CannotResolveHostError):
        return "dns_error", detail
    if isinstance(exc, DownloadConnectionRefusedError):
        return "connection_refused", detail
    if isinstance(exc, DownloadTimeoutError):
        return "timeout", detail
    if isinstance(exc, DownloadCancelledError):
        return "too_large", _stopped_at(detail, maxsize)
    if isinstance(exc, DownloadFailedError):
        return "download_failed", detail
    if isinstance(exc, IgnoreRequest):
        if "during decompression" in detail:   # HttpCompressionMiddleware: a gzip/brotli bomb
            return "too_large", _decompressed_beyond(detail)
        if "redirections" in detail:
            return "redirect_loop", detail
        if "robots.txt" in detail:
            return "robots_forbidden", detail
        return "ignored", detail
    return type(exc).__name__.lower(), detail


_EXPECTED_SIZE = re.compile(r"Expected to receive (\d+) bytes .*max size \((\d+)\)")
_DECOMPRESSED = re.compile(r"\((\d+) B compressed, (\d+) B decompressed so far\) exceeded DOWNLOAD_MAXSIZE \((\d+) B\)")


def _stopped_at(detail: str, maxsize: int) -> str:
    """The detail of a download cancelled for its size. Scrapy's HTTP/1.1 handler cancels a body
    only at DOWNLOAD_MAXSIZE: with a message when Content-Length announced too much, without one
    when a body with no length (chunked) grew past it."""
    if m := _EXPECTED_SIZE.search(detail):
        return f"Content-Length {int(m[1]):,} bytes, over {int(m[2]):,} (DOWNLOAD_MAXSIZE)"
    if detail:
        return detail
    return f"stopped at {maxsize:,} bytes (DOWNLOAD_MAXSIZE)" if maxsize else "stopped at DOWNLOAD_MAXSIZE"


def _decompressed_beyond(detail: str) -> str:
    if m := _DECOMPRESSED.search(detail):
        return f"decompressed beyond {int(m[3]):,} bytes (DOWNLOAD_MAXSIZE) from {int(m[1]):,} bytes"
    return detail


def charset_problem(body: bytes, content_type: str) -> str:
    """Why the body cannot be read in the charset it declares, or "": the rule extraction and
    reprocess decode by (pipelines.decode: BOM, HTTP header, <meta>, then detection)."""
    return decode.charset_problem(body, content_type)


def _kept_headers(response) -> dict:
    headers = {}
    for name in KEPT_HEADERS:
        value = response.headers.get(name)
        if value is not None:
            headers[name] = value.decode("latin-1")
    return headers


@dataclass
class _Target:
    """One site being crawled: what counts as its article, and how many were queued."""
    slug: str
    site: Site | None
    host: str                # bare host, for a site not in the registry
    queued: int = 0
    since: datetime | None = None   # sitemap entries modified before this are not followed

    def owns(self, url: str) -> bool:
        if self.site is not None:
            return site_for_url(url) is self.site
        return bare_host(urlsplit(url).hostname or "") == self.host


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, site: str = "", url: str = "", limit: str | int = "", refresh: str = "",
                 **kwargs):
        super().__init__(**kwargs)
        if bool(site) == bool(url):
            raise ValueError("give either -a site=SLUG[,SLUG…|all] or -a url=URL")
        self.start_url = url
        if str(limit).strip() and not str(limit).strip().isdigit():
            raise ValueError(f"-a limit must be a whole number, not {limit!r}")
        self.limit = int(limit) if limit else 0
        self.refresh_arg = str(refresh).lower() in {"1", "true", "yes"}
        self.targets: dict[str, _Target] = {}
        if url:
            known = site_for_url(url)
            host = bare_host(urlsplit(url).hostname or "")
            slug = known.slug if known else host
            self.targets[slug] = _Target(slug, known, host)
        else:
            slugs = sorted(load_sites()) if site == "all" else [s.strip() for s in site.split(",") if s.strip()]
            for slug in slugs:
                self.targets[slug] = _Target(slug, get_site(slug), "")
        # 64-bit hashes of the canonical URLs queued or skipped: for a sitemap of a million URLs
        # ~60 MB where the URLs themselves would take ~180 MB (a collision among a million: ~3e-8)
        self._seen: set[int] = set()
        self._archive: Archive | None = None
        self.ok_responses = 0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        try:
            return super().from_crawler(crawler, *args, **kwargs)
        except (UnknownSite, ValueError) as e:
            # `scrapy crawl news -a site=nope`: one line and exit status 1, not an asyncio
            # traceback (Scrapy logs any Exception raised while it creates the spider as one)
            raise SystemExit(f"error: {e}") from None

    @property
    def slugs(self) -> list[str]:
        return list(self.targets)

    @property
    def sites(self) -> list[Site]:
        return [t.site for t in self.targets.values() if t.site is not None]

    @property
    def refresh(self) -> bool:
        return self.refresh_arg or self.crawler.settings.getbool("TINTINH_REFRESH")

    # -- discovery ---------------------------------------------------------------------------

    async def start(self):
        if not self.refresh:
            self._archive = Archive(self.crawler.settings.get("TINTINH_DB"), aliases=host_aliases(), readonly=True)
            if self.settings.getbool("TINTINH_SKIP_OLD_LASTMOD"):
                for target in self.targets.values():
                    last = self._archive.last_finished_crawl(target.slug)
                    target.since = datetime.fromisoformat(last) if last else None
        sources = self.settings.getlist("TINTINH_DISCOVERY")
        for target in self.targets.values():
            site = target.site
            if self.start_url:
                if discovery.is_article_url(self.start_url, site):
                    for request in self._follow_article(self.start_url, target):
                        yield request
                else:
                    yield self._discover(self.start_url, target, "start")
            else:
                for kind in ("feed", "sitemap", "section"):
                    if f"{kind}s" in sources:
                        for url in getattr(site, f"{kind}s"):
                            yield self._discover(url, target, kind)
            # Sitemaps announced in robots.txt: for a site by URL, or one with none registered.
            if self.start_url or (not site.sitemaps and "sitemaps" in sources):
                root = urlsplit(self.start_url or f"https://{site.domains[0]}/")
                yield self._discover(f"{root.scheme}://{root.netloc}/robots.txt", target, "robots")

    def _discover(self, url: str, target: _Target, kind: str) -> scrapy.Request | Page:
        callback = {"feed": self.parse_feed, "sitemap": self.parse_sitemap, "robots": self.parse_robots,
                    "section": self.parse_section, "start": self.parse_section}[kind]
        request = scrapy.Request(url, callback=callback, errback=self.fetch_failed, dont_filter=True,
                                 cb_kwargs={"slug": target.slug},
                                 # a robots.txt is read up to its first 500 KiB, whatever its size
                                 meta={"site": target.slug, "kind": kind, ROBOTS_META: kind == "robots"})
        if kind == "sitemap":   # a sitemap may be far bigger than a page (see settings.py)
            request.meta["download_maxsize"] = self.settings.getint("TINTINH_SITEMAP_MAXSIZE")
        return self._too_long(request, target) or request

    def _too_long(self, request: scrapy.Request, target: _Target) -> Page | None:
        """A failure for a request whose URL is over URLLENGTH_LIMIT (Scrapy would drop it unseen)."""
        limit = self.settings.getint("URLLENGTH_LIMIT")
        if not limit or len(request.url) <= limit:
            return None
        kind = request.meta["kind"]
        detail = f"{len(request.url):,} characters, over {limit:,} (URLLENGTH_LIMIT)"
        return Page(url=request.url, site=target.slug, fetched_at=now_iso(), failure="url_too_long",
                    detail=detail if kind == "article" else f"{kind}: {detail}", kind=kind)

    def _full(self, target: _Target) -> bool:
        """The site has its --limit of article requests: the rest of a feed or sitemap is not read."""
        return bool(self.limit) and target.queued >= self.limit

    # Feeds and sitemaps are read as streams and their article requests yielded as they are
    # read: Scrapy takes them as the scheduler drains (crawler.queues.PaceArticleRequests), so
    # the first article of a huge sitemap is fetched at once and reading stops at the --limit.
    # A body that turns out broken halfway keeps what was read before and is recorded too.

    def parse_feed(self, response, slug: str):
        target = self.targets[slug]
        self.ok_responses += 1
        try:
            for url in discovery.iter_feed(response.body, response.url):
                if self._full(target):
                    break
                yield from self._follow_article(url, target)
        except discovery.DiscoveryError as e:
            yield self._unusable(response, target, "bad_feed", str(e))

    def parse_sitemap(self, response, slug: str):
        target = self.targets[slug]
        self.ok_responses += 1
        children: dict[str, None] = {}
        stats = self.crawler.stats
        try:
            for entry in discovery.iter_sitemap(response.body, response.url,
                                                self.settings.getint("TINTINH_SITEMAP_MAXSIZE")):
                if target.since and discovery.modified_before(entry.lastmod, target.since):
                    # unchanged since the last finished crawl of the site began: seen then
                    stats.inc_value(f"tintinh/skipped_lastmod/{target.slug}")
                    if not entry.child:
                        stats.inc_value(f"tintinh/skipped/{target.slug}")
                elif entry.child:
                    children[entry.url] = None
                elif self._full(target):
                    break
                else:
                    yield from self._follow_article(entry.url, target)
        except discovery.DiscoveryError as e:
            yield self._unusable(response, target, "bad_sitemap", str(e))
        # News sitemaps hold the latest articles; archives of past months come after.
        ordered = sorted(children, key=lambda u: "news" not in u.lower())
        for url in ordered[: self.settings.getint("TINTINH_SITEMAP_CHILDREN")]:
            yield self._discover(url, target, "sitemap")

    def parse_robots(self, response, slug: str):
        target = self.targets[slug]
        self.ok_responses += 1
        for url in discovery.sitemaps_from_robots(response.body, response.url):
            if target.owns(url):
                yield self._discover(url, target, "sitemap")

    def parse_section(self, response, slug: str):
        target = self.targets[slug]
        self.ok_responses += 1
        if not isinstance(response, HtmlResponse):
            yield self._unusable(response, target, "not_html", response.headers.get("Content-Type", b"").decode())
            return
        if response.meta["kind"] == "start":
            for url in discovery.feeds_from_html(response.body, response.url):
                yield self._discover(url, target, "feed")
        for url in discovery.links_from_page(response.body, response.url):
            yield from self._follow_article(url, target)

    def _follow_article(self, url: str, target: _Target):
        if not target.owns(url) or not discovery.is_article_url(url, target.site):
            return
        try:
            key = hash(canonical_url(url, host_aliases()))
        except BadURL:
            return
        if key in self._seen:
            return
        self._seen.add(key)
        if self._already_fetched(url):
            self.crawler.stats.inc_value(f"tintinh/skipped/{target.slug}")
            return
        if self.limit and target.queued >= self.limit:
            return
        # Articles before further discovery, so a limited crawl stops early.
        request = scrapy.Request(url, callback=self.parse_article, errback=self.fetch_failed,
                                 dont_filter=True, priority=10, cb_kwargs={"slug": target.slug},
                                 meta={"site": target.slug, "kind": "article"})
        if too_long := self._too_long(request, target):
            yield too_long
            return
        target.queued += 1
        yield request

    def _already_fetched(self, url: str) -> bool:
        """Archived as an article, or its page is stored with a recorded failure (e.g. it was not
        an article): skip it. A page stored with neither (a killed crawl) is fetched again."""
        if self._archive is None:
            return False
        return self._archive.fetch_done(url)

    def _unusable(self, response, target: _Target, reason: str, detail: str) -> Page:
        """A discovery page that was fetched but could not be read."""
        kind = response.meta["kind"]
        return Page(url=response.url, site=target.slug, final_url=response.url,
                    status=response.status, fetched_at=now_iso(), failure=reason,
                    detail=f"{kind}: {detail}", kind=kind)

    # -- article pages -----------------------------------------------------------------------

    def parse_article(self, response, slug: str):
        target = self.targets[slug]
        self.ok_responses += 1
        page = Page(url=response.request.meta.get("redirect_urls", [response.url])[0],
                    site=target.slug, site_profile=target.site.profile() if target.site else None,
                    final_url=response.url, status=response.status,
                    headers=_kept_headers(response), fetched_at=now_iso())
        content_type = page.headers.get("content-type", "")
        # Scrapy guesses the class from the URL when the type is unknown (a PDF at …-post1.html
        # would become HTML), so a declared type decides first.
        declared = content_type.split(";")[0].strip().lower()
        is_html = declared in HTML_TYPES if declared else isinstance(response, HtmlResponse)
        if not is_html:
            page.failure, page.detail = "not_html", f"Content-Type {content_type or 'missing'}"
        elif problem := charset_problem(response.body, content_type):
            page.failure, page.detail = "bad_charset", problem
            page.body = response.body
        else:
            page.body = response.body
        yield page

    def fetch_failed(self, failure):
        request = failure.request
        reason, detail = failure_reason(
            failure, request.meta.get("download_maxsize") or self.settings.getint("DOWNLOAD_MAXSIZE"))
        response = getattr(failure.value, "response", None)
        kind = request.meta.get("kind", "article")
        if kind == "robots" and reason.startswith("http_"):
            return  # no robots.txt just means no sitemaps announced there
        page = Page(url=request.meta.get("redirect_urls", [request.url])[0],
                    site=request.meta["site"], fetched_at=now_iso(), failure=reason,
                    detail=detail if kind == "article" else f"{kind}: {detail}", kind=kind)
        if response is not None:
            page.final_url, page.status, page.headers = response.url, response.status, _kept_headers(response)
        yield page

    def closed(self, reason):
        if self._archive is not None:
            self._archive.close()
