"""NewsSpider: one generic spider for every registered outlet, or for any news site by URL.

    scrapy crawl news -a site=baolaocai            # one registered site ("a,b" or "all" for more)
    scrapy crawl news -a url=https://example.vn/    # a site not in the registry
    scrapy crawl news -a site=baolaocai -a limit=20 -s TINTINH_DB=archive.db

Article URLs are discovered from the site's RSS/Atom feeds, (news) sitemaps and section pages
(crawler.discovery does the parsing); only URLs of that site with an article shape are followed,
the usual shapes or one the site's own links share (short ids: `-12.html`). A site given by URL
is explored from its start page: feeds it announces, sitemaps of its robots.txt, the sections of
its navigation (TINTINH_SECTION_DEPTH link hops, at most TINTINH_SECTION_PAGES pages a run) and
their next pages while they bring new articles (TINTINH_SECTION_NEXT_PAGES).
The spider yields raw `Page` items, one per article fetch and one per failed fetch; the pipelines
(pipelines/stages.py) extract, check and archive them. Article URLs already in the archive are
skipped before fetching unless the crawl is a refresh.

Incremental runs (archive.store `discovery_state`): feeds, sitemaps and section pages are asked
for with the validators (ETag, Last-Modified) of the site's last complete run; a 304 is read as
"as before" and the discovery pages that page led to then are asked for again. Sitemap and feed
entries dated before that run began are not followed. A run is complete for a site when it was
not cut short: no --limit reached, no discovery page or article lost to a network or server
error, and the crawl ended because nothing was left to do (not Ctrl-C, closespider, a stopped
archive). `discovered()` hands that, and the validators, to the store pipeline at the end.

`since=DATE` narrows discovery to entries from that date (a backfill window; validators unused);
`backfill=1` walks back to it: every child sitemap whose name or lastmod is not older, and the
sections' next pages until their dates are older (TINTINH_BACKFILL_PAGES at most a site).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
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
    # the archive's pure work on it, done beside extraction in a worker process (pipelines.extract_pool):
    # {"content": prepare_content(article), "compressed": the body compressed}
    prepared: dict | None = field(default=None, repr=False)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


UNREACHABLE = {"dns_error", "connection_refused", "timeout", "download_failed", "forbidden_address"}
DISCOVERY_KINDS = ("start", "section", "feed", "sitemap")   # pages asked for with validators


def transient(reason: str) -> bool:
    """A failure that may not happen again (network, server overload): what it hid is looked for
    again next run, so the run it happened in is no complete one."""
    return reason in UNREACHABLE or reason in ("http_408", "http_429") or reason.startswith("http_5")


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


def _kept_headers(response) -> dict:
    headers = {}
    for name in KEPT_HEADERS:
        value = response.headers.get(name)
        if value is not None:
            headers[name] = value.decode("latin-1")
    return headers


@dataclass
class _Target:
    """One site being crawled: what counts as its article, how many were queued, what its
    discovery saw (for the validators it records and the line when it found nothing)."""
    slug: str
    site: Site | None
    host: str                # bare host, for a site not in the registry
    queued: int = 0
    since: datetime | None = None   # sitemap and feed entries dated before this are not followed
    shapes: discovery.ArticleShapes = field(default_factory=discovery.ArticleShapes)
    validators: dict = field(default_factory=dict)   # url → archive row of the last complete run
    pages: dict = field(default_factory=dict)        # url → validators to record from this run
    requested: set = field(default_factory=set)      # discovery URLs asked for this run
    section_pages: int = 0   # section and next pages asked for this run
    cut: str = ""            # why this run is not complete for the site ("" while it is)
    seen: Counter = field(default_factory=Counter)   # pages, links, feeds, sitemaps, unchanged…
    examples: list = field(default_factory=list)     # a few links that were no article
    start_failure: str = ""

    def owns(self, url: str) -> bool:
        if self.site is not None:
            return site_for_url(url) is self.site
        return bare_host(urlsplit(url).hostname or "") == self.host

    def articles(self, url: str) -> list[str]:
        """`url` if it is an article of the site, or the links it makes articles by teaching the
        site's shape (discovery.ArticleShapes), or none."""
        if discovery.is_article_url(url, self.site):
            return [url]
        if self.site is None or not self.site.article_pattern:
            return self.shapes.offer(url)
        return []


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, site: str = "", url: str = "", limit: str | int = "", refresh: str = "",
                 since: str = "", backfill: str = "", **kwargs):
        super().__init__(**kwargs)
        if bool(site) == bool(url):
            raise ValueError("give either -a site=SLUG[,SLUG…|all] or -a url=URL")
        self.start_url = url
        if str(limit).strip() and not str(limit).strip().isdigit():
            raise ValueError(f"-a limit must be a whole number, not {limit!r}")
        self.limit = int(limit) if limit else 0
        self.refresh_arg = str(refresh).lower() in {"1", "true", "yes"}
        self.since_arg = _since(since) if since else None
        self.backfill = str(backfill).lower() in {"1", "true", "yes"}
        if self.backfill and self.since_arg is None:
            raise ValueError("a backfill walks back to a date: give -a since=YYYY-MM-DD")
        self.finished = False   # the engine found nothing left to do (spider_idle)
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
            spider = super().from_crawler(crawler, *args, **kwargs)
        except (UnknownSite, ValueError) as e:
            # `scrapy crawl news -a site=nope`: one line and exit status 1, not an asyncio
            # traceback (Scrapy logs any Exception raised while it creates the spider as one)
            raise SystemExit(f"error: {e}") from None
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    def _idle(self):
        # Scrapy closes the spider with "finished" right after this, unless a handler objects
        # (none does here): the only way a run ends complete
        self.finished = True

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
        try:
            self._open_archive()
        except BaseException:
            self.start_failed = True
            raise
        sources = self.settings.getlist("TINTINH_DISCOVERY")
        for target in self.targets.values():
            site = target.site
            if self.start_url:
                if discovery.is_article_url(self.start_url, site):
                    for request in self._follow_article(self.start_url, target):
                        yield request
                else:
                    for request in self._discover(self.start_url, target, "start"):
                        yield request
            else:
                if not {"feeds", "sitemaps", "sections"} <= set(sources):
                    self._cut(target, "some discovery sources left out")   # the next run may need them
                for kind in ("feed", "sitemap", "section"):
                    if f"{kind}s" in sources:
                        for url in getattr(site, f"{kind}s"):
                            for request in self._discover(url, target, kind):
                                yield request
            # Sitemaps announced in robots.txt: for a site by URL, or one with none registered.
            if self.start_url or (not site.sitemaps and "sitemaps" in sources):
                root = urlsplit(self.start_url or f"https://{site.domains[0]}/")
                for request in self._discover(f"{root.scheme}://{root.netloc}/robots.txt", target, "robots"):
                    yield request

    start_failed = False

    def _open_archive(self) -> None:
        """What the archive knows of each site's last complete run: since when its entries were
        seen, and its discovery pages' validators. Nothing of it for a refresh (every article is
        fetched again) or a backfill window (every entry from its date is read)."""
        if self.refresh:
            return
        self._archive = Archive(self.crawler.settings.get("TINTINH_DB"), aliases=host_aliases(), readonly=True)
        if self.since_arg is not None:
            for target in self.targets.values():
                target.since = self.since_arg
            return
        conditional = self.settings.getbool("TINTINH_CONDITIONAL_GET")
        for target in self.targets.values():
            state = self._archive.discovery_state(target.slug)
            if self.settings.getbool("TINTINH_SKIP_OLD_LASTMOD") and state.since:
                target.since = datetime.fromisoformat(state.since)
            if conditional:
                target.validators = state.pages

    def _discover(self, url: str, target: _Target, kind: str, *, hops: int = 0, page: int = 1):
        """The request for a discovery page (or the failure of a URL too long), once a run.

        `hops`: links followed from the start page (sections); `page`: the page number of a listing
        reached by its next-page links (those are asked for without validators, and not
        recorded: a listing unchanged on its first page is not read further)."""
        if url in target.requested:
            return
        target.requested.add(url)
        callback = {"feed": self.parse_feed, "sitemap": self.parse_sitemap, "robots": self.parse_robots,
                    "section": self.parse_section, "start": self.parse_section}[kind]
        request = scrapy.Request(url, callback=callback, errback=self.fetch_failed, dont_filter=True,
                                 cb_kwargs={"slug": target.slug},
                                 # a robots.txt is read up to its first 500 KiB, whatever its size; when
                                 # obeyed, this is answered with the copy crawler.robots read for its rules
                                 meta={"site": target.slug, "kind": kind, ROBOTS_META: kind == "robots",
                                       "hops": hops, "listing_page": page})   # (Scrapy's DepthMiddleware owns "depth")
        if kind == "sitemap":   # a sitemap may be far bigger than a page (see settings.py)
            request.meta["download_maxsize"] = self.settings.getint("TINTINH_SITEMAP_MAXSIZE")
        known = target.validators.get(url) if page == 1 else None
        if known and kind in DISCOVERY_KINDS:
            if known.get("etag"):
                request.headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                request.headers["If-Modified-Since"] = known["last_modified"]
            request.meta["handle_httpstatus_list"] = [304]
        yield self._too_long(request, target) or request

    def _remember(self, response, target: _Target, kind: str) -> list | None:
        """Keep a discovery page's validators for the store to record at the end (a first page of
        feeds, sitemaps, sections and the start page); the list the discovery pages it leads to
        are appended to, or None for pages not recorded."""
        meta = _meta(response)
        if kind not in DISCOVERY_KINDS or meta.get("listing_page", 1) != 1:
            return None
        url = meta.get("redirect_urls", [response.url])[0]
        known = target.validators.get(url) or {}
        etag = response.headers.get("ETag")
        modified = response.headers.get("Last-Modified")
        row = {"kind": kind,
               "etag": etag.decode("latin-1") if etag else known.get("etag") if response.status == 304 else None,
               "last_modified": modified.decode("latin-1") if modified else
               known.get("last_modified") if response.status == 304 else None,
               "followed": list(known.get("followed") or []) if response.status == 304 else []}
        target.pages[url] = row
        return row["followed"]

    def _not_modified(self, response, target: _Target):
        """A 304 for a discovery page: as it was in the last complete run, which read it whole;
        the discovery pages it led to then are asked for again (they may have changed)."""
        kind = _meta(response).get("kind", "")
        self.crawler.stats.inc_value(f"tintinh/not_modified/{target.slug}")
        target.seen["unchanged"] += 1
        followed = self._remember(response, target, kind) or []
        for next_kind, url, lastmod in followed:
            if next_kind == "sitemap" and target.since and not self.backfill and \
                    discovery.sitemap_before(discovery.SitemapEntry(url, lastmod, True), target.since):
                continue
            yield from self._discover(url, target, next_kind, hops=response.meta.get("hops", 0) + 1)

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
        if response.status == 304:
            yield from self._not_modified(response, target)
            return
        self._remember(response, target, "feed")
        target.seen["feeds"] += 1
        tally = Counter()
        try:
            for entry in discovery.iter_feed_entries(response.body, response.url):
                if target.since and discovery.modified_before(entry.date, target.since):
                    # published before the last complete crawl of the site began: seen then
                    self.crawler.stats.inc_value(f"tintinh/skipped_date/{target.slug}")
                    self.crawler.stats.inc_value(f"tintinh/skipped/{target.slug}")
                    continue
                if self._full(target):
                    self._cut(target, "limit")
                    break
                yield from self._follow_article(entry.url, target, tally)
        except discovery.DiscoveryError as e:
            yield self._unusable(response, target, "bad_feed", str(e))

    def parse_sitemap(self, response, slug: str):
        target = self.targets[slug]
        self.ok_responses += 1
        if response.status == 304:
            yield from self._not_modified(response, target)
            return
        followed = self._remember(response, target, "sitemap")
        target.seen["sitemaps"] += 1
        children: dict[str, str | None] = {}
        stats = self.crawler.stats
        tally = Counter()
        try:
            for entry in discovery.iter_sitemap(response.body, response.url,
                                                self.settings.getint("TINTINH_SITEMAP_MAXSIZE")):
                if target.since and discovery.sitemap_before(entry, target.since):
                    # unchanged since the last complete crawl of the site began (seen then), or
                    # older than a backfill's date
                    stats.inc_value(f"tintinh/skipped_lastmod/{target.slug}")
                    if not entry.child:
                        stats.inc_value(f"tintinh/skipped/{target.slug}")
                elif entry.child:
                    children[entry.url] = entry.lastmod
                elif self._full(target):
                    self._cut(target, "limit")
                    break
                else:
                    yield from self._follow_article(entry.url, target, tally)
        except discovery.DiscoveryError as e:
            yield self._unusable(response, target, "bad_sitemap", str(e))
        # News sitemaps hold the latest articles; archives by month follow, newest first. A
        # backfill reads every one its date leaves.
        ordered = discovery.newest_months_first(children)
        if not self.backfill:
            ordered = ordered[: self.settings.getint("TINTINH_SITEMAP_CHILDREN")]
        for url in ordered:
            if followed is not None:
                followed.append(("sitemap", url, children[url]))
            yield from self._discover(url, target, "sitemap")

    def parse_robots(self, response, slug: str):
        target = self.targets[slug]
        self.ok_responses += 1
        for url in discovery.sitemaps_from_robots(response.body, response.url):
            if target.owns(url):
                yield from self._discover(url, target, "sitemap")

    def parse_section(self, response, slug: str):
        """A start page or a section page (or a next page of one): its articles, the feeds a start
        page announces, the sections of its navigation (a site by URL, TINTINH_SECTION_DEPTH
        hops from the start page), and its next page while the listing brings new articles (a
        backfill: until its dates are older than the date)."""
        target = self.targets[slug]
        self.ok_responses += 1
        if response.status == 304:
            yield from self._not_modified(response, target)
            return
        if not isinstance(response, HtmlResponse):
            yield self._unusable(response, target, "not_html", response.headers.get("Content-Type", b"").decode())
            return
        kind, hops, number = response.meta["kind"], response.meta.get("hops", 0), response.meta.get("listing_page", 1)
        followed = self._remember(response, target, kind)
        listing = discovery.read_listing(response.body, response.url)
        target.seen["pages"] += 1
        if kind == "start":
            for url in listing.feeds:
                if followed is not None:
                    followed.append(("feed", url, None))
                yield from self._discover(url, target, "feed")
        past = bool(self.backfill and target.since and
                    discovery.past_window(listing.dates, target.since.date()))
        tally = Counter()
        for url in listing.links:
            if target.owns(url):
                target.seen["links"] += 1
                yield from self._follow_article(url, target, tally)
        if self.start_url and hops < self.settings.getint("TINTINH_SECTION_DEPTH"):
            for url in listing.sections:
                if not target.owns(url) or url in target.requested or discovery.is_article_url(url, target.site, target.shapes):
                    continue
                if not self._section_budget(target):
                    break
                if followed is not None:
                    followed.append(("section", url, None))
                yield from self._discover(url, target, "section", hops=hops + 1)
        if listing.next_page and target.owns(listing.next_page) and self._wants_next(target, number, tally, past):
            yield from self._discover(listing.next_page, target, "section", hops=hops, page=number + 1)

    def _section_budget(self, target: _Target) -> bool:
        """Whether one more section page may be asked for this run (and counts it)."""
        limit = self.settings.getint("TINTINH_BACKFILL_PAGES" if self.backfill else "TINTINH_SECTION_PAGES")
        if target.section_pages >= limit:
            self.crawler.stats.inc_value(f"tintinh/section_budget_reached/{target.slug}")
            return False
        target.section_pages += 1
        return True

    def _wants_next(self, target: _Target, number: int, tally: Counter, past: bool) -> bool:
        """Whether to read the next page of a listing whose page `number` gave `tally`.

        A crawl: while its pages bring articles not archived yet (or links that may be, their
        shape not learned yet), up to TINTINH_SECTION_NEXT_PAGES
        (a site by URL; a registered site's sections are read on their first page only). A
        backfill: while its pages show links not seen yet this run and dates not older than its
        date."""
        if self.backfill:
            return bool(tally["fresh"] or tally["waiting"]) and not past and self._section_budget(target)
        # links waiting for their shape to be learned may be new articles too
        if not self.start_url or not (tally["new"] or tally["waiting"]) or self._full(target):
            return False
        return number <= self.settings.getint("TINTINH_SECTION_NEXT_PAGES") and self._section_budget(target)

    def _follow_article(self, url: str, target: _Target, tally: Counter | None = None):
        """Requests for the articles `url` is, or makes known (discovery.ArticleShapes);
        `tally` counts those first seen this run ("fresh") and those queued ("new")."""
        if not target.owns(url):
            return
        found = target.articles(url)
        if not found:
            if target.shapes.waiting(url):
                if tally is not None:
                    tally["waiting"] += 1
            elif len(target.examples) < 3 and url not in target.examples:
                target.examples.append(url)
        for article in found:
            yield from self._request_article(article, target, tally if tally is not None else Counter())

    def _request_article(self, url: str, target: _Target, tally: Counter):
        try:
            key = hash(canonical_url(url, host_aliases()))
        except BadURL:
            return
        if key in self._seen:
            return
        self._seen.add(key)
        tally["fresh"] += 1
        target.seen["articles"] += 1
        if self._already_fetched(url):
            self.crawler.stats.inc_value(f"tintinh/skipped/{target.slug}")
            return
        if self.limit and target.queued >= self.limit:
            self._cut(target, "limit")
            return
        # Articles before further discovery, so a limited crawl stops early.
        request = scrapy.Request(url, callback=self.parse_article, errback=self.fetch_failed,
                                 dont_filter=True, priority=10, cb_kwargs={"slug": target.slug},
                                 meta={"site": target.slug, "kind": "article"})
        if too_long := self._too_long(request, target):
            yield too_long
            return
        target.queued += 1
        tally["new"] += 1
        yield request

    def _cut(self, target: _Target, why: str) -> None:
        """This run will not be complete for the site: what it did not read is looked for again."""
        if not target.cut:
            target.cut = why

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
        # a page not in the charset it declares is found by extraction (bad_charset), which
        # decodes it anyway, in a worker process
        if not is_html:
            page.failure, page.detail = "not_html", f"Content-Type {content_type or 'missing'}"
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
        target = self.targets.get(request.meta["site"])
        if target is not None:
            if transient(reason):
                self._cut(target, reason)
            if kind == "start":
                target.start_failure = reason
            elif kind in DISCOVERY_KINDS:
                target.seen["failed_sources"] += 1
        yield page

    # -- the end -----------------------------------------------------------------------------

    def complete(self) -> list[str]:
        """The sites this run was complete for (see the module doc); none before it has ended."""
        if not self.finished or self.start_failed:
            return []
        return [slug for slug, target in self.targets.items() if not target.cut]

    def discovered(self) -> dict:
        """For Archive.record_discovery at the end of the run (pipelines.stages.StorePipeline):
        the sites it was complete for, and their discovery pages' validators (only a complete
        run's: a page answering 304 later is one whose every link was followed then)."""
        complete = self.complete()
        pages = [{"url": url, "site": slug, **row} for slug in complete
                 for url, row in self.targets[slug].pages.items() if row["etag"] or row["last_modified"]]
        return {"complete": complete, "pages": pages}

    def notes(self) -> dict[str, str]:
        """{site: one line} for each site this run found no article for: why, and what to try."""
        notes = {}
        stats = self.crawler.stats
        for slug, target in self.targets.items():
            if target.seen["articles"] or stats.get_value(f"tintinh/skipped/{slug}"):
                continue
            seen = target.seen
            notes[slug] = discovery.nothing_found(
                start_failure=target.start_failure, pages=seen["pages"], links=seen["links"],
                examples=target.examples, feeds=seen["feeds"], sitemaps=seen["sitemaps"],
                unchanged=seen["unchanged"], failed_sources=seen["failed_sources"])
        return notes

    def closed(self, reason):
        if self._archive is not None:
            self._archive.close()


def _meta(response) -> dict:
    """The response's request meta, or {} for a response built without a request (tests)."""
    try:
        return response.meta
    except AttributeError:
        return {}


def _since(text: str) -> datetime:
    """A --since date (YYYY-MM-DD, or an ISO time) as an aware time; a date is its start in
    Vietnam (+07:00), so nothing of that day is left out."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"since: {text!r} is no date (YYYY-MM-DD)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_VIETNAM)
    return when


_VIETNAM = timezone(timedelta(hours=7))
