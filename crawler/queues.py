"""How requests wait: a scheduler whose JOBDIR survives kill -9, and discovery fed to it as it drains.

`Scheduler` is Scrapy's, plus two things:
- A JOBDIR left by a crawl that did not close (kill -9, a crash, power loss) holds queue files that
  were never flushed or are cut mid-record, and no index of them (Scrapy writes `active.json`, and
  queuelib the LIFO queue headers, only on close): resuming from them fails with `struct.error`,
  or reads old records in place of new ones, and the requests concerned are lost without a word.
  Such a JOBDIR is recognised by the marker the scheduler keeps in it while it is open; its queue
  and seen-requests files are discarded with one warning and the crawl starts its discovery over:
  the spider's start() always issues the discovery requests again, and articles already in the
  archive are skipped before fetching, so nothing is lost and nothing is archived twice. A JOBDIR
  closed cleanly (Ctrl-C once) resumes as Scrapy does.
- It counts, per site, the article requests it has handed to the downloader (`dequeued(site)`).

`PaceArticleRequests` uses that count: a discovery page's article requests (a sitemap of a million
URLs) go out only while fewer than TINTINH_QUEUE_AHEAD of its site are released and not yet taken
by the downloader; the rest wait, unparsed, inside the page's generator. Scrapy would otherwise
schedule every request a callback yields at once (gigabytes of Request objects for a big sitemap)
before fetching any. Released, not enqueued: Scrapy buffers up to 2 x CONCURRENT_ITEMS outputs of
a callback before it schedules them, so the scheduler's own length would be seen too late. While
a page is being read it counts against SCRAPER_SLOT_MAX_ACTIVE_SIZE; past it Scrapy fetches
nothing, so pacing gives way rather than wait forever (settings.py sizes it for sitemaps).
"""
from __future__ import annotations

import logging
import os
import shutil
from collections import Counter
from pathlib import Path

from scrapy import Request
from scrapy.core.scheduler import Scheduler as ScrapyScheduler
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.job import job_dir

logger = logging.getLogger(__name__)

OPEN_MARKER = "scheduler.open"   # in JOBDIR while a scheduler has its queues open
POLL_SECONDS = 0.05


def discard_unclosed_jobdir(jobdir: str | os.PathLike) -> int | None:
    """Remove the queue and seen-requests files of a JOBDIR whose last scheduler never closed:
    how many queue files that was, or None when the JOBDIR was closed cleanly (or is new)."""
    jobdir = Path(jobdir)
    marker = jobdir / OPEN_MARKER
    if not marker.exists():
        return None
    queue = jobdir / "requests.queue"
    files = sum(1 for p in queue.rglob("*") if p.is_file()) if queue.exists() else 0
    shutil.rmtree(queue, ignore_errors=True)
    (jobdir / "requests.seen").unlink(missing_ok=True)
    marker.unlink()
    return files


class Scheduler(ScrapyScheduler):
    """Scrapy's scheduler; an unclosed JOBDIR starts over instead of failing, see module doc."""

    @classmethod
    def from_crawler(cls, crawler):
        jobdir = job_dir(crawler.settings)
        # before Scrapy's dupefilter reads requests.seen and its queues open their files
        files = discard_unclosed_jobdir(jobdir) if jobdir else None
        if files is not None:
            logger.warning(
                "JOBDIR %s was left by a crawl that did not close (killed?): its %d queue files are "
                "discarded and discovery starts over; archived articles are skipped", jobdir, files)
            crawler.stats.set_value("tintinh/jobdir_discarded_files", files)
        return super().from_crawler(crawler)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._dequeued: Counter = Counter()
        self._marker: Path | None = None

    def open(self, spider):
        result = super().open(spider)
        if self.dqdir:
            self._marker = Path(self.dqdir).parent / OPEN_MARKER
            self._marker.write_text(str(os.getpid()))
        return result

    def close(self, reason: str):
        result = super().close(reason)   # writes active.json and closes the queue files
        if self._marker is not None:
            self._marker.unlink(missing_ok=True)
        return result

    def next_request(self) -> Request | None:
        request = super().next_request()
        if request is not None and request.meta.get("kind") == "article":
            self._dequeued[request.meta.get("site")] += 1
        return request

    def dequeued(self, site: str) -> int:
        """Article requests of `site` handed to the downloader so far."""
        return self._dequeued[site]


class PaceArticleRequests:
    """Spider middleware: article requests from a discovery page enter the scheduler while fewer
    than TINTINH_QUEUE_AHEAD of their site wait there (see the module doc)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.ahead = crawler.settings.getint("TINTINH_QUEUE_AHEAD")
        self.released: Counter = Counter()   # site → article requests let through

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_spider_output(self, response, result):
        async for item in result:
            if isinstance(item, Request) and item.meta.get("kind") == "article":
                site = item.meta.get("site")
                if not await self._room_for(site):
                    logger.info("%s: the crawl is closing, the rest of this page is not read", response.url)
                    return
                self.released[site] += 1
            yield item

    async def _room_for(self, site: str) -> bool:
        """Wait until the scheduler has room for one more article of `site`; False when the crawl
        is closing (then nothing more should be read)."""
        engine = self.crawler.engine
        dequeued = getattr(engine.scheduler, "dequeued", None)
        if dequeued is None or self.ahead <= 0:
            return True   # another scheduler: no pacing
        # (a request resumed from a JOBDIR is dequeued without having been released: more room)
        while self.released[site] - dequeued(site) >= self.ahead:
            if engine.scraper.slot.needs_backout():
                # responses fill the scraper's memory budget (SCRAPER_SLOT_MAX_ACTIVE_SIZE) and the
                # engine fetches nothing until some are done: waiting here could wait forever
                return True
            if engine.needs_backout() and not engine.downloader.needs_backout():
                return False   # closing or stopped: it will never drain
            await maybe_deferred_to_future(_sleep(POLL_SECONDS))
        return True


def _sleep(seconds: float):
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    return deferLater(reactor, seconds, lambda: None)
