"""The thin Scrapy pipelines over the pure stages: extract → validate → store.

The six steps of DESIGN.md map onto three pipelines because two pairs must share state:
cleaning and normalising run inside `extract_article` (junk is removed from the article's own
DOM, parsed once, then again in text; dates and text are normalised as they are read), and
deduplication runs inside `Archive.store_article`, in the same transaction that reads the
archive's URL, hash and LSH indexes and writes the row.

Every page that does not become an article is dropped with a named reason (a `Failed`), and the
store pipeline records it in the archive's failures table, so nothing is lost silently. Items
are the spider's raw pages (crawler.spiders.news.Page), read through ItemAdapter.

A page and what comes of it (its article, or its failure) are stored in one transaction
(`Archive.store_fetch`): a crawl killed at any moment leaves each URL whole or not there, and
what is not there is fetched again next run. When the archive refuses a write (full disk, size
limit, read-only, I/O error, damage) the store stops the crawl, writes nothing more, and leaves
the reason in the STOPPED_STAT stat for the command line to report.
"""
from __future__ import annotations

import os
import signal
from collections import Counter, defaultdict

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem
from scrapy.utils.defer import deferred_from_coro

from archive.lock import db_lock
from archive.store import Archive, ArchiveError, StorageError
from pipelines.extract import ExtractionError, LegacyEncoding, NotAnArticle, extract_article

SUMMARY_STAT = "tintinh/summary"
STOPPED_STAT = "tintinh/stopped"        # why the archive stopped taking writes, if it did
STOPPED_REASON = "archive_unwritable"   # the spider's close reason then
# Tests only: SIGKILL this process inside the transaction storing the N-th page, before its commit.
KILL_AFTER_ENV = "TINTINH_TEST_KILL_AFTER"


class Failed(DropItem):
    """A page dropped for a named reason; the reason is what the failures table records."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason, log_level="DEBUG")
        self.reason = reason
        self.detail = detail


class NotStored(DropItem):
    """A page fetched after the archive stopped taking writes: not stored, so fetched again next run."""

    def __init__(self):
        super().__init__("not stored: the archive cannot be written", log_level="DEBUG")


def page_article(body: bytes, url: str, slug: str, site: dict | None, content_type: str | None,
                 fetched_at: str) -> dict:
    """A fetched page → its article, with the fetch's facts filled in; Failed with the reason when
    it is none. The one extraction step of a crawl, a WARC import and their tests."""
    try:
        article = extract_article(body, url, site, content_type)
    except NotAnArticle as e:
        raise Failed("not_an_article", str(e)) from None
    except LegacyEncoding as e:  # TCVN3/VNI text not converted with certainty: kept for reprocess
        raise Failed("legacy_encoding", str(e)) from None
    except ExtractionError as e:
        raise Failed("extraction_error", str(e)) from None
    except Exception as e:  # a bug in a parser must not lose the page: it is kept for reprocess
        raise Failed("extractor_crashed", f"{type(e).__name__}: {e}") from None
    article["url"] = url
    article["site"] = article.get("site") or slug
    if site is not None and not article.get("province"):
        article["province"] = site["province"]
    article["fetched_at"] = fetched_at
    return article


class ExtractPipeline:
    """Raw page → article dict (page_article), or Failed."""

    def process_item(self, item):
        page = ItemAdapter(item)
        if page["failure"]:
            raise Failed(page["failure"], page["detail"])
        # the site profile is what the registry knows of the site, put there by the spider; the
        # header's charset outranks the page's own <meta> (pipelines.decode)
        content_type = next((v for k, v in (page["headers"] or {}).items() if k.lower() == "content-type"), None)
        page["article"] = page_article(page["body"], page["final_url"] or page["url"], page["site"],
                                       page["site_profile"], content_type, page["fetched_at"])
        return item


def validation_problem(article: dict, min_body_chars: int) -> tuple[str, str] | None:
    """(reason, detail) when an extracted article is not worth archiving, else None."""
    title, body = article.get("title") or "", article.get("body") or ""
    if not title.strip():
        return "no_title", ""
    if len(body.strip()) < min_body_chars:
        return "short_body", f"{len(body.strip())} characters"
    # U+FFFD means bytes were decoded with the wrong charset somewhere.
    if "\ufffd" in title or body.count("\ufffd") > 3:
        return "bad_charset", "replacement characters in the text"
    return None


class ValidatePipeline:
    """Drops articles without a title or with an empty body, counting each reason."""

    def __init__(self, min_body_chars: int):
        self.min_body_chars = min_body_chars

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getint("TINTINH_MIN_BODY_CHARS"))

    def process_item(self, item):
        problem = validation_problem(ItemAdapter(item)["article"], self.min_body_chars)
        if problem:
            raise Failed(*problem)
        return item


class StorePipeline:
    """Archives pages with their articles or failures; keeps per-site counters for the run summary."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("TINTINH_DB")
        self.refresh = crawler.settings.getbool("TINTINH_REFRESH")
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.reasons: dict[str, Counter] = defaultdict(Counter)
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.stopped: str | None = None   # the write error that stopped the crawl
        self.not_stored = 0
        self._lock = None
        self._kill_after, self._stores = int(os.environ.get(KILL_AFTER_ENV) or 0), 0
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        spider = self.crawler.spider
        self._lock = db_lock(self.db_path)
        self._lock.__enter__()
        for slug in spider.slugs:
            self.counts[slug]  # every site crawled gets a summary line, even an empty one
        try:
            # quick_check at open, unless `tintinh crawl` (crawler.run) has just run it
            self.archive = Archive(self.db_path, check=self.crawler.settings.get("TINTINH_CHECKED_DB") != self.db_path)
            self.archive.register_sites(spider.sites)
            self.run_id = self.archive.start_run(spider.slugs, refresh=self.refresh or spider.refresh)
        except StorageError as e:  # e.g. a full disk: no crawl at all
            self.stopped = str(e)
            raise CloseSpider(STOPPED_REASON) from None

    def process_item(self, item):
        page = ItemAdapter(item)
        site = page["site"]
        try:
            status = self._store(page, article=page["article"])
        except NotStored:
            raise
        except ArchiveError as e:  # an article the archive refuses (no URL, neither title nor body)
            raise Failed("store_error", str(e)) from None
        self.counts[site][status] += 1
        # What leaves the pipelines (feed exports: -O items.jsonl) is the article, not the raw page.
        return {**page["article"], "archive_status": status}

    def item_dropped(self, item, response, exception, spider):
        if isinstance(exception, NotStored):
            return
        page = ItemAdapter(item)
        reason = getattr(exception, "reason", type(exception).__name__.lower())
        detail = getattr(exception, "detail", str(exception))
        site = page["site"]
        failure = {"url": page["url"], "reason": reason, "site": site, "detail": detail,
                   "fetched_at": page["fetched_at"]}
        # A fetched article page is kept even when it is no article (reprocess may read it later);
        # HTTP errors and network failures live in the failures table only.
        keep = page["kind"] == "article" and 200 <= (page["status"] or 0) < 300
        try:
            self._store(page, failure=failure, keep_page=keep)
        except NotStored:
            return
        self.counts[site]["failed"] += 1
        self.reasons[site][reason] += 1
        self.crawler.stats.inc_value(f"tintinh/failed/{reason}")

    def _store(self, page: ItemAdapter, *, article: dict | None = None, failure: dict | None = None,
               keep_page: bool = True) -> str:
        """The page (when kept) and its article or failure, in one transaction (Archive.store_fetch).
        NotStored once the archive refuses writes: the crawl is stopping."""
        if self.stopped:
            self.not_stored += 1
            raise NotStored()
        fields = dict(url=page["url"], final_url=page["final_url"], status=page["status"],
                      headers=page["headers"], body=page["body"], fetched_at=page["fetched_at"],
                      site=page["site"]) if keep_page else None
        self._stores += 1
        try:
            if self._stores == self._kill_after:
                with self.archive.batch():
                    self.archive.store_fetch(page=fields, article=article, failure=failure, run_id=self.run_id)
                    os.kill(os.getpid(), signal.SIGKILL)
            status = self.archive.store_fetch(page=fields, article=article, failure=failure, run_id=self.run_id)
        except StorageError as e:
            self._stop(str(e))
            self.not_stored += 1
            raise NotStored() from None
        if keep_page:
            self.counts[page["site"]]["fetched"] += 1
        return status

    def _stop(self, problem: str) -> None:
        """Close the spider: nothing more can be stored, so nothing more is fetched."""
        if self.stopped:
            return
        self.stopped = problem
        self.crawler.stats.set_value(STOPPED_STAT, problem)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=STOPPED_REASON))

    def summary(self) -> dict[str, dict]:
        stats = self.crawler.stats
        out = {}
        for site, counts in sorted(self.counts.items()):
            out[site] = {
                "fetched": counts["fetched"], "new": counts["new"], "updated": counts["updated"],
                "unchanged": counts["unchanged"], "duplicates": counts["duplicate"],
                "failed": counts["failed"],
                "skipped": stats.get_value(f"tintinh/skipped/{site}", 0),
                "reasons": dict(self.reasons[site].most_common()),
            }
        return out

    def close_spider(self):
        summary, health = self.summary(), {}
        try:
            if self.archive is not None and not self.stopped:  # a stopped run stays unfinished
                health = self.archive.finish_run(self.run_id, {
                    site: {k: v for k, v in row.items() if k not in ("skipped", "reasons")}
                    for site, row in summary.items()})
                # the sites this run was complete for and their discovery pages' validators (crawler.spiders.news)
                if discovered := getattr(self.crawler.spider, "discovered", None):
                    self.archive.record_discovery(self.run_id, **discovered())
        except StorageError as e:
            self.stopped = str(e)
        finally:
            self.crawler.stats.set_value(SUMMARY_STAT, {"run_id": self.run_id, "sites": summary,
                                                        "not_stored": self.not_stored,
                                                        "health": {s: h.row() for s, h in health.items()}})
            if self.stopped:
                self.crawler.stats.set_value(STOPPED_STAT, self.stopped)
            if self.archive is not None:
                self.archive.close()
            if self._lock is not None:
                self._lock.__exit__(None, None, None)
