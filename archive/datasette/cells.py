"""How an archive's cells read in datasette's tables, rows and query results (render_cell).

- every ISO time with an offset (published_at, fetched_at, first_seen, a query's max(…), …) in
  Vietnam time, so UTC and +07:00 never stand side by side;
- JSON lists of names (authors, tags, sites, domains) as plain text;
- ids as labelled links: a title links to its article page; site → the paper (by name),
  story_id → the story, duplicate_of / article_id → the article (by title), page_id → the
  fetch, run_id → the crawl run. Labels are looked up in the archive, a few ms per page;
- search snippets keep their <mark> highlights, everything else escaped.

Returns None for cells it leaves to datasette.
"""
from __future__ import annotations

import time

from markupsafe import Markup, escape

from archive.datasette.diff import word_diff
from archive.datasette.display import json_list, names, shorten, vietnam_time

LIST_COLUMNS = {"authors", "tags", "sites", "domains", "old_domains", "carried_by"}
ARTICLE_ID_COLUMNS = {"duplicate_of", "article_id", "first_article"}
_LABEL_TTL = 60.0  # seconds a looked-up label is reused (a crawl may rename nothing faster)


class _Labels:
    """Small time-limited cache of labels looked up in a database, per (database, kind, key)."""

    def __init__(self):
        self.cache: dict[tuple, tuple[float, str | None]] = {}

    async def get(self, db, kind: str, sql: str, key):
        now = time.monotonic()
        hit = self.cache.get((db.name, kind, key))
        if hit and now - hit[0] < _LABEL_TTL:
            return hit[1]
        try:
            rows = (await db.execute(sql, [key])).rows
        except Exception:  # a database without that table: no label
            rows = []
        label = rows[0][0] if rows and rows[0][0] is not None else None
        if len(self.cache) > 5000:
            self.cache.clear()
        self.cache[(db.name, kind, key)] = (now, label)
        return label


LABELS = _Labels()
SITE_NAME_SQL = "SELECT name FROM sites WHERE slug = ?"
ARTICLE_LABEL_SQL = ("SELECT coalesce(s.name, a.site, '') || ': ' || coalesce(a.title, '(no title)')"
                     " FROM articles a LEFT JOIN sites s ON s.slug = a.site WHERE a.id = ?")
STORY_LABEL_SQL = ("SELECT count(*) || ' article' || CASE count(*) WHEN 1 THEN '' ELSE 's' END"
                   " || ', ' || count(DISTINCT site) || ' paper' || CASE count(DISTINCT site) WHEN 1 THEN '' ELSE 's' END"
                   " FROM articles WHERE story_id = ?")
PAGE_LABEL_SQL = "SELECT fetched_at FROM pages WHERE id = ?"


def _link(href: str, label, title: str | None = None) -> Markup:
    attr = f' title="{escape(title)}"' if title else ""
    return Markup(f'<a href="{escape(href)}"{attr}>{escape(label)}</a>')


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _keys(row) -> set[str]:
    try:
        return set(row.keys())
    except AttributeError:
        return set()


def mark_snippet(value: str) -> Markup:
    """A vi_snippet text as HTML: its <mark> highlights kept, everything else escaped."""
    marked = str(escape(value)).replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>")
    return Markup(marked)


async def render(row, value, column, table, database, datasette, archive: bool):
    """The HTML of one cell, or None to let datasette render it."""
    if column == "snippet" and isinstance(value, str):
        return mark_snippet(value)
    if isinstance(value, str):
        shown = vietnam_time(value, seconds=not ("published" in column or "modified" in column))
        if shown is not None:
            return Markup(f'<time datetime="{escape(value)}">{escape(shown)}</time>')
    if column == "changes" and table is None and isinstance(value, str) and value.startswith('["'):
        pair = json_list(value)
        if pair is not None and len(pair) == 2:
            return Markup(f'<div class="tintinh-diff">{word_diff(pair[0], pair[1])}</div>')
    if column in LIST_COLUMNS:
        text = names(value)
        if text is not None:
            return text
    if not archive or value is None:
        return None
    urls, db = datasette.urls, datasette.databases.get(database)
    if db is None:
        return None
    keys = _keys(row)
    if column == "title" and isinstance(value, str):
        article_id = None
        if table == "articles":
            article_id = row["id"]
        elif table in (None, "stories") and "first_article" in keys:
            article_id = row["first_article"]
        elif table is None and "id" in keys and "title" in keys:
            article_id = row["id"]
        if _int(article_id) is not None:
            return _link(urls.row(database, "articles", _int(article_id)), value)
        return None
    if column == "other_copies" and isinstance(value, str):
        ids = [_int(v) for v in (json_list(value) or [])]
        links = []
        for other in ids:
            if other is not None:
                label = await LABELS.get(db, "article", ARTICLE_LABEL_SQL, other)
                links.append(_link(urls.row(database, "articles", other),
                                   shorten(label, 70) if label else f"article {other}"))
        return Markup("<br>").join(links)
    number = _int(value)
    if column == "id" and table is None and "title" in keys and number is not None:
        return _link(urls.row(database, "articles", number), number)
    if column == "site" and isinstance(value, str) and table != "sites":
        label = await LABELS.get(db, "site", SITE_NAME_SQL, value)
        return _link(urls.row(database, "sites", value), label or value, title=value)
    if number is None:
        return None
    if column in ARTICLE_ID_COLUMNS:
        label = await LABELS.get(db, "article", ARTICLE_LABEL_SQL, number)
        return _link(urls.row(database, "articles", number), shorten(label, 90) if label else f"article {number}",
                     title=f"article {number}")
    if column == "story_id":
        label = await LABELS.get(db, "story", STORY_LABEL_SQL, number)
        return _link(f"{urls.table(database, 'stories')}?story_id={number}",
                     f"story {number}" + (f" ({label})" if label else ""))
    if column == "page_id":
        fetched = await LABELS.get(db, "page", PAGE_LABEL_SQL, number)
        return _link(urls.row(database, "pages", number),
                     f"fetch {vietnam_time(fetched) or number}" if fetched else f"page {number}",
                     title=f"page {number}")
    if column == "run_id":
        return _link(urls.row(database, "runs", number), f"run {number}")
    return None
