#!/usr/bin/env python3
"""Pages per second of a whole crawl: Scrapy engine → extract → validate → archive, one process.

    .venv/bin/python bench/crawl_speed.py [--per-site 25] [--db /tmp/crawl-bench.db]

A local mirror (crawler.mirror) serves, for each real vi-news page of a site with a registered feed, --per-site
copies under distinct URLs of its site (a `?v=N` query, which canonical URLs keep), each with
one word changed so every copy goes through the whole pipeline and is stored (each copy
declares the original's rel=canonical, so the archive keeps one article per page and the
copies as its versions); one feed per site lists them.
The crawl runs with the origin override and no politeness delay (it is our own server), so
the figure is the pipeline's throughput, not a site's: a real crawl is bound by DOWNLOAD_DELAY
and AutoThrottle (about 1 page/s per site with the default settings).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.mirror import MirrorServer, Route, route_key  # noqa: E402
from crawler.run import crawl  # noqa: E402
from crawler.sites import site_for_url  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "vi-news" / "pages"


def build_routes(per_site: int) -> tuple[dict[str, Route], list[str]]:
    routes, slugs = {}, []
    for gold_path in sorted(CORPUS.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        html = gold_path.with_name(gold_path.name.replace(".gold.json", ".html")).read_bytes()
        site = site_for_url(gold["url"])
        if site is None or not site.feeds:   # the bench discovers through feeds only
            continue
        slugs.append(site.slug)
        items = []
        for n in range(per_site):
            url = f"{gold['url']}?v={n}"
            # one changed word in the body: a distinct article, not an exact duplicate
            body = html.replace(b"</p>", f" (bản {n})</p>".encode(), 1)
            routes[route_key(url)] = Route(body=body)
            items.append(f"<item><link>{url.replace('&', '&amp;')}</link></item>")
        feed = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                + "".join(items) + "</channel></rss>").encode()
        for feed_url in site.feeds:
            routes[route_key(feed_url)] = Route(body=feed, content_type="application/rss+xml")
    return routes, slugs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-site", type=int, default=25)
    parser.add_argument("--db", default=None, help="archive file (default: a temporary one)")
    args = parser.parse_args()
    db = args.db or str(Path(tempfile.mkdtemp()) / "crawl-bench.db")
    routes, slugs = build_routes(args.per_site)
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
