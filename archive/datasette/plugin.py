"""datasette plugin for tintinh archives (registered by `tintinh serve`; plain datasette loads it
through --plugins-dir archive/datasette/plugins).

- SQL functions on every connection: vi_fold, vi_tone, vi_snippet (archive.search),
  canonical_url and vi_province (common.provinces: any name of a province → today's);
  escape_fts also unifies tone placement, so ?_search= on the exact-accent index
  (&_fts_table=articles_fts_exact) finds "Hoà" and "Hòa" alike.
- /-/tintinh/chart (and .json): articles per day per province.
- `snippet` cells render their <mark> highlights; everything else in them stays escaped.
- pages table views leave out the raw-body blob unless ?_col=/_nocol= is given.
"""
from __future__ import annotations

import json
import re
import sqlite3
from functools import lru_cache
from urllib.parse import parse_qs

from datasette import hookimpl
from datasette.utils import escape_fts
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from archive import search
from archive.datasette import cells
from archive.datasette.metadata import metadata_for
from archive.dbfile import ArchiveError, connect_readonly
from archive.datasette.article import load_article
from archive.datasette.chart import PER_DAY_SQL, line_chart_svg, per_day_series
from archive.datasette.display import TIME_ZONE_LABEL
from archive.datasette.search_page import search_view
from common.provinces import province_label
from common.text import unify_tones
from common.urls import BadURL, canonical_url, host_aliases

@lru_cache(maxsize=256)
def _is_archive_file(path: str) -> bool:
    try:
        conn = connect_readonly(path)
    except (sqlite3.Error, OSError, ArchiveError):
        return False
    try:
        found = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE name IN ('articles', 'articles_fts')")}
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return found == {"articles", "articles_fts"}


def archive_names(datasette) -> list[str]:
    """The databases datasette serves that are tintinh archives (articles + articles_fts)."""
    out = []
    for name, db in datasette.databases.items():
        path = getattr(db, "path", None)
        if not name.startswith("_") and path and _is_archive_file(str(path)):
            out.append(name)
    return out


def _registered_aliases(conn) -> dict[str, str]:
    """Host forms → main domain of the sites registered in the archive on `conn` (none elsewhere)."""
    try:
        rows = conn.execute("SELECT domains, old_domains FROM sites WHERE domains LIKE '[\"%'").fetchall()
    except sqlite3.Error:  # another database datasette serves, without a sites table
        return {}
    return host_aliases((json.loads(domains), json.loads(old or "[]")) for domains, old in rows)


def _canonical_url_function(aliases: dict[str, str]):
    def canonical(url):
        if url is None:
            return None
        try:
            return canonical_url(str(url), aliases)
        except (BadURL, ValueError):
            return str(url)  # not a URL (an article id, say): compare it as given
    return canonical


def _escape_fts(query):
    # Under remove_diacritics 2 tone placement is already irrelevant; the exact index needs it.
    return unify_tones(escape_fts(query or "")) or '""'  # "" matches nothing; empty is an error


def _province(name):
    """vi_province(name): today's province for any spelling of a new or old one ("yen bai" →
    "Lào Cai", "TP.HCM" → "Hồ Chí Minh"), "national" for the national label, else `name` as given."""
    return province_label(name) or name if isinstance(name, str) else name


# trylast: datasette's own prepare_connection registers escape_fts; ours must come after it.
@hookimpl(trylast=True)
def prepare_connection(conn):
    search.register_functions(conn)
    conn.create_function("canonical_url", 1, _canonical_url_function(_registered_aliases(conn)),
                         deterministic=True)
    conn.create_function("escape_fts", 1, _escape_fts, deterministic=True)
    conn.create_function("vi_province", 1, _province, deterministic=True)


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    return cells.render(row, value, column, table, database, datasette,
                        archive=database in archive_names(datasette))


@hookimpl
def get_metadata(datasette, key, database, table):
    """Our metadata (metadata.yml) for every archive datasette serves, whatever its file name."""
    return metadata_for(archive_names(datasette))


_PAGES_PATH = re.compile(r"^/[^/]+/pages(\.\w+)?$")
_ARTICLES_HTML_PATH = re.compile(r"^/(?P<route>[^/]+)/articles$")
_ARTICLES_PATH = re.compile(r"^/(?P<route>[^/]+)/articles(\.\w+)?$")
# The articles table as people read it: what the article is, whose, where, when, by whom.
# Hashes, raw dates, URLs and internal ids stay one click away (?_all=1, or any ?_col=/_nocol=).
READING_COLUMNS = ("title", "site", "province", "published_at", "authors", "sapo")


def _with_args(scope, extra: str):
    query = scope.get("query_string", b"").decode("latin-1")
    query = f"{query}&{extra}" if query else extra
    return dict(scope, query_string=query.encode("latin-1"))


def _is_archive_route(datasette, route: str) -> bool:
    names = archive_names(datasette)
    return any(db.route == route for name, db in datasette.databases.items() if name in names)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def table_defaults(scope, receive, send):
            if scope.get("type") == "http":
                path = scope.get("path", "")
                args = parse_qs(scope.get("query_string", b"").decode("latin-1"))
                chosen = "_col" in args or "_nocol" in args
                if _PAGES_PATH.match(path) and not chosen:
                    scope = _with_args(scope, "_nocol=body")   # the raw-body blob stays out
                elif (m := _ARTICLES_HTML_PATH.match(path)) and not chosen and "_all" not in args \
                        and _is_archive_route(datasette, m["route"]):
                    scope = _with_args(scope, "&".join(f"_col={c}" for c in READING_COLUMNS))
                if (m := _ARTICLES_PATH.match(path)) and args.get("_search") \
                        and not {"_sort", "_sort_desc"} & set(args) and _is_archive_route(datasette, m["route"]):
                    # The search box sorts its hits by id (newest crawled first): by publication
                    # time SQLite reads every hit's row, 5-10x slower for common words.
                    # /-/tintinh/search is the search sorted by publication time.
                    scope = _with_args(scope, "_sort_desc=id")
            await app(scope, receive, send)

        return table_defaults

    return wrap


CHART_TEMPLATE = """{% extends "base.html" %}
{% block title %}Articles per day per province{% endblock %}
{% block content %}
<h1>Articles per day per province</h1>
<p>Database <a href="{{ urls.database(database) }}">{{ database }}</a>, the last {{ days_back }} days
of the archive ({{ first_day or "none" }} – {{ last_day or "none" }}), top {{ top }} provinces.
Data: <a href="{{ urls.database(database) }}/articles_per_day_per_province">canned query</a>,
<a href="{{ json_url }}">JSON</a>.</p>
<form method="get">
  <label>Days <input type="number" name="days" value="{{ days_back }}" min="1" max="3660"></label>
  <label>Provinces <input type="number" name="top" value="{{ top }}" min="1" max="12"></label>
  <input type="hidden" name="database" value="{{ database }}">
  <input type="submit" value="Redraw">
</form>
<div class="tintinh-chart">{{ svg }}</div>
{% endblock %}
"""


def _int_arg(request, name, default, low, high):
    try:
        return min(high, max(low, int(request.args.get(name, default))))
    except ValueError:
        return default


async def _archive_database(datasette, name):
    """The archive called `name`, or the first archive served when no name is given."""
    names = archive_names(datasette)
    if name:
        if name not in names:
            raise NotFound(f"no archive called {name!r}")
        return datasette.databases[name]
    if not names:
        raise NotFound("no archive is served")
    return datasette.databases[names[0]]


async def chart(datasette, request):
    db = await _archive_database(datasette, request.args.get("database"))
    days_back = _int_arg(request, "days", 60, 1, 3660)
    top = _int_arg(request, "top", 8, 1, 12)
    rows = (await db.execute(PER_DAY_SQL, {"days": days_back})).rows
    days, series = per_day_series([tuple(r) for r in rows], top=top)
    if request.url_vars.get("format") == "json":
        return Response.json({"database": db.name, "days": days,
                              "series": [{"province": p, "articles": c} for p, c in series]})
    template = datasette.jinja_env.from_string(CHART_TEMPLATE)
    json_url = f"{datasette.urls.path('/-/tintinh/chart.json')}?database={db.name}" \
               f"&days={days_back}&top={top}"
    html = await datasette.render_template(template, {
        "database": db.name, "days_back": days_back, "top": top, "json_url": json_url,
        "first_day": days[0] if days else None, "last_day": days[-1] if days else None,
        "svg": Markup(line_chart_svg(days, series)),
    }, request=request)
    return Response.html(html)


@hookimpl
def extra_template_vars(view_name, database, table, request, datasette):
    """The article page's data, on a row page of an archive's `articles` (not with ?_view=row)."""
    if view_name != "row" or table != "articles" or request is None or request.args.get("_view"):
        return {"tintinh_article": None, "tintinh_time_zone": TIME_ZONE_LABEL}

    async def article_vars():
        db = datasette.databases.get(database)
        pks = request.url_vars.get("pks", "")
        article = await load_article(db, int(pks)) if db is not None and pks.isdigit() else None
        return {"tintinh_article": article, "tintinh_time_zone": TIME_ZONE_LABEL}

    return article_vars


FIND_ARTICLE_SQL = """
SELECT id FROM articles
WHERE id = CAST(:article AS INTEGER) OR canonical_url = canonical_url(:article)
   OR id IN (SELECT article_id FROM url_aliases WHERE url IN (:article, canonical_url(:article)))
LIMIT 1
"""


async def article_redirect(datasette, request):
    """/-/tintinh/article?url=… (any spelling of an article's URL, or its id): its article page,
    whatever the archive's file is called."""
    db = await _archive_database(datasette, request.args.get("database"))
    wanted = (request.args.get("url") or request.args.get("id") or "").strip()
    rows = (await db.execute(FIND_ARTICLE_SQL, {"article": wanted})).rows if wanted else []
    if not rows:
        raise NotFound(f"no article {wanted!r} in {db.name}")
    return Response.redirect(datasette.urls.row(db.name, "articles", rows[0][0]))


async def search_page(datasette, request):
    return await search_view(datasette, request, _archive_database)


@hookimpl
def register_routes():
    return [(r"^/-/tintinh/chart(\.(?P<format>json))?$", chart),
            (r"^/-/tintinh/search(\.(?P<format>json))?$", search_page),
            (r"^/-/tintinh/article$", article_redirect)]


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/tintinh/search"), "label": "Search the archive"},
            {"href": datasette.urls.path("/-/tintinh/chart"), "label": "Articles per day chart"}]
