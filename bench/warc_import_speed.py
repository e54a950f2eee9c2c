#!/usr/bin/env python3
"""import-warc against the crawl pipeline on the same pages, same run: pages/s of each.

    .venv/bin/python bench/warc_import_speed.py [--per-site 25]

The pages are bench/crawl_speed.py's: a local mirror of the real vi-news pages of every site with a
registered feed, --per-site copies each. They are crawled (Scrapy engine → extract → validate →
store, no politeness delay: our own server) into one archive, written out with export-warc (not
timed), and that WARC is imported into an empty archive (read → extract → validate → store, no
network). Both figures count the pages that went through the whole pipeline; the ratio is last.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from crawl_speed import build_routes  # noqa: E402

from archive.store import Archive, open_archive  # noqa: E402
from archive.warc import export_warc  # noqa: E402
from crawler.mirror import MirrorServer  # noqa: E402
from crawler.run import crawl  # noqa: E402
from crawler.sites import host_aliases, url_site_filter  # noqa: E402
from pipelines.warc_import import import_warc  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-site", type=int, default=25)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    crawled, imported, warc = tmp / "crawled.db", tmp / "imported.db", tmp / "pages.warc.gz"

    routes, slugs = build_routes(args.per_site)
    with MirrorServer(routes) as server:
        started = time.perf_counter()
        result = crawl(slugs, db=str(crawled), progress=lambda line: None, settings={
            "TINTINH_ORIGINS": server.origins(), "TINTINH_DISCOVERY": ["feeds"],
            "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        })
        crawl_seconds = time.perf_counter() - started
    crawl_pages = sum(row["fetched"] for row in result["sites"].values())

    with open_archive(crawled) as archive:
        exported = export_warc(archive, warc)
    started = time.perf_counter()
    with Archive(imported, aliases=host_aliases()) as archive, open(warc, "rb") as stream:
        summary = import_warc(archive, [(warc.name, stream)], url_site_filter())
    import_seconds = time.perf_counter() - started

    crawl_rate, import_rate = crawl_pages / crawl_seconds, summary.records / import_seconds
    print(f"crawl:       {crawl_pages} pages in {crawl_seconds:.1f} s → {crawl_rate:.1f} pages/s"
          f" (whole crawl: engine start, feeds, articles)")
    print(f"import-warc: {summary.records} pages of {exported} exported in {import_seconds:.1f} s"
          f" → {import_rate:.1f} pages/s ({warc.stat().st_size / 1e6:.1f} MB WARC, {summary.failed} failed)")
    print(f"import-warc / crawl = {import_rate / crawl_rate:.2f}×")


if __name__ == "__main__":
    main()
