"""The archive: one SQLite file (WAL) that never loses or doubles an article.

`Archive` owns the database. Pages are kept raw (zstd; zlib in older archives, still read)
for reprocessing; articles are
deduplicated in order by canonical URL (`common.urls`), exact content hash, and near-duplicate
MinHash/LSH signatures (`archive.dedup`) whose buckets live in SQLite, so a check is a few
indexed lookups at any archive size and survives restarts.

Storing is two steps: `prepare_article` (pure: normalised row, keys, signature, search texts)
and the database work in the one writer. `store_article` does both; `store_many` runs the
first in worker processes for bulk loads.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import sqlite3
import unicodedata
from collections import Counter, defaultdict, deque
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

import numpy as np
import sqlite_utils

from archive import dedup, health, search
from archive.dbfile import (ArchiveDamaged, ArchiveError, StorageError, busy_seconds, check_file, connect_readonly,
                            read_error, read_only_error, storage_error, writable)
from archive.migrations import MigrationError, applied, migrate
from archive.pagecodec import compress_page, decompress_page
from common.provinces import article_provinces
from common.text import clean_lines, content_key, fold_spaces, nfc, split_categories
from common.urls import BadURL, article_canonical, canonical_url, host_aliases

# Response headers worth keeping with a raw page (caching, type, language, redirects).
KEPT_HEADERS = ("content-type", "content-language", "last-modified", "etag", "date",
                "location", "cache-control", "x-cache", "server")
BOILERPLATE_ARTICLES = 3   # a line already on this many articles of a site is its boilerplate
# New LSH bucket rows (20 an article) kept in the small tables before one sorted merge into the
# big ones (migration 4): a commit dirties few pages, the big tables are rewritten once per ~10k articles.
MERGE_ROWS = 200_000
FOLD_SLICE = 5_000    # rows `fold_dedup_rows` moves in one transaction (a few tens of ms)
BULK_MERGE_PAGES = 2_000   # search-index pages merged per step after a bulk load's batch
TRANSACTION_CHARS = 16_000_000   # `store_many`: a transaction ends after this much text, if sooner
PREPARED_AHEAD = 512             # `store_many`: articles read ahead of the writer, at most…
PREPARED_AHEAD_CHARS = 16_000_000   # …and characters of their text
PREPARED_CHUNK = 16              # `store_many`: articles handed to a worker at once
COMPLETENESS_FIELDS = ("title", "sapo", "body", "authors", "published_at", "category",
                       "tags", "images")
STATUSES = ("new", "updated", "unchanged", "duplicate")
# Near-duplicate candidates read at most this many (the earliest) articles of one LSH bucket: a
# bucket that a common text keeps filling would otherwise make each check slower as the archive
# grows; a real copy shares several bands, so it is still found through the others.
BUCKET_CANDIDATES = 50
# The 32 articles sharing most of the BANDS keys (given twice: big and small table), with signatures.
_CANDIDATES_SQL = (
    "SELECT m.article_id, m.signature FROM (SELECT article_id, count(*) AS bands FROM ("
    + " UNION ALL ".join(f"SELECT * FROM (SELECT article_id FROM {table} WHERE bucket = ?"
                         f" ORDER BY article_id LIMIT {BUCKET_CANDIDATES})"
                         for table in ("lsh_buckets_merged", "lsh_buckets") for _ in range(dedup.BANDS))
    + ") GROUP BY article_id ORDER BY bands DESC, article_id LIMIT 32) AS c"
    " JOIN minhashes AS m USING (article_id)")


__all__ = ["Archive", "ArchiveDamaged", "ArchiveError", "BadArticle", "StorageError", "UnknownPage",
           "connect", "open_archive", "prepare_article", "prepare_content", "read_error"]


class BadArticle(ArchiveError):
    """An article dict without the fields an archive row needs (a URL, a title or body)."""


class UnknownPage(ArchiveError):
    """No stored page with that id."""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def open_archive(path: str | Path, *, aliases: dict[str, str] | None = None,
                 readonly: bool = False) -> "Archive":
    """An existing archive; ArchiveError("no archive at X") instead of creating an empty one."""
    if not Path(path).is_file():
        raise ArchiveError(f"no archive at {path}")
    return Archive(path, aliases=aliases, readonly=readonly)


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection in autocommit mode (the archive opens its own transactions), WAL, search functions."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=busy_seconds())
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -262144")  # 256 MB: dedup tables are probed at random
        # Checkpoint (and fsync) every ~40 MB of WAL rather than every 4 MB: a crawl commits per article.
        conn.execute("PRAGMA wal_autocheckpoint = 10000")
        conn.execute("PRAGMA temp_store = MEMORY")
        search.register_functions(conn)
    except BaseException:
        conn.close()  # not left to the collector: an open connection holds the file
        raise
    return conn


class Archive:
    """One archive file. Not thread-safe: one writer per process (SQLite allows one at a time)."""

    def __init__(self, path: str | Path, *, aliases: dict[str, str] | None = None, readonly: bool = False,
                 check: bool = True):
        """`aliases` maps host forms to a site's main domain for canonical URLs; by default they
        come from the sites registered in this archive (`register_sites`).

        A writer checks the file (`PRAGMA quick_check`, unless `check` is False because this
        process just did: ArchiveDamaged) and migrates it; a `readonly` archive (stats, export,
        a crawl's already-fetched lookups) only reads, and opens files it could not write."""
        self.path = Path(path)
        if self.path.is_dir():
            raise ArchiveError(f"{self.path} is a directory, not an archive file")
        self.readonly = readonly
        try:
            self.conn = self._open(readonly, check)
        except (sqlite3.DatabaseError, MigrationError) as e:
            cause = e.__cause__ if isinstance(e, MigrationError) else e
            problem = storage_error(self.path, cause) if isinstance(cause, sqlite3.Error) else None
            if problem is None and isinstance(e, MigrationError):
                raise
            # a full or read-only disk, damage; anything else: a file that is not SQLite
            raise problem or ArchiveError(f"{self.path} is not a tintinh archive ({e})") from None
        # Search indexing of our own inserts waits until the transaction ends (archive.search,
        # migration 3): one FTS segment per transaction instead of one per article.
        self._fts = not readonly and 3 in applied(self.conn)
        self._deferring = 0  # vi_fts_deferred(): 1 only while our INSERT runs
        self._merge_tables = [search.FTS_TABLE, search.EXACT_FTS_TABLE]  # merge_search's turn
        self._fts_pending = False  # rows inserted but not yet indexed (in temp.fts_pending)
        if self._fts:
            self.conn.create_function("vi_fts_deferred", 0, lambda: self._deferring)
            self.conn.execute(search.PENDING_TABLE_SQL)
        self.db = sqlite_utils.Database(self.conn)
        self.aliases = self._registered_aliases() if aliases is None else aliases
        self._depth = 0
        self._unusable: StorageError | None = None  # set by the first write the file refused
        self._recent_rows: int | None = None  # rows in lsh_buckets (counted lazily)
        self._folding = False   # fold_dedup_rows has moved part of the small tables
        # Upkeep between transactions: a crawl's writer (archive.writer) sets this and, while idle,
        # folds the small dedup tables (`fold_dedup_rows`) and merges search segments
        # (`merge_search`) itself; otherwise folds happen inside a commit and a `batch()` merges
        # the search segments that are due once it has committed (bulk loads).
        self.background_upkeep = False
        self._runs: dict[int, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        self._pool, self._pool_size = None, 0  # worker processes of store_many

    def _open(self, readonly: bool, check: bool) -> sqlite3.Connection:
        """A read-only connection to an archive, or one to write: refused for a file this process
        cannot write, checked, migrated. Closed again on any error (an open one holds the file)."""
        if not readonly and self.path.exists() and not writable(self.path):
            raise read_only_error(self.path)  # SQLite would open it read-only and fail at the first write
        conn = connect_readonly(self.path) if readonly else connect(self.path)
        try:
            if readonly:
                search.register_functions(conn)
                if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles'").fetchone():
                    raise ArchiveError(f"{self.path} is not a tintinh archive (no articles table)")
            else:
                if check:
                    check_file(conn, self.path)
                migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        self._close_workers()
        self.conn.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def _storage_errors(self) -> Iterator[None]:
        """SQLite errors that mean the file cannot be used (full, read-only, I/O, damage) become a
        StorageError, and every later write of this Archive raises it again at once."""
        if self._unusable is not None:
            raise type(self._unusable)(str(self._unusable))
        try:
            yield
        except sqlite3.Error as e:
            problem = storage_error(self.path, e)
            if problem is None:
                raise
            self._unusable = problem
            raise problem from e

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One atomic unit: its own transaction, or a savepoint inside `batch()`."""
        with self._storage_errors():
            if self._depth:
                self.conn.execute("SAVEPOINT unit")
                try:
                    yield
                except BaseException:
                    if self.conn.in_transaction:  # SQLite rolls back all by itself after some I/O errors
                        self.conn.execute("ROLLBACK TO unit")
                        self.conn.execute("RELEASE unit")
                    # rows the unit indexed are back in temp.fts_pending
                    self._fts_pending, self._recent_rows = self._fts, None
                    raise
                self.conn.execute("RELEASE unit")
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._rollback()
                raise
            self._commit()

    @contextmanager
    def batch(self) -> Iterator["Archive"]:
        """Group many writes into one transaction (bulk loads); each write stays atomic."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        with self._storage_errors():
            self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            # what was stored before an error is kept, unless the file cannot take it (the error says why)
            with suppress(StorageError), self._storage_errors():
                self._commit()
            raise
        self._depth = 0
        with self._storage_errors():
            self._commit()
        if not self.background_upkeep:  # no commit merges segments (migration 13): a batch's turn
            while self.merge_search(BULK_MERGE_PAGES):
                pass

    def _commit(self) -> None:
        """Index the transaction's new articles, fold its dedup rows in, and commit — or roll back."""
        if not self.conn.in_transaction:  # rolled back by SQLite after an I/O error inside it
            self._fts_pending, self._recent_rows = False, None
            return
        try:
            self._index_new_rows()
            self._merge_dedup_rows()
            self.conn.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        self._fts_pending, self._recent_rows = False, None
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def _index_new_rows(self) -> None:
        """Put the articles inserted since the last call into the search indexes (one statement each)."""
        if self._fts_pending:
            for sql in search.INDEX_PENDING_SQL:
                self.conn.execute(sql)
            self._fts_pending = False

    def _merge_dedup_rows(self) -> None:
        """Move the small dedup tables into the big `_merged` ones once they hold MERGE_ROWS bucket
        rows: one pass in key order touches each big-table page once (migration 4). A crawl's
        writer (`background_upkeep`) moves them in slices between its transactions instead
        (`fold_dedup_rows`), unless they have grown to twice that."""
        if self._recent_rows is None:
            self._recent_rows = self.conn.execute("SELECT count(*) FROM lsh_buckets").fetchone()[0]
        if self._recent_rows < MERGE_ROWS * (2 if self.background_upkeep else 1):
            return
        self.conn.execute("INSERT OR IGNORE INTO lsh_buckets_merged SELECT bucket, article_id FROM lsh_buckets")
        self.conn.execute("DELETE FROM lsh_buckets")
        self.conn.execute("INSERT INTO common_lines_merged SELECT site, line, articles FROM common_lines WHERE 1"
                          " ON CONFLICT(site, line) DO UPDATE SET articles = articles + excluded.articles")
        self.conn.execute("DELETE FROM common_lines")
        self._recent_rows = 0

    def fold_dedup_rows(self, rows: int = FOLD_SLICE) -> bool:
        """Once the small dedup tables hold MERGE_ROWS bucket rows, move their first `rows` rows (in
        key order) into the big ones, in a short transaction of its own; whether more is due. Rows
        move whole (added to and deleted from the tables lookups read together), so any slice
        leaves the archive as it was to a reader."""
        if self._recent_rows is None:
            self._recent_rows = self.conn.execute("SELECT count(*) FROM lsh_buckets").fetchone()[0]
        if not self._folding and self._recent_rows < MERGE_ROWS:
            return False
        with self._transaction():
            last = self.conn.execute("SELECT bucket, article_id FROM lsh_buckets ORDER BY bucket, article_id"
                                     " LIMIT 1 OFFSET ?", (rows - 1,)).fetchone()
            bound, params = ("WHERE (bucket, article_id) <= (?, ?)", last) if last else ("", ())
            self.conn.execute(f"INSERT OR IGNORE INTO lsh_buckets_merged SELECT bucket, article_id FROM lsh_buckets {bound}",
                              params)
            moved = self.conn.execute(f"DELETE FROM lsh_buckets {bound}", params).rowcount
            last = self.conn.execute("SELECT site, line FROM common_lines ORDER BY site, line LIMIT 1 OFFSET ?",
                                     (rows - 1,)).fetchone()
            bound, params = ("WHERE (site, line) <= (?, ?)", last) if last else ("WHERE 1", ())
            self.conn.execute(f"INSERT INTO common_lines_merged SELECT site, line, articles FROM common_lines {bound}"
                              " ON CONFLICT(site, line) DO UPDATE SET articles = articles + excluded.articles", params)
            self.conn.execute(f"DELETE FROM common_lines {bound}", params)
            lines_left = last is not None   # a full slice: there may be more
        self._recent_rows = max(0, self._recent_rows - moved) if self._recent_rows is not None else None
        # a fold once begun goes on until both small tables are empty
        self._folding = bool(self._recent_rows or lines_left)
        return self._folding

    def merge_search(self, pages: int) -> bool:
        """About `pages` pages of the search indexes' segment merging (levels of 16 segments or
        more, an ongoing merge first), one index at a time in its own short transaction; whether
        there may be more to do. No commit merges by itself (automerge 0, migration 13; only a
        level of 64 segments is merged whole, migration 9): a crawl's writer (archive.writer)
        calls this while idle, a `batch()` after it has committed."""
        if not self._fts:
            return False
        for _ in (search.FTS_TABLE, search.EXACT_FTS_TABLE):
            table = self._merge_tables[0]
            self._merge_tables.reverse()   # the other index next time
            with self._transaction():
                if search.merge_step(self.conn, table, pages):
                    return True
        return False

    # -- sites and runs -------------------------------------------------------------------
    def _registered_aliases(self) -> dict[str, str]:
        return host_aliases((json.loads(domains), json.loads(old or "[]")) for domains, old in
                            self.conn.execute("SELECT domains, old_domains FROM sites WHERE domains LIKE '[\"%'"))

    def register_sites(self, sites: Iterable) -> None:
        rows = []
        for s in sites:
            rows.append({
                "slug": s.slug, "name": s.name, "province": s.province,
                "province_before": s.province_before,
                "domains": json.dumps(list(s.domains)), "old_domains": json.dumps(list(s.old_domains)),
                "cms": getattr(s, "cms", None), "national": int(bool(getattr(s, "national", False))),
                "verified": int(bool(getattr(s, "verified", False))),
            })
            for host, domain in host_aliases([(s.domains, s.old_domains)]).items():
                self.aliases.setdefault(host, domain)
        with self._transaction():
            self.conn.executemany(
                "INSERT INTO sites VALUES (:slug, :name, :province, :province_before, :domains,"
                " :old_domains, :cms, :national, :verified) ON CONFLICT(slug) DO UPDATE SET"
                " name=excluded.name, province=excluded.province,"
                " province_before=excluded.province_before, domains=excluded.domains,"
                " old_domains=excluded.old_domains, cms=excluded.cms,"
                " national=excluded.national, verified=excluded.verified", rows)

    def start_run(self, sites: list[str], *, refresh: bool = False) -> int:
        started = now_iso()
        with self._transaction():
            cur = self.conn.execute("INSERT INTO runs (started, sites, refresh) VALUES (?, ?, ?)",
                                    (started, json.dumps(list(sites)), int(refresh)))
            run_id = cur.lastrowid
            self.conn.executemany("INSERT INTO crawl_runs (run_id, site, started) VALUES (?, ?, ?)",
                                  [(run_id, s, started) for s in sites])
        return run_id

    def finish_run(self, run_id: int, summary: dict[str, dict]) -> dict[str, "health.Health"]:
        """Close a run. Counters the archive saw itself are kept; `summary` values override them.
        Each site's signals are recorded with the run, and its health judged against its earlier
        runs (archive.health); returns {site: Health} for the sites of a crawl (none for an import)."""
        finished = now_iso()
        seen = self._runs.pop(run_id, {})
        with self._transaction():
            named = self.conn.execute("SELECT sites FROM runs WHERE id = ?", (run_id,)).fetchone()
            if not named:
                raise ArchiveError(f"no run {run_id}")
            self.conn.execute("UPDATE runs SET finished = ? WHERE id = ?", (finished, run_id))
            sites = sorted(set(seen) | set(summary or {}))
            for site in sites:
                counts = seen.get(site, Counter())
                stored = counts["new"] + counts["updated"]
                completeness = {f: round(counts[f"has_{f}"] / stored, 3) for f in COMPLETENESS_FIELDS} if stored else {}
                extracted = counts["new"] + counts["updated"] + counts["duplicate"]
                if extracted:  # how sure extraction was (pipelines.article EXTRACTION), for a drift alarm
                    completeness.update({f"extraction_{k}": round(counts[f"sig_{k}"] / extracted, 3)
                                         for k in ("generic", "visible_date", "position_authors")})
                row = {"fetched": counts["fetched"], "new": counts["new"],
                       "updated": counts["updated"], "unchanged": counts["unchanged"],
                       "duplicates": counts["duplicate"], "failed": counts["failed"],
                       "completeness": completeness}
                row.update((summary or {}).get(site, {}))
                row = {k: row.get(k) for k in ("fetched", "new", "updated", "unchanged",
                                               "duplicates", "failed", "completeness")}
                row["completeness"] = json.dumps(row["completeness"] or {}, ensure_ascii=False)
                signals = health.run_signals(counts, *_failure_counts(counts))
                self.conn.execute(
                    "INSERT INTO crawl_runs (run_id, site, started, finished, fetched, new, updated,"
                    " unchanged, duplicates, failed, completeness, " + ", ".join(signals) + ")"
                    " VALUES (:run, :site, (SELECT started FROM runs WHERE id = :run), :finished,"
                    " :fetched, :new, :updated, :unchanged, :duplicates, :failed, :completeness, "
                    + ", ".join(f":{k}" for k in signals) + ")"
                    " ON CONFLICT(run_id, site) DO UPDATE SET finished=excluded.finished,"
                    " fetched=excluded.fetched, new=excluded.new, updated=excluded.updated,"
                    " unchanged=excluded.unchanged, duplicates=excluded.duplicates,"
                    " failed=excluded.failed, completeness=excluded.completeness, "
                    + ", ".join(f"{k}=excluded.{k}" for k in signals),
                    {"run": run_id, "site": site, "finished": finished, **row, **signals})
            verdicts = {}
            if json.loads(named[0] or "[]"):  # a crawl of named sites (not an import): judge them
                for site in sites:
                    verdict = verdicts[site] = health.assess(health.site_runs(self.conn, site))
                    said = verdict.row()
                    self.conn.execute(
                        "UPDATE crawl_runs SET status = ?, signals = ?, alarm = ?, since = ?, last_good = ?"
                        " WHERE run_id = ? AND site = ?", (verdict.status, said["signals"], said["reason"],
                                                          said["since"], said["last_good"], run_id, site))
        return verdicts

    # -- one fetch, whole -----------------------------------------------------------------
    def store_fetch(self, *, page: dict | None = None, article: dict | None = None,
                    failure: dict | None = None, run_id: int | None = None,
                    content: dict | None = None) -> str:
        """One fetch and everything that comes of it, in ONE transaction, so a crash, a kill or a
        full disk leaves all of it or none (and a URL left with nothing is fetched again):

        - `page`: the raw page (`record_page`'s fields), when it is kept;
        - `article`: the article extracted from it (`store_article`) → its status;
        - or `failure`: why it is no article (`record_failure`'s fields) → "failed"; a kept page
          carries the reason too.

        A bad article (BadArticle) is refused before anything is written. The pure work may come
        done: `content` (`prepare_content(article)`) and the page's `compressed` body."""
        if (article is None) == (failure is None):
            raise ArchiveError("store_fetch needs an article or a failure")
        row = prepare_article(article, self.aliases, content) if article is not None else None
        with self._transaction():
            page_id = self._insert_page(**page, failure=failure and failure["reason"]) if page else None
            if row is not None:
                status = self._store_row(dict(row, page_id=page_id))
            else:
                self._insert_failure(**failure, run_id=run_id)
                status = "failed"
        if run_id is not None:
            if page:
                self._runs[run_id][page["site"]]["fetched"] += 1
            if row is not None:
                self._count(run_id, row, status)
            else:
                self._count_failure(run_id, failure)
        return status

    def fetch_done(self, url: str) -> bool:
        """Whether a fetch of `url` is in the archive with its outcome: its article (under this URL
        or the one it redirected to), or its kept page with a recorded failure. A page stored with
        neither (an archive written before `store_fetch`, by a crawl killed between two commits)
        does not count, so the URL is fetched again."""
        if self.is_archived(url):
            return True
        for final_url, failure in self.conn.execute(
                "SELECT final_url, failure FROM pages WHERE url = ? AND status BETWEEN 200 AND 299", (url,)):
            if failure is not None:
                if self.conn.execute("SELECT 1 FROM failures WHERE url = ? LIMIT 1", (url,)).fetchone():
                    return True
            elif final_url and final_url != url and self.is_archived(final_url):
                return True
        return False

    # -- raw pages and failures -----------------------------------------------------------
    def record_page(self, *, url: str, final_url: str | None, status: int | None, headers: dict,
                    body: bytes | None, fetched_at: str, site: str, run_id: int | None = None,
                    failure: str | None = None) -> int:
        """Keep one fetch. The body is stored compressed (archive.pagecodec), once per distinct content.
        (A crawl stores a page with its article or failure: `store_fetch`.)"""
        with self._transaction():
            page_id = self._insert_page(url=url, final_url=final_url, status=status, headers=headers,
                                        body=body, fetched_at=fetched_at, site=site, run_id=run_id,
                                        failure=failure)
        if run_id is not None:
            self._runs[run_id][site]["fetched"] += 1
        return page_id

    def _insert_page(self, *, url: str, final_url: str | None, status: int | None, headers: dict,
                     body: bytes | None, fetched_at: str, site: str, run_id: int | None = None,
                     failure: str | None = None, compressed: bytes | None = None) -> int:
        kept = {}
        for key, value in (headers or {}).items():
            key = key.decode("latin-1") if isinstance(key, bytes) else str(key)
            if key.lower() in KEPT_HEADERS:
                if isinstance(value, (list, tuple)):
                    value = value[0] if value else ""
                kept[key.lower()] = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        if body is not None and not isinstance(body, (bytes, bytearray)):
            raise ArchiveError(f"page body must be bytes, not {type(body).__name__}")
        sha1 = hashlib.sha1(body).hexdigest() if body is not None else None
        stored = sha1 and self.conn.execute(
            "SELECT 1 FROM pages WHERE body_sha1 = ? AND body IS NOT NULL LIMIT 1", (sha1,)).fetchone()
        blob = (compressed or compress_page(body)) if body is not None and not stored else None
        if failure is None and status is not None and status >= 400:
            failure = f"http {status}"
        return self.conn.execute(
            "INSERT INTO pages (url, final_url, status, headers, fetched_at, site, run_id,"
            " body, body_sha1, body_size, failure) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (url, final_url or url, status, json.dumps(kept, ensure_ascii=False), fetched_at,
             site, run_id, blob, sha1, len(body) if body is not None else None, failure)).lastrowid

    def page_body(self, page_id: int) -> bytes | None:
        """The raw bytes of a stored page (None when the fetch had no body)."""
        row = self.conn.execute("SELECT body, body_sha1 FROM pages WHERE id = ?", (page_id,)).fetchone()
        if row is None:
            raise UnknownPage(f"no page {page_id}")
        blob, sha1 = row
        if blob is None and sha1:
            blob = self.conn.execute("SELECT body FROM pages WHERE body_sha1 = ? AND body IS NOT NULL"
                                     " LIMIT 1", (sha1,)).fetchone()[0]
        return decompress_page(blob) if blob is not None else None

    def record_failure(self, *, url: str, reason: str, site: str, run_id: int | None = None,
                       detail: str = "", fetched_at: str | None = None) -> int:
        """Record that a page failed and why: one row per URL and reason, whose time, run and
        detail are the latest failure's, with `first_failed` and a count of `times`."""
        with self._transaction():
            failure_id = self._insert_failure(url=url, reason=reason, site=site, run_id=run_id,
                                              detail=detail, fetched_at=fetched_at)
        if run_id is not None:
            self._count_failure(run_id, {"site": site, "reason": reason, "detail": detail})
        return failure_id

    def _insert_failure(self, *, url: str, reason: str, site: str, run_id: int | None = None,
                        detail: str = "", fetched_at: str | None = None) -> int:
        if not reason:
            raise ArchiveError("a failure needs a reason")
        fetched_at = fetched_at or now_iso()
        return self.conn.execute(
            "INSERT INTO failures (url, site, reason, detail, fetched_at, run_id, first_failed)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT(url, reason) DO UPDATE SET site = excluded.site,"
            " detail = excluded.detail, fetched_at = excluded.fetched_at, run_id = excluded.run_id,"
            " first_failed = min(first_failed, excluded.first_failed), times = times + 1 RETURNING id",
            (url, site, reason, detail or "", fetched_at, run_id, fetched_at)).fetchone()[0]

    # -- articles -----------------------------------------------------------------------
    def is_archived(self, url: str) -> bool:
        """Whether an article is stored under this URL or any spelling of it."""
        try:
            key = canonical_url(url, self.aliases)
        except BadURL:
            return False
        return self.conn.execute("SELECT 1 FROM url_aliases WHERE url = ?", (key,)).fetchone() is not None

    def has_page(self, url: str) -> bool:
        """Whether a successful fetch of exactly this URL is stored (whatever came of it: see `fetch_done`)."""
        return self.conn.execute(
            "SELECT 1 FROM pages WHERE url = ? AND status BETWEEN 200 AND 299 LIMIT 1", (url,)
        ).fetchone() is not None

    def store_article(self, article: dict, *, page_id: int | None = None,
                      run_id: int | None = None) -> str:
        """Store one extracted article; return "new", "updated", "unchanged" or "duplicate".

        - a known URL (any spelling) with the same text: only last_seen moves → "unchanged";
          with changed text: updated in place, the old text kept in article_versions → "updated";
        - the same text already stored under another URL of the same site: that URL becomes an
          alias of the stored article, no new row → "duplicate";
        - the same or nearly the same story elsewhere: a new row joined to the story
          (story_id, duplicate_of = the earliest copy) → "duplicate";
        - otherwise a new row, its own story → "new".
        """
        return self.store_prepared(prepare_article(article, self.aliases), page_id=page_id, run_id=run_id)

    def store_prepared(self, row: dict, *, page_id: int | None = None, run_id: int | None = None) -> str:
        """`store_article` for the output of `prepare_article` (which may come from another process)."""
        with self._transaction():
            status = self._store_row(dict(row, page_id=page_id))
        if run_id is not None:
            self._count(run_id, row, status)
        return status

    def _store_row(self, row: dict) -> str:
        existing = self._find(row["_variants"])
        return self._recrawl(existing, row) if existing is not None else self._insert(row)

    def _count(self, run_id: int, row: dict, status: str) -> None:
        site = row["site"] or ""
        counts = self._runs[run_id][site]
        counts[status] += 1
        if status in ("new", "updated"):
            for field in row["_present"]:
                counts[f"has_{field}"] += 1
        if status in ("new", "updated", "duplicate"):  # the signals of site health (archive.health)
            extraction = row.get("_extraction") or {}
            generic = extraction["body"] == "generic" if "body" in extraction else \
                (row["extractor"] or "").startswith("generic@")
            counts["sig_dated"] += bool(row["published_at"])
            counts["sig_authors"] += row["authors"] not in (None, "", "[]")
            counts["sig_sapo"] += bool(row["sapo"])
            counts["sig_generic"] += generic
            counts["sig_visible_date"] += extraction.get("published") == "visible"
            counts["sig_position_authors"] += extraction.get("authors") == "position"
            counts["sig_junk"] += self._has_boilerplate(site, row["_line_keys"])
            counts[("body", len(row["body"] or ""))] += 1

    def _count_failure(self, run_id: int, failure: dict) -> None:
        counts = self._runs[run_id][failure["site"]]
        counts["failed"] += 1
        counts[("reason", failure["reason"])] += 1
        kind = health.source_kind(failure.get("detail"))
        if kind:
            counts[("source", kind, failure["reason"])] += 1

    def _has_boilerplate(self, site: str, keys: list[int]) -> bool:
        """Whether one of these lines is on BOILERPLATE_ARTICLES articles of the site (navigation,
        a related-headlines box left in the text)."""
        if not keys:
            return False
        marks = ",".join("?" * len(keys))
        return self.conn.execute(
            f"SELECT 1 FROM (SELECT line, articles FROM common_lines_merged WHERE site = ? AND line IN ({marks})"
            f" UNION ALL SELECT line, articles FROM common_lines WHERE site = ? AND line IN ({marks}))"
            f" GROUP BY line HAVING sum(articles) >= ? LIMIT 1",
            (site, *keys, site, *keys, BOILERPLATE_ARTICLES)).fetchone() is not None

    def store_many(self, articles: Iterable[dict], *, processes: int | None = None,
                   per_transaction: int = 1000) -> Iterator[str | BadArticle]:
        """Store articles in order, a transaction per `per_transaction` of them (or per
        TRANSACTION_CHARS of their text, if sooner), and yield each status.

        The pure work (normalising, hashing, shingling: `prepare_article`) runs in `processes`
        worker processes (default: one per CPU but the one this writer uses; 0: in this process)
        while this process does the database work: the workers prepare the next articles while a
        transaction commits, and `articles` is read only as far as they need (at most
        PREPARED_AHEAD articles or PREPARED_AHEAD_CHARS of text ahead of the writer), so a
        stream of any length takes bounded memory. The workers stay up for the next call until
        `close()`. A bad article yields its BadArticle in place of a status, and the rest go on.
        """
        for row, status in self.store_stream(articles, _checked_article, processes=processes,
                                             per_transaction=per_transaction):
            yield row if status is None else status

    def store_stream(self, items: Iterable, prepare: Callable, *, processes: int | None = None,
                     per_transaction: int = 1000) -> Iterator[tuple[dict | ArchiveError, str | None]]:
        """`store_many` for items a worker turns into rows: `prepare(item, aliases=…)` (a module's
        function, so that it can be sent to a worker) gives `prepare_article`'s row, or raises the
        ArchiveError saying why there is none. Yields (row, status), or (error, None) in its place."""
        prepare = partial(_or_error, partial(prepare, aliases=self.aliases))
        pool = self._workers(processes)
        rows = _prepared_ahead(pool, prepare, items) if pool else map(prepare, items)
        while True:
            with self.batch():
                n = chars = 0
                for row in rows:
                    if isinstance(row, ArchiveError):
                        yield row, None
                    else:
                        chars += len(row["body"]) + len(row["title"])
                        yield row, self.store_prepared(row)
                    n += 1
                    if n == per_transaction or chars >= TRANSACTION_CHARS:
                        break
                else:
                    return

    def _workers(self, processes: int | None):
        if processes is None:
            processes = max(1, (os.cpu_count() or 1) - 1)
        if processes < 0:
            raise ArchiveError("processes must be 0 or more")
        if self._pool is not None and self._pool_size != processes:
            self._close_workers()
        if processes and self._pool is None:
            self._pool, self._pool_size = multiprocessing.Pool(processes), processes
        return self._pool

    def _close_workers(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def _find(self, variants: list[str]) -> int | None:
        marks = ",".join("?" * len(variants))
        hit = self.conn.execute(f"SELECT article_id FROM url_aliases WHERE url IN ({marks}) LIMIT 1",
                                variants).fetchone()
        return hit[0] if hit else None

    def _alias(self, variants: list[str], article_id: int) -> None:
        self.conn.executemany("INSERT OR IGNORE INTO url_aliases (url, article_id) VALUES (?, ?)",
                              [(v, article_id) for v in variants])

    def _recrawl(self, article_id: int, row: dict) -> str:
        old = self.conn.execute(
            "SELECT title, sapo, body, content_hash, fetched_at, site, url, canonical_url FROM articles WHERE id = ?",
            (article_id,)).fetchone()
        self._alias(row["_variants"], article_id)
        seen = row["fetched_at"]
        key = content_key
        # An article fetched at several addresses shows its canonical one once fetched there
        # (not "…?utm_source=rss"), whichever came first: the same archive in any fetch order.
        at_canonical, was_at_canonical = row["url"] == old[7], old[6] == old[7]
        if (key(old[0]), key(old[1]), old[3]) == (key(row["title"]), key(row["sapo"]), row["content_hash"]):
            self.conn.execute("UPDATE articles SET last_seen = max(coalesce(last_seen, ''), ?)"
                              " WHERE id = ?", (seen, article_id))
            if at_canonical and not was_at_canonical:
                self.conn.execute("UPDATE articles SET url = ?, page_id = coalesce(?, page_id) WHERE id = ?",
                                  (row["url"], row.get("page_id"), article_id))
            return "unchanged"
        if was_at_canonical and not at_canonical:
            row = dict(row, url=old[6])
        self.conn.execute(
            "INSERT INTO article_versions (article_id, title, sapo, body, content_hash, fetched_at,"
            " replaced_at) VALUES (?,?,?,?,?,?,?)", (article_id, *old[:5], seen))
        self._index_new_rows()  # the update trigger replaces index entries, so they must be there
        fields = [k for k in row if not k.startswith("_") and k not in ("canonical_url", "first_seen")]
        self.conn.execute(f"UPDATE articles SET {', '.join(f'{k} = :{k}' for k in fields)} WHERE id = :id",
                          {**{k: row[k] for k in fields}, "id": article_id})
        self._replace_children(article_id, row)
        self._forget_signature(article_id)
        sig, keys = self._signature(row, count_lines=False)
        if sig is not None:
            (members,) = self.conn.execute("SELECT count(*) FROM articles WHERE story_id = ?", (article_id,)).fetchone()
            if members == 1:  # an article alone in its story may now be a copy of another (a story's members stay)
                other = self._near_duplicate(sig, keys)
                if other is not None:
                    self._join_story(article_id, other, row["published_at"])
            self._keep_signature(article_id, sig, keys)
        return "updated"

    def _insert(self, row: dict) -> str:
        story, earliest = None, None
        if len(row["_key"]) >= dedup.MIN_EXACT_KEY:
            for other, site in self.conn.execute(
                    "SELECT id, site FROM articles WHERE content_hash = ? ORDER BY id LIMIT 20",
                    (row["content_hash"],)):
                if site == row["site"]:  # same text, same site: another URL of the same article
                    self._alias(row["_variants"], other)
                    self.conn.execute("UPDATE articles SET last_seen = max(coalesce(last_seen, ''), ?)"
                                      " WHERE id = ?", (row["fetched_at"], other))
                    return "duplicate"
                story = story or other
        sig, keys = self._signature(row, count_lines=True)
        if story is None and sig is not None:
            story = self._near_duplicate(sig, keys)
        # the writer holds the write lock, so the next id is ours; a new story is its own story_id
        article_id = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM articles").fetchone()[0]
        values = {k: v for k, v in row.items() if not k.startswith("_")}
        values.update(id=article_id, story_id=article_id, duplicate_of=None)
        self._deferring = int(self._fts)
        try:
            self.conn.execute(f"INSERT INTO articles ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})",
                              values)
        finally:
            self._deferring = 0
        if self._fts:
            self.conn.execute(search.PENDING_ROW_SQL, (article_id, *row["_fts"]))
            self._fts_pending = True
        if story is not None:
            self._join_story(article_id, story, row["published_at"])
        self._alias(row["_variants"], article_id)
        self._replace_children(article_id, row, fresh=True)
        if sig is not None:
            self._keep_signature(article_id, sig, keys)
        return "new" if story is None else "duplicate"

    def _join_story(self, article_id: int, other: int, published_at: str | None) -> None:
        """Put an article (its own story until now) into `other`'s story: a duplicate of the
        story's earliest copy, or that earliest copy itself when it was published before it."""
        story, earliest, earliest_published = self.conn.execute(
            "SELECT a.story_id, e.id, e.published_at FROM articles a JOIN articles e"
            " ON e.story_id = a.story_id AND e.duplicate_of IS NULL WHERE a.id = ?", (other,)).fetchone()
        if published_at and earliest_published and published_at < earliest_published:
            self.conn.execute("UPDATE articles SET story_id = ?, duplicate_of = ? WHERE story_id = ?",
                              (story, article_id, story))
            self.conn.execute("UPDATE articles SET story_id = ?, duplicate_of = NULL WHERE id = ?",
                              (story, article_id))
        else:
            self.conn.execute("UPDATE articles SET story_id = ?, duplicate_of = ? WHERE id = ?",
                              (story, earliest, article_id))

    def _replace_children(self, article_id: int, row: dict, fresh: bool = False) -> None:
        if not fresh:
            self.conn.execute("DELETE FROM images WHERE article_id = ?", (article_id,))
            self.conn.execute("DELETE FROM related_links WHERE article_id = ?", (article_id,))
        if row["_images"]:
            self.conn.executemany("INSERT INTO images VALUES (?, ?, ?, ?)",
                                  [(article_id, i, *img) for i, img in enumerate(row["_images"])])
        if row["_related"]:
            self.conn.executemany("INSERT INTO related_links VALUES (?, ?, ?, ?)",
                                  [(article_id, i, *rel) for i, rel in enumerate(row["_related"])])

    # -- near duplicates ------------------------------------------------------------------
    def _signature(self, row: dict, count_lines: bool) -> tuple:
        """(MinHash, band keys) of the story lines, leaving out lines that are boilerplate on this
        site (`row["_signature"]`, prepared over all of them, when none is); (None, None) for too
        little text."""
        keys = row["_line_keys"]
        site = row["site"] or ""
        if keys:
            marks = ",".join("?" * len(keys))
            common = {k for (k,) in self.conn.execute(
                f"SELECT line FROM (SELECT line, articles FROM common_lines_merged WHERE site = ? AND line IN ({marks})"
                f" UNION ALL SELECT line, articles FROM common_lines WHERE site = ? AND line IN ({marks}))"
                f" GROUP BY line HAVING sum(articles) >= ?",
                (site, *keys, site, *keys, BOILERPLATE_ARTICLES))}
            if count_lines:
                self.conn.executemany(
                    "INSERT INTO common_lines VALUES (?, ?, 1)"
                    " ON CONFLICT(site, line) DO UPDATE SET articles = articles + 1",
                    [(site, k) for k in set(keys)])
            if common:
                kept = [ids for ids, k in zip(row["_line_ids"], keys) if k not in common]
                sig = dedup.signature(dedup.shingles_of(np.concatenate(kept) if kept else np.empty(0, dtype=np.uint64)))
                return sig, dedup.band_keys(sig) if sig is not None else None
        return row["_signature"]

    def _near_duplicate(self, sig, keys: list[int]) -> int | None:
        """The stored article most like `sig` (estimated Jaccard ≥ dedup.SIMILAR), if any;
        `keys` are its band keys. Ties go to the lowest id."""
        rows = self.conn.execute(_CANDIDATES_SQL, keys + keys).fetchall()
        if not rows:
            return None
        sigs = np.frombuffer(b"".join(blob for _, blob in rows), dtype="<u4").reshape(len(rows), -1)
        scores = np.count_nonzero(sigs == sig, axis=1) / sigs.shape[1]
        best, best_score = None, dedup.SIMILAR
        for (aid, _), score in zip(rows, scores.tolist()):
            if score >= best_score and (best is None or score > best_score or aid < best):
                best, best_score = aid, score
        return best

    def _keep_signature(self, article_id: int, sig, keys: list[int]) -> None:
        self.conn.execute("INSERT OR REPLACE INTO minhashes VALUES (?, ?)", (article_id, dedup.sig_to_blob(sig)))
        rows = [(k, article_id) for k in keys]
        self.conn.executemany("INSERT OR IGNORE INTO lsh_buckets VALUES (?, ?)", rows)
        if self._recent_rows is not None:
            self._recent_rows += len(rows)

    def _forget_signature(self, article_id: int) -> None:
        old = self.conn.execute("SELECT signature FROM minhashes WHERE article_id = ?", (article_id,)).fetchone()
        if old:
            rows = [(k, article_id) for k in dedup.band_keys(dedup.sig_from_blob(old[0]))]
            for table in ("lsh_buckets", "lsh_buckets_merged"):
                self.conn.executemany(f"DELETE FROM {table} WHERE bucket = ? AND article_id = ?", rows)
            self.conn.execute("DELETE FROM minhashes WHERE article_id = ?", (article_id,))

    # -- reading ------------------------------------------------------------------------
    def stats(self) -> list[dict]:
        """Per site: articles, duplicates, versions, pages, failures, last crawl."""
        out: dict[str, dict] = defaultdict(lambda: {"articles": 0, "duplicates": 0, "pages": 0,
                                                     "failures": 0, "last_crawl": None})
        for site, n, dups, last in self.conn.execute(
                "SELECT site, count(*), count(duplicate_of), max(last_seen) FROM articles GROUP BY site"):
            out[site or ""].update(articles=n, duplicates=dups, last_crawl=last)
        for site, n, last in self.conn.execute("SELECT site, count(*), max(fetched_at) FROM pages GROUP BY site"):
            entry = out[site or ""]
            entry["pages"] = n
            entry["last_crawl"] = max(filter(None, (entry["last_crawl"], last)), default=None)
        for site, n in self.conn.execute("SELECT site, count(*) FROM failures GROUP BY site"):
            out[site or ""]["failures"] = n
        return [{"site": site, **values} for site, values in sorted(out.items())]

    def last_finished_crawl(self, site: str) -> str | None:
        """When the latest crawl of `site` that finished had started (ISO time, UTC), or None.
        Its start, not its end: a page changed while that crawl ran may not have been seen."""
        (started,) = self.conn.execute(
            "SELECT max(started) FROM crawl_runs WHERE site = ? AND finished IS NOT NULL", (site,)).fetchone()
        return started

    # -- incremental discovery (migration 12) ------------------------------------------------
    def discovery_state(self, site: str) -> "DiscoveryState":
        """What the latest complete crawl run of `site` leaves the next one (see
        `record_discovery`): when it began, and its discovery pages' validators
        {url: {"etag", "last_modified", "followed": [(kind, url, lastmod), …]}}. A run cut short
        counts for nothing; an archive that predates migration 12 has nothing."""
        try:
            (started,) = self.conn.execute(
                "SELECT max(started) FROM crawl_runs WHERE site = ? AND complete = 1 AND finished IS NOT NULL",
                (site,)).fetchone()
            pages = {url: {"etag": etag, "last_modified": modified,
                           "followed": [tuple(f) for f in json.loads(followed or "[]")]}
                     for url, etag, modified, followed in self.conn.execute(
                         "SELECT url, etag, last_modified, followed FROM discovery_pages WHERE site = ?", (site,))}
        except sqlite3.OperationalError as e:
            if "no such" not in str(e):
                raise
            return DiscoveryState(None, {})
        return DiscoveryState(started, pages)

    def record_discovery(self, run_id: int, complete: Iterable[str], pages: Iterable[dict]) -> None:
        """At the end of a crawl run: the sites it was complete for (nothing cut short: the next
        run may skip entries dated before this one began), and the validators of their discovery
        pages (dicts of url, site, kind, etag, last_modified, followed), one row per URL."""
        with self._transaction():
            self.conn.executemany("UPDATE crawl_runs SET complete = 1 WHERE run_id = ? AND site = ?",
                                  [(run_id, site) for site in complete])
            self.conn.executemany(
                "INSERT INTO discovery_pages (url, site, kind, etag, last_modified, followed, run_id)"
                " VALUES (:url, :site, :kind, :etag, :last_modified, :followed, :run_id)"
                " ON CONFLICT(url) DO UPDATE SET site = excluded.site, kind = excluded.kind,"
                " etag = excluded.etag, last_modified = excluded.last_modified,"
                " followed = excluded.followed, run_id = excluded.run_id",
                [{"url": p["url"], "site": p["site"], "kind": p.get("kind"), "etag": p.get("etag"),
                  "last_modified": p.get("last_modified"), "run_id": run_id,
                  "followed": json.dumps([list(f) for f in p.get("followed") or []], ensure_ascii=False)}
                 for p in pages])


class DiscoveryState(NamedTuple):
    """`Archive.discovery_state`: the start of a site's last complete run (ISO, UTC) or None, and
    its discovery pages' validators by URL."""
    since: str | None
    pages: dict


def _failure_counts(counts: Counter) -> tuple[dict, dict]:
    """(failures by reason, failures of discovery pages by kind and reason) from a run's counters."""
    reasons, sources = {}, defaultdict(dict)
    for key, n in counts.items():
        if isinstance(key, tuple) and key[0] == "reason":
            reasons[key[1]] = n
        elif isinstance(key, tuple) and key[0] == "source":
            sources[key[1]][key[2]] = n
    return reasons, dict(sources)


# Anything `clean_lines` would change: zero-width/odd spaces and line breaks, doubled or edge
# spaces, empty lines (the characters are one class, the spacing plain substring tests: fast).
_ODD_CHARS = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad\t\r\u00a0\u2000-\u200a\u202f\u205f\u3000\x0b\x0c"
                        r"\x1c-\x1e\x85\u2028\u2029]")


def _clean_body(body: str | None) -> str:
    """`clean_lines(body)`, skipping the work when the text is already clean (extractor output is)."""
    if (body and body[0] not in " \n" and body[-1] not in " \n" and "  " not in body and "\n\n" not in body
            and " \n" not in body and "\n " not in body and not _ODD_CHARS.search(body)
            and unicodedata.is_normalized("NFC", body)):
        return body
    return clean_lines(body)


def _prepared_ahead(pool, prepare, articles: Iterable[dict]) -> Iterator:
    """`prepare` of each article, in order, computed by `pool` in chunks while the caller stores
    the ones before: at most PREPARED_AHEAD articles, or PREPARED_AHEAD_CHARS characters of text,
    are taken from `articles` and not yet handed back."""
    articles = iter(articles)
    pending: deque = deque()   # (async result, its articles, their characters)
    counts = [0, 0]            # articles, characters in `pending`

    def submit() -> bool:
        part = list(islice(articles, PREPARED_CHUNK))
        if not part:
            return False
        chars = sum(_text_size(a) for a in part)
        pending.append((pool.map_async(prepare, part), len(part), chars))
        counts[0] += len(part)
        counts[1] += chars
        return True

    more = True
    while pending or more:
        while more and (not pending or counts[0] < PREPARED_AHEAD and counts[1] < PREPARED_AHEAD_CHARS):
            more = submit()
        if not pending:
            return
        done, n, chars = pending.popleft()
        counts[0] -= n
        counts[1] -= chars
        yield from done.get()


def _text_size(article) -> int:
    """Characters of an article's body and title, whatever it holds (a bad article is refused
    later); the length of a line not yet read (`archive.load`)."""
    if isinstance(article, (bytes, str)):
        return len(article)
    if not isinstance(article, dict):
        return 0
    return sum(len(v) for v in (article.get("body"), article.get("title")) if isinstance(v, str))


def _or_error(prepare: Callable, item) -> dict | ArchiveError:
    """`prepare(item)` in a worker: the ArchiveError it raises comes back in the row's place
    (the store goes on with the next item) instead of ending the whole stream."""
    try:
        return prepare(item)
    except ArchiveError as e:
        return e


def _checked_article(article: dict, aliases: dict[str, str]) -> dict:
    """`prepare_article` of an article whose fields have the types `archive.article_schema`
    names (BadArticle otherwise): `store_many`'s work in a worker."""
    from archive.article_schema import check_article  # it imports this module

    if not isinstance(article, dict):
        raise BadArticle(f"an article is a dict, not {type(article).__name__}")
    check_article(article)
    return prepare_article(article, aliases)


def _text_list(value) -> list[str]:
    return [fold_spaces(v) for v in value if isinstance(v, str) and v.strip()] if isinstance(value, list) else []


def _provinces(article: dict, title: str, sapo: str, body: str) -> list[str]:
    """Today's provinces the article is about: those extraction tagged it with, else its paper's
    and the ones its title, sapo and dateline name (common.provinces); [] is national coverage."""
    given = article.get("provinces")
    if isinstance(given, list):
        return article_provinces(article.get("province"), given=_text_list(given))
    return article_provinces(article.get("province"), title, sapo, body)


def prepare_article(article: dict, aliases: dict[str, str], content: dict | None = None) -> dict:
    """The `articles` row for an article dict (NFC text, JSON lists) plus private `_` keys: URL
    variants, content keys, story lines with their keys and MinHash signature. Pure, so it can
    run in another process (`Archive.store_many`). `content` is `prepare_content(article)` when
    it was done already (by a crawl's extraction worker, pipelines.extract_pool)."""
    url = (article.get("url") or "").strip()
    if not url:
        raise BadArticle("article has no url")
    try:
        own = canonical_url(url, aliases)
        declared = article.get("canonical_url")
        canonical = article_canonical(url, declared, aliases) if declared else own
        variants = list(dict.fromkeys([canonical, own]))
    except BadURL as e:
        raise BadArticle(f"article url: {e}") from None
    return {"canonical_url": canonical, "url": url, "_variants": variants,
            **(prepare_content(article) if content is None else content)}


def prepare_content(article: dict) -> dict:
    """The part of `prepare_article` that needs no host aliases, and nearly all of its work:
    normalised text, content keys, story lines, MinHash signature, search texts."""
    url = (article.get("url") or "").strip()
    title, sapo, body = fold_spaces(article.get("title")), fold_spaces(article.get("sapo")), _clean_body(article.get("body"))
    if not title and not body:
        raise BadArticle(f"article {url} has neither title nor body")
    body_keys = dedup.key_lines(body)
    sapo_key = content_key(sapo)
    key = " ".join(body_keys) or content_key(f"{title}\n{sapo}")
    seen = article.get("fetched_at") or now_iso()
    images = [(nfc(i.get("src")) or None, fold_spaces(i.get("caption")) or None)
              for i in article.get("images") or [] if isinstance(i, dict)]
    related = [(nfc(r.get("url")) or None, fold_spaces(r.get("title")) or None)
               for r in article.get("related") or [] if isinstance(r, dict)]
    lines = dedup.story_lines(sapo_key, body_keys)
    line_ids = [dedup.syllable_ids(line) for line in lines]   # "\n" is no syllable: the same as all lines at once
    sig = dedup.signature(dedup.shingles_of(np.concatenate(line_ids) if line_ids else np.empty(0, dtype=np.uint64)))
    return {
        "site": article.get("site"),
        "province": article.get("province"), "title": title, "sapo": sapo, "body": body,
        "authors": json.dumps([fold_spaces(a) for a in article.get("authors") or []], ensure_ascii=False),
        "published_at": article.get("published_at"), "modified_at": article.get("modified_at"),
        "published_raw": article.get("published_raw"), "modified_raw": article.get("modified_raw"),
        "category": fold_spaces(article.get("category")) or None,
        "categories": json.dumps(_text_list(article.get("categories")) or split_categories(article.get("category")),
                                 ensure_ascii=False),
        "provinces": json.dumps(_provinces(article, title, sapo, body), ensure_ascii=False),
        "tags": json.dumps([fold_spaces(t) for t in article.get("tags") or []], ensure_ascii=False),
        "language": article.get("language"), "extractor": article.get("extractor"),
        "content_hash": hashlib.sha1(key.encode("utf-8")).hexdigest() if key else None,
        "first_seen": seen, "last_seen": seen, "fetched_at": seen,
        "_key": key, "_images": images, "_related": related,
        "_line_keys": [dedup.line_key(line) for line in lines], "_line_ids": line_ids,
        "_signature": (sig, dedup.band_keys(sig) if sig is not None else None),
        "_present": [f for f in COMPLETENESS_FIELDS if article.get(f)],
        "_extraction": article.get("extraction") if isinstance(article.get("extraction"), dict) else None,
        "_fts": search.index_texts(title, sapo, body),
    }
