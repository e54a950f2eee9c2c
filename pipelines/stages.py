"""The thin Scrapy pipelines over the pure stages: extract → validate → store.

The six steps of DESIGN.md map onto three pipelines because two pairs must share state:
cleaning and normalising run inside `extract_article` (junk is removed from the article's own
DOM, parsed once, then again in text; dates and text are normalised as they are read), and
deduplication runs inside `Archive.store_article`, in the same transaction that reads the
archive's URL, hash and LSH indexes and writes the row.

Every page that does not become an article is dropped with a named reason (a `Failed`), and the
store pipeline records it in the archive's failures table, so nothing is lost silently. Items
are the spider's raw pages (crawler.spiders.news.Page), read through ItemAdapter.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem

from archive.lock import db_lock
from archive.store import Archive, ArchiveError
from pipelines.extract import ExtractionError, LegacyEncoding, NotAnArticle, extract_article

SUMMARY_STAT = "tintinh/summary"


class Failed(DropItem):
    """A page dropped for a named reason; the reason is what the failures table records."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason, log_level="DEBUG")
        self.reason = reason
        self.detail = detail


class ExtractPipeline:
    """Raw page → article dict (pipelines.extract), or Failed."""

    def process_item(self, item):
        page = ItemAdapter(item)
        if page["failure"]:
            raise Failed(page["failure"], page["detail"])
        site = page["site_profile"]  # what the registry knows of the site, put there by the spider
        # the header's charset outranks the page's own <meta> (pipelines.decode)
        content_type = next((v for k, v in (page["headers"] or {}).items() if k.lower() == "content-type"), None)
        try:
            article = extract_article(page["body"], page["final_url"] or page["url"], site, content_type)
        except NotAnArticle as e:
            raise Failed("not_an_article", str(e)) from None
        except LegacyEncoding as e:  # TCVN3/VNI text not converted with certainty: kept for reprocess
            raise Failed("legacy_encoding", str(e)) from None
        except ExtractionError as e:
            raise Failed("extraction_error", str(e)) from None
        except Exception as e:  # a bug in a parser must not lose the page: it is kept for reprocess
            raise Failed("extractor_crashed", f"{type(e).__name__}: {e}") from None
        article["url"] = page["final_url"] or page["url"]
        article["site"] = article.get("site") or page["site"]
        if site is not None and not article.get("province"):
            article["province"] = site["province"]
        article["fetched_at"] = page["fetched_at"]
        page["article"] = article
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
    """Archives pages, articles and failures; keeps per-site counters for the run summary."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("TINTINH_DB")
        self.refresh = crawler.settings.getbool("TINTINH_REFRESH")
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.reasons: dict[str, Counter] = defaultdict(Counter)
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self._lock = None
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        spider = self.crawler.spider
        self._lock = db_lock(self.db_path)
        self._lock.__enter__()
        self.archive = Archive(self.db_path)
        self.archive.register_sites(spider.sites)
        self.run_id = self.archive.start_run(spider.slugs, refresh=self.refresh or spider.refresh)
        for slug in spider.slugs:
            self.counts[slug]  # every site crawled gets a summary line, even an empty one

    def process_item(self, item):
        page = ItemAdapter(item)
        site = page["site"]
        page_id = self._record_page(page)
        try:
            status = self.archive.store_article(page["article"], page_id=page_id, run_id=self.run_id)
        except ArchiveError as e:
            raise Failed("store_error", str(e)) from None
        self.counts[site][status] += 1
        # What leaves the pipelines (feed exports: -O items.jsonl) is the article, not the raw page.
        return {**page["article"], "archive_status": status}

    def item_dropped(self, item, response, exception, spider):
        page = ItemAdapter(item)
        reason = getattr(exception, "reason", type(exception).__name__.lower())
        detail = getattr(exception, "detail", str(exception))
        site = page["site"]
        # A fetched article page is kept even when it is no article (reprocess may read it later);
        # HTTP errors and network failures live in the failures table only.
        if page["kind"] == "article" and 200 <= (page["status"] or 0) < 300 and reason != "store_error":
            self._record_page(page, failure=reason)
        self.archive.record_failure(url=page["url"], reason=reason, site=site, run_id=self.run_id,
                                    detail=detail, fetched_at=page["fetched_at"])
        self.counts[site]["failed"] += 1
        self.reasons[site][reason] += 1
        self.crawler.stats.inc_value(f"tintinh/failed/{reason}")

    def _record_page(self, page: ItemAdapter, failure: str | None = None) -> int:
        self.counts[page["site"]]["fetched"] += 1
        return self.archive.record_page(
            url=page["url"], final_url=page["final_url"], status=page["status"],
            headers=page["headers"], body=page["body"], fetched_at=page["fetched_at"],
            site=page["site"], run_id=self.run_id, failure=failure)

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
        if self.archive is None:
            return
        summary = self.summary()
        try:
            self.archive.finish_run(self.run_id, {
                site: {k: v for k, v in row.items() if k not in ("skipped", "reasons")}
                for site, row in summary.items()})
            self.crawler.stats.set_value(SUMMARY_STAT, {"run_id": self.run_id, "sites": summary})
        finally:
            self.archive.close()
            self._lock.__exit__(None, None, None)
