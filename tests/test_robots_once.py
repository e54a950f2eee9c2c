"""robots.txt is asked for once a crawl per site: Scrapy's robots middleware (crawler.robots) reads
it for its rules, and discovery reads the Sitemap: lines of that same answer instead of asking again.
With ROBOTSTXT_OBEY=False no rules are read, and discovery asks for it itself: once too.

Crawls run `tintinh crawl --url` (the real Scrapy engine, in a subprocess) against a tests/hostile.py
server whose robots.txt names a sitemap of articles; the server counts the requests it answers.
"""
import sqlite3
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from hostile import HostileServer, article_page, gzipped, page
from mockserver import run_crawl

ARTICLES = 4


def article_path(n: int) -> str:
    return f"/tin-tuc/bai-bao-so-{n}-ve-doi-song-nguoi-dan-post{300000 + n}.html"


def site_routes(site: HostileServer, robots=None) -> None:
    urls = "".join(f"<url><loc>{site.url(article_path(n))}</loc></url>" for n in range(ARTICLES))
    site.routes.update({
        "/": page("<!doctype html><html><body>Trang chủ</body></html>"),
        "/robots.txt": robots or page(f"User-agent: *\nAllow: /\nSitemap: {site.url('/sitemap.xml')}\n",
                                      content_type="text/plain"),
        "/sitemap.xml": page('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                             f"{urls}</urlset>", content_type="application/xml"),
    })
    site.routes.update({article_path(n): page(article_page(n)) for n in range(ARTICLES)})


def archived(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {url for (url,) in conn.execute("SELECT url FROM articles")}


def failures(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT url, reason FROM failures"))


@pytest.mark.parametrize("obey", ["True", "False"])
def test_robots_txt_is_asked_for_once_and_its_sitemap_articles_found(obey, tmp_path):
    with HostileServer({}) as site:
        site_routes(site)
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db", ROBOTSTXT_OBEY=obey)
        assert done.returncode == 0, done.stderr[-3000:]
        assert site.served.count("/robots.txt") == 1
        assert site.served.count("/sitemap.xml") == 1
        assert archived(tmp_path / "a.db") == {site.url(article_path(n)) for n in range(ARTICLES)}


def test_robots_txt_is_one_response_in_the_warc(tmp_path):
    warcs = tmp_path / "warc"
    with HostileServer({}) as site:
        site_routes(site)
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db", TINTINH_WARC_DIR=str(warcs))
        assert done.returncode == 0, done.stderr[-3000:]
    responses = []
    for path in warcs.glob("tintinh-*.warc.gz"):
        with open(path, "rb") as stream:
            responses += [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(stream)
                          if r.rec_type == "response"]
    assert responses.count(site.url("/robots.txt")) == 1
    assert site.url("/sitemap.xml") in responses


def test_gzipped_robots_txt_is_asked_for_once_and_its_sitemap_read(tmp_path):
    with HostileServer({}) as site:
        text = f"User-agent: *\nAllow: /\nSitemap: {site.url('/sitemap.xml')}\n".encode()
        site_routes(site, gzipped(text, content_type="text/plain"))
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db")
        assert done.returncode == 0, done.stderr[-3000:]
        assert site.served.count("/robots.txt") == 1
        assert archived(tmp_path / "a.db") == {site.url(article_path(n)) for n in range(ARTICLES)}


def test_robots_txt_disallowing_the_sitemap_is_read_once_and_the_sitemap_not_fetched(tmp_path):
    with HostileServer({}) as site:
        site_routes(site, page(f"User-agent: *\nDisallow: /sitemap.xml\nSitemap: {site.url('/sitemap.xml')}\n",
                               content_type="text/plain"))
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db")
        assert done.returncode == 0, done.stderr[-3000:]
        assert site.served.count("/robots.txt") == 1
        assert "/sitemap.xml" not in site.served
        assert failures(tmp_path / "a.db")[site.url("/sitemap.xml")] == "robots_forbidden"


def test_robots_txt_answering_404_is_asked_for_once_and_everything_allowed(tmp_path):
    with HostileServer({}) as site:
        links = "".join(f'<a href="{article_path(n)}">Bài {n}</a>' for n in range(ARTICLES))
        site_routes(site, page("không có", status=404))
        site.routes["/"] = page(f"<!doctype html><html><body>{links}</body></html>")
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db")
        assert done.returncode == 0, done.stderr[-3000:]
        assert site.served.count("/robots.txt") == 1
        assert archived(tmp_path / "a.db") == {site.url(article_path(n)) for n in range(ARTICLES)}
        assert site.url("/robots.txt") not in failures(tmp_path / "a.db")   # no robots.txt: no sitemaps, no failure


def test_robots_txt_answering_503_is_asked_for_once_and_the_host_left_alone(tmp_path):
    with HostileServer({}) as site:
        site_routes(site, page("bận", status=503))
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db")
        assert "nothing could be fetched" in done.stderr
        assert site.served == ["/robots.txt"]
        assert failures(tmp_path / "a.db")[site.url("/robots.txt")] == "robots_unavailable"
