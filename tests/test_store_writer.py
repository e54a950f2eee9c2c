"""The archive's writer thread (archive.writer): a crawl's stores never hold up its downloads, a
fetch is answered only once committed, a refused article fails alone, a full disk fails the
whole transaction; raw pages are kept as zstd and pages of older archives (zlib) still read,
reprocess and export."""
import gzip
import os
import signal
import sqlite3
import subprocess
import time
import zlib
from contextlib import closing
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.pagecodec import ZSTD_MAGIC
from archive.search import check_index
from archive.store import Archive, BadArticle, StorageError
from archive.warc import export_warc
from archive.writer import ArchiveWriter
from mockserver import crawl_command, run_crawl
from pipelines.reprocess import reprocess
from pipelines.stages import HOLD_STORES_ENV
from test_archive_store import gold_article
from test_kill import SITES, assert_sound, outcome, stored

FIXTURES = Path(__file__).parent / "fixtures" / "archive"
PLO = "https://plo.vn/doan-dai-bieu-tphcm-dang-hoa-tuong-niem-cac-anh-hung-liet-si-tai-binh-duong-ba-ria-vung-tau-cu-post874982.html"
VNE = "https://vnexpress.net/dau-bung-keo-dai-phat-hien-ung-thu-lymphoma-ruot-non-4954454.html"


def raw(fixture: str) -> bytes:
    return gzip.decompress((FIXTURES / fixture).read_bytes())


def fetch(url: str, site: str, body: bytes, n: int = 0) -> dict:
    return {"url": url, "final_url": url, "status": 200, "headers": {"Content-Type": "text/html"},
            "body": body, "fetched_at": f"2026-03-01T10:00:{n:02d}+00:00", "site": site}


def committed(db: Path, sql: str) -> list[tuple]:
    """What another connection sees: only committed rows."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


# -- a crawl --------------------------------------------------------------------------------

def test_downloads_go_on_while_the_archive_writer_is_held(server, tmp_path):
    """The writer waits (a test hook) before its first store; meanwhile the crawl still fetches
    every page, one at a time: Scrapy's thread never waits for the database."""
    unheld = tmp_path / "unheld.db"
    before = len(server.served)
    done, _ = run_crawl(SITES, unheld, server.origins(), CONCURRENT_REQUESTS="1")
    assert done.returncode == 0, done.stderr
    every_page = set(server.served[before:])

    db, hold = tmp_path / "archive.db", tmp_path / "hold"
    hold.touch()
    before = len(server.served)
    command = crawl_command(SITES, db, server.origins(), CONCURRENT_REQUESTS="1")
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore", HOLD_STORES_ENV: str(hold)})
    try:
        deadline = time.monotonic() + 60
        while not Path(f"{hold}.held").exists():  # the first store is waiting in the writer
            assert proc.poll() is None and time.monotonic() < deadline, "the writer never held a store"
            time.sleep(0.01)
        at_hold = len(server.served)
        while not every_page <= set(server.served[before:]):
            assert proc.poll() is None and time.monotonic() < deadline, "pages stopped being fetched"
            time.sleep(0.01)
        fetched_while_held = len(server.served) - at_hold
        assert stored(db) == 0   # nothing stored yet: all of it was fetched while the writer waited
        assert fetched_while_held >= 3, fetched_while_held
    finally:
        hold.unlink()
        _, errors = proc.communicate(timeout=60)
    assert proc.returncode == 0, errors
    assert_sound(db)
    assert outcome(db) == outcome(unheld)


def test_a_crawl_whose_writer_is_stuck_stops_and_says_why_instead_of_waiting_forever(server, tmp_path):
    """The writer holds its first store and never lets go (a test hook, as another program holding
    the archive would): after TINTINH_STORE_TIMEOUT the crawl stops, exits 1 and says why."""
    db, hold = tmp_path / "archive.db", tmp_path / "hold"
    hold.touch()
    command = crawl_command(SITES, db, server.origins(), TINTINH_STORE_TIMEOUT="2")
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=90,
                              env={**os.environ, "PYTHONWARNINGS": "ignore", HOLD_STORES_ENV: str(hold)})
        assert Path(f"{hold}.held").exists()   # the writer really was holding a store
    finally:
        hold.unlink()
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(
        "Error: crawl stopped: the archive's writer has not answered for 2 s (TINTINH_STORE_TIMEOUT)")
    assert time.monotonic() - started < 60
    assert stored(db) == 0   # nothing half-stored; every page is fetched again next run
    assert_sound(db)


# -- the writer -----------------------------------------------------------------------------

def test_a_store_is_answered_only_once_its_transaction_has_committed(tmp_path):
    db = tmp_path / "archive.db"
    writer = ArchiveWriter(lambda: Archive(db))
    try:
        article = gold_article("plo-874982", url=PLO)
        status = writer.store(page=fetch(PLO, "plo", raw("plo-874982.html.gz")), article=article).result(30)
        assert status == "new"
        assert committed(db, "SELECT url FROM articles") == [(PLO,)]
        assert committed(db, "SELECT count(*) FROM pages") == [(1,)]
    finally:
        writer.close()


def test_an_article_the_archive_refuses_fails_alone_in_its_transaction(tmp_path):
    db = tmp_path / "archive.db"
    # the first store waits until all three are queued, so they share one transaction
    writer = ArchiveWriter(lambda: Archive(db), before_store=lambda n: time.sleep(0.3 if n == 1 else 0))
    try:
        good = writer.store(page=fetch(PLO, "plo", raw("plo-874982.html.gz")),
                            article=gold_article("plo-874982", url=PLO))
        bad = writer.store(page=fetch("https://plo.vn/x-post1.html", "plo", b"<html></html>", 1),
                           article={"url": "https://plo.vn/x-post1.html", "title": "", "body": ""})
        other = writer.store(page=fetch(VNE, "vnexpress", raw("vnexpress-4954454.html.gz"), 2),
                             article=gold_article("vnexpress-4954454", url=VNE))
        assert good.result(30) == "new" and other.result(30) == "new"
        with pytest.raises(BadArticle):
            bad.result(30)
    finally:
        writer.close()
    assert sorted(committed(db, "SELECT url FROM articles")) == sorted([(PLO,), (VNE,)])
    assert committed(db, "SELECT count(*) FROM pages") == [(2,)]   # nothing of the refused one


def test_a_transaction_the_disk_refuses_fails_every_store_in_it(tmp_path):
    """The first store of a transaction is written, the second finds the file full (SQLite's
    max_page_count, a real SQLITE_FULL): neither is kept, and both say so."""
    db, opened = tmp_path / "archive.db", []

    def open_archive() -> Archive:
        opened.append(Archive(db))
        return opened[0]

    def full_from_now(n: int) -> None:
        time.sleep(0.3 if n == 1 else 0)   # both stores are queued before the first is done
        if n == 2:
            conn = opened[0].conn
            conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    writer = ArchiveWriter(open_archive, before_store=full_from_now)
    try:
        first = writer.store(page=fetch(PLO, "plo", raw("plo-874982.html.gz")),
                             article=gold_article("plo-874982", url=PLO))
        second = writer.store(page=fetch(VNE, "vnexpress", raw("vnexpress-4954454.html.gz"), 1),
                              article=gold_article("vnexpress-4954454", url=VNE))
        for future in (first, second):
            with pytest.raises(StorageError, match="full"):
                future.result(30)
        with pytest.raises(StorageError):   # and every store after them
            writer.store(page=None, failure={"url": PLO, "reason": "http_404", "site": "plo"}).result(30)
    finally:
        writer.close()
    assert committed(db, "SELECT count(*) FROM articles") == [(0,)]
    assert committed(db, "SELECT count(*) FROM pages") == [(0,)]


def test_an_archive_that_cannot_be_opened_fails_every_call(tmp_path):
    folder = tmp_path / "a-directory"
    folder.mkdir()
    writer = ArchiveWriter(lambda: Archive(folder))
    try:
        with pytest.raises(Exception, match="is a directory"):
            writer.call(lambda archive: archive.start_run(["plo"])).result(30)
        with pytest.raises(Exception, match="is a directory"):
            writer.store(page=None, failure={"url": PLO, "reason": "http_404", "site": "plo"}).result(30)
    finally:
        writer.close()


def test_merge_steps_between_stores_keep_the_search_index_whole(tmp_path):
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        for n in range(40):   # one small transaction each: 40 segments per index
            article = gold_article("plo-874982", url=f"https://plo.vn/bai-{n}-post{n}.html")
            article["body"] += f"\nĐoạn riêng số {n} của bài."
            archive.store_article(article)
        steps = 0
        while archive.merge_search(8):
            steps += 1
        assert steps >= 1   # there was merge work, done a little at a time
        check_index(archive)
        assert archive.conn.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH '\"doan rieng so 17\"'").fetchone() == (1,)


GOLD = ["baochinhphu-102260228093004191", "baolaocai-404649", "cafef-18826030622484142",
        "dantri-20260307080054340", "plo-874982", "tuoitre-20260307075519174", "vietnamnet-2495349"]


def test_the_dedup_tables_fold_a_slice_at_a_time_and_copies_are_still_found(tmp_path, monkeypatch):
    """The writer moves the new dedup rows into the big tables in slices between its
    transactions (fold_dedup_rows); afterwards the small tables are empty, no row was lost, and a
    reprint of a stored article is still found to be a copy."""
    import archive.store as store
    monkeypatch.setattr(store, "MERGE_ROWS", 100)   # due at 100 rows; in a commit only at 200
    with Archive(tmp_path / "archive.db") as archive:
        archive.background_upkeep = True    # as the writer opens it: no fold inside a store's transaction
        for name in GOLD:
            assert archive.store_article(gold_article(name)) == "new"
        conn = archive.conn
        buckets = conn.execute("SELECT count(*) FROM lsh_buckets").fetchone()[0]
        lines = conn.execute("SELECT sum(articles) FROM common_lines").fetchone()[0]
        assert buckets >= 100 and conn.execute("SELECT count(*) FROM lsh_buckets_merged").fetchone() == (0,)
        slices = 1
        while archive.fold_dedup_rows(rows=30):
            slices += 1
        assert slices >= 3
        assert conn.execute("SELECT count(*) FROM lsh_buckets").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM common_lines").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM lsh_buckets_merged").fetchone() == (buckets,)
        assert conn.execute("SELECT sum(articles) FROM common_lines_merged").fetchone() == (lines,)
        assert not archive.fold_dedup_rows()   # nothing due now
        reprint = gold_article("plo-874982", url="https://baolaocai.vn/in-lai-bai-plo-post999999.html",
                               site="baolaocai", title="In lại: " + gold_article("plo-874982")["title"])
        assert archive.store_article(reprint) == "duplicate"


# -- raw pages: zstd now, zlib before ----------------------------------------------------------

def test_a_raw_page_is_kept_as_zstd(tmp_path):
    body = raw("plo-874982.html.gz")
    with Archive(tmp_path / "archive.db") as archive:
        pid = archive.record_page(**fetch(PLO, "plo", body))
        (blob,) = archive.conn.execute("SELECT body FROM pages WHERE id = ?", (pid,)).fetchone()
        assert blob[:4] == ZSTD_MAGIC and len(blob) < len(body) / 3
        assert archive.page_body(pid) == body


@pytest.fixture
def old_archive(tmp_path) -> Path:
    """An archive written before zstd: its raw pages are zlib (level 6) blobs."""
    path = tmp_path / "old.db"
    with Archive(path) as archive:
        for url, site, fixture in [(PLO, "plo", "plo-874982.html.gz"), (VNE, "vnexpress", "vnexpress-4954454.html.gz")]:
            pid = archive.record_page(**fetch(url, site, raw(fixture)))
            archive.conn.execute("UPDATE pages SET body = ? WHERE id = ?", (zlib.compress(raw(fixture), 6), pid))
    assert all(blob[:1] == b"\x78" for (blob,) in committed(path, "SELECT body FROM pages"))
    return path


def test_an_old_archive_with_zlib_pages_still_reprocesses(old_archive):
    result = reprocess(old_archive, processes=1)
    assert str(result) == "2 pages reprocessed, 2 articles changed, 0 failed"
    titles = dict(committed(old_archive, "SELECT url, title FROM articles"))
    assert set(titles) == {PLO, VNE} and all(titles.values())


def test_an_old_archive_with_zlib_pages_still_exports_every_byte(old_archive, tmp_path):
    out = tmp_path / "old.warc.gz"
    with Archive(old_archive, readonly=True) as archive:
        assert export_warc(archive, out) == 2
    with open(out, "rb") as stream:
        bodies = {r.rec_headers.get_header("WARC-Target-URI"): r.content_stream().read()
                  for r in ArchiveIterator(stream) if r.rec_type == "response"}
    assert bodies == {PLO: raw("plo-874982.html.gz"), VNE: raw("vnexpress-4954454.html.gz")}


def test_a_crawl_killed_inside_a_held_transaction_keeps_what_was_committed(server, tmp_path, monkeypatch):
    """kill -9 while the writer holds stores: nothing half-written, and a second run completes it."""
    db, hold = tmp_path / "archive.db", tmp_path / "hold"
    hold.touch()
    proc = subprocess.Popen(crawl_command(SITES, db, server.origins()), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONWARNINGS": "ignore", HOLD_STORES_ENV: str(hold)})
    deadline = time.monotonic() + 60
    while not Path(f"{hold}.held").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert stored(db) == 0
    hold.unlink()
    done, _ = run_crawl(SITES, db, server.origins())
    assert done.returncode == 0, done.stderr
    assert_sound(db)
    assert len(outcome(db)["articles"]) == 4


def test_a_fetch_interrupts_a_merge_step_and_the_index_stays_whole(tmp_path):
    """While the writer merges search-index segments between stores, a fetch that arrives cuts
    the step short (SQLite rolls it back; it is done again later): every fetch is stored, the
    merging still finishes, and the index matches the articles."""
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        for n in range(400):   # one small transaction each: 400 segments per index to merge
            article = gold_article(GOLD[n % len(GOLD)], url=f"https://plo.vn/bai-{n}-post{n}.html", site="plo")
            article["body"] += f"\nĐoạn riêng số {n} của bài."
            archive.store_article(article)
    writer = ArchiveWriter(lambda: Archive(db))
    try:
        statuses = []
        for n in range(400, 600):   # while it merges, fetches arrive one after another
            article = gold_article("plo-874982", url=f"https://plo.vn/bai-{n}-post{n}.html")
            article["body"] += f"\nĐoạn riêng số {n} của bài."
            statuses.append(writer.store(page=None, article=article).result(60))
            time.sleep(0.002)
        assert statuses == ["new"] * 200
        assert writer.interruptions >= 1, writer.interruptions

        def merge_all(archive):
            while archive.merge_search(64):
                pass
            check_index(archive)
            return archive.conn.execute(
                "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH '\"doan rieng so 517\"'").fetchone()
        assert writer.call(merge_all).result(120) == (1,)
    finally:
        writer.close()
    assert committed(db, "PRAGMA integrity_check") == [("ok",)]
    assert committed(db, "SELECT count(*) FROM articles") == [(600,)]


def test_a_merge_step_cut_short_with_its_transaction_left_open_does_not_stop_the_writer(tmp_path):
    """Now and then (2 of 273 steps cut short in 24 benchmark crawls) SQLite leaves the
    transaction of a step it cut short open (its rollback runs while the fetch is still waiting,
    the progress handler still on). The next store's BEGIN then failed, the writer stopped, and
    the crawl waited for it forever. Here a step is cut short that way, for real: a statement of
    the step interrupted by the writer's own progress handler inside the step's open transaction."""
    db = tmp_path / "archive.db"
    Archive(db).close()
    cut_short = []

    def open_archive():
        archive = Archive(db)
        real_merge = archive.merge_search

        def merge_search(pages):
            if cut_short:
                return real_merge(pages)
            cut_short.append(True)
            archive.conn.execute("BEGIN IMMEDIATE")   # the step's transaction, never ended
            archive.conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)"
                                 " SELECT count(*) FROM n").fetchone()   # cut short: a fetch is waiting
        archive.merge_search = merge_search
        return archive

    writer = ArchiveWriter(open_archive)
    writer._fetch_waiting = lambda: True   # the handler sees a fetch waiting
    try:
        assert writer.store(page=None, article=gold_article("plo-874982")).result(30) == "new"
        deadline = time.monotonic() + 30   # upkeep between the stores: the step that is cut short
        while not (cut_short and writer.interruptions >= 1):
            assert time.monotonic() < deadline, "no merge step was cut short"
            time.sleep(0.01)
        assert writer.store(page=None, article=gold_article("vnexpress-4954454")).result(30) == "new"
    finally:
        writer.close()
    assert committed(db, "SELECT count(*) FROM articles") == [(2,)]


def test_a_writer_that_fails_answers_every_fetch_with_the_reason_and_never_leaves_one_waiting(tmp_path):
    db = tmp_path / "archive.db"
    Archive(db).close()
    writer = ArchiveWriter(lambda: Archive(db))
    stored = writer.store(page=None, article=gold_article("plo-874982")).result(30)
    assert stored == "new"
    # a bug in the writer thread itself (not an article the archive refuses)
    writer._store = lambda batch: (_ for _ in ()).throw(RuntimeError("a bug"))
    first = writer.store(page=None, article=gold_article("vnexpress-4954454"))
    with pytest.raises(StorageError, match="the archive writer stopped: RuntimeError: a bug"):
        first.result(30)
    with pytest.raises(StorageError, match="the archive writer stopped"):
        writer.store(page=None, article=gold_article("baolaocai-404649")).result(30)
    writer.close()
    assert committed(db, "SELECT count(*) FROM articles") == [(1,)]
