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

from archive.store import Archive, BadArticle
from archive.warc import WarcFetch, read_fetches
from pipelines.stages import Failed, page_article, validation_problem

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


def fetch_article(fetch: WarcFetch, slug: str, profile: dict | None, min_body_chars: int) -> dict:
    """The record's article, through the crawl's own extraction and validation; Failed if none."""
    if not 200 <= (fetch.status or 0) < 300:
        raise Failed(f"http_{fetch.status}", f"HTTP {fetch.status} in the WARC record")
    article = page_article(fetch.body, fetch.url, slug, profile, fetch.headers.get("content-type"),
                           fetch.fetched_at)
    problem = validation_problem(article, min_body_chars)
    if problem:
        raise Failed(*problem)
    return article


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
            failure = None
            if fetch.problem:   # a record that could not be read: where it is, and why
                failure = Failed(fetch.problem, f"{fetch.source} at offset {fetch.offset}: {fetch.detail}")
                url, page = fetch.url or f"{fetch.source}#offset={fetch.offset}", None
            else:
                result.records += 1
                counts["fetched"] += 1
                url = fetch.url
                page = {"url": url, "final_url": url, "status": fetch.status, "headers": fetch.headers,
                        "body": fetch.body, "fetched_at": fetch.fetched_at, "site": slug, "run_id": result.run_id}
                try:
                    article = fetch_article(fetch, slug, profile, min_body_chars)
                except Failed as e:
                    failure = e
            if failure is None:
                try:
                    counts[archive.store_fetch(page=page, article=article, run_id=result.run_id)] += 1
                    continue
                except BadArticle as e:
                    failure = Failed("store_error", str(e))
            archive.store_fetch(page=page, run_id=result.run_id, failure={
                "url": url, "reason": failure.reason, "site": slug, "detail": failure.detail,
                "fetched_at": fetch.fetched_at or None})
            counts["failed"] += 1
            result.reasons[slug][failure.reason] += 1


def _host_slug(url: str) -> str:
    host = url.split("/", 3)[2] if "//" in url else "warc"
    return host.removeprefix("www.")
