"""Discovery on hostile sites: a huge sitemap is read as it is fetched, entries older than the last
crawl are skipped, and what is too big or too long is recorded with the reason and the size.

Crawls run `tintinh crawl --url` (the real Scrapy engine, in a subprocess) against tests/hostile.py
servers: an unregistered site whose robots.txt names its sitemap, whose entries are the articles.
"""
import gzip
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from twisted.python.failure import Failure

from crawler.settings import TINTINH_QUEUE_AHEAD
from crawler.spiders.news import failure_reason
from hostile import HostileServer, article_page, chunked, gzipped, page
from mockserver import run_crawl

BIG_SITEMAP = 200_000


def article_path(n: int) -> str:
    return f"/tin-tuc/bai-bao-so-{n}-ve-doi-song-nguoi-dan-post{100000 + n}.html"


def sitemap(origin: str, entries) -> bytes:
    """A urlset of (path, lastmod or None) entries."""
    parts = [b'<?xml version="1.0" encoding="UTF-8"?>\n'
             b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n']
    for path, lastmod in entries:
        modified = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
        parts.append(f"<url><loc>{origin}{path}</loc>{modified}</url>\n".encode())
    parts.append(b"</urlset>\n")
    return b"".join(parts)


def robots(site: HostileServer) -> str:
    return f"User-agent: *\nAllow: /\nSitemap: {site.url('/sitemap.xml')}\n"


def site_routes(site: HostileServer, entries, articles) -> None:
    site.routes.update({
        "/": page("<!doctype html><html><body>Trang chủ</body></html>"),
        "/robots.txt": page(robots(site), content_type="text/plain"),
        "/sitemap.xml": page(sitemap(site.origin, entries), content_type="application/xml"),
    })
    site.routes.update({article_path(n): page(article_page(n)) for n in articles})


def archived(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {url for (url,) in conn.execute("SELECT url FROM articles")}


def failures(db: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return {url: (reason, detail) for url, reason, detail in conn.execute(
            "SELECT url, reason, detail FROM failures")}


def scrapy_stats(stderr: str) -> dict:
    """The stats Scrapy dumps at the end of a crawl logged at INFO."""
    dump = stderr[stderr.index("Dumping Scrapy stats:"):]
    return dict((key, int(value)) for key, value in re.findall(r"'([^']+)': (\d+),?\n", dump))


# -- a sitemap of 200,000 URLs -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_site():
    with HostileServer({}) as site:
        site_routes(site, [(article_path(n), None) for n in range(BIG_SITEMAP)], range(40))
        yield site


def test_limited_crawl_of_a_huge_sitemap_archives_its_first_articles(big_site, tmp_path):
    big_site.served.clear()
    done, _ = run_crawl(["--url", big_site.url("/"), "--limit", "3"], tmp_path / "a.db")
    assert done.returncode == 0, done.stderr
    assert archived(tmp_path / "a.db") == {big_site.url(article_path(n)) for n in range(3)}
    assert sorted(p for p in big_site.served if p.startswith("/tin-tuc/")) == [article_path(n) for n in range(3)]


def test_huge_sitemap_feeds_the_scheduler_as_it_drains_not_all_at_once(big_site, tmp_path):
    # no --limit: the crawl is stopped after 5 archived articles; by then only what the scheduler
    # was given so far exists as requests, not the 200,000 of the sitemap
    done, _ = run_crawl(["--url", big_site.url("/")], tmp_path / "a.db",
                        CLOSESPIDER_ITEMCOUNT="5", LOG_LEVEL="INFO")
    assert done.returncode == 0, done.stderr[-3000:]
    stats = scrapy_stats(done.stderr)
    assert stats["item_scraped_count"] >= 5
    # left in the scheduler when the crawl stopped: at most the articles allowed to wait there
    assert stats["scheduler/enqueued"] - stats["scheduler/dequeued"] <= TINTINH_QUEUE_AHEAD
    assert stats["scheduler/enqueued"] < 1_000
    assert len(archived(tmp_path / "a.db")) >= 5


# -- incremental runs ---------------------------------------------------------------------------------

def test_entries_modified_before_the_last_crawl_are_skipped_on_the_next_one(tmp_path):
    db = tmp_path / "a.db"
    old, new = "2020-01-02T08:00:00+07:00", (datetime.now(timezone.utc) + timedelta(days=1)).date().isoformat()
    with HostileServer({}) as site:
        site_routes(site, [(article_path(1), old)], range(1, 5))
        done, _ = run_crawl(["--url", site.url("/")], db)
        assert done.returncode == 0, done.stderr
        assert archived(db) == {site.url(article_path(1))}

        # article 2 appears with an old date (a sitemap regenerated with a back-dated entry is
        # seen as unchanged), article 3 with a new one, article 4 without a date
        site_routes(site, [(article_path(n), day) for n, day in
                           ((1, old), (2, old), (3, new), (4, None))], ())
        site.served.clear()
        done, _ = run_crawl(["--url", site.url("/")], db)
        assert done.returncode == 0, done.stderr
        assert article_path(2) not in site.served
        assert archived(db) == {site.url(article_path(n)) for n in (1, 3, 4)}

        # a refresh crawl reads every entry again
        done, _ = run_crawl(["--url", site.url("/"), "--refresh"], db)
        assert site.url(article_path(2)) in archived(db)


# -- too large, too long ---------------------------------------------------------------------------

BOMB = article_path(90)       # 50 MB of spaces gzipped to ~50 KB
STREAM = article_path(91)     # 60 MB chunked, no Content-Length
LONG = article_path(92) + "?ref=" + "a" * 10_000
MAXSIZE = 2_000_000           # the tests' DOWNLOAD_MAXSIZE (tests/mockserver.py FAST)


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory):
    db = tmp_path_factory.mktemp("hostile") / "a.db"
    with HostileServer({}) as site:
        entries = [(article_path(1), None), (BOMB, None), (STREAM, None), (LONG, None)]
        site_routes(site, entries, [1])
        site.routes[BOMB] = gzipped(b"<html><body>" + b" " * 50_000_000)
        site.routes[STREAM] = chunked(lambda: (b"<p>" + b"x" * 65_533 for _ in range(915)))
        done, _ = run_crawl(["--url", site.url("/")], db)
        yield site, db, done


def test_gzip_bomb_is_too_large_with_the_size_it_was_stopped_at(hostile_crawl):
    site, db, done = hostile_crawl
    assert done.returncode == 0, done.stderr
    reason, detail = failures(db)[site.url(BOMB)]
    assert reason == "too_large"
    assert detail.startswith(f"decompressed beyond {MAXSIZE:,} bytes (DOWNLOAD_MAXSIZE) from ")


def test_endless_chunked_page_is_too_large_with_the_size_it_was_stopped_at(hostile_crawl):
    site, db, _ = hostile_crawl
    assert failures(db)[site.url(STREAM)] == ("too_large", f"stopped at {MAXSIZE:,} bytes (DOWNLOAD_MAXSIZE)")


def test_ten_kilobyte_url_is_recorded_as_too_long_not_dropped(hostile_crawl):
    site, db, _ = hostile_crawl
    reason, detail = failures(db)[site.url(LONG)]
    assert reason == "url_too_long"
    assert detail == f"{len(site.url(LONG)):,} characters, over 2,083 (URLLENGTH_LIMIT)"
    assert not any(p.startswith(article_path(92)) for p in site.served)


def test_hostile_entries_cost_nothing_to_the_good_article_beside_them(hostile_crawl):
    site, db, _ = hostile_crawl
    assert archived(db) == {site.url(article_path(1))}


def test_gzipped_sitemap_bigger_than_the_sitemap_limit_is_a_recorded_failure(tmp_path):
    db = tmp_path / "a.db"
    with HostileServer({}) as site:
        site_routes(site, [], [1])
        # robots.txt names a gzipped sitemap that inflates to 3 MB; sitemaps may have 1 MB here
        body = sitemap(site.origin, [(article_path(1), None)])
        body = body.replace(b"</urlset>", b"<!--" + b" " * 3_000_000 + b"--></urlset>")
        site.routes["/sitemap.xml"] = page(gzip.compress(body), content_type="application/x-gzip")
        done, _ = run_crawl(["--url", site.url("/")], db, TINTINH_SITEMAP_MAXSIZE="1000000")
    assert done.returncode == 0, done.stderr
    reason, detail = failures(db)[site.url("/sitemap.xml")]
    assert (reason, detail) == ("bad_sitemap", "sitemap: sitemap is larger than 1000000 bytes uncompressed")
    assert archived(db) == {site.url(article_path(1))}   # read before the limit was reached


# -- the reasons, from the exceptions Scrapy raises ------------------------------------------------------

@pytest.mark.parametrize("exc, maxsize, expected", [
    (IgnoreRequest("Ignored response <200 http://x/a-post1.html> because its body (50953 B compressed, "
                   "2000010 B decompressed so far) exceeded DOWNLOAD_MAXSIZE (2000000 B) during decompression."),
     2_000_000, ("too_large", "decompressed beyond 2,000,000 bytes (DOWNLOAD_MAXSIZE) from 50,953 bytes")),
    (DownloadCancelledError(""), 8_388_608, ("too_large", "stopped at 8,388,608 bytes (DOWNLOAD_MAXSIZE)")),
    (DownloadCancelledError("Expected to receive 60000000 bytes which is larger than download max size "
                            "(8388608) in request <GET http://x/a-post1.html>."),
     8_388_608, ("too_large", "Content-Length 60,000,000 bytes, over 8,388,608 (DOWNLOAD_MAXSIZE)")),
])
def test_bodies_stopped_for_their_size_are_too_large_with_the_size(exc, maxsize, expected):
    assert failure_reason(Failure(exc), maxsize) == expected
