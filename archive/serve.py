"""Open an archive in datasette with tintinh's metadata, canned queries, plugin and chart.

The archive is only read: datasette opens it with `mode=ro`, or as immutable when nothing can be
written beside it (a read-only directory: no -shm file for a WAL archive). A damaged file is
refused before serving (PRAGMA quick_check), not met later as HTTP 500s.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from archive.dbfile import ArchiveError, check_file, connect_readonly, read_mode

# Long article bodies would make table pages megabytes tall; the row page shows them whole.
SETTINGS = {"truncate_cells_html": 300, "default_page_size": 50,
            "suggest_facets": False}  # suggestions cost ~0.3 s per searched page on 5,000 articles


class ServeError(Exception):
    """The archive cannot be served (missing file, not a tintinh archive, damaged, unreadable)."""


def check_archive(db_path: str | Path) -> Path:
    """The archive's path, or ServeError in one line if it is missing, not an archive, damaged
    (PRAGMA quick_check) or unreadable. Read-only archives pass: they are opened read-only."""
    path = Path(db_path)
    if not path.is_file():
        raise ServeError(f"no archive at {path} (crawl first, or pass --db)")
    try:
        conn = connect_readonly(path)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            check_file(conn, path)
        finally:
            conn.close()
    except ArchiveError as e:
        raise ServeError(str(e)) from None
    except sqlite3.DatabaseError as e:
        raise ServeError(f"{path} is not an SQLite database: {e}") from None
    missing = {"articles", "articles_fts"} - tables
    if missing:
        raise ServeError(f"{path} is not a tintinh archive (no {', '.join(sorted(missing))} table)")
    return path


def register_plugin(pm) -> None:
    """Register tintinh's hooks (archive.datasette.plugin) and templates (the archive.datasette
    package, whose templates/ datasette finds on a registered package) with datasette, once."""
    import archive.datasette
    from archive.datasette import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="tintinh")
    if not pm.is_registered(archive.datasette):
        pm.register(archive.datasette, name="tintinh-templates")


def make_datasette(db_path: str | Path):
    """A Datasette instance over one archive, configured like `tintinh serve`."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    path = check_archive(db_path)
    register_plugin(pm)
    files = {"immutables" if read_mode(path) == "immutable" else "files": [str(path)]}
    # no metadata here: the plugin gives every archive served its metadata, whatever its name
    return Datasette(**files, settings=dict(SETTINGS))


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve the archive over HTTP until interrupted."""
    import asyncio

    import uvicorn

    ds = make_datasette(db_path)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
