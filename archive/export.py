"""Stream articles out of an archive for corpus builders: JSON Lines or CSV, one article a row."""
from __future__ import annotations

import csv
import json
from datetime import date
from typing import Iterator, TextIO

from archive.store import Archive, ArchiveError

COLUMNS = ("id", "canonical_url", "url", "site", "province", "title", "sapo", "body", "authors",
           "published_at", "modified_at", "category", "tags", "language", "extractor",
           "content_hash", "story_id", "duplicate_of", "first_seen", "last_seen")
FORMATS = ("jsonl", "csv")
_LISTS = ("authors", "tags")


def check_date(value: str | None, name: str = "since") -> str | None:
    """A YYYY-MM-DD string, or ArchiveError naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ArchiveError(f"--{name} must be a date like 2025-07-01, not {value!r}") from None


def site_since(site: str | None, since: str | None, date_sql: str) -> tuple[list[str], list]:
    """WHERE conditions and their parameters for --site and --since (compared with `date_sql`)."""
    where, params = [], []
    if site:
        where.append("site = ?")
        params.append(site)
    if since:
        where.append(f"{date_sql} >= ?")
        params.append(check_date(since))
    return where, params


def iter_articles(archive: Archive, *, site: str | None = None, since: str | None = None,
                  skip_duplicates: bool = False) -> Iterator[dict]:
    """Articles in id order, lists decoded; `since` compares with the publication (else first-seen) date."""
    where, params = site_since(site, since, "coalesce(published_at, first_seen)")
    if skip_duplicates:
        where.append("duplicate_of IS NULL")
    sql = f"SELECT {', '.join(COLUMNS)} FROM articles"
    if where:
        sql += " WHERE " + " AND ".join(where)
    for row in archive.conn.execute(sql + " ORDER BY id", params):
        article = dict(zip(COLUMNS, row))
        for field in _LISTS:
            article[field] = json.loads(article[field] or "[]")
        yield article


def export(archive: Archive, out: TextIO, *, fmt: str = "jsonl", site: str | None = None,
           since: str | None = None, skip_duplicates: bool = False) -> int:
    """Write articles to `out`; return how many. CSV joins authors and tags with "; "."""
    if fmt not in FORMATS:
        raise ArchiveError(f"unknown format {fmt!r} (use {' or '.join(FORMATS)})")
    rows = iter_articles(archive, site=site, since=since, skip_duplicates=skip_duplicates)
    n = 0
    if fmt == "jsonl":
        for article in rows:
            out.write(json.dumps(article, ensure_ascii=False) + "\n")
            n += 1
        return n
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for article in rows:
        for field in _LISTS:
            article[field] = "; ".join(article[field])
        writer.writerow(article)
        n += 1
    return n
