"""Backfill from web archives: the HTML responses of WARC/ARC files into the archive, each page
through the same extraction, validation, dedup and storage as a crawled page.

The caller says which URLs to take and what is known of their site (`site_for`, from the
registry); every other record is skipped without decoding. The record's WARC-Date is the fetch
time and its WARC-Target-URI the URL; the raw page is kept for reprocessing and export-warc.
Pages are stored BATCH at a time in one transaction, a page and its article (or its failure)
always together. Memory holds one record and one batch of results, whatever the file size.
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterable

from archive.store import Archive, ArchiveError
from archive.warc import WarcFetch, read_fetches
from pipelines.extract import ExtractionError, NotAnArticle, extract_article
from pipelines.stages import validation_problem

BATCH = 200
PROGRESS_EVERY = 15.0   # seconds between progress lines

SiteFor = Callable[[str], "tuple[str, dict | None] | None"]   # url → (site slug, profile) or None: skip


@dataclass
class WarcImportResult:
    run_id: int | None = None
    records: int = 0                                   # HTML responses taken
    sites: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    reasons: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def summary(self) -> dict[str, dict]:
        """Per site, the counters of a crawl's summary (crawler.run.summary_lines reads this)."""
        return {site: {"fetched": c["fetched"], "new": c["new"], "updated": c["updated"],
                       "unchanged": c["unchanged"], "duplicates": c["duplicate"], "failed": c["failed"],
                       "skipped": 0, "reasons": dict(self.reasons[site].most_common())}
                for site, c in sorted(self.sites.items())}

    @property
    def failed(self) -> int:
        return sum(c["failed"] for c in self.sites.values())


def page_article(fetch: WarcFetch, slug: str, profile: dict | None, min_body_chars: int) -> tuple[dict | None, str, str]:
    """(article, "", "") or (None, reason, detail): extraction and validation as in a crawl."""
    if not 200 <= (fetch.status or 0) < 300:
        return None, f"http_{fetch.status}", f"HTTP {fetch.status} in the WARC record"
    try:
        article = extract_article(fetch.body, fetch.url, profile)
    except NotAnArticle as e:
        return None, "not_an_article", str(e)
    except ExtractionError as e:
        return None, "extraction_error", str(e)
    except Exception as e:  # a parser bug must not stop the import; the page is kept
        return None, "extractor_crashed", f"{type(e).__name__}: {e}"
    article["url"] = fetch.url
    article["site"] = article.get("site") or slug
    if profile and not article.get("province"):
        article["province"] = profile["province"]
    article["fetched_at"] = fetch.fetched_at
    problem = validation_problem(article, min_body_chars)
    if problem:
        return None, *problem
    return article, "", ""


def import_warc(archive: Archive, sources: Iterable[tuple[str, BinaryIO]], site_for: SiteFor, *,
                min_body_chars: int = 80, progress: Callable[[str], None] | None = None) -> WarcImportResult:
    """Import every wanted HTML response of each (name, stream) in `sources`; see the module doc."""
    result = WarcImportResult(run_id=archive.start_run([]))
    wanted_site: dict[str, tuple[str, dict | None] | None] = {}

    def wanted(url: str) -> bool:
        wanted_site[url] = site_for(url)
        return wanted_site[url] is not None

    last = time.monotonic()
    for name, stream in sources:
        pending: list[WarcFetch] = []
        for fetch in read_fetches(stream, name, wanted):
            pending.append(fetch)
            if len(pending) >= BATCH:
                _store(archive, pending, wanted_site, result, min_body_chars)
                pending = []
            if progress and time.monotonic() - last >= PROGRESS_EVERY:
                last = time.monotonic()
                progress(f"… {name}: {result.records} pages, offset {fetch.offset:,}")
        _store(archive, pending, wanted_site, result, min_body_chars)
        wanted_site.clear()
    archive.finish_run(result.run_id, {site: {k: v for k, v in row.items() if k not in ("skipped", "reasons")}
                                       for site, row in result.summary().items()})
    return result


def _store(archive: Archive, fetches: list[WarcFetch], sites: dict, result: WarcImportResult,
           min_body_chars: int) -> None:
    with archive.batch():
        for fetch in fetches:
            slug, profile = sites.get(fetch.url) or (_host_slug(fetch.url), None)
            counts = result.sites[slug]
            if fetch.problem:   # a record that could not be read: where it is, and why
                _fail(archive, result, slug, fetch.url or f"{fetch.source}#offset={fetch.offset}",
                      fetch.problem, f"{fetch.source} at offset {fetch.offset}: {fetch.detail}", fetch.fetched_at)
                continue
            result.records += 1
            counts["fetched"] += 1
            article, reason, detail = page_article(fetch, slug, profile, min_body_chars)
            page_id = archive.record_page(url=fetch.url, final_url=fetch.url, status=fetch.status,
                                          headers=fetch.headers, body=fetch.body, fetched_at=fetch.fetched_at,
                                          site=slug, run_id=result.run_id, failure=reason or None)
            if article is None:
                _fail(archive, result, slug, fetch.url, reason, detail, fetch.fetched_at)
                continue
            try:
                counts[archive.store_article(article, page_id=page_id, run_id=result.run_id)] += 1
            except ArchiveError as e:
                _fail(archive, result, slug, fetch.url, "store_error", str(e), fetch.fetched_at)


def _fail(archive: Archive, result: WarcImportResult, slug: str, url: str, reason: str, detail: str,
          fetched_at: str | None) -> None:
    archive.record_failure(url=url, reason=reason, site=slug, run_id=result.run_id, detail=detail,
                           fetched_at=fetched_at or None)
    result.sites[slug]["failed"] += 1
    result.reasons[slug][reason] += 1


def _host_slug(url: str) -> str:
    host = url.split("/", 3)[2] if "//" in url else "warc"
    return host.removeprefix("www.")
