"""The archive's SQLite file: opening it to write or to read, checking it, naming what is wrong.

Writers open it read-write and run `PRAGMA quick_check` once (`check_file`), so a damaged file
is refused before anything is written into it. Readers open it read-only (`connect_readonly`):
through SQLite's `mode=ro`, or `immutable=1` when no -shm file can be made beside a WAL archive
(a read-only directory or filesystem), so a read-only archive can still be browsed and exported.

Whatever SQLite or the OS says when the file cannot be used — a full disk, a file size limit,
a read-only file, an I/O error, damage — becomes one `StorageError` line that says which
(`storage_error`); nothing more should be written to that archive in this process.
"""
from __future__ import annotations

import os
import resource
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import quote

NEAR_LIMIT = 1 << 20   # a file within this of the file size limit is taken to have hit it


class ArchiveError(Exception):
    """Something the archive cannot do with the input it was given."""


class StorageError(ArchiveError):
    """The archive file cannot be used as it is: full disk, size limit, read-only, I/O error, damage."""


class ArchiveDamaged(StorageError):
    """The file fails SQLite's integrity check or reads as malformed."""


BUSY_SECONDS = 60.0   # how long a connection waits for another program's lock on the archive
BUSY_ENV = "TINTINH_TEST_BUSY_SECONDS"   # tests only: a shorter wait


def busy_seconds() -> float:
    return float(os.environ.get(BUSY_ENV) or BUSY_SECONDS)


def _uri(path: Path, query: str) -> str:
    return f"file:{quote(str(path.resolve()))}?{query}"


def check_file(conn: sqlite3.Connection, path: Path) -> None:
    """ArchiveDamaged unless `PRAGMA quick_check` finds the file sound (every B-tree page, record
    and constraint; not whether indexes match their tables, which `integrity_check` adds).
    It reads the whole file: 1-2 s for 500 MB, 2-4.6 s for 1.7 GB here (bench/store_fetch.py --check)."""
    try:
        rows = [row[0] for row in conn.execute("PRAGMA quick_check(20)")]
    except sqlite3.DatabaseError as e:
        raise damaged(path, str(e), untouched=True) from None
    if rows != ["ok"]:
        problems = [line.strip() for row in rows for line in row.splitlines()
                    if line.strip() and not line.startswith("*** in database")]
        more = f", and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''}" if len(problems) > 1 else ""
        raise damaged(path, f"{problems[0] if problems else 'quick_check failed'}{more}", untouched=True)


def damaged(path: Path, problem: str, untouched: bool = False) -> ArchiveDamaged:
    """`untouched`: found when opening to write, before anything was written."""
    return ArchiveDamaged(f"{path} is damaged ({problem}){'; nothing was written to it' if untouched else ''}:"
                          f" restore a backup, or salvage what is readable with `sqlite3 {path} .recover`")


def _wal_mode(path: Path) -> bool:
    """Whether the file's header says WAL (bytes 18-19 are 2 in a WAL database)."""
    try:
        with open(path, "rb") as f:
            header = f.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18:20] == b"\x02\x02"


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    """A read-only connection, with `mode=ro`; with `immutable=1` when SQLite cannot open the -shm
    file a WAL archive needs (read-only directory or filesystem). ArchiveError when the file cannot
    be read, or when its last writes sit in a -wal file that cannot be read without a -shm."""
    return _open_readonly(Path(path))[0]


def read_mode(path: str | Path) -> str:
    """How readers can open the archive: "ro" (a normal read-only connection) or "immutable"."""
    conn, mode = _open_readonly(Path(path))
    conn.close()
    return mode


def _open_readonly(path: Path) -> tuple[sqlite3.Connection, str]:
    conn = None
    try:
        conn = sqlite3.connect(_uri(path, "mode=ro"), uri=True, isolation_level=None, timeout=busy_seconds())
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn, "ro"
    except sqlite3.DatabaseError as e:
        if conn is not None:
            conn.close()
        code = getattr(e, "sqlite_errorcode", sqlite3.SQLITE_CANTOPEN) & 0xFF
        if code != sqlite3.SQLITE_CANTOPEN or not _wal_mode(path):
            raise ArchiveError(f"{path} is not a tintinh archive ({e})" if code == sqlite3.SQLITE_NOTADB
                               else f"cannot read the archive {path} ({e})") from None
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size:
        raise ArchiveError(f"cannot read the archive {path}: its last writes are in {wal.name}, which SQLite"
                           f" reads only with a {path.name}-shm file beside it, and this directory is read-only;"
                           " copy both files somewhere writable (or open it once where it is writable)")
    # No -shm can be made here, so no one is writing in WAL mode: the file cannot change under us.
    return sqlite3.connect(_uri(path, "immutable=1"), uri=True, isolation_level=None), "immutable"


def writable(path: Path) -> bool:
    """Whether this process can write the file (if it exists) and make files beside it (-wal, -shm)."""
    return ((not path.exists() or os.access(path, os.W_OK))
            and os.access(path.parent if str(path.parent) else Path("."), os.W_OK))


def read_only_error(path: Path, detail: str = "") -> StorageError:
    return StorageError(f"cannot write the archive {path}: it is read-only{f' ({detail})' if detail else ''};"
                        " tintinh serve, stats and export can still read it")


def _io_cause(path: Path) -> str | None:
    """Why a write most likely failed: the file size limit, a full disk, or None (unknown)."""
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY:
        margin = min(NEAR_LIMIT, limit // 8)
        sizes = [p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()]
        if max(sizes, default=0) + margin >= limit:
            return f"the file size limit is reached (ulimit -f: {limit:,} bytes)"
    try:
        if shutil.disk_usage(path.parent).free < NEAR_LIMIT:
            return "the disk is full"
    except OSError:
        pass
    return None


def storage_error(path: str | Path, error: sqlite3.Error) -> StorageError | None:
    """The one-line StorageError for an SQLite error that means the file cannot be used (full,
    size limit, read-only, I/O error, damage, another program holding it locked past the busy
    wait); None for other errors (bugs, bad SQL)."""
    path = Path(path)
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if code is not None else None
    text = str(error)
    if primary == sqlite3.SQLITE_BUSY:
        return StorageError(f"cannot write the archive {path}: another program holds it locked"
                            f" (waited {busy_seconds():g} s)")
    if primary == sqlite3.SQLITE_CORRUPT:
        return damaged(path, text)
    if primary == sqlite3.SQLITE_FULL:
        return StorageError(f"cannot write the archive {path}: {_io_cause(path) or 'the disk is full'}")
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM) or (
            primary == sqlite3.SQLITE_CANTOPEN and not writable(path)):
        return read_only_error(path, text)
    if primary in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN):
        return StorageError(f"cannot write the archive {path}: {_io_cause(path) or text}")
    return None


def read_error(path: str | Path, error: sqlite3.Error) -> ArchiveError:
    """The one-line ArchiveError for an SQLite error met while reading the archive."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return damaged(Path(path), str(error))
    return ArchiveError(f"cannot read the archive {path} ({error})")
