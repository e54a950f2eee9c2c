"""The row count and facets of a search in datasette's articles table, without a pass per facet.

For `/<db>/articles.json?_search=…` datasette lists the newest hits (`… where id in (select
rowid from articles_fts where …) order by id desc limit 51`), counts them (`select count(*) from
articles where id in …`) and facets them on site, province and category, one query each: five
passes over every hit, 0.3-0.6 s for a word in half of 190,000 articles. For that page (a search
and nothing else: no other filter, no `_next`; the HTML page and the JSON alike):

- the page of rows reads the search index newest first and stops after the page (the highest
  ids among the hits are the newest ones), instead of first gathering every hit;
- the count is the search index's own count of the hits (the index holds exactly the articles:
  its triggers keep it so, `archive.search.check_index` checks it);
- the three facets come from one pass over the hits (articles_id_facets, migration 14: a few bytes
  per hit, never its row), counted by site, province and category together, once per request;
- a search matching more than FACET_MAX_HITS articles is not faceted: datasette lists its facets
  as timed out, as it does for a facet past its time limit (a pass over 100,000 hits and more
  takes longer than the page should).

Any other query datasette sends goes through unchanged, and so does this one when its SQL is not
the shape below (another datasette version): the answers are the same, only slower.
"""
from __future__ import annotations

import re
from collections import Counter
from contextvars import ContextVar

from datasette.database import QueryInterrupted, Results

FACET_MAX_HITS = 50_000
FACET_COLUMNS = ("site", "province", "category")

_SEARCH = (r"id in \(select rowid from (?P<fts>articles_fts|articles_fts_exact) "
           r"where (?P=fts) match escape_fts\(:search\)\)")
_ROWS_SQL = re.compile(rf"select (?P<columns>.+?) from articles where {_SEARCH} order by id desc limit (?P<limit>\d+)")
_COUNT_SQL = re.compile(rf"select count\(\*\) from articles where {_SEARCH}")
_FACET_SQL = re.compile(
    rf"select (?P<column>site|province|category) as value, count\(\*\) as count from "
    rf"\( select .* from articles where {_SEARCH} \) where (?P=column) is not null "
    rf"group by (?P=column) order by count desc, value limit (?P<limit>\d+)")

ROWS_SQL = ("select {columns} from articles where id in (select rowid from {fts} where {fts} match"
            " escape_fts(:search) order by rowid desc limit {limit}) order by id desc limit {limit}")
HITS_SQL = "select count(*) from {fts} where {fts} match escape_fts(:search)"
FACETS_SQL = ("select site, province, category, count(*) from articles"
              " where id in (select rowid from {fts} where {fts} match escape_fts(:search))"
              " group by site, province, category")

# What one request already knows about its searches: (index, words) → {"hits": n, "facets": …}.
# Set afresh for every request (archive.datasette.plugin's asgi_wrapper); nothing outlives it.
request_searches: ContextVar[dict | None] = ContextVar("tintinh_request_searches", default=None)


def recognise(sql: str, params) -> tuple[str, str, re.Match] | None:
    """("rows" | "count" | "facet", index, match) for datasette's rows (newest first), count or
    facet SQL of a search and nothing else; None for any other query."""
    if not isinstance(params, dict) or set(params) != {"search"}:
        return None
    flat = " ".join(sql.split())
    if m := _ROWS_SQL.fullmatch(flat):
        return "rows", m["fts"], m
    if m := _COUNT_SQL.fullmatch(flat):
        return "count", m["fts"], m
    if m := _FACET_SQL.fullmatch(flat):
        return "facet", m["fts"], m
    return None


def facet_rows(counts: Counter, column: str, limit: int) -> list[dict]:
    """One facet from the counts per (site, province, category): what datasette's facet SQL
    gives, values by count, most first, then by value; no NULL."""
    index = FACET_COLUMNS.index(column)
    totals = Counter()
    for key, n in counts.items():
        if key[index] is not None:
            totals[key[index]] += n
    ranked = sorted(totals.items(), key=lambda item: (-item[1], _sqlite_order(item[0])))[:limit]
    return [{"value": value, "count": n} for value, n in ranked]


def _sqlite_order(value) -> tuple:
    """SQLite's order of values of any type: numbers, then text (by code point, as BINARY
    compares UTF-8), then blobs."""
    return (0 if isinstance(value, (int, float)) else 1 if isinstance(value, str) else 2, value)


def install(db) -> None:
    """Answer `db`'s search counts and facets as the module says; everything else unchanged."""
    execute = db.execute

    async def search_aware_execute(sql, params=None, *args, **kwargs):
        found = recognise(sql, params) if not args else None
        if found is None:
            return await execute(sql, params, *args, **kwargs)
        kind, fts, match = found
        if kind == "rows":
            return await execute(ROWS_SQL.format(columns=match["columns"], fts=fts, limit=int(match["limit"])),
                                 params, *args, **kwargs)
        known = request_searches.get()
        state = {} if known is None else known.setdefault((fts, params["search"]), {})
        if "hits" not in state:
            hits = await execute(HITS_SQL.format(fts=fts), params, **kwargs)
            state["hits"] = hits.rows[0][0]
        if kind == "count":
            return Results([(state["hits"],)], False, [("count(*)",)])
        if state["hits"] > FACET_MAX_HITS or state.get("facets", ()) is None:
            raise QueryInterrupted(None, sql, params)
        if "facets" not in state:
            state["facets"] = None   # until the pass is done: past its time limit, no facet tries again
            rows = await execute(FACETS_SQL.format(fts=fts), params, **kwargs)
            state["facets"] = Counter({tuple(r[:3]): r[3] for r in rows.rows})
        rows = facet_rows(state["facets"], match["column"], int(match["limit"]))
        return Results(rows, False, [("value",), ("count",)])

    db.execute = search_aware_execute
