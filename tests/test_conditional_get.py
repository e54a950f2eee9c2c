"""Incremental runs: feeds, sitemaps and section pages asked for with the validators of the last
complete run (If-None-Match / If-Modified-Since), a 304 read as "unchanged" (no failure, nothing
parsed); and only a complete run (no --limit reached, not stopped by closespider, no page lost to
a server error) lets the next one skip entries dated before it.

Crawls run `tintinh crawl --url` (the real Scrapy engine, in a subprocess) against tests/hostile.py
servers whose routes log the validators each request carried.
"""
import sqlite3
from pathlib import Path

import pytest

from archive.store import Archive
from hostile import HostileServer, article_page, conditional, page
from mockserver import run_crawl

MODIFIED = "Wed, 06 Mar 2024 08:00:00 GMT"
LATER = "Thu, 07 Mar 2024 09:30:00 GMT"


def article_path(n: int) -> str:
    return f"/tin-tuc/bai-bao-ve-doi-song-nguoi-dan-post{100000 + n}.html"


def home(site: HostileServer) -> str:
    return (f'<html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head><body>'
            f'<nav><a href="/thoi-su.html">Thời sự</a></nav><a href="{article_path(1)}">Bài 1</a></body></html>')


def section(numbers) -> str:
    links = "".join(f'<a href="{article_path(n)}">Bài {n}</a>' for n in numbers)
    return f'<html><body><nav><a href="/thoi-su.html">Thời sự</a></nav>{links}</body></html>'


def rss(numbers) -> str:
    items = "".join(f"<item><link>{article_path(n)}</link></item>" for n in numbers)
    return f'<?xml version="1.0"?><rss><channel>{items}</channel></rss>'


def sitemap(site: HostileServer, entries) -> str:
    urls = "".join(f"<url><loc>{site.url(path)}</loc>{f'<lastmod>{m}</lastmod>' if m else ''}</url>"
                   for path, m in entries)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def unchanging_site(site: HostileServer, log: list) -> None:
    """Every discovery page has validators: ETags, and Last-Modified only on the section page."""
    index = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             f'<sitemap><loc>{site.url("/sitemap-news.xml")}</loc></sitemap></sitemapindex>')
    site.routes.update({
        "/robots.txt": page(f"User-agent: *\nSitemap: {site.url('/sitemap.xml')}\n", content_type="text/plain"),
        "/": conditional(home(site), etag='"home-1"', log=log),
        "/thoi-su.html": conditional(section([2, 3]), last_modified=MODIFIED, log=log),
        "/rss": conditional(rss([4]), etag='W/"rss-1"', content_type="application/rss+xml", log=log),
        "/sitemap.xml": conditional(index, etag='"index-1"', content_type="application/xml", log=log),
        "/sitemap-news.xml": conditional(sitemap(site, [(article_path(5), None)]), etag='"news-1"',
                                         content_type="application/xml", log=log),
    })
    site.routes.update({article_path(n): page(article_page(n)) for n in range(1, 10)})


def archived(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {url for (url,) in conn.execute("SELECT url FROM articles")}


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


DISCOVERY = ["/", "/rss", "/sitemap-news.xml", "/sitemap.xml", "/thoi-su.html"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three runs: the first reads everything; the second finds the site unchanged; before the
    third the section page gets a new article."""
    db = tmp_path_factory.mktemp("conditional") / "a.db"
    log: list = []
    with HostileServer({}) as site:
        unchanging_site(site, log)
        done = []
        served = []
        for n in range(3):
            if n == 2:
                site.routes["/thoi-su.html"] = conditional(section([2, 3, 6]), last_modified=LATER, log=log)
            site.served.clear()
            log_start = len(log)
            result, _ = run_crawl(["--url", site.url("/")], db)
            done.append(result)
            served.append((list(site.served), log[log_start:],
                           sorted(rows(db, "SELECT url, etag, last_modified FROM discovery_pages"))))
        yield site, db, done, served


def test_first_run_reads_every_page_in_full_and_keeps_their_validators(runs):
    site, db, done, served = runs
    assert done[0].returncode == 0, done[0].stderr
    _, log, validators = served[0]
    assert sorted(path for path, *_ in log) == DISCOVERY
    assert all(status == 200 for *_, status in log)
    assert archived(db) >= {site.url(article_path(n)) for n in range(1, 6)}
    assert validators == sorted([
        (site.url("/"), '"home-1"', None), (site.url("/rss"), 'W/"rss-1"', None),
        (site.url("/sitemap-news.xml"), '"news-1"', None), (site.url("/sitemap.xml"), '"index-1"', None),
        (site.url("/thoi-su.html"), None, MODIFIED)])


def test_second_run_on_an_unchanged_site_sends_the_validators_and_gets_304s(runs):
    site, db, done, served = runs
    assert done[1].returncode == 0, done[1].stderr
    paths, log, _ = served[1]
    assert sorted(log) == sorted([
        ("/", '"home-1"', None, 304), ("/rss", 'W/"rss-1"', None, 304),
        ("/sitemap-news.xml", '"news-1"', None, 304), ("/sitemap.xml", '"index-1"', None, 304),
        ("/thoi-su.html", None, MODIFIED, 304)])
    # the pages a 304 stands for lead again to what they led to: feed, section, child sitemap
    # no article asked for; robots.txt once, its rules and its Sitemap: lines read from one answer
    assert sorted(paths) == sorted(DISCOVERY + ["/robots.txt"])


def test_a_304_is_no_failure_and_the_run_says_nothing_is_new(runs):
    site, db, done, _ = runs
    assert rows(db, "SELECT url, reason FROM failures") == []
    assert "127.0.0.1: nothing new: 5 discovery pages unchanged since the last run (304 Not Modified)" in done[1].stdout
    assert rows(db, "SELECT run_id, complete FROM crawl_runs ORDER BY run_id") == [(1, 1), (2, 1), (3, 1)]


def test_a_page_that_changed_is_read_again_and_its_new_article_archived(runs):
    site, db, done, served = runs
    assert done[2].returncode == 0, done[2].stderr
    paths, log, validators = served[2]
    assert ("/thoi-su.html", None, MODIFIED, 200) in log
    assert [p for p in paths if "post" in p] == [article_path(6)]
    assert site.url(article_path(6)) in archived(db)
    assert (site.url("/thoi-su.html"), None, LATER) in validators


def test_without_conditional_get_every_discovery_page_is_read_in_full(tmp_path):
    log: list = []
    with HostileServer({}) as site:
        unchanging_site(site, log)
        run_crawl(["--url", site.url("/")], tmp_path / "a.db")
        log.clear()
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db", TINTINH_CONDITIONAL_GET="0")
    assert done.returncode == 0, done.stderr
    assert sorted(log) == sorted((path, None, None, 200) for path in DISCOVERY)


# -- only complete runs count --------------------------------------------------------------------------

OLD = "2020-01-02T08:00:00+07:00"


def old_dated_site(site: HostileServer, log: list, numbers=range(1, 9)) -> None:
    site.routes.update({
        "/": page("<html><body>Trang chủ</body></html>"),
        "/robots.txt": page(f"User-agent: *\nSitemap: {site.url('/sitemap.xml')}\n", content_type="text/plain"),
        "/sitemap.xml": conditional(sitemap(site, [(article_path(n), OLD) for n in numbers]), etag='"s-1"',
                                    content_type="application/xml", log=log),
    })
    site.routes.update({article_path(n): page(article_page(n)) for n in numbers})


@pytest.mark.parametrize("cut_short", [
    {"args": ["--limit", "2"]},
    {"settings": {"CLOSESPIDER_PAGECOUNT": "6", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}},
], ids=["limit", "closespider"])
def test_a_run_cut_short_lets_the_next_one_skip_nothing(tmp_path, cut_short):
    db, log, numbers = tmp_path / "a.db", [], range(1, 41)
    with HostileServer({}) as site:
        old_dated_site(site, log, numbers)
        done, _ = run_crawl(["--url", site.url("/"), *cut_short.get("args", [])], db, **cut_short.get("settings", {}))
        assert done.returncode == 0, done.stderr
        assert 1 <= len(archived(db)) < 40
        log.clear()
        done, _ = run_crawl(["--url", site.url("/")], db)
        assert done.returncode == 0, done.stderr
    # every entry is dated long before the first run: it is not taken as having seen them
    assert archived(db) == {site.url(article_path(n)) for n in numbers}
    assert log == [("/sitemap.xml", None, None, 200)]     # the cut run left no validators
    assert rows(db, "SELECT run_id, complete FROM crawl_runs ORDER BY run_id") == [(1, None), (2, 1)]


def test_after_a_complete_run_old_entries_are_skipped(tmp_path):
    db, log = tmp_path / "a.db", []
    with HostileServer({}) as site:
        old_dated_site(site, log, numbers=[1])
        run_crawl(["--url", site.url("/")], db)
        old_dated_site(site, log, numbers=[1, 2])     # a back-dated entry in a changed sitemap
        site.served.clear()
        done, _ = run_crawl(["--url", site.url("/")], db)
    assert done.returncode == 0, done.stderr
    assert article_path(2) not in site.served


def test_an_article_lost_to_a_server_error_is_fetched_next_run_though_its_entry_is_old(tmp_path):
    db, log = tmp_path / "a.db", []
    with HostileServer({}) as site:
        old_dated_site(site, log, numbers=[1, 2])
        site.routes[article_path(2)] = page("<h1>Quá tải</h1>", status=503)
        run_crawl(["--url", site.url("/")], db)
        assert rows(db, "SELECT reason FROM failures") == [("http_503",)]
        site.routes[article_path(2)] = page(article_page(2))
        log.clear()
        done, _ = run_crawl(["--url", site.url("/")], db)
    assert done.returncode == 0, done.stderr
    assert log == [("/sitemap.xml", None, None, 200)]   # read in full: the run before was not complete
    assert site.url(article_path(2)) in archived(db)


def test_discovery_state_is_that_of_the_last_complete_run(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        first = archive.start_run(["x.vn"])
        archive.finish_run(first, {"x.vn": {}})
        archive.record_discovery(first, ["x.vn"], [{"url": "http://x.vn/rss", "site": "x.vn", "kind": "feed",
                                                    "etag": '"1"', "followed": []}])
        second = archive.start_run(["x.vn"])
        archive.finish_run(second, {"x.vn": {}})     # cut short: not recorded as complete
        state = archive.discovery_state("x.vn")
        started = archive.conn.execute("SELECT started FROM crawl_runs WHERE run_id = ?", (first,)).fetchone()[0]
    assert state.since == started
    assert state.pages == {"http://x.vn/rss": {"etag": '"1"', "last_modified": None, "followed": []}}
