#!/usr/bin/env python3
"""What a run costs on a site that has not changed since the last one: requests, bytes served,
seconds, with conditional GET (the default) and without it (TINTINH_CONDITIONAL_GET=0).

    .venv/bin/python bench/incremental_cost.py [--sections 10] [--per-section 30] [--months 12]

A local site (tests/hostile.py, 127.0.0.1) shaped like a provincial paper: a homepage (~100 KB)
whose navigation names --sections sections (~80 KB each, --per-section articles and a next page),
an RSS feed of 50 items, robots.txt naming a sitemap index of a news sitemap and --months month
archives (1,000 entries each). Every feed, sitemap and listing sends an ETag and answers 304 to
a matching If-None-Match. For each mode: a first crawl `tintinh crawl --url` into a fresh archive,
then the same crawl again; the second run's requests and bytes are counted at the server.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hostile import HostileServer, article_page, respond  # noqa: E402
from mockserver import crawl_command  # noqa: E402

FILLER = "<p>" + "Tin tức thời sự trong tỉnh, kinh tế, xã hội, văn hóa, thể thao. " * 12 + "</p>"


def served(log: list, body: bytes, content_type: str = "text/html; charset=utf-8", etag: str | None = None):
    """A route with an ETag (304 when asked with it) that logs (path, status, bytes sent)."""
    def route(h):
        if etag and h.headers.get("If-None-Match") == etag:
            respond(h, 304, b"", {"ETag": etag, "Content-Length": "0"})
            log.append((h.path, 304, 0))
            return
        respond(h, 200, body, {"Content-Type": content_type, **({"ETag": etag} if etag else {})})
        log.append((h.path, 200, len(body)))
    return route


def article_path(section: int, n: int) -> str:
    return f"/muc-{section}/bai-viet-ve-doi-song-nguoi-dan-vung-cao-post{100000 + section * 1000 + n}.html"


def build_site(site: HostileServer, log: list, sections: int, per_section: int, months: int) -> None:
    nav = "<nav>" + "".join(f'<a href="/muc-{s}.html">Mục {s}</a>' for s in range(sections)) + "</nav>"
    home_links = "".join(f'<a href="{article_path(s, n)}">Bài</a>' for s in range(sections) for n in range(6))
    head = '<html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head>'
    site.routes["/"] = served(log, f"{head}<body>{nav}{home_links}{FILLER * 60}</body></html>".encode(), etag='"home"')
    for s in range(sections):
        links = "".join(f'<a href="{article_path(s, n)}">Bài {n}</a>' for n in range(per_section))
        paging = f'<a href="/muc-{s}/trang-2.html">Trang sau</a>'
        body = f"<html><body>{nav}{links}{paging}{FILLER * 45}</body></html>".encode()
        site.routes[f"/muc-{s}.html"] = served(log, body, etag=f'"muc-{s}"')
        site.routes[f"/muc-{s}/trang-2.html"] = served(log, f"<html><body>{nav}</body></html>".encode(), etag=f'"muc-{s}-2"')
        for n in range(per_section):
            site.routes[article_path(s, n)] = served(log, article_page(s * 1000 + n))
    items = "".join(f"<item><link>{site.url(article_path(0, n % per_section))}</link></item>" for n in range(50))
    site.routes["/rss"] = served(log, f'<?xml version="1.0"?><rss><channel>{items}</channel></rss>'.encode(),
                                 "application/rss+xml", etag='"rss"')
    now = datetime.now(timezone.utc)
    names = ["news"] + [f"{(now.year * 12 + now.month - 1 - m) // 12}-{(now.month - 1 - m) % 12 + 1:02d}" for m in range(months)]
    index = "".join(f"<sitemap><loc>{site.url(f'/sitemap-{name}.xml')}</loc></sitemap>" for name in names)
    site.routes["/robots.txt"] = served(log, f"User-agent: *\nSitemap: {site.url('/sitemap.xml')}\n".encode(), "text/plain")
    site.routes["/sitemap.xml"] = served(log, f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>'.encode(),
                                         "application/xml", etag='"index"')
    for name in names:
        # the news sitemap and each month: 1,000 entries of the site's articles (re-listed), no lastmod
        urls = "".join(f"<url><loc>{site.url(article_path(k % sections, k % per_section))}</loc></url>" for k in range(1000))
        site.routes[f"/sitemap-{name}.xml"] = served(log, f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(),
                                                     "application/xml", etag=f'"sm-{name}"')


def run(site: HostileServer, db: Path, conditional: bool) -> float:
    command = crawl_command(["--url", site.url("/")], db, TINTINH_CONDITIONAL_GET="1" if conditional else "0",
                            TINTINH_SITEMAP_CHILDREN="20")
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", type=int, default=10)
    parser.add_argument("--per-section", type=int, default=30)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    print(f"site: homepage, {args.sections} sections x {args.per_section} articles, feed of 50,"
          f" sitemap index of news + {args.months} months (1,000 entries each)")
    print(f"{'mode':<22}{'run':>6}{'requests':>10}{'200':>6}{'304':>6}{'articles':>10}{'KB served':>11}{'seconds':>9}")
    for conditional in (False, True):
        log: list = []
        with tempfile.TemporaryDirectory() as tmp, HostileServer({}) as site:
            build_site(site, log, args.sections, args.per_section, args.months)
            for n in (1, 2):
                log.clear()
                seconds = run(site, Path(tmp) / "a.db", conditional)
                status = Counter(code for _, code, _ in log)
                articles = sum(1 for path, code, _ in log if "post" in path)
                kb = sum(size for *_, size in log) / 1024
                mode = "conditional GET" if conditional else "no conditional GET"
                print(f"{mode:<22}{n:>6}{len(log):>10}{status[200]:>6}{status[304]:>6}{articles:>10}{kb:>11.0f}{seconds:>9.1f}")


if __name__ == "__main__":
    main()
