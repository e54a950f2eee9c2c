"""One crawl at a time per archive: an flock on `<db>.lock` next to the database.

The OS drops an flock when its process dies, so a killed crawl never leaves a stale lock. The
lock is re-entrant inside one process (`tintinh crawl` takes it before Scrapy starts, the store
pipeline takes it again for `scrapy crawl`).
"""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

_held: dict[str, list] = {}   # lock path → [open file, depth]


class CrawlLocked(RuntimeError):
    """Another crawl is writing to the same archive."""


def lock_path(db: str | os.PathLike) -> Path:
    db = Path(db).resolve()
    return db.with_name(db.name + ".lock")


@contextmanager
def db_lock(db: str | os.PathLike):
    path = str(lock_path(db))
    if path in _held:
        _held[path][1] += 1
    else:
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise CrawlLocked(f"another crawl is writing to {db} (pid {holder or '?'}, lock {path})") from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        _held[path] = [handle, 1]
    try:
        yield
    finally:
        _held[path][1] -= 1
        if not _held[path][1]:
            handle = _held.pop(path)[0]
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
