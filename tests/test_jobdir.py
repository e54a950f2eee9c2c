"""A crawl with -s JOBDIR killed with SIGKILL, then run again with the same JOBDIR: it starts its
discovery over (the torn queue files are discarded with one warning) and every article ends up in
the archive exactly once. With Scrapy's scheduler, the second run failed with `struct.error: unpack
requires a buffer of 4 bytes` on the queue file the killed run had not flushed, dropped the
requests that went to it (here: the feed, so its articles) and exited 0.

The crawls run `tintinh crawl --url` in a subprocess against a tests/hostile.py server. The home
page links articles 0-9 and advertises a feed (articles 10-19); robots.txt names a sitemap
(articles 20-29). One request at a time with a delay: the kill lands while the feed request still
waits behind the home page's articles in a queue file of its own.
"""
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from hostile import HostileServer, article_page, page
from mockserver import FAST, TINTINH

ARTICLES = 30
ONE_AT_A_TIME = {"DOWNLOAD_DELAY": "0.1", "CONCURRENT_REQUESTS": "1"}


def article_path(n: int) -> str:
    return f"/tin-tuc/bai-bao-so-{n}-ve-doi-song-post{200000 + n}.html"


@pytest.fixture
def site():
    with HostileServer({}) as site:
        links = "".join(f'<a href="{article_path(n)}">Bài {n}</a>' for n in range(10))
        items = "".join(f"<item><link>{site.url(article_path(n))}</link></item>" for n in range(10, 20))
        urls = "".join(f"<url><loc>{site.url(article_path(n))}</loc></url>" for n in range(20, ARTICLES))
        site.routes.update({
            "/": page('<!doctype html><html><head><link rel="alternate" type="application/rss+xml"'
                      f' href="/feed.rss"></head><body>{links}</body></html>'),
            "/feed.rss": page(f"<rss><channel>{items}</channel></rss>", content_type="application/rss+xml"),
            "/robots.txt": page(f"User-agent: *\nSitemap: {site.url('/sitemap.xml')}\n", content_type="text/plain"),
            "/sitemap.xml": page('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                 f"{urls}</urlset>", content_type="application/xml"),
        })
        site.routes.update({article_path(n): page(article_page(n)) for n in range(ARTICLES)})
        yield site


def crawl_command(site: HostileServer, db: Path, jobdir: Path, **settings: str) -> list[str]:
    command = [str(TINTINH), "crawl", "--url", site.url("/"), "--db", str(db)]
    for key, value in {**FAST, **settings, "JOBDIR": str(jobdir)}.items():
        command += ["-s", f"{key}={value}"]
    return command


def run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=90,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})


def articles(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return sorted(url for (url,) in conn.execute("SELECT url FROM articles"))


def kill_after_articles(command: list[str], site: HostileServer, n: int) -> None:
    """Start the crawl and SIGKILL it once the server has answered `n` article requests."""
    crawl = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"})
    deadline = time.monotonic() + 60
    while sum(p.startswith("/tin-tuc/") for p in site.served) < n:
        assert crawl.poll() is None, "the crawl ended before it could be killed"
        assert time.monotonic() < deadline, "the crawl fetched no articles"
        time.sleep(0.02)
    crawl.send_signal(signal.SIGKILL)
    crawl.wait()


def test_crawl_killed_with_a_jobdir_starts_over_and_archives_every_article_once(site, tmp_path):
    db, jobdir = tmp_path / "a.db", tmp_path / "job"
    command = crawl_command(site, db, jobdir, **ONE_AT_A_TIME)
    kill_after_articles(command, site, 3)
    assert (jobdir / "requests.queue").is_dir()
    assert len(articles(db)) < ARTICLES

    done = run(command)
    assert done.returncode == 0, done.stderr
    assert "struct.error" not in done.stderr and "Traceback" not in done.stderr
    assert "was left by a crawl that did not close" in done.stderr
    assert articles(db) == sorted(site.url(article_path(n)) for n in range(ARTICLES))


def test_crawl_closed_cleanly_with_a_jobdir_resumes_without_starting_over(site, tmp_path):
    db, jobdir = tmp_path / "a.db", tmp_path / "job"
    first = run(crawl_command(site, db, jobdir))
    assert first.returncode == 0, first.stderr
    assert len(articles(db)) == ARTICLES
    assert (jobdir / "requests.queue" / "active.json").exists()

    second = run(crawl_command(site, db, jobdir))
    assert second.returncode == 0, second.stderr
    assert "did not close" not in second.stderr and "Traceback" not in second.stderr
    assert len(articles(db)) == ARTICLES
