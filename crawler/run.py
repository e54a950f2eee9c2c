"""Run one crawl in-process (Scrapy's CrawlerProcess with tintinh's settings) and summarise it.

Scrapy's reactor runs once per process, so `crawl()` can be called once per process: that is what
`tintinh crawl` and `tintinh demo` do; tests call the CLI in a subprocess.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.store import Archive
from archive.lock import db_lock
from crawler.sites import get_site, load_sites
from crawler.spiders.news import NewsSpider
from pipelines.stages import STOPPED_STAT, SUMMARY_STAT

PROGRESS_EVERY = 15.0  # seconds between progress lines

COLUMNS = ("fetched", "new", "updated", "unchanged", "duplicates", "failed", "skipped")


class _NoTraceback(logging.Filter):
    """One line per record: a robots.txt that cannot be fetched is not a bug worth a traceback
    (the pages of that host fail too, and those failures are recorded)."""

    def filter(self, record):
        record.exc_info, record.exc_text = None, None
        return True


logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_NoTraceback())


def crawl_settings(db: str, refresh: bool = False, overrides: dict | None = None) -> Settings:
    """crawler.settings, with the archive path, and quieter logs for the command line."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    # The failures table holds every lost page; the terminal only needs real warnings.
    settings.set("LOG_LEVEL", "WARNING", priority="project")
    settings.set("RETRY_GIVE_UP_LOG_LEVEL", "INFO", priority="project")
    settings.set("TINTINH_DB", str(db), priority="cmdline")
    settings.set("TINTINH_REFRESH", bool(refresh), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def crawl(slugs: list[str] | tuple[str, ...] = (), *, all_sites: bool = False, url: str | None = None,
          db: str = "archive.db", limit: int | None = None, refresh: bool = False,
          since: str | None = None, backfill: bool = False,
          settings: dict | None = None, progress: Callable[[str], None] = print) -> dict:
    """Crawl registered sites (or one site by URL) into the archive at `db`.

    `since` (YYYY-MM-DD): only sitemap and feed entries from that date on (a backfill window);
    with `backfill`, every month sitemap and section page back to that date is read.

    Returns {"run_id", "sites": {slug: counters}, "responses", "seconds", "finish_reason",
    "stopped", "not_stored", "notes"}: `stopped` is None, or the one-line reason the archive stopped taking
    writes (full disk, size limit, read-only, damage), which stopped the crawl; `not_stored` pages
    were fetched after that and are fetched again next run; `notes` {site: line} says why
    nothing was found on a site where nothing was.
    Raises crawler.sites.UnknownSite for an unknown slug, archive.lock.CrawlLocked when another
    crawl holds the archive, archive.store.ArchiveError when `db` cannot be an archive (not one,
    damaged, read-only, no room), ValueError when there is nothing to crawl.
    """
    if all_sites:
        slugs = sorted(load_sites())
    sites = [get_site(slug) for slug in slugs]
    if bool(sites) == bool(url):
        raise ValueError("name one or more sites, --all, or --url URL")
    if backfill and not since:
        raise ValueError("a backfill walks back to a date: give --since YYYY-MM-DD")
    with db_lock(db):
        Archive(db).close()  # create, check, migrate it now: a bad file is one clear error, not a crawl's
        scrapy_settings = crawl_settings(db, refresh, settings)
        scrapy_settings.set("TINTINH_CHECKED_DB", str(db), priority="cmdline")  # the store need not check again
        process = CrawlerProcess(scrapy_settings)
        crawler = process.create_crawler(NewsSpider)
        reporter = _Progress(crawler, progress)
        sources = scrapy_settings.getlist("TINTINH_DISCOVERY")
        for site in sites:
            found = ", ".join(f"{kind} {len(getattr(site, kind))}" for kind in sources)
            progress(f"{site.slug}: {site.name} — {found}")
        if url:
            progress(f"{url}: discovering feeds, sitemaps and article links")
        started = time.monotonic()
        process.crawl(crawler, site=",".join(s.slug for s in sites), url=url or "", limit=limit or "",
                      since=since or "", backfill="1" if backfill else "")
        process.start()
        result = {"run_id": None, "sites": {}, "not_stored": 0, **(crawler.stats.get_value(SUMMARY_STAT) or {})}
        result["stopped"] = crawler.stats.get_value(STOPPED_STAT)
        result["seconds"] = round(time.monotonic() - started, 2)
        result["responses"] = getattr(crawler.spider, "ok_responses", 0)
        result["finish_reason"] = crawler.stats.get_value("finish_reason")
        # why nothing was found on a site, unless the crawl stopped before reading anything
        stopped_first = result["stopped"] and not result["responses"]
        result["notes"] = crawler.spider.notes() if crawler.spider is not None and not stopped_first else {}
        reporter.stop()
    return result


class _Progress:
    """A line every PROGRESS_EVERY seconds while the crawl runs."""

    def __init__(self, crawler, progress: Callable[[str], None]):
        self.crawler, self.progress, self.loop = crawler, progress, None
        crawler.signals.connect(self.start, signal=signals.engine_started)
        crawler.signals.connect(self.stop, signal=signals.spider_closed)

    def start(self):
        from twisted.internet import task
        self.loop = task.LoopingCall(self.report)
        self.loop.start(PROGRESS_EVERY, now=False)

    def report(self):
        stats = self.crawler.stats
        self.progress(f"… {stats.get_value('response_received_count', 0)} responses,"
                      f" {stats.get_value('item_scraped_count', 0)} archived,"
                      f" {stats.get_value('item_dropped_count', 0)} failed")

    def stop(self):
        if self.loop is not None and self.loop.running:
            self.loop.stop()


def summary_lines(result: dict) -> list[str]:
    """The per-site table printed at the end of a crawl, failure reasons after each row, then a line
    for each site whose health is degraded or broken after this run."""
    width = max([len(s) for s in result["sites"]] + [4])
    lines = ["site".ljust(width) + "".join(c.rjust(11) for c in COLUMNS)]
    for site, row in result["sites"].items():
        line = site.ljust(width) + "".join(str(row.get(c, 0)).rjust(11) for c in COLUMNS)
        if row.get("reasons"):
            line += "   " + ", ".join(f"{reason} {n}" for reason, n in row["reasons"].items())
        lines.append(line)
    # one line per site where nothing was found: why, and what to try
    for site, note in sorted((result.get("notes") or {}).items()):
        lines.append(f"{site}: {note}")
    # one line per site whose health this run found changed (archive.health), in Vietnam time
    from archive.datasette.display import vietnam_time

    for site, health in sorted((result.get("health") or {}).items()):
        if health["status"] in ("degraded", "broken"):
            since = vietnam_time(health["since"]) or ""
            lines.append(f"{site}: {health['status']} since {since}: {health['reason']} (see tintinh health)")
    return lines
