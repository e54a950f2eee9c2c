"""Extraction in worker processes (pipelines.extract_pool): the same archive as extraction in
Scrapy's process, and a page that hangs, kills its worker or asks for too much memory is a failure
of its own while the crawl stores every other page. Real crawls of the fixture mirror (Scrapy
engine in a subprocess, real SQLite file); the faults are planted by a test hook in the worker."""
import os
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

from archive.store import Archive
from mockserver import crawl_command, run_crawl
from pipelines.extract_pool import FAULT_ENV
from test_kill import SITES, assert_sound

# what each article is; which of two URLs of one article came first, and so ids, follow the
# order in which pages finish, which concurrent extraction does not fix
COMPARED = ("canonical_url, site, title, sapo, body, authors, published_at, provinces, categories,"
            " content_hash, extractor")


def rows(db: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def articles(db: Path) -> list[tuple]:
    return rows(db, f"SELECT {COMPARED} FROM articles ORDER BY canonical_url")


def stories(db: Path) -> set[frozenset]:
    return {frozenset(urls.split("\n")) for (urls,) in rows(
        db, "SELECT group_concat(canonical_url, char(10)) FROM articles GROUP BY story_id")}


def page_bodies(db: Path) -> dict[str, bytes]:
    with Archive(db, readonly=True) as archive:
        return {url: archive.page_body(page_id)
                for page_id, url in archive.conn.execute("SELECT id, url FROM pages WHERE body_sha1 IS NOT NULL")}


@pytest.fixture(scope="module")
def in_process(server, tmp_path_factory):
    """The archive of a crawl extracting in Scrapy's own process."""
    db = tmp_path_factory.mktemp("in-process") / "archive.db"
    done, _ = run_crawl(SITES, db, server.origins(), TINTINH_EXTRACT_PROCESSES="0")
    assert done.returncode == 0, done.stderr
    return db


def faulty_crawl(server, db: Path, fault: str, **settings: str) -> subprocess.CompletedProcess:
    return subprocess.run(crawl_command(SITES, db, server.origins(), TINTINH_EXTRACT_PROCESSES="2", **settings),
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONWARNINGS": "ignore", FAULT_ENV: fault})


def test_workers_give_the_same_archive_as_extraction_in_scrapys_process(server, in_process, tmp_path):
    db = tmp_path / "workers.db"
    done, _ = run_crawl(SITES, db, server.origins(), TINTINH_EXTRACT_PROCESSES="2")
    assert done.returncode == 0, done.stderr
    assert len(articles(in_process)) == 4
    assert articles(db) == articles(in_process)
    assert stories(db) == stories(in_process)
    assert rows(db, "SELECT url FROM url_aliases ORDER BY url") == rows(in_process, "SELECT url FROM url_aliases ORDER BY url")
    # the raw pages, compressed in the workers, read back byte for byte
    assert page_bodies(db) == page_bodies(in_process)
    assert rows(db, "SELECT url, reason FROM failures") == rows(in_process, "SELECT url, reason FROM failures")
    assert_sound(db)


@pytest.mark.parametrize("fault, reason, detail", [
    ("hang", "extraction_timeout", "over 3 s"),
    ("die", "extractor_crashed", "died"),
    ("memory", "extractor_crashed", "MemoryError"),
])
def test_a_page_that_harms_its_worker_fails_alone(server, in_process, tmp_path, fault, reason, detail):
    victim = "plo.vn/doan-dai-bieu"   # the one page of this site that is fetched
    db = tmp_path / "archive.db"
    done = faulty_crawl(server, db, f"{fault}:{victim}", TINTINH_EXTRACT_TIMEOUT="3",
                        TINTINH_EXTRACT_MEMORY_MB="1024")
    assert done.returncode == 0, done.stderr
    failed = rows(db, "SELECT url, reason, detail FROM failures WHERE reason LIKE 'extract%'")
    assert len(failed) == 1, failed
    url, got_reason, got_detail = failed[0]
    assert victim in url and got_reason == reason and detail in got_detail
    # every other article is stored, the same as without the fault; the victim's page is kept
    expected = [a for a in articles(in_process) if victim not in a[0]]
    assert len(expected) == 3
    assert articles(db) == expected
    assert url in {u for (u,) in rows(db, "SELECT url FROM pages")}
    assert_sound(db)


def family(pid: int) -> set[int]:
    """The processes descended from `pid` (through /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in found} - found
        found |= more
        grew = bool(more)
    return found - {pid}


def alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists()
            and (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z")}


def test_the_workers_end_with_a_crawl_killed_with_minus_9(server, tmp_path):
    """A worker stuck in a page and an idle one, their forkserver: none outlives the crawl."""
    proc = subprocess.Popen(crawl_command(SITES, tmp_path / "archive.db", server.origins(),
                                          TINTINH_EXTRACT_PROCESSES="2", TINTINH_EXTRACT_TIMEOUT="600"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONWARNINGS": "ignore", FAULT_ENV: "hang:plo.vn/doan-dai-bieu"})
    try:
        deadline = time.monotonic() + 60
        while len(helpers := family(proc.pid)) < 4:   # resource tracker, forkserver, two workers
            assert proc.poll() is None and time.monotonic() < deadline, "no extraction workers started"
            time.sleep(0.05)
        time.sleep(1)   # the crawl goes on; one worker hangs in its page
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while alive(helpers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(helpers)
