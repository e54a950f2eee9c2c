"""Extraction in worker processes, so a crawl uses every core and a page cannot take the crawl down.

Scrapy runs in one thread, and extraction is pure CPU work on a page of a few hundred KB: done in
Scrapy's process, it holds the GIL that the downloads and the archive's writer thread also need.
`ExtractionPool` runs `prepared_fetch` (extraction, then the archive's pure preparation of the
article's text and of the raw page) in `processes` worker processes, awaited from Scrapy's asyncio
loop; the archive's writer is left with the database work.

A page is also kept from harming the crawl: a page whose extraction runs past `timeout` seconds
is `extraction_timeout`, and one whose worker dies under it (a crash in a C parser, the memory
limit) is `extractor_crashed`; the pool is started afresh and the pages that were beside it are
extracted again. Each worker's address space is capped at `memory_mb`, so one hostile page cannot
exhaust the machine.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import select
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from archive.pagecodec import compress_page
from archive.store import ArchiveError, prepare_content

# Tests only: "hang:MARKER", "die:MARKER" or "memory:MARKER" makes a worker hang, die, or ask for
# 3 GB of memory on pages whose URL contains MARKER.
FAULT_ENV = "TINTINH_TEST_EXTRACT_FAULT"

# `prepared_fetch` answers (kind, ...): ("article", article, content, compressed page) or ("failed", reason, detail)
ARTICLE, FAILED = "article", "failed"


def prepared_fetch(body: bytes, url: str, slug: str, site: dict | None, content_type: str | None,
                   fetched_at: str) -> tuple:
    """What a worker does for a fetched page: its article (`stages.page_article`), the archive's
    preparation of its text (`archive.store.prepare_content`) and the compressed raw page, or why
    it is no article. The archive's writer then only has to write them."""
    from pipelines.stages import Failed, page_article  # stages imports this module

    if os.environ.get(FAULT_ENV):
        _test_fault(os.environ[FAULT_ENV], url)
    try:
        article = page_article(body, url, slug, site, content_type, fetched_at)
    except Failed as e:
        return FAILED, e.reason, e.detail
    try:
        content = prepare_content(article)
    except ArchiveError:  # the archive refuses it; the validation step says why (no title, no body)
        content = None
    return ARTICLE, article, content, compress_page(body) if body else None


def _test_fault(spec: str, url: str) -> None:
    kind, _, marker = spec.partition(":")
    if marker and marker in url:
        if kind == "hang":
            time.sleep(3600)
        elif kind == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        elif kind == "memory":
            bytearray(3 << 30)


def _start_worker(crawl_pid: int, memory_mb: int) -> None:
    """A worker's initializer: end with the crawl, even one killed with -9 (the worker and its
    forkserver would otherwise wait for each other forever), and cap the worker's address space
    (a page that needs more fails alone)."""
    threading.Thread(target=_exit_with, args=(crawl_pid,), name="exit-with-crawl", daemon=True).start()
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _exit_with(pid: int) -> None:
    try:
        handle = os.pidfd_open(pid)   # readable once the process has ended (Linux)
    except (AttributeError, OSError):
        handle = None
    if handle is not None:
        select.select([handle], [], [])
        os._exit(0)
    while True:
        time.sleep(1)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)


class ExtractionPool:
    """`processes` workers running `prepared_fetch`; `await pool.run(...)` → its answer."""

    def __init__(self, processes: int, timeout: float = 120, memory_mb: int = 2048):
        self.processes = max(1, processes)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.restarts = 0
        self._executor: ProcessPoolExecutor | None = None
        self._retry = asyncio.Lock()   # pages caught in a broken pool are tried again one at a time

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # forkserver: workers fork from a clean process that has imported extraction once, never
            # from Scrapy's (its threads and event loop must not be copied)
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["pipelines.stages"])   # this module, extraction, the archive's parts
            self._executor = ProcessPoolExecutor(self.processes, mp_context=context,
                                                 initializer=_start_worker, initargs=(os.getpid(), self.memory_mb))
        return self._executor

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        """Kill the workers of `broken` (a page is stuck in one) and start afresh on the next page."""
        if self._executor is not broken:
            return   # another page has restarted it already
        self._executor, self.restarts = None, self.restarts + 1
        for process in list((getattr(broken, "_processes", None) or {}).values()):
            if process.is_alive():
                process.kill()
        broken.shutdown(wait=False, cancel_futures=True)

    async def start(self) -> None:
        """Start the workers and wait until each can take a page, so that starting them (importing
        extraction once, in the forkserver) does not compete with the crawl's first requests."""
        executor = self._start()
        await asyncio.gather(*(asyncio.wrap_future(executor.submit(os.getpid)) for _ in range(self.processes)))

    async def run(self, *args) -> tuple:
        """`prepared_fetch(*args)` in a worker: its answer, or a failure for a page whose worker
        ran past the timeout or died (after a second try alone in a fresh pool)."""
        answer = await self._attempt(args)
        if answer is not None:
            return answer
        async with self._retry:
            answer = await self._attempt(args)
        return answer if answer is not None else (
            FAILED, "extractor_crashed", "the extraction process died while extracting the page, twice")

    async def _attempt(self, args) -> tuple | None:
        executor = self._start()
        try:
            future = executor.submit(prepared_fetch, *args)
        except BrokenProcessPool:
            self._restart(executor)
            return None
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except TimeoutError:
            self._restart(executor)
            return FAILED, "extraction_timeout", f"extraction took over {self.timeout:g} s"
        except BrokenProcessPool:
            self._restart(executor)
            return None
        except Exception as e:  # raised in the worker outside extraction's own net (MemoryError…)
            return FAILED, "extractor_crashed", f"{type(e).__name__}: {e}"

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

