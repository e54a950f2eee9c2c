"""The thin Scrapy pipelines over the pure stages: extract → validate → store.

The six steps of DESIGN.md map onto three pipelines because two pairs must share state:
cleaning and normalising run inside `extract_article` (junk is removed from the article's own
DOM, parsed once, then again in text; dates and text are normalised as they are read), and
deduplication runs inside `Archive.store_article`, in the same transaction that reads the
archive's URL, hash and LSH indexes and writes the row.

Every page that does not become an article is dropped with a named reason (a `Failed`), and the
store pipeline records it in the archive's failures table, so nothing is lost silently. Items
are the spider's raw pages (crawler.spiders.news.Page), read through ItemAdapter.

A page and what comes of it (its article, or its failure) are stored as one unit
(`Archive.store_fetch`) by the archive's writer thread (archive.writer), a few to a short
transaction, never in Scrapy's thread: a crawl killed at any moment leaves each URL whole or not
there, and what is not there is fetched again next run. When the archive refuses a write (full disk, size
limit, read-only, I/O error, damage) the store stops the crawl, writes nothing more, and leaves
the reason in the STOPPED_STAT stat for the command line to report.
"""
from __future__ import annotations

import os
import signal
import time
from collections import Counter, defaultdict
from concurrent.futures import Future
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred, DeferredSemaphore

from archive.lock import db_lock
from archive.store import Archive, ArchiveError, StorageError
from archive.writer import ArchiveWriter
from pipelines.extract import BadCharset, ExtractionError, LegacyEncoding, NotAnArticle, extract_article
from pipelines.extract_pool import FAILED, ExtractionPool

SUMMARY_STAT = "tintinh/summary"
STOPPED_STAT = "tintinh/stopped"        # why the archive stopped taking writes, if it did
STOPPED_REASON = "archive_unwritable"   # the spider's close reason then
# Tests only: SIGKILL this process inside the transaction storing the N-th page, before its commit.
KILL_AFTER_ENV = "TINTINH_TEST_KILL_AFTER"
# Tests only: while the file this names exists, the writer waits before each store (and touches
# "<file>.held" to say it is waiting).
HOLD_STORES_ENV = "TINTINH_TEST_HOLD_STORES"


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
    except BadCharset as e:  # the bytes are kept: a reprocess with a fixed rule may read them
        raise Failed("bad_charset", str(e)) from None
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
    """Raw page → article dict (page_article), or Failed.

    With TINTINH_EXTRACT_PROCESSES > 0 (by default one per core) extraction runs in worker
    processes (pipelines.extract_pool) together with the archive's pure work on the article and
    the raw page, while Scrapy goes on downloading; a page that hangs or kills its worker is a
    failure of its own (extraction_timeout, extractor_crashed). 0 extracts in Scrapy's process."""

    def __init__(self, processes: int = 0, timeout: float = 120, memory_mb: int = 2048):
        self.pool = ExtractionPool(processes, timeout, memory_mb) if processes > 0 else None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(settings.getint("TINTINH_EXTRACT_PROCESSES"), settings.getfloat("TINTINH_EXTRACT_TIMEOUT"),
                   settings.getint("TINTINH_EXTRACT_MEMORY_MB"))

    async def open_spider(self):
        if self.pool is not None:
            await self.pool.start()

    async def process_item(self, item):
        page = ItemAdapter(item)
        if page["failure"]:
            raise Failed(page["failure"], page["detail"])
        # the site profile is what the registry knows of the site, put there by the spider; the
        # header's charset outranks the page's own <meta> (pipelines.decode)
        content_type = next((v for k, v in (page["headers"] or {}).items() if k.lower() == "content-type"), None)
        args = (page["body"], page["final_url"] or page["url"], page["site"], page["site_profile"],
                content_type, page["fetched_at"])
        if self.pool is None:
            page["article"] = page_article(*args)
            return item
        answer = await self.pool.run(*args)
        if answer[0] == FAILED:
            raise Failed(*answer[1:])
        _, page["article"], content, compressed = answer
        page["prepared"] = {"content": content, "compressed": compressed}
        return item

    def close_spider(self):
        if self.pool is not None:
            self.pool.close()


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
    """Archives pages with their articles or failures; keeps per-site counters for the run summary.

    The database work runs in the archive's writer thread (archive.writer), never in Scrapy's:
    `process_item` hands the page over and awaits its commit, so downloads and extraction go on
    meanwhile. At most TINTINH_STORE_QUEUE pages wait for the writer; more wait here, without
    blocking anything, until it catches up."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("TINTINH_DB")
        self.refresh = crawler.settings.getbool("TINTINH_REFRESH")
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.reasons: dict[str, Counter] = defaultdict(Counter)
        self.writer: ArchiveWriter | None = None
        self.run_id: int | None = None
        self.stopped: str | None = None   # the write error that stopped the crawl
        self.not_stored = 0
        self._lock = None
        self._room = DeferredSemaphore(max(1, crawler.settings.getint("TINTINH_STORE_QUEUE", 256)))
        # a page unanswered this long means the writer is stuck: the crawl stops and says so
        self.store_timeout = crawler.settings.getfloat("TINTINH_STORE_TIMEOUT", 600) or None
        self._stuck = False
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def open_spider(self):
        spider = self.crawler.spider
        self._lock = db_lock(self.db_path)
        self._lock.__enter__()
        for slug in spider.slugs:
            self.counts[slug]  # every site crawled gets a summary line, even an empty one
        # quick_check at open, unless `tintinh crawl` (crawler.run) has just run it
        check = self.crawler.settings.get("TINTINH_CHECKED_DB") != self.db_path
        self.writer = ArchiveWriter(lambda: Archive(self.db_path, check=check), **_test_hooks())
        refresh = self.refresh or spider.refresh

        def start(archive: Archive) -> int:
            archive.register_sites(spider.sites)
            return archive.start_run(spider.slugs, refresh=refresh)
        try:
            self.run_id = await _settled(self.writer.call(start))
        except StorageError as e:  # e.g. a full disk: no crawl at all
            self.stopped = str(e)
            raise CloseSpider(STOPPED_REASON) from None

    async def process_item(self, item):
        page = ItemAdapter(item)
        site = page["site"]
        try:
            status = await self._store(page, article=page["article"])
        except NotStored:
            raise
        except ArchiveError as e:  # an article the archive refuses (no URL, neither title nor body)
            raise Failed("store_error", str(e)) from None
        self.counts[site][status] += 1
        # What leaves the pipelines (feed exports: -O items.jsonl) is the article, not the raw page.
        return {**page["article"], "archive_status": status}

    async def item_dropped(self, item, response, exception, spider):
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
            await self._store(page, failure=failure, keep_page=keep)
        except NotStored:
            return
        self.counts[site]["failed"] += 1
        self.reasons[site][reason] += 1
        self.crawler.stats.inc_value(f"tintinh/failed/{reason}")

    async def _store(self, page: ItemAdapter, *, article: dict | None = None, failure: dict | None = None,
                     keep_page: bool = True) -> str:
        """The page (when kept) and its article or failure, in one transaction (Archive.store_fetch
        in the writer thread), once it has committed. NotStored once the archive refuses writes:
        the crawl is stopping."""
        if self.stopped:
            self.not_stored += 1
            raise NotStored()
        prepared = page["prepared"] or {}
        fields = dict(url=page["url"], final_url=page["final_url"], status=page["status"],
                      headers=page["headers"], body=page["body"], fetched_at=page["fetched_at"],
                      site=page["site"], compressed=prepared.get("compressed")) if keep_page else None
        await maybe_deferred_to_future(self._room.acquire())
        try:
            status = await _settled(self.writer.store(page=fields, article=article, failure=failure,
                                                      run_id=self.run_id,
                                                      content=prepared.get("content") if article else None),
                                    self.store_timeout)
        except StorageError as e:
            self._stop(str(e))
            self.not_stored += 1
            raise NotStored() from None
        except TimeoutError:
            self._stop(self._writer_stuck())
            self.not_stored += 1
            raise NotStored() from None
        finally:
            self._room.release()
        if keep_page:
            self.counts[page["site"]]["fetched"] += 1
        return status

    def _writer_stuck(self) -> str:
        """Why the crawl stops when the writer has not answered in time (it is not waited for at close)."""
        self._stuck = True
        return (f"the archive's writer has not answered for {self.store_timeout:g} s (TINTINH_STORE_TIMEOUT):"
                " is another program holding the archive?")

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

    async def close_spider(self):
        # Every item has been through process_item by now; the run is finished after its stores.
        summary, health = self.summary(), {}
        try:
            if self.writer is not None and not self.stopped:  # a stopped run stays unfinished
                finished = {site: {k: v for k, v in row.items() if k not in ("skipped", "reasons")}
                            for site, row in summary.items()}
                health = await _settled(self.writer.call(lambda archive: archive.finish_run(self.run_id, finished)),
                                        self.store_timeout)
                # the sites this run was complete for and their discovery pages' validators (crawler.spiders.news)
                if discovered := getattr(self.crawler.spider, "discovered", None):
                    found = discovered()
                    await _settled(self.writer.call(lambda archive: archive.record_discovery(self.run_id, **found)),
                                   self.store_timeout)
        except StorageError as e:
            self.stopped = str(e)
        except TimeoutError:
            self.stopped = self._writer_stuck()
        finally:
            self.crawler.stats.set_value(SUMMARY_STAT, {"run_id": self.run_id, "sites": summary,
                                                        "not_stored": self.not_stored,
                                                        "health": {s: h.row() for s, h in health.items()}})
            if self.stopped:
                self.crawler.stats.set_value(STOPPED_STAT, self.stopped)
            if self.writer is not None:
                # what is left is stored (nothing, normally), the archive closed; a stuck writer
                # is not waited for (its thread ends with the process; what it did not commit
                # is fetched again next run)
                self.writer.close(timeout=1 if self._stuck else None)
            if self._lock is not None:
                self._lock.__exit__(None, None, None)


def _settled(future: Future, timeout: float | None = None):
    """An awaitable for the writer thread's Future, resumed in Scrapy's reactor thread; after
    `timeout` seconds without an answer it raises TimeoutError (the Future's late answer is dropped)."""
    from twisted.internet import reactor  # the reactor Scrapy installed (importing it earlier would install one)

    done: Deferred = Deferred()
    if timeout:
        done.addTimeout(timeout, reactor, onTimeoutCancel=lambda result, after: _timed_out(after))

    def settle(f: Future) -> None:
        if done.called:   # timed out already: the late answer is dropped
            return
        error = f.exception()
        if error is not None:
            done.errback(error)
        else:
            done.callback(f.result())
    future.add_done_callback(lambda f: reactor.callFromThread(settle, f))
    return maybe_deferred_to_future(done)


def _timed_out(seconds: float):
    raise TimeoutError(f"no answer in {seconds:g} s")


def _test_hooks() -> dict:
    """The writer's test hooks from the environment (KILL_AFTER_ENV, HOLD_STORES_ENV), if set."""
    hooks = {}
    kill_after = int(os.environ.get(KILL_AFTER_ENV) or 0)
    if kill_after:
        def kill(n: int) -> None:
            if n == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
        hooks["after_store"] = kill
    hold = os.environ.get(HOLD_STORES_ENV)
    if hold:
        def wait(n: int) -> None:
            if os.path.exists(hold):
                Path(f"{hold}.held").touch()
            while os.path.exists(hold):
                time.sleep(0.01)
        hooks["before_store"] = wait
    return hooks
