"""tintinh's datasette metadata (metadata.yml) for the archives datasette serves.

datasette names a database after its file (archive.db → "archive", demo.db → "demo"), so the
file's single `databases: archive:` section is applied to each archive under its own name, by
the plugin's get_metadata hook: `tintinh serve`, plain `datasette news.db --plugins-dir …` and
several archives at once all get the same titles, facets, canned queries and hidden tables.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import yaml

METADATA_PATH = Path(__file__).with_name("metadata.yml")


@cache
def _template() -> str:
    return json.dumps(yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8")), ensure_ascii=False)


def metadata_for(db_names) -> dict:
    """The metadata with its database section under each of `db_names` (nothing without one).
    A new dict every time: datasette merges other metadata into what the hook returns."""
    names = list(db_names)
    if not names:
        return {}
    metadata = json.loads(_template())
    section = metadata.pop("databases")["archive"]
    metadata["databases"] = {name: section if i == 0 else json.loads(json.dumps(section))
                             for i, name in enumerate(names)}
    return metadata


def database_section() -> dict:
    """The metadata of one archive database (tables, canned queries)."""
    return json.loads(_template())["databases"]["archive"]
