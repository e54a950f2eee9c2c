#!/usr/bin/env python3
"""Memory and time of a sitemap of a million URLs: until the first article request, and to the end.

    .venv/bin/python bench/sitemap_memory.py [--urls 1000000] [--limit 1000] [--only crawl|callback]

The sitemap is a urlset of --urls article URLs with <lastmod> (~130 MB), served plain and gzipped.
Each measurement runs in a fresh process, whose peak RSS (VmHWM) is polled from /proc:

- callback: NewsSpider.parse_sitemap over the whole body (no engine; an empty archive, so every
  URL is looked up there as in a crawl); every request it yields is taken and dropped. Seconds to
  the first article request and to the last, peak RSS.
- crawl: `tintinh crawl --url` (the real Scrapy engine) against a local server that answers robots.txt
  → the sitemap → an article page at any article URL, with --limit articles; the server notes when
  the first article is asked for. Seconds from the start of the process, peak RSS.
- crawl again (plain), without --limit, on the first crawl's archive: every entry was modified
  (yesterday) before that crawl began, so all of them are read and skipped: the whole sitemap
  through the engine, to its end.
"""
from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

PYTHON = sys.executable
TINTINH = Path(sys.executable).with_name("tintinh")
ORIGIN = "https://tinh.example"


def article_path(n: int) -> str:
    return f"/thoi-su/bai-viet-so-{n}-ve-doi-song-nguoi-dan-vung-cao-post{1_000_000 + n}.html"


def build_sitemap(origin: str, urls: int) -> bytes:
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat().encode()
    body = b"".join(
        b"<url><loc>%s%s</loc><lastmod>%sT%02d:00:00+07:00</lastmod></url>\n"
        % (origin.encode(), article_path(n).encode(), yesterday, n % 24) for n in range(urls))
    return head + body + b"</urlset>\n"


def peak_rss_mb(command: list[str], **kw) -> tuple[subprocess.Popen, float, float]:
    """Run `command`; (process, seconds, peak RSS in MB). The peak is the child's VmHWM, read
    until it exits: wait4()'s ru_maxrss would count this process's memory, inherited at fork."""
    started = time.monotonic()
    process = subprocess.Popen(command, **kw)
    status, peak = Path(f"/proc/{process.pid}/status"), 0
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.05)
    process.wait()
    return process, time.monotonic() - started, peak / 1024


# ---------------------------------------------------------------- the callback alone (child process)

def callback_child(path: str, url: str) -> None:
    from scrapy.http import XmlResponse, Request as ScrapyRequest
    from scrapy.utils.test import get_crawler

    from archive.store import Archive
    from crawler import settings as project_settings
    from crawler.spiders.news import NewsSpider

    db = Path(tempfile.mkdtemp()) / "bench.db"
    Archive(db).close()
    settings = {k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper()}
    crawler = get_crawler(NewsSpider, {**settings, "TINTINH_DB": str(db)})
    spider = crawler._create_spider(url=f"{ORIGIN}/")
    spider._archive = Archive(db)
    body = Path(path).read_bytes()
    response = XmlResponse(url, body=body, request=ScrapyRequest(url, meta={"kind": "sitemap"}))
    started = time.monotonic()
    first, requests = None, 0
    for output in spider.parse_sitemap(response, "tinh.example"):
        if isinstance(output, ScrapyRequest):
            requests += 1
            if first is None:
                first = time.monotonic() - started
    print(json.dumps({"first": first, "end": time.monotonic() - started, "requests": requests}))


def bench_callback(path: Path, label: str) -> None:
    url = f"{ORIGIN}/{path.name}"
    process, _, rss = peak_rss_mb([PYTHON, __file__, "--child", str(path), url], stdout=subprocess.PIPE)
    out = json.loads(process.stdout.read())
    print(f"callback {label:<8} first article request {out['first']:6.3f} s, all {out['requests']:,} "
          f"requests {out['end']:6.1f} s, peak RSS {rss:,.0f} MB")


# ---------------------------------------------------------------- a real crawl

def bench_crawl(body: bytes, gzipped: bool, limit: int | None, label: str, db: Path) -> None:
    from hostile import HostileServer, article_page, page

    class AnyArticle(dict):
        """Routes with an article page at every article URL."""
        def get(self, key, default=None):
            found = super().get(key)
            if found is None and key.startswith("/thoi-su/"):
                found = page(article_page(int(key.rsplit("-post", 1)[1].split(".")[0])))
                first_article.append(time.monotonic())
            return found or default

    first_article: list[float] = []
    with HostileServer(AnyArticle()) as site:
        sitemap = body.replace(ORIGIN.encode(), site.origin.encode())
        name = "/sitemap.xml.gz" if gzipped else "/sitemap.xml"
        site.routes[name] = (page(gzip.compress(sitemap, 6), content_type="application/x-gzip")
                             if gzipped else page(sitemap, content_type="application/xml"))
        site.routes["/robots.txt"] = page(f"User-agent: *\nSitemap: {site.url(name)}\n", content_type="text/plain")
        site.routes["/"] = page("<html><body>home</body></html>")
        command = [str(TINTINH), "crawl", "--url", site.url("/"), "--db", str(db),
                   *(["--limit", str(limit)] if limit else []),
                   "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
                   "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "LOG_LEVEL=ERROR"]
        started = time.monotonic()
        process, seconds, rss = peak_rss_mb(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if process.returncode:
            sys.exit(f"crawl failed: {process.stderr.read().decode()[-2000:]}")
        served = sum(p.startswith("/thoi-su/") for p in site.served)
    first = f"{first_article[0] - started:6.2f} s" if first_article else "  none"
    print(f"crawl    {label:<8} first article request {first}, {served:,} articles "
          f"({f'--limit {limit}' if limit else 'no limit'}) done {seconds:6.1f} s, peak RSS {rss:,.0f} MB")


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        callback_child(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", type=int, default=1_000_000)
    ap.add_argument("--limit", type=int, default=1000, help="articles fetched by the crawl runs")
    ap.add_argument("--only", choices=("crawl", "callback"))
    args = ap.parse_args()

    body = build_sitemap(ORIGIN, args.urls)
    tmp = Path(tempfile.mkdtemp())
    plain, packed = tmp / "sitemap.xml", tmp / "sitemap.xml.gz"
    plain.write_bytes(body)
    packed.write_bytes(gzip.compress(body, 6))
    print(f"sitemap: {args.urls:,} URLs, {len(body) / 1e6:,.1f} MB plain, {packed.stat().st_size / 1e6:,.1f} MB gzipped")
    if args.only != "crawl":
        bench_callback(plain, "plain")
        bench_callback(packed, "gzipped")
    if args.only != "callback":
        first_db = tmp / "plain.db"
        bench_crawl(body, False, args.limit, "plain", first_db)
        bench_crawl(body, True, args.limit, "gzipped", tmp / "gzipped.db")
        bench_crawl(body, False, None, "again", first_db)


if __name__ == "__main__":
    main()
