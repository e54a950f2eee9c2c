"""kill -9 at any moment of a crawl costs no article: a page and what came of it (its article, or
its failure) are one transaction, and a URL stored without its outcome is fetched again.

Crawls of the fixture mirror (real Scrapy engine, subprocess, real SQLite file) are killed inside
the transaction storing the N-th article (TINTINH_TEST_KILL_AFTER, read by the store pipeline) and
at random moments from here; then one crawl without kills must leave the same archive as a crawl
that was never killed.
"""
import os
import random
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

from archive.store import Archive
from mockserver import crawl_command, run_crawl
from pipelines.stages import KILL_AFTER_ENV

SITES = ["baolaocai", "plo", "tuoitre", "dantri"]
ARTICLE_STORES = 5   # article pages a crawl of SITES stores: 4 articles, one of them reached twice


def rows(db: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:  # closed now, not when collected: it holds the file
        return conn.execute(sql).fetchall()


def outcome(db: Path) -> dict:
    """What a crawl leaves: articles, kept pages, failures (URL and reason)."""
    return {"articles": sorted(rows(db, "SELECT canonical_url FROM articles")),
            "pages": sorted(rows(db, "SELECT url FROM pages")),
            "failures": sorted(rows(db, "SELECT url, reason FROM failures"))}


def unfinished(db: Path) -> list[str]:
    """Kept pages with neither their article nor a failure row, and articles without their page:
    what a kill between two commits used to leave (and made later crawls skip the URL)."""
    with Archive(db, readonly=True) as archive:
        pages = archive.conn.execute(
            "SELECT url, final_url, failure FROM pages WHERE status BETWEEN 200 AND 299").fetchall()
        left = [url for url, final_url, failure in pages
                if not (archive.is_archived(url) or archive.is_archived(final_url)
                        if failure is None else
                        archive.conn.execute("SELECT 1 FROM failures WHERE url = ?", (url,)).fetchone())]
        left += [f"article {url} without its page" for (url,) in archive.conn.execute(
            "SELECT url FROM articles WHERE page_id IS NULL OR page_id NOT IN (SELECT id FROM pages)")]
    return left


def assert_sound(db: Path) -> None:
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert unfinished(db) == []


@pytest.fixture(scope="module")
def unkilled(server, tmp_path_factory) -> dict:
    db = tmp_path_factory.mktemp("unkilled") / "archive.db"
    done, _ = run_crawl(SITES, db, server.origins())
    assert done.returncode == 0, done.stderr
    result = outcome(db)
    assert len(result["articles"]) == 4 and len(result["pages"]) == 8
    return result


@pytest.mark.parametrize("n", range(1, ARTICLE_STORES + 1))
def test_a_crawl_killed_while_storing_its_nth_article_loses_nothing(n, server, unkilled, tmp_path, monkeypatch):
    db = tmp_path / "archive.db"
    monkeypatch.setenv(KILL_AFTER_ENV, str(n))
    killed, _ = run_crawl(SITES, db, server.origins())
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert_sound(db)
    assert len(rows(db, "SELECT 1 FROM articles")) < len(unkilled["articles"])  # the N-th was not kept

    monkeypatch.delenv(KILL_AFTER_ENV)
    done, _ = run_crawl(SITES, db, server.origins())
    assert done.returncode == 0, done.stderr
    assert_sound(db)
    assert outcome(db) == unkilled   # every article once, every page fetched once, every failure


def stored(db: Path) -> int:
    """How many stores (pages, failures) the archive has seen so far; 0 before it exists."""
    try:
        return rows(db, "SELECT (SELECT count(*) FROM pages) + (SELECT coalesce(sum(times), 0) FROM failures)")[0][0]
    except sqlite3.Error:  # not created or not migrated yet
        return 0


def test_crawls_killed_at_random_moments_lose_nothing(server, unkilled, tmp_path):
    db = tmp_path / "archive.db"
    rng = random.Random(3)
    command = crawl_command(SITES, db, server.origins())
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    kills = []
    for _ in range(5):
        # a random moment while storing: after a random number of further stores, plus up to 50 ms
        target = stored(db) + rng.randint(1, 25)
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        while proc.poll() is None and stored(db) < target:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.05))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills.append(stored(db))
        proc.wait(timeout=30)
        assert_sound(db)
    assert len(kills) >= 3, kills   # most crawls were killed mid-way, not finished

    done, _ = run_crawl(SITES, db, server.origins())
    assert done.returncode == 0, done.stderr
    assert_sound(db)
    assert outcome(db) == unkilled
