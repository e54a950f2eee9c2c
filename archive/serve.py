"""Open an archive in datasette with tintinh's metadata, canned queries, plugin and chart."""
from __future__ import annotations

import copy
import sqlite3
from functools import cache
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent / "datasette"
METADATA_PATH = HERE / "metadata.yml"
# Long article bodies would make table pages megabytes tall; the row page shows them whole.
SETTINGS = {"truncate_cells_html": 300, "default_page_size": 50,
            "suggest_facets": False}  # suggestions cost ~0.3 s per searched page on 5,000 articles


class ServeError(Exception):
    """The archive cannot be served (missing file, not a tintinh archive)."""


@cache
def _metadata_template() -> dict:
    return yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))


def metadata_for(db_name: str) -> dict:
    """Our metadata with its database section under `db_name` (datasette names a database after
    its file, so archive.db → "archive", news.db → "news")."""
    metadata = copy.deepcopy(_metadata_template())
    metadata["databases"] = {db_name: metadata["databases"]["archive"]}
    return metadata


def check_archive(db_path: str | Path) -> Path:
    """The archive's path, or ServeError in one line if it is missing or not an archive."""
    path = Path(db_path)
    if not path.is_file():
        raise ServeError(f"no archive at {path} (crawl first, or pass --db)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise ServeError(f"{path} is not an SQLite database: {e}") from None
    missing = {"articles", "articles_fts"} - tables
    if missing:
        raise ServeError(f"{path} is not a tintinh archive (no {', '.join(sorted(missing))} table)")
    return path


def make_datasette(db_path: str | Path):
    """A Datasette instance over one archive, configured like `tintinh serve`."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from archive.datasette import plugin

    path = check_archive(db_path)
    if not pm.is_registered(plugin):
        pm.register(plugin, name="tintinh")
    return Datasette([str(path)], metadata=metadata_for(path.stem), settings=dict(SETTINGS))


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve the archive over HTTP until interrupted."""
    import asyncio

    import uvicorn

    ds = make_datasette(db_path)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
