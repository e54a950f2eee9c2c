"""/-/tintinh/search: the archive's search as a page people expect (and .json for programs).

It runs the `search` (or `search_exact`) canned query of metadata.yml, so the page, the canned
query and its JSON give the same results: newest publication first (or relevance, or oldest),
one entry per story with the story's other copies folded under it, filters for paper, province
(any name, old or new, or a region: "Tây Nguyên", "Mekong Delta") and dates, and numbered pages.
The form lists the archive's papers, provinces and the regions.
"""
from __future__ import annotations

import json
from math import ceil
from urllib.parse import urlencode

from datasette.utils.asgi import NotFound, Response

from archive.datasette.cells import mark_snippet
from archive.datasette.display import vietnam_time
from common.provinces import load_regions

PARAMS = ("q", "paper", "province", "since", "until", "order", "page", "size")
ORDERS = {"newest": "Newest first", "relevance": "Best match first", "oldest": "Oldest first"}
DEFAULT_SIZE = 20
CANDIDATES = 5000   # the search query groups and pages the first 5,000 hits in the chosen order
PAPERS_SQL = """
SELECT s.slug, s.name FROM sites s
WHERE EXISTS (SELECT 1 FROM articles a WHERE a.site = s.slug)
ORDER BY s.name
"""
PROVINCES_SQL = """
SELECT DISTINCT province FROM article_provinces
UNION SELECT province_before FROM sites WHERE province_before IS NOT NULL AND province_before != ''
ORDER BY 1
"""
COPIES_SQL = """
SELECT a.id, a.site, coalesce(s.name, a.site) AS paper, a.province, a.title, a.published_at
FROM articles a LEFT JOIN sites s ON s.slug = a.site
WHERE a.id IN (SELECT value FROM json_each(:ids))
"""


def _int(value, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(value)))
    except (TypeError, ValueError):
        return default


def search_args(request) -> dict:
    """The search's parameters from the request, cleaned: page and size as numbers, a known order."""
    args = {name: (request.args.get(name) or "").strip() for name in PARAMS}
    args["order"] = args["order"] if args["order"] in ORDERS else "newest"
    args["page"] = _int(args["page"], 1, 1, 100000)
    args["size"] = _int(args["size"], DEFAULT_SIZE, 1, 100)
    return args


async def _choices(db) -> tuple[list[dict], list[str]]:
    try:
        papers = [dict(r) for r in (await db.execute(PAPERS_SQL)).rows]
        provinces = [r[0] for r in (await db.execute(PROVINCES_SQL)).rows]
    except Exception:  # no sites table (an archive assembled by hand): free text only
        return [], []
    return papers, provinces


async def run_search(datasette, db, args: dict, exact: bool, actor=None) -> dict:
    """The canned query's page of results, each with its other copies, and the page counts."""
    name = "search_exact" if exact else "search"
    query = await datasette.get_canned_query(db.name, name, actor)
    if query is None:
        raise NotFound(f"no {name} query for database {db.name!r}")
    results = []
    total = articles = 0
    if args["q"]:
        params = {k: str(args[k]) for k in PARAMS}
        rows = [dict(r) for r in (await db.execute(query["sql"], params)).rows]
        total = rows[0]["stories_found"] if rows else 0
        articles = rows[0]["articles_found"] if rows else 0
        ids = [r["id"] for r in rows] + [i for r in rows for i in _ids(r.get("other_copies"))]
        found = {}
        if rows:
            found = {c["id"]: c for c in (dict(r) for r in (await db.execute(
                COPIES_SQL, {"ids": json.dumps(ids)})).rows)}
        for r in rows:
            others = [dict(found[i], published=vietnam_time(found[i]["published_at"]))
                      for i in _ids(r.get("other_copies")) if i in found]
            results.append(dict(r, paper=found.get(r["id"], {}).get("paper") or r["site"],
                                published=vietnam_time(r["published_at"]), others=others,
                                snippet_html=mark_snippet(r["snippet"] or "")))
    pages = max(1, ceil(total / args["size"])) if total else 0
    return {"results": results, "stories_found": total, "articles_found": articles, "pages": pages,
            "capped": articles > CANDIDATES}


def _ids(value) -> list[int]:
    try:
        return [int(i) for i in json.loads(value or "[]")]
    except (TypeError, ValueError):
        return []


def page_url(base: str, args: dict, exact: bool, database: str, **changes) -> str:
    values = dict(args, **changes)
    query = {k: values[k] for k in PARAMS if values.get(k) not in ("", None)}
    if query.get("order") == "newest":
        query.pop("order")
    if query.get("size") == DEFAULT_SIZE:
        query.pop("size")
    if query.get("page") == 1:
        query.pop("page")
    if exact:
        query["exact"] = "1"
    query["database"] = database
    return f"{base}?{urlencode(query)}"


def feed_url(datasette, database: str, args: dict) -> str:
    """The Atom feed of the search (its words, paper and province): the search_feed query."""
    query = {k: args[k] for k in ("q", "paper", "province") if args.get(k)}
    return f"{datasette.urls.table(database, 'search_feed', format='atom')}?{urlencode(query)}"


async def search_view(datasette, request, database_for):
    db = await database_for(datasette, request.args.get("database"))
    await datasette.ensure_permissions(request.actor, [("view-database", db.name), "view-instance"])
    args = search_args(request)
    exact = bool(request.args.get("exact"))
    found = await run_search(datasette, db, args, exact, request.actor)
    if request.url_vars.get("format") == "json":
        return Response.json({
            "database": db.name, "exact": exact, **{k: args[k] for k in PARAMS},
            "stories_found": found["stories_found"], "articles_found": found["articles_found"],
            "pages": found["pages"],
            "results": [{k: v for k, v in r.items() if k not in ("published", "snippet_html", "stories_found", "articles_found")}
                        | {"others": [{k: v for k, v in c.items() if k != "published"} for c in r["others"]]}
                        for r in found["results"]]})
    base = datasette.urls.path("/-/tintinh/search")
    papers, provinces = await _choices(db)
    nav = {}
    if args["page"] > 1:
        nav["previous"] = page_url(base, args, exact, db.name, page=args["page"] - 1)
    if args["page"] < found["pages"]:
        nav["next"] = page_url(base, args, exact, db.name, page=args["page"] + 1)
    html = await datasette.render_template("tintinh/search.html", {
        "database": db.name, "args": args, "exact": exact, "orders": ORDERS,
        "papers": papers, "provinces": provinces, "regions": load_regions(), "nav": nav,
        "first_position": (args["page"] - 1) * args["size"] + 1, "candidates": CANDIDATES,
        "json_url": page_url(datasette.urls.path("/-/tintinh/search.json"), args, exact, db.name),
        "query_url": datasette.urls.query(db.name, "search_exact" if exact else "search"),
        "feed_url": feed_url(datasette, db.name, args),
        **found,
    }, request=request)
    return Response.html(html)
