"""Open an archive in datasette with tintinh's metadata, canned queries, plugin and chart.

`tintinh serve` is `datasette serve` with the tintinh plugin (archive/datasette: metadata for
every archive served, article and search pages, labelled links, Vietnam time) and our settings;
any further arguments go to datasette as they are.

The archive is only read: datasette opens it with `mode=ro`, or as immutable when nothing can be
written beside it (a read-only directory: no -shm file for a WAL archive). A damaged file is
refused before serving (PRAGMA quick_check), not met later as HTTP 500s. An archive made by an
older tintinh is first brought up to this one's schema (`upgrade`: its missing migrations, such
as the indexes that make a search's counts and facets fast) when the file can be written; one
that cannot is served as it is.
"""
from __future__ import annotations

import errno
import socket
import sqlite3
import sys
from pathlib import Path

from archive.dbfile import ArchiveError, check_file, connect_readonly, read_mode, writable
from archive.migrations import MIGRATIONS, MigrationError

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


def missing_migrations(db_path: str | Path) -> list[int]:
    """The numbers of this tintinh's migrations the archive has not had (none for a database
    without a `_migrations` table: not made by tintinh, nothing to bring up to date)."""
    conn = connect_readonly(db_path)
    try:
        done = {row[0] for row in conn.execute("SELECT number FROM _migrations")}
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    return [number for number, *_ in MIGRATIONS if number not in done]


def upgrade(db_path: str | Path) -> str | None:
    """Apply the migrations an archive from an older tintinh lacks, before serving it; one line
    saying what was done (or why not: a file that cannot be written is served as it is, its
    searches slower), None when it is up to date."""
    path = Path(db_path)
    missing = missing_migrations(path)
    if not missing:
        return None
    numbers = ", ".join(map(str, missing))
    if read_mode(path) == "immutable" or not writable(path):
        return (f"{path} lacks this tintinh's schema changes {numbers} and cannot be written: served as it is"
                " (a search's counts and facets are slower; a page or query that needs a change it lacks,"
                " such as multi_paper_stories before 17, says so in an error)")
    from archive.store import Archive

    try:
        Archive(path, check=False).close()   # checked by check_archive; opening it migrates it
    except (ArchiveError, MigrationError, sqlite3.Error) as e:
        return f"could not bring {path} up to date ({e}): served as it is"
    return f"brought {path} up to this tintinh's schema (migrations {numbers})"


def check_port(host: str, port: int) -> None:
    """ServeError in one line when `host`:`port` cannot be listened on (a port in use, an address
    of another machine), before anything says it is serving. Bound the way datasette's server
    binds (SO_REUSEADDR), so a port left in TIME_WAIT by a stopped server is free."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as e:
        raise ServeError(f"cannot serve on {host}: {getattr(e, 'strerror', None) or e}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise ServeError(f"port {port} on {host} is in use (another server?): pick another with --port") from None
            raise ServeError(f"cannot serve on {host}:{port}: {e.strerror or e}") from None


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


def datasette_arguments(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001,
                        extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """`datasette serve` arguments for the archive: the file (-i when it must be opened
    immutable), host, port, our settings, then `extra` as given (other databases, --setting,
    --plugins-dir, --metadata, --get …; a later --setting overrides ours)."""
    path = check_archive(db_path)
    files = ["-i", str(path)] if read_mode(path) == "immutable" else [str(path)]
    settings = [arg for name, value in SETTINGS.items()
                for arg in ("--setting", name, str(value).lower() if isinstance(value, bool) else str(value))]
    return ["serve", *files, "--host", host, "--port", str(port), *settings, *extra]


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001,
          extra: tuple[str, ...] | list[str] = ()) -> None:
    """Serve the archive with `datasette serve` until interrupted; `extra` arguments go to it."""
    from datasette import cli as datasette_cli
    from datasette.plugins import pm

    note = upgrade(db_path)
    if note:
        print(note, file=sys.stderr, flush=True)
    args = datasette_arguments(db_path, host, port, extra)
    register_plugin(pm)
    datasette_cli.cli.main(args=args, prog_name="tintinh serve", standalone_mode=True)
