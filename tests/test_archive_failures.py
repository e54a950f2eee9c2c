"""A full disk, a damaged file, a read-only archive: one line that says what is wrong, nothing
half-written, and whatever can still be read is readable.

The disk fills for real (RLIMIT_FSIZE on the crawl process: writes fail with EFBIG, Python ignores
SIGXFSZ); damage is real bytes overwritten in a real archive; read-only is chmod for a normal user
and, for root (whom chmod does not stop), a read-only bind mount of the same path.
"""
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.dbfile import BUSY_ENV
from archive.serve import ServeError, check_archive
from archive.store import Archive, ArchiveDamaged, StorageError
from cli.main import cli
from mockserver import TINTINH, crawl_command, run_crawl
from test_datasette import free_port
from test_kill import SITES, assert_sound, outcome, rows
from test_search import build_archive

# Bytes a crawl of SITES may write to one file (ulimit -f). The archive it makes is ~760 KB (an
# empty one ~230 KB): with the database file and its WAL each held under 320 KB, the crawl cannot
# end whatever the timing of the checkpoints that empty the WAL into the database file.
FILE_LIMIT = 320_000


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


# -- full disk -------------------------------------------------------------------------------

def test_a_crawl_that_fills_the_disk_stops_in_one_line_and_the_next_run_stores_the_rest(server, tmp_path):
    full, db = tmp_path / "full.db", tmp_path / "archive.db"
    assert run_crawl(SITES, full, server.origins())[0].returncode == 0
    assert full.stat().st_size > 2 * FILE_LIMIT   # the archive cannot fit in the database file and its WAL
    Archive(db).close()   # the empty archive; then every file the crawl writes may grow to FILE_LIMIT
    assert db.stat().st_size < FILE_LIMIT

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, resource.RLIM_INFINITY))

    done = subprocess.run(crawl_command(SITES, db, server.origins()), capture_output=True, text=True,
                          timeout=120, preexec_fn=limit_file_size, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "ERROR" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "download max size" not in line]  # a fixture page
    assert len(errors) == 1 and errors[0].startswith(
        f"Error: crawl stopped: cannot write the archive {db}: the file size limit is reached (ulimit -f: {FILE_LIMIT:,} bytes)")
    assert_sound(db)
    stored = outcome(db)["articles"]
    assert len(stored) < len(outcome(full)["articles"])   # stopped before the end

    again, _ = run_crawl(SITES, db, server.origins())      # no limit now
    assert again.returncode == 0, again.stderr
    assert_sound(db)
    assert outcome(db)["articles"] == outcome(full)["articles"]


# -- another program holding the archive ------------------------------------------------------

def test_a_crawl_into_an_archive_another_program_holds_locked_stops_in_one_line(server, tmp_path):
    db = tmp_path / "archive.db"
    Archive(db).close()
    other = sqlite3.connect(db, isolation_level=None)   # e.g. the sqlite3 shell in a write transaction
    other.execute("BEGIN EXCLUSIVE")
    try:
        done = subprocess.run(crawl_command(SITES, db, server.origins()), capture_output=True, text=True,
                              timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore", BUSY_ENV: "1"})
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1] == \
        f"Error: crawl stopped: cannot write the archive {db}: another program holds it locked (waited 1 s)"
    assert "nothing found" not in done.stdout   # the sites are not to blame
    again, _ = run_crawl(SITES, db, server.origins())   # once it lets go, the crawl stores everything
    assert again.returncode == 0, again.stderr
    assert_sound(db)
    assert len(outcome(db)["articles"]) == 4


# -- damaged file ----------------------------------------------------------------------------

def damage(path: Path) -> bytes:
    """Overwrite the page holding the articles table's root with junk; return the damaged bytes."""
    [(root,)] = rows(path, "SELECT rootpage FROM sqlite_master WHERE name = 'articles'")
    [(page_size,)] = rows(path, "PRAGMA page_size")
    data = bytearray(path.read_bytes())
    data[(root - 1) * page_size:root * page_size] = b"\xa5" * page_size
    path.write_bytes(data)
    return bytes(data)


@pytest.fixture
def damaged(tmp_path) -> tuple[Path, bytes]:
    path = tmp_path / "archive.db"
    build_archive(path)
    assert not Path(f"{path}-wal").exists()  # closed cleanly: everything is in the file
    return path, damage(path)


def test_a_damaged_archive_is_refused_by_a_writer_untouched(damaged):
    path, data = damaged
    with pytest.raises(ArchiveDamaged, match=rf"^{path} is damaged \(.*\); nothing was written to it"):
        Archive(path)
    assert path.read_bytes() == data


def test_a_crawl_refuses_a_damaged_archive_in_one_line(damaged, server):
    path, data = damaged
    done, _ = run_crawl(SITES, path, server.origins())
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"Error: {path} is damaged (") and done.stderr.count("\n") == 1
    assert path.read_bytes() == data


@pytest.mark.parametrize("command", [["stats"], ["export"], ["export", "--format", "csv"], ["serve"]])
def test_readers_of_a_damaged_archive_say_so_in_one_line(damaged, command):
    path, _ = damaged
    result = run(*command, "--db", path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path} is damaged (") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_serve_check_refuses_a_damaged_archive(damaged):
    path, _ = damaged
    with pytest.raises(ServeError, match="is damaged"):
        check_archive(path)


# -- read-only archive -----------------------------------------------------------------------

@contextmanager
def read_only(path: Path):
    """`path` (a file or a directory) made read-only for this process for real: chmod for a
    normal user; for root, whom permissions do not stop, a read-only bind mount over itself."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    for step in (["mount", "--bind", path, path], ["mount", "-o", "remount,ro,bind", path]):
        done = subprocess.run([str(a) for a in step], capture_output=True, text=True)
        if done.returncode:
            subprocess.run(["umount", str(path)], capture_output=True)
            pytest.fail(f"running as root, and cannot make {path} read-only with a bind mount: {done.stderr.strip()}")
    try:
        with pytest.raises(OSError):   # it really is read-only
            (path if path.is_file() else path / "probe").open("ab").close()
        yield
    finally:
        done = subprocess.run(["umount", str(path)], capture_output=True, text=True)
        if done.returncode:  # something still holds a file there: detach it all the same, then say so
            subprocess.run(["umount", "-l", str(path)], capture_output=True)
            pytest.fail(f"umount {path}: {done.stderr.strip()}")


@pytest.fixture
def archive_dir(tmp_path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    build_archive(folder / "archive.db")
    return folder


def served_json(db: Path, path: str):
    """GET `path` from a real `tintinh serve --db DB` (its JSON)."""
    port = free_port()
    proc = subprocess.Popen([str(TINTINH), "serve", "--db", str(db), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
                    return json.loads(response.read())
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"tintinh serve did not answer: {proc.stdout.read().decode()}")
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def assert_readable(db: Path, articles: int) -> None:
    stats = run("stats", "--db", db, "--json")
    assert stats.exit_code == 0, stats.output
    assert sum(json.loads(line)["articles"] for line in stats.output.splitlines()) == articles
    export = run("export", "--db", db)
    assert export.exit_code == 0, export.output
    assert len(export.output.splitlines()) == articles
    rows = served_json(db, "/archive/articles.json?_shape=array&_col=title&_size=max")
    assert len(rows) == articles


def test_an_archive_in_a_read_only_directory_can_be_browsed_and_exported(archive_dir):
    db = archive_dir / "archive.db"
    articles = len(rows(db, "SELECT id FROM articles"))
    before = sorted(p.name for p in archive_dir.iterdir())
    with read_only(archive_dir):   # WAL archive, no -shm, and none can be made
        assert_readable(db, articles)
        done = subprocess.run([str(TINTINH), "crawl", "plo", "--db", str(db)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 1 and done.stdout == ""
        assert done.stderr.startswith(f"Error: cannot write the archive {db}") and done.stderr.count("\n") == 1
    assert sorted(p.name for p in archive_dir.iterdir()) == before


def test_a_read_only_archive_file_can_be_read_and_a_crawl_refuses_it_in_one_line(archive_dir, server):
    db = archive_dir / "archive.db"
    articles = len(rows(db, "SELECT id FROM articles"))
    data = db.read_bytes()
    with read_only(db):
        assert_readable(db, articles)
        done, _ = run_crawl(SITES, db, server.origins())
        assert done.returncode == 1 and done.stdout == ""
        assert done.stderr.startswith(f"Error: cannot write the archive {db}: it is read-only")
        assert done.stderr.count("\n") == 1
    assert db.read_bytes() == data


def test_the_last_writes_of_a_killed_writer_are_read_from_its_wal_in_a_read_only_directory(archive_dir):
    db = archive_dir / "archive.db"
    articles = len(rows(db, "SELECT id FROM articles"))
    # a writer that dies without closing: its new article is only in archive.db-wal
    script = ("import os, sys; from archive.store import Archive; from test_search import gold_articles;"
              "a = Archive(sys.argv[1]); a.store_article(dict(gold_articles()[0], url='https://plo.vn/moi-post1.html',"
              " title='Bài mới trong WAL', body='Nội dung mới hoàn toàn khác.\\nĐoạn thứ hai của bài mới.')); os._exit(0)")
    subprocess.run([sys.executable, "-c", script, str(db)], check=True, cwd=Path(__file__).parent)
    assert Path(f"{db}-wal").stat().st_size and Path(f"{db}-shm").exists()
    with read_only(archive_dir):
        assert_readable(db, articles + 1)   # the article in the WAL included
    Path(f"{db}-shm").unlink()
    with read_only(archive_dir):   # the WAL cannot be read without a -shm: refused, not half-read
        result = run("export", "--db", db)
        assert result.exit_code == 1 and result.output.count("\n") == 1
        assert result.output.startswith(f"Error: cannot read the archive {db}: its last writes are in archive.db-wal")


def test_reprocess_stops_in_one_line_when_the_archive_cannot_be_written(server, tmp_path):
    db = tmp_path / "archive.db"
    assert run_crawl(SITES, db, server.origins())[0].returncode == 0
    before = outcome(db)

    def limit_file_size():   # the WAL cannot grow past its header: the first commit fails
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))

    done = subprocess.run([str(TINTINH), "reprocess", "--db", str(db), "--processes", "1"], capture_output=True,
                          text=True, timeout=120, preexec_fn=limit_file_size,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith(f"Error: cannot write the archive {db}")
    assert "failed" not in done.stdout          # not reported as pages that failed to extract
    assert_sound(db)
    assert outcome(db) == before
