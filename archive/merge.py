"""Merge archives into one: those of crawls run on several machines, each over its own sites.

`merge_archives(into, sources)` opens each source read-only and reads it in one snapshot (a crawl
may still be writing to it), then adds to the target archive, in this order:

- `sites`: the registry rows the target does not have (their domains make its canonical URLs);
- `runs` and `crawl_runs` (each run's counters, signals and health judgement) under new run ids;
- raw `pages` (for reprocess and export-warc), each distinct body stored once (by its SHA-1);
  a fetch already there (same URL, time, status and bytes, as many times as in the source) is
  not copied again;
- `failures`: one row per URL and reason. A row of the same URL and reason in both sums their
  counts and keeps the first and the latest failure — unless both have the same first failure
  time: that is the same history merged again (an archive merged a second time, or grown since),
  whose larger count is kept;
- articles with everything an export line carries (images, related links, earlier versions,
  other URL spellings, first/last seen) through `archive.load.load_records`, so
  `Archive.store_many` deduplicates them against what is already there: the same wire story
  crawled on two machines ends up in one story. Each article then points to its raw page again.

Merging the same source again adds nothing: its articles come back unchanged, its pages and runs
are found (same URL and time; same start and sites), its failures counted once.

Sites are meant to be partitioned between machines (README: Running on several machines): a
canonical URL belongs to one site, so no article is in two sources. If one is anyway, the one
merged last is stored as a re-crawl of the other (an "updated" article keeps the other text as a
version).
"""
from __future__ import annotations

import os
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from archive.dbfile import read_error
from archive.export import iter_articles
from archive.load import LoadResult, load_records
from archive.lock import db_lock
from archive.store import STATUSES, Archive, ArchiveError, open_archive

CHUNK = 500  # pages or failures copied per transaction
_RUN_COLUMNS = ("started", "finished", "sites", "refresh")
_PAGE_COLUMNS = ("url", "final_url", "status", "headers", "fetched_at", "site", "run_id",
                 "body", "body_sha1", "body_size", "failure")


@dataclass
class MergeResult:
    source: str
    articles: LoadResult = field(default_factory=LoadResult)
    counts: Counter = field(default_factory=Counter)  # runs, pages, failures: added / already there

    def __str__(self) -> str:
        a, c = self.articles, self.counts
        statuses = ", ".join(f"{a.statuses[s]} {s}" for s in STATUSES)
        return (f"{self.source}: {a.loaded} articles ({statuses}), {c['pages']} pages"
                f" ({c['pages_known']} already there), {c['failures']} failures ({c['failures_known']}"
                f" already there), {c['runs']} runs ({c['runs_known']} already there)")


def merge_archives(into: str | Path, sources: Iterable[str | Path], *, aliases: dict[str, str] | None = None,
                   processes: int | None = None,
                   progress: Callable[[MergeResult], None] | None = None) -> list[MergeResult]:
    """Merge each source archive into the archive at `into` (created if missing), holding its
    crawl lock (archive.lock: CrawlLocked while a crawl writes to it). `aliases` as for `Archive`
    (host forms → a site's domain; by default those of the sites registered in the archives).
    ArchiveError for a source that is missing, not an archive, or the target itself."""
    sources = [Path(s) for s in sources]
    for source in sources:
        if not source.is_file():
            raise ArchiveError(f"no archive at {source}")
        if Path(into).exists() and os.path.samefile(source, into):
            raise ArchiveError(f"{source} is the archive being merged into")
    results = []
    with db_lock(into), Archive(into, aliases=aliases) as target:
        for source in sources:
            result = merge(target, source, processes=processes)
            results.append(result)
            if progress:
                progress(result)
    return results


def merge(target: Archive, source: str | Path, *, processes: int | None = None) -> MergeResult:
    """Merge one archive (opened read-only, read in one snapshot) into `target`."""
    result = MergeResult(str(source))
    with open_archive(source, readonly=True) as src:
        try:
            src.conn.execute("BEGIN")  # one snapshot of the source for everything below
            _merge_sites(target, src)
            runs = _merge_runs(target, src, result.counts)
            _merge_pages(target, src, runs, result.counts)
            _merge_failures(target, src, runs, result.counts)
            load_records(target, _records(src), processes=processes, result=result.articles)
            _point_to_pages(target, src)
            src.conn.execute("COMMIT")
        except sqlite3.DatabaseError as e:  # a damaged source page met while reading
            raise read_error(source, e) from None
    return result


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _chunks(rows: Iterable, size: int = CHUNK) -> Iterator[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _merge_sites(target: Archive, src: Archive) -> None:
    columns = [c for c in _columns(src.conn, "sites") if c in _columns(target.conn, "sites")]
    rows = src.conn.execute(f"SELECT {', '.join(columns)} FROM sites").fetchall()
    with target._transaction():
        target.conn.executemany(f"INSERT OR IGNORE INTO sites ({', '.join(columns)})"
                                f" VALUES ({', '.join('?' * len(columns))})", rows)
    for host, domain in target._registered_aliases().items():
        target.aliases.setdefault(host, domain)


def _merge_runs(target: Archive, src: Archive, counts: Counter) -> dict[int, int]:
    """Copy runs and their per-site rows; return source run id → target run id. A run already
    there (same start, same sites) is the same run: its rows are brought up to date."""
    runs = {}
    per_site = [c for c in _columns(src.conn, "crawl_runs") if c in _columns(target.conn, "crawl_runs")]
    updates = ", ".join(f"{c} = excluded.{c}" for c in per_site if c not in ("run_id", "site"))
    with target._transaction():
        for run_id, *values in src.conn.execute(f"SELECT id, {', '.join(_RUN_COLUMNS)} FROM runs ORDER BY id"):
            run = dict(zip(_RUN_COLUMNS, values))
            # runs of the same sites may start in the same second: each target run stands for one source run
            taken = list(runs.values())
            known = target.conn.execute(
                f"SELECT id FROM runs WHERE started = ? AND sites IS ? AND id NOT IN ({', '.join('?' * len(taken))})"
                " ORDER BY id LIMIT 1", (run["started"], run["sites"], *taken)).fetchone()
            if known:
                runs[run_id] = known[0]
                target.conn.execute("UPDATE runs SET finished = coalesce(?, finished) WHERE id = ?",
                                    (run["finished"], known[0]))
                counts["runs_known"] += 1
            else:
                runs[run_id] = target.conn.execute(
                    f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({', '.join('?' * len(_RUN_COLUMNS))})",
                    values).lastrowid
                counts["runs"] += 1
        for row in src.conn.execute(f"SELECT {', '.join(per_site)} FROM crawl_runs").fetchall():
            row = dict(zip(per_site, row))
            row["run_id"] = runs.get(row["run_id"])
            if row["run_id"] is None:  # a row of no run: nothing to attach it to
                continue
            target.conn.execute(
                f"INSERT INTO crawl_runs ({', '.join(per_site)}) VALUES ({', '.join(':' + c for c in per_site)})"
                f" ON CONFLICT(run_id, site) DO UPDATE SET {updates}", row)
    return runs


def _merge_pages(target: Archive, src: Archive, runs: dict[int, int], counts: Counter) -> None:
    """Copy raw pages, compressed as they are; a body the target already keeps is not stored twice."""
    conn = target.conn
    same = "SELECT count(*) FROM pages WHERE url = ? AND fetched_at = ? AND body_sha1 IS ? AND status IS ?"
    rows = src.conn.execute(f"SELECT {', '.join(_PAGE_COLUMNS)} FROM pages ORDER BY id")
    for chunk in _chunks(rows):
        with target._transaction():
            for values in chunk:
                page = dict(zip(_PAGE_COLUMNS, values))
                key = (page["url"], page["fetched_at"], page["body_sha1"], page["status"])
                # already there: as many of this fetch (same URL, time, bytes) as the source has
                if conn.execute(same, key).fetchone()[0] >= src.conn.execute(same, key).fetchone()[0]:
                    counts["pages_known"] += 1
                    continue
                sha1 = page["body_sha1"]
                if sha1 and conn.execute("SELECT 1 FROM pages WHERE body_sha1 = ? AND body IS NOT NULL LIMIT 1",
                                         (sha1,)).fetchone():
                    page["body"] = None
                elif sha1 and page["body"] is None:  # the source keeps this body on another row
                    stored = src.conn.execute("SELECT body FROM pages WHERE body_sha1 = ? AND body IS NOT NULL"
                                              " LIMIT 1", (sha1,)).fetchone()
                    page["body"] = stored[0] if stored else None
                page["run_id"] = runs.get(page["run_id"])
                conn.execute(f"INSERT INTO pages ({', '.join(_PAGE_COLUMNS)})"
                             f" VALUES ({', '.join(':' + c for c in _PAGE_COLUMNS)})", page)
                counts["pages"] += 1


def _merge_failures(target: Archive, src: Archive, runs: dict[int, int], counts: Counter) -> None:
    """One row per URL and reason: counts summed, first and latest failure kept (the latest's
    site, detail and run with it); the same history seen again (same first failure) counted once."""
    columns = _columns(src.conn, "failures")
    first = "coalesce(first_failed, fetched_at)" if "first_failed" in columns else "fetched_at"
    times = "times" if "times" in columns else "1"
    rows = src.conn.execute(f"SELECT url, site, reason, detail, fetched_at, run_id, {first}, {times}"
                            " FROM failures ORDER BY id")
    for chunk in _chunks(rows):
        with target._transaction():
            for url, site, reason, detail, fetched_at, run_id, first_failed, n in chunk:
                known = target.conn.execute("SELECT 1 FROM failures WHERE url = ? AND reason = ?",
                                            (url, reason)).fetchone()
                counts["failures_known" if known else "failures"] += 1
                latest = "excluded.fetched_at > failures.fetched_at"
                target.conn.execute(
                    "INSERT INTO failures (url, site, reason, detail, fetched_at, run_id, first_failed, times)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url, reason) DO UPDATE SET"
                    " times = CASE WHEN coalesce(failures.first_failed, failures.fetched_at) = excluded.first_failed"
                    "   THEN max(failures.times, excluded.times) ELSE failures.times + excluded.times END,"
                    " first_failed = min(coalesce(failures.first_failed, failures.fetched_at), excluded.first_failed),"
                    f" site = CASE WHEN {latest} THEN excluded.site ELSE failures.site END,"
                    f" detail = CASE WHEN {latest} THEN excluded.detail ELSE failures.detail END,"
                    f" run_id = CASE WHEN {latest} THEN excluded.run_id ELSE failures.run_id END,"
                    f" fetched_at = max(failures.fetched_at, excluded.fetched_at)",
                    (url, site, reason, detail, fetched_at, runs.get(run_id), first_failed, n or 1))


def _records(src: Archive) -> Iterator[tuple[int, dict, int]]:
    """(number, record, size) for `load_records`: each article as an export line carries it."""
    for number, article in enumerate(iter_articles(src, children=True), 1):
        if not article.get("fetched_at"):  # as `load.parse_line` does for an exported line
            article["fetched_at"] = article.get("first_seen") or article.get("last_seen")
        size = sum(len(article.get(k) or "") for k in ("title", "sapo", "body"))
        yield number, article, size


def _point_to_pages(target: Archive, src: Archive) -> None:
    """Each merged article whose text is the source's points to the source page it came from."""
    rows = src.conn.execute(
        "SELECT a.canonical_url, a.content_hash, p.url, p.fetched_at, p.body_sha1, p.status"
        " FROM articles a JOIN pages p ON p.id = a.page_id ORDER BY a.id")
    for chunk in _chunks(rows):
        with target._transaction():
            for canonical, content_hash, url, fetched_at, sha1, status in chunk:
                target.conn.execute(
                    "UPDATE articles SET page_id = (SELECT id FROM pages WHERE url = ? AND fetched_at = ?"
                    " AND body_sha1 IS ? AND status IS ? ORDER BY id LIMIT 1)"
                    " WHERE id = (SELECT article_id FROM url_aliases WHERE url = ?)"
                    " AND page_id IS NULL AND content_hash IS ?",
                    (url, fetched_at, sha1, status, canonical, content_hash))
