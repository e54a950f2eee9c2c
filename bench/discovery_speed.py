#!/usr/bin/env python3
"""Throughput of URL discovery, one process: section pages, sitemaps, article-URL tests.

    .venv/bin/python bench/discovery_speed.py [--sitemap-urls 50000] [--rounds 20]

- section pages: the real saved listings/pages in tests/fixtures/discovery, each parsed with
  links_from_page(same_site=True) and every link tested with is_article_url(site) — what the
  spider does with one section page;
- sitemap: a gzipped urlset of --sitemap-urls entries (the sitemaps.org maximum is 50,000)
  built from real article URLs with changed ids, parsed with parse_sitemap; peak memory of
  that parse is measured with tracemalloc (Python-side allocations, lxml's C heap excluded);
- is_article_url alone, with and without the site's pattern, over all those links.
"""
from __future__ import annotations

import argparse
import gzip
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.discovery import is_article_url, links_from_page, parse_sitemap  # noqa: E402
from crawler.sites import site_for_url  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "discovery"
PAGES = dict(line.split("\t") for line in (FIXTURES / "pages.tsv").read_text().splitlines())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sitemap-urls", type=int, default=50_000)
    ap.add_argument("--rounds", type=int, default=20, help="passes over the section pages")
    args = ap.parse_args()

    pages = [(gzip.decompress((FIXTURES / f"{n}.html.gz").read_bytes()), url) for n, url in PAGES.items()]
    page_bytes = sum(len(b) for b, _ in pages)
    start = time.perf_counter()
    found = links = 0
    for _ in range(args.rounds):
        for body, url in pages:
            site = site_for_url(url)
            page_links = links_from_page(body, url, same_site=True)
            links += len(page_links)
            found += sum(is_article_url(u, site) for u in page_links)
    took = time.perf_counter() - start
    n = args.rounds * len(pages)
    print(f"section pages: {n} pages ({page_bytes / len(pages) / 1024:.0f} KiB avg), "
          f"{n / took:.0f} pages/s, {links / took:,.0f} links/s, {found // args.rounds} article links per pass")

    all_links = [(u, site_for_url(url)) for body, url in pages for u in links_from_page(body, url, same_site=True)]
    for label, with_site in (("site pattern", True), ("URL shape", False)):
        start = time.perf_counter()
        for _ in range(args.rounds):
            for u, site in all_links:
                is_article_url(u, site if with_site else None)
        took = time.perf_counter() - start
        print(f"is_article_url ({label}): {args.rounds * len(all_links) / took:,.0f} URLs/s")

    seeds = [u for u, site in all_links if is_article_url(u, site)]
    entries = []
    for i in range(args.sitemap_urls):
        u = seeds[i % len(seeds)]
        entries.append(f"<url><loc>{u.rsplit('.', 1)[0]}{i}.{u.rsplit('.', 1)[1]}</loc>"
                       f"<lastmod>2026-03-07T08:00:00+07:00</lastmod></url>")
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
           + "\n".join(entries) + "\n</urlset>\n").encode()
    body = gzip.compress(xml)
    start = time.perf_counter()
    _, urls = parse_sitemap(body, "https://vnexpress.net/sitemap.xml.gz")
    took = time.perf_counter() - start
    tracemalloc.start()   # a second parse, for memory only: tracing slows Python down
    parse_sitemap(body, "https://vnexpress.net/sitemap.xml.gz")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(urls) == args.sitemap_urls, len(urls)
    print(f"sitemap: {len(urls):,} URLs, {len(xml) / 2**20:.1f} MiB XML ({len(body) / 2**20:.1f} MiB gz) "
          f"in {took:.2f} s = {len(urls) / took:,.0f} URLs/s, Python peak {peak / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
