"""Rebuild articles from the stored raw pages with today's extraction rules.

Extraction runs in a pool of processes; the parent is the one writer and stores each result
through `Archive.store_article`, so an article whose text comes out differently is updated
in place (old text kept in article_versions) and an identical one only has last_seen checked.
Only the latest fetch of each URL is read, so older copies never overwrite newer text.
"""
from __future__ import annotations

import json
import multiprocessing
import os
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping

from archive.export import site_since
from archive.store import Archive, ArchiveError, StorageError, open_archive
from pipelines.extract import ExtractionError, extract_article

CHUNK = 8


@dataclass
class ReprocessResult:
    pages: int = 0
    changed: int = 0          # articles new or updated by today's rules
    failed: int = 0           # pages today's rules cannot make into an article
    reasons: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.pages} pages reprocessed, {self.changed} articles changed, {self.failed} failed"


def _page_ids(archive: Archive, site: str | None, since: str | None) -> list[int]:
    where, params = site_since(site, since, "fetched_at")
    where += ["status BETWEEN 200 AND 299", "body_sha1 IS NOT NULL"]
    return [pid for (pid,) in archive.conn.execute(
        f"SELECT max(id) FROM pages WHERE {' AND '.join(where)}"
        " GROUP BY coalesce(final_url, url) ORDER BY 1", params)]


def _jobs(archive: Archive, ids: list[int], sites: Mapping[str, dict]) -> Iterator[tuple]:
    for pid in ids:
        url, final_url, site_slug, fetched_at, headers = archive.conn.execute(
            "SELECT url, final_url, site, fetched_at, headers FROM pages WHERE id = ?", (pid,)).fetchone()
        # the Content-Type kept with the page: its charset outranks the page's own <meta>
        content_type = json.loads(headers or "{}").get("content-type")
        yield (pid, final_url or url, site_slug, sites.get(site_slug), fetched_at, archive.page_body(pid),
               content_type)


def extract_page(job: tuple) -> tuple:
    """Worker: (page_id, url, site, site profile, fetched_at, body, content type) → (page_id,
    fetched_at, article or None, reason)."""
    page_id, url, slug, profile, fetched_at, body, content_type = job
    try:
        article = extract_article(body, url, profile, content_type)
    except ExtractionError as e:
        return page_id, fetched_at, None, f"{type(e).__name__}: {e}"
    except Exception as e:  # a parser crash on one page must not stop the others
        return page_id, fetched_at, None, f"crash: {type(e).__name__}: {e}"
    if slug and not article.get("site"):
        article["site"] = slug
    return page_id, fetched_at, article, ""


def reprocess(path, *, site: str | None = None, since: str | None = None, processes: int | None = None,
              sites: Mapping[str, dict] | None = None, aliases: dict[str, str] | None = None,
              extract: Callable[[tuple], tuple] = extract_page) -> ReprocessResult:
    """Re-extract the latest stored page of every URL (optionally one site, fetched since a date)
    in `processes` worker processes beside this one, the writer (default: one per CPU but one;
    0: extract here too).

    `sites` maps a slug to what the registry knows of that site (crawler.sites.Site.profile());
    pages of other sites are extracted as of an unknown layout. `aliases` as for `Archive`."""
    sites = sites or {}
    if processes is None:   # as Archive.store_many: one per CPU but the one this writer uses
        processes = max(1, (os.cpu_count() or 1) - 1)
    if processes < 0:
        raise ArchiveError("--processes must be 0 or more")
    result = ReprocessResult()
    with open_archive(path, aliases=aliases) as archive:
        ids = _page_ids(archive, site, since)
        pool = multiprocessing.Pool(processes) if processes and len(ids) > 1 else None
        step = CHUNK * 8 * max(1, processes)
        try:
            for start in range(0, len(ids), step):
                # bodies are read here, in the writer's thread, a slice at a time (bounded memory)
                jobs = list(_jobs(archive, ids[start:start + step], sites))
                outputs = pool.imap(extract, jobs, CHUNK) if pool else map(extract, jobs)
                _store(archive, outputs, result)
        finally:
            if pool:
                pool.close()
                pool.join()
    return result


def _store(archive: Archive, outputs, result: ReprocessResult) -> None:
    with archive.batch():
        for page_id, fetched_at, article, reason in outputs:
            result.pages += 1
            if article is None:
                result.failed += 1
                key = reason.split(":")[0]
                result.reasons[key] = result.reasons.get(key, 0) + 1
                continue
            article["fetched_at"] = fetched_at
            try:
                status = archive.store_article(article, page_id=page_id)
            except StorageError:
                raise   # the file cannot be written (full disk, damage…): stop, the batch is not half-kept
            except ArchiveError as e:
                result.failed += 1
                result.reasons[type(e).__name__] = result.reasons.get(type(e).__name__, 0) + 1
                continue
            result.changed += status in ("new", "updated")
