"""Stream articles out of an archive for corpus builders: JSON Lines or CSV, one article a row.

JSON Lines carry everything `tintinh import` needs to rebuild the article elsewhere: its images,
related links, earlier texts (`versions`, article_versions rows), other URL spellings (`aliases`)
and first/last-seen times, besides the columns. CSV is the flat columns only.
"""
from __future__ import annotations

import csv
import json
from datetime import date
from typing import Iterator, TextIO

from archive.store import Archive, ArchiveError
from common.text import without_captions

COLUMNS = ("id", "canonical_url", "url", "site", "province", "title", "sapo", "body", "authors",
           "published_at", "modified_at", "category", "tags", "language", "extractor",
           "content_hash", "story_id", "duplicate_of", "first_seen", "last_seen")
# JSON Lines: the columns, the rest of the row but page_id (a pages row of this archive only),
# then the article's child rows as lists of objects (`_CHILDREN`).
JSONL_COLUMNS = COLUMNS + ("published_raw", "modified_raw", "fetched_at")
FORMATS = ("jsonl", "csv")
_LISTS = ("authors", "tags")
# key in the JSON line: (SQL giving (article_id, *fields) in article_id order, field names)
_CHILDREN = {
    "images": ("SELECT article_id, src, caption FROM images ORDER BY article_id, position", ("src", "caption")),
    "related": ("SELECT article_id, url, title FROM related_links ORDER BY article_id, position", ("url", "title")),
    "versions": ("SELECT article_id, title, sapo, body, content_hash, fetched_at, replaced_at"
                 " FROM article_versions ORDER BY article_id, id",
                 ("title", "sapo", "body", "content_hash", "fetched_at", "replaced_at")),
    # url_aliases has no index on article_id: one sorted pass instead of a scan per article
    "aliases": ("SELECT a.article_id, a.url FROM url_aliases a JOIN articles r ON r.id = a.article_id"
                " WHERE a.url != r.canonical_url ORDER BY a.article_id, a.url", None),
}


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


class _ChildRows:
    """The rows of one child table, read in article_id order alongside the articles (a merge join)."""

    def __init__(self, cursor, fields: tuple[str, ...] | None):
        self.rows, self.fields = iter(cursor), fields
        self.next = next(self.rows, None)

    def of(self, article_id: int) -> list:
        out = []
        while self.next is not None and self.next[0] <= article_id:
            if self.next[0] == article_id:
                out.append(dict(zip(self.fields, self.next[1:])) if self.fields else self.next[1])
            self.next = next(self.rows, None)
        return out


def iter_articles(archive: Archive, *, site: str | None = None, since: str | None = None,
                  skip_duplicates: bool = False, children: bool = False, captions: bool = True) -> Iterator[dict]:
    """Articles in id order, lists decoded; `since` compares with the publication (else first-seen) date.
    With `children`, every column and the child rows too (JSONL_COLUMNS and the `_CHILDREN` keys).
    Without `captions`, the images' captions are left out of sapo and body (`without_captions`)."""
    where, params = site_since(site, since, "coalesce(published_at, first_seen)")
    if skip_duplicates:
        where.append("duplicate_of IS NULL")
    columns = JSONL_COLUMNS if children else COLUMNS
    sql = f"SELECT {', '.join(columns)} FROM articles"
    if where:
        sql += " WHERE " + " AND ".join(where)
    wanted = [key for key in _CHILDREN if children or key == "images" and not captions]
    tables = {key: _ChildRows(archive.conn.execute(_CHILDREN[key][0]), _CHILDREN[key][1]) for key in wanted}
    for row in archive.conn.execute(sql + " ORDER BY id", params):
        article = dict(zip(columns, row))
        for field in _LISTS:
            article[field] = json.loads(article[field] or "[]")
        for key, rows in tables.items():
            article[key] = rows.of(article["id"])
        if not captions:
            article = without_captions(article)
            if not children:
                del article["images"]
        yield article


def export(archive: Archive, out: TextIO, *, fmt: str = "jsonl", site: str | None = None,
           since: str | None = None, skip_duplicates: bool = False, captions: bool = True) -> int:
    """Write articles to `out`; return how many. JSON Lines carry every column (but page_id) and
    "images", "related", "versions", "aliases"; CSV the COLUMNS, authors and tags joined with "; ".
    Without `captions`, sapo and body leave the images' captions out (the images keep them)."""
    if fmt not in FORMATS:
        raise ArchiveError(f"unknown format {fmt!r} (use {' or '.join(FORMATS)})")
    own_snapshot = not archive.conn.in_transaction
    if own_snapshot:  # articles and child rows read from one snapshot while a crawl may write
        archive.conn.execute("BEGIN")
    try:
        return _write(iter_articles(archive, site=site, since=since, skip_duplicates=skip_duplicates,
                                    children=fmt == "jsonl", captions=captions), out, fmt)
    finally:
        if own_snapshot:
            archive.conn.execute("COMMIT")


def _write(rows: Iterator[dict], out: TextIO, fmt: str) -> int:
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
