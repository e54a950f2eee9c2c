"""The archive's one writer as a thread: a crawl hands fetches over and never waits for SQLite.

`ArchiveWriter` owns an `Archive` (its SQLite connection lives in the writer thread) and takes
work from a queue:

- `store(**fetch)`: one fetch for `Archive.store_fetch`. What is waiting is stored in one short
  transaction (up to MAX_BATCH fetches), each fetch still one atomic unit (a savepoint: its page
  with its article or failure, or nothing of it). Its Future resolves (status, or the error the
  archive gave for that fetch alone) only once the transaction has committed: a kill -9 loses
  what was not committed, and a URL not in the archive is fetched again next run.
- `call(fn)`: `fn(archive)` on its own, after everything queued before it (open a run, finish
  it, read counters).

When the archive refuses a write (StorageError: full disk, damage…), every fetch of that
transaction fails with it, and every later one too. So does every fetch, in flight or to come,
if the writer thread itself fails: no fetch is left waiting for an answer that will not come.

The archive's upkeep happens between transactions, while no fetch waits, in short transactions
of its own (up to IDLE_SECONDS at a time, then again at the next pause): moving the dedup tables'
new rows into the big ones a slice at a time (`Archive.fold_dedup_rows`), and merging the search
indexes' segments a few pages at a time (`Archive.merge_search`) — work a commit used to pay for
whole, once in a while, for seconds. A fetch that arrives during such a step cuts it short (SQLite
rolls the step back; it is done again at the next pause), unless INTERRUPTS_IN_A_ROW steps were
cut short in a row. WAL checkpoints (copying committed pages into the database
file, with an fsync) run in a thread of their own on their own connection, beside the writer,
instead of inside whichever commit crossed the WAL's size limit.

The queue itself is not bounded: the caller bounds what it has in flight (the crawl's store
pipeline waits, without blocking its thread, until fewer than its limit are).
"""
from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from concurrent.futures import Future
from typing import Callable

from archive.store import Archive, StorageError

MAX_BATCH = 32               # fetches in one transaction at most: a commit stays short
MERGE_STEP_PAGES = 8         # FTS pages one merge step writes at least (it ends at the end of a term)
IDLE_SECONDS = 0.05          # upkeep done at a time while no fetch waits
INTERRUPTS_IN_A_ROW = 2      # upkeep steps a fetch may cut short before one is let finish
PROGRESS_STEPS = 1000        # SQLite instructions between two looks at the queue during upkeep
CHECKPOINT_EVERY = 0.5       # seconds between WAL checkpoints (PASSIVE: they never wait for the writer)

_STOP = object()
logger = logging.getLogger(__name__)


class _Job:
    __slots__ = ("kind", "payload", "future", "queued")

    def __init__(self, kind: str, payload):
        self.kind, self.payload, self.future, self.queued = kind, payload, Future(), time.monotonic()


class ArchiveWriter:
    """A thread that opens the archive with `open_archive()` and does all its database work.

    `before_store(n)` and `after_store(n)` (tests only) run in the writer thread around the n-th
    stored fetch; `after_store` inside its transaction, before the commit."""

    def __init__(self, open_archive: Callable[[], Archive], *, max_batch: int = MAX_BATCH,
                 upkeep: bool = True, before_store: Callable[[int], None] | None = None,
                 after_store: Callable[[int], None] | None = None):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._open, self._max_batch, self._upkeep = open_archive, max_batch, upkeep
        self._before, self._after = before_store, after_store
        self._stored = 0
        self._archive: Archive | None = None
        self._open_error: BaseException | None = None
        self._upkeep_due = upkeep   # whether folding or merging may have work left
        self._interrupted = 0       # upkeep steps cut short in a row
        self.interruptions = 0      # upkeep steps cut short in all
        self._closing = threading.Event()
        self._lock, self._closed = threading.Lock(), False
        self._failure: StorageError | None = None   # why the writer stopped, if it failed
        self._batch: list[_Job] = []                # the fetches of the transaction under way
        self._checkpointer: threading.Thread | None = None
        self._thread = threading.Thread(target=self._run, name="archive-writer", daemon=True)
        self._thread.start()

    # -- the caller's side (any thread) -------------------------------------------------------
    def store(self, **fetch) -> Future:
        """Queue one fetch for `Archive.store_fetch(**fetch)`; the Future gives its status once committed."""
        return self._put("store", fetch)

    def call(self, fn: Callable[[Archive], object]) -> Future:
        """Queue `fn(archive)`, run alone after what is queued before it; the Future gives its result."""
        return self._put("call", fn)

    def close(self, timeout: float | None = None) -> None:
        """Finish what is queued, close the archive and end the thread."""
        with self._lock:
            if not self._closed:
                self._queue.put(_STOP)
        self._thread.join(timeout)

    def _put(self, kind: str, payload) -> Future:
        job = _Job(kind, payload)
        with self._lock:
            if self._closed:
                job.future.set_exception(self._closed_error())
            else:
                self._queue.put(job)
        return job.future

    # -- the writer thread --------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._archive = self._open()
            self._archive.background_upkeep = self._upkeep
            # checkpoints beside the writer (a thread and connection of their own), not in its commits
            self._archive.conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._checkpointer = threading.Thread(target=self._checkpoints, args=(self._archive.path,),
                                                  name="archive-checkpoints", daemon=True)
            self._checkpointer.start()
        except BaseException as e:  # every job gets the reason the archive could not be opened
            self._open_error = e
        held = None
        try:
            while True:
                if held is not None:
                    job, held = held, None
                elif self._upkeep_due:   # upkeep goes on, a slice at a time, until a fetch comes
                    try:
                        job = self._queue.get(timeout=0.001)
                    except queue.Empty:
                        self._upkeep_some()
                        continue
                else:
                    job = self._queue.get()
                if job is _STOP:
                    return
                if job.kind == "call":
                    self._call(job)
                    continue
                batch = [job]
                while len(batch) < self._max_batch:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is _STOP or more.kind != "store":
                        held = more  # after this transaction, in order
                        break
                    batch.append(more)
                self._batch = batch
                self._store(batch)
                self._batch = []
                if held is None and self._upkeep_due:
                    self._upkeep_some()
        except BaseException as e:
            # A bug or an error SQLite should not give: never leave a fetch waiting for an answer
            # that will not come. Every fetch in flight and every later one fails as unstorable,
            # so the crawl stops and says why; what was not committed is fetched again next run.
            logger.exception("the archive writer stopped")
            self._failure = StorageError(f"the archive writer stopped: {type(e).__name__}: {e}")
        finally:
            with self._lock:
                self._closed = True
            for job in self._batch + ([held] if held not in (None, _STOP) else []):
                if not job.future.done():
                    job.future.set_exception(self._closed_error())
            while True:  # nothing is left waiting for an answer
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is not _STOP and not job.future.done():
                    job.future.set_exception(self._closed_error())
            self._closing.set()
            if self._checkpointer is not None:
                self._checkpointer.join()
            if self._archive is not None:
                self._archive.close()   # the last connection: SQLite checkpoints what is left

    def _closed_error(self) -> BaseException:
        """What a fetch gets once the writer has ended: why it failed, if it did."""
        return self._failure or RuntimeError("the archive writer is closed")

    def _call(self, job: _Job) -> None:
        if self._open_error is not None:
            job.future.set_exception(self._open_error)
            return
        try:
            result = job.payload(self._archive)
        except BaseException as e:
            job.future.set_exception(e)
        else:
            job.future.set_result(result)

    def _store(self, batch: list[_Job]) -> None:
        if self._open_error is not None:
            for job in batch:
                job.future.set_exception(self._open_error)
            return
        archive, results = self._archive, []
        try:
            with archive.batch():
                for job in batch:
                    self._stored += 1
                    if self._before is not None:
                        self._before(self._stored)
                    try:
                        results.append((job, archive.store_fetch(**job.payload), None))
                    except StorageError:
                        raise
                    except Exception as e:  # this fetch only (a bad article): nothing of it was written
                        results.append((job, None, e))
                    if self._after is not None:
                        self._after(self._stored)
        except StorageError as e:  # nothing of this transaction was kept
            for job in batch:
                job.future.set_exception(StorageError(str(e)))
            return
        self._upkeep_due = self._upkeep
        for job, status, error in results:
            if error is not None:
                job.future.set_exception(error)
            else:
                job.future.set_result(status)

    def _upkeep_some(self) -> None:
        """While no fetch waits (for IDLE_SECONDS at most): a slice of the dedup fold, or a step
        of search-index merging, each a short transaction of its own."""
        if self._archive is None or self._open_error is not None:
            self._upkeep_due = False
            return
        deadline = time.monotonic() + IDLE_SECONDS
        try:
            while self._queue.empty() and time.monotonic() < deadline:
                # a step is cut short when a fetch arrives (SQLite's progress handler, called in
                # this thread as the step runs, stops it and the step rolls back), but not
                # INTERRUPTS_IN_A_ROW times in a row: merging must not starve
                conn = self._archive.conn
                if self._interrupted < INTERRUPTS_IN_A_ROW:
                    conn.set_progress_handler(self._fetch_waiting, PROGRESS_STEPS)
                try:
                    more = self._archive.fold_dedup_rows() or self._archive.merge_search(MERGE_STEP_PAGES)
                finally:
                    conn.set_progress_handler(None, 0)
                self._interrupted = 0
                if not more:
                    self._upkeep_due = False   # nothing left until the next transaction
                    return
        except sqlite3.OperationalError as e:
            if getattr(e, "sqlite_errorcode", None) != sqlite3.SQLITE_INTERRUPT:
                raise
            # The step's own rollback ran while the handler was still on and may itself have been
            # cut short, leaving the step's transaction open: roll it back now, the handler off.
            self._archive._rollback()
            self._interrupted += 1   # the fetch first; the step again at the next pause
            self.interruptions += 1
        except StorageError:  # the next store meets it again and stops the crawl
            self._upkeep_due = False

    def _fetch_waiting(self) -> bool:
        return not self._queue.empty()

    def _checkpoints(self, path) -> None:
        """Copy committed pages from the WAL into the database file every CHECKPOINT_EVERY
        seconds, beside the writer: a PASSIVE checkpoint waits for no reader or writer, and
        the writer starts the WAL over once one has gone through."""
        try:
            conn = sqlite3.connect(str(path), timeout=1, isolation_level=None)
        except sqlite3.Error:
            return
        try:
            while not self._closing.wait(CHECKPOINT_EVERY):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:  # busy, or the disk refuses: the writer's own writes will say so
                    pass
        finally:
            conn.close()
