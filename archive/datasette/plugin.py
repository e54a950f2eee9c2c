"""datasette plugin for tintinh archives (registered by `tintinh serve`; plain datasette loads it
through --plugins-dir archive/datasette/plugins).

- SQL functions on every connection: vi_fold, vi_tone, vi_snippet (archive.search) and
  canonical_url; escape_fts also unifies tone placement, so ?_search= on the exact-accent index
  (&_fts_table=articles_fts_exact) finds "Hoà" and "Hòa" alike.
- /-/tintinh/chart (and .json): articles per day per province.
- `snippet` cells render their <mark> highlights; everything else in them stays escaped.
- pages table views leave out the raw-body blob unless ?_col=/_nocol= is given.
"""
from __future__ import annotations

import json
import re
import sqlite3
from urllib.parse import parse_qs

from datasette import hookimpl
from datasette.utils import escape_fts
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from archive import search
from archive.datasette.article import load_article
from archive.datasette.chart import PER_DAY_SQL, line_chart_svg, per_day_series
from archive.datasette.display import TIME_ZONE_LABEL
from common.text import unify_tones
from common.urls import BadURL, canonical_url, host_aliases

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


# trylast: datasette's own prepare_connection registers escape_fts; ours must come after it.
@hookimpl(trylast=True)
def prepare_connection(conn):
    search.register_functions(conn)
    conn.create_function("canonical_url", 1, _canonical_url_function(_registered_aliases(conn)),
                         deterministic=True)
    conn.create_function("escape_fts", 1, _escape_fts, deterministic=True)


@hookimpl
def render_cell(value, column):
    if column == "snippet" and isinstance(value, str):
        marked = str(escape(value)).replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>")
        return Markup(marked)
    return None


_PAGES_PATH = re.compile(r"^/[^/]+/pages(\.\w+)?$")


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def hide_page_bodies(scope, receive, send):
            if scope.get("type") == "http" and _PAGES_PATH.match(scope.get("path", "")):
                query = scope.get("query_string", b"").decode("latin-1")
                args = parse_qs(query)
                if "_col" not in args and "_nocol" not in args:
                    query = f"{query}&_nocol=body" if query else "_nocol=body"
                    scope = dict(scope, query_string=query.encode("latin-1"))
            await app(scope, receive, send)

        return hide_page_bodies

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
    if name:
        if name not in datasette.databases:
            raise NotFound(f"no database {name!r}")
        return datasette.databases[name]
    for db_name, db in datasette.databases.items():
        if not db_name.startswith("_") and await db.table_exists("articles"):
            return db
    raise NotFound("no database with an articles table")


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


@hookimpl
def register_routes():
    return [(r"^/-/tintinh/chart(\.(?P<format>json))?$", chart)]


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/tintinh/chart"), "label": "Articles per day chart"}]
