#!/usr/bin/env python3
"""Pages per second of a whole crawl: Scrapy engine → extract → validate → archive, one process.

    .venv/bin/python bench/crawl_speed.py [--per-site 25] [--db /tmp/crawl-bench.db]

A local mirror (crawler.mirror) serves, for each real vi-news page of a site with a registered
feed, --per-site DISTINCT articles (bench/crawl_compare.py's mirror: each copy under its own URL,
declaring itself as its canonical URL, its text made of other corpus sentences), so every page
goes through the whole pipeline and is stored as a new article; one feed per site lists them.
The crawl runs with the origin override and no politeness delay (it is our own server), so
the figure is the pipeline's throughput, not a site's: a real crawl is bound by DOWNLOAD_DELAY
and AutoThrottle (about 1 page/s per site with the default settings). bench/crawl_compare.py
puts the same crawl beside a bare Scrapy spider.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from crawl_compare import build_mirror  # noqa: E402
from crawler.mirror import MirrorServer  # noqa: E402
from crawler.run import crawl  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-site", type=int, default=25)
    parser.add_argument("--db", default=None, help="archive file (default: a temporary one)")
    args = parser.parse_args()
    db = args.db or str(Path(tempfile.mkdtemp()) / "crawl-bench.db")
    routes, slugs, _ = build_mirror(args.per_site)
    with MirrorServer(routes) as server:
        started = time.perf_counter()
        result = crawl(slugs, db=db, progress=lambda line: None, settings={
            "TINTINH_ORIGINS": server.origins(), "TINTINH_DISCOVERY": ["feeds"],
            "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        })
        seconds = time.perf_counter() - started
    archived = sum(row["new"] + row["updated"] + row["unchanged"] + row["duplicates"]
                   for row in result["sites"].values())
    failed = sum(row["failed"] for row in result["sites"].values())
    statuses = {k: sum(row[k] for row in result["sites"].values()) for k in ("new", "updated", "unchanged", "duplicates")}
    print(f"{len(slugs)} sites × {args.per_site} pages: {archived} pages stored {statuses}, {failed} failed,"
          f" in {seconds:.1f} s → {archived / seconds:.1f} pages/s (crawl only: {result['seconds']:.1f} s)")


if __name__ == "__main__":
    main()
