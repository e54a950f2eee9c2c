"""datasette plugin for tintinh archives (registered by `tintinh serve`; plain datasette loads it
through --plugins-dir archive/datasette/plugins).

- SQL functions on every connection: vi_fold, vi_tone, vi_snippet (archive.search),
  canonical_url, vi_province (common.provinces: any name of a province → today's) and
  vi_provinces (a region's provinces too, as JSON);
  escape_fts also unifies tone placement, so ?_search= on the exact-accent index
  (&_fts_table=articles_fts_exact) finds "Hoà" and "Hòa" alike.
- /-/tintinh/chart: the chart of articles over time (a datasette-dashboards dashboard per archive,
  archive.datasette.dashboard); .json: its data (the articles_over_time canned query).
- the magic parameter :_tintinh_articles (the absolute URL of the archive's articles table) for
  canned queries' links: the search_feed query's entries link to their article pages.
- datasette-search-all finds `articles` searchable (Database.fts_table reads metadata's fts_table).
- a search's row count and facets in the articles table from the search index and one pass over
  its hits (archive.datasette.search_counts).
- `snippet` cells render their <mark> highlights; everything else in them stays escaped.
- pages table views leave out the raw-body blob unless ?_col=/_nocol= is given.
"""
from __future__ import annotations

import json
import re
import sqlite3
from contextvars import ContextVar
from functools import lru_cache
from urllib.parse import parse_qs, quote, urlencode

from datasette import hookimpl
from datasette.utils import escape_fts
from datasette.utils.asgi import NotFound, Response

from archive import search
from archive.datasette import cells
from archive.datasette.metadata import metadata_for
from archive.dbfile import ArchiveError, connect_readonly
from archive.datasette.article import load_article
from archive.datasette.dashboard import QUERY as CHART_QUERY, dashboards_for
from archive.datasette.feeds import FEED_PATH, with_feed_title
from archive.datasette.display import TIME_ZONE_LABEL
from archive.datasette.search_page import search_view
from archive.datasette import search_counts
from common.provinces import province_label, provinces_meant
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


def _provinces(name):
    """vi_provinces(name): the provinces a filter means, as a JSON list: a region's ("Tây Nguyên",
    "mekong delta", "miền Trung"), or the one province any name of it gives; [] for none known."""
    return json.dumps(provinces_meant(name) if isinstance(name, str) else [], ensure_ascii=False)


# trylast: datasette's own prepare_connection registers escape_fts; ours must come after it.
@hookimpl(trylast=True)
def prepare_connection(conn):
    search.register_functions(conn)
    search.tune_reader(conn)
    conn.create_function("canonical_url", 1, _canonical_url_function(_registered_aliases(conn)),
                         deterministic=True)
    conn.create_function("escape_fts", 1, _escape_fts, deterministic=True)
    conn.create_function("vi_province", 1, _province, deterministic=True)
    conn.create_function("vi_provinces", 1, _provinces, deterministic=True)
    conn.create_function("url_quote", 1, _url_quote, deterministic=True)


def _url_quote(value):
    """A value for a URL's query string (the chart's links into the articles table)."""
    return None if value is None else quote(str(value), safe="")


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    return cells.render(row, value, column, table, database, datasette,
                        archive=database in archive_names(datasette))


# One request's plugins section (see get_metadata), set afresh for each request by asgi_wrapper.
_request_plugins: ContextVar[dict | None] = ContextVar("tintinh_request_plugins", default=None)


@lru_cache(maxsize=16)
def _dashboards_json(archives: tuple[tuple[str, str], ...]) -> str:
    paths = dict(archives)
    return json.dumps(dashboards_for(list(paths), paths.__getitem__), ensure_ascii=False)


@hookimpl
def get_metadata(datasette, key, database, table):
    """Our metadata (metadata.yml) for every archive datasette serves, whatever its file name,
    with a datasette-dashboards dashboard for each (the chart).

    Every plugin's config is asked for by key "plugins" — datasette-render-markdown's for each
    text cell of a table page, hundreds a page — so that key gets only the plugins section (the
    only one that has it), made from JSON kept ready: a new dict each time (datasette merges into
    it, datasette-dashboards fills it in), for a fraction of building the whole metadata; during
    a request, the same one each time it is asked for (what is merged into it or filled in is the
    same every time in one request)."""
    names = archive_names(datasette)
    plugins = None
    if names and key in (None, "plugins"):
        cache = _request_plugins.get() if key == "plugins" else None
        if cache is not None and "plugins" in cache:
            return {"plugins": cache["plugins"]}
        archives = tuple((name, datasette.urls.table(name, "articles")) for name in names)
        plugins = {"datasette-dashboards": json.loads(_dashboards_json(archives))}
        if key == "plugins":
            if cache is not None:
                cache["plugins"] = plugins
            return {"plugins": plugins}
    metadata = metadata_for(names)
    if plugins is not None:
        metadata["plugins"] = plugins
    return metadata


def _database_of_route(datasette, route):
    return next((db for db in datasette.databases.values() if db.route == route), None)


@hookimpl
def register_magic_parameters(datasette):
    """:_tintinh_articles in a canned query: the absolute URL of its archive's articles table
    (an article page is that URL, a slash and its id), whatever the database is called."""
    def tintinh(key, request):
        db = _database_of_route(datasette, request.url_vars.get("database"))
        if key != "articles" or db is None:
            raise KeyError(key)
        return datasette.absolute_url(request, datasette.urls.table(db.name, "articles"))

    return [("tintinh", tintinh)]


def _fts_table_from_metadata(datasette, db) -> None:
    """Make db.fts_table(table) give the table's configured fts_table (metadata.yml:
    articles → articles_fts). datasette finds an FTS index from the schema only, through a
    content="table" option, and ours indexes a view (articles_fts_source); the table page reads
    the metadata, but plugins that list searchable tables (datasette-search-all) ask
    Database.fts_table, which found none."""
    detect = db.fts_table

    async def fts_table(table):
        return datasette.table_metadata(db.name, table).get("fts_table") or await detect(table)

    db.fts_table = fts_table


@hookimpl
def startup(datasette):
    for name in archive_names(datasette):
        _fts_table_from_metadata(datasette, datasette.databases[name])
        search_counts.install(datasette.databases[name])


_PAGES_PATH = re.compile(r"^/[^/]+/pages(\.\w+)?$")
_ARTICLES_HTML_PATH = re.compile(r"^/(?P<route>[^/]+)/articles$")
_ARTICLES_PATH = re.compile(r"^/(?P<route>[^/]+)/articles(\.\w+)?$")
_ARTICLES_JSON_PATH = re.compile(r"^/(?P<route>[^/]+)/articles\.json$")
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
                search_counts.request_searches.set({})   # this request's own (a new task each)
                _request_plugins.set({})
                path = scope.get("path", "")
                args = parse_qs(scope.get("query_string", b"").decode("latin-1"))
                chosen = "_col" in args or "_nocol" in args
                if _PAGES_PATH.match(path) and not chosen:
                    scope = _with_args(scope, "_nocol=body")   # the raw-body blob stays out
                elif (m := _ARTICLES_HTML_PATH.match(path)) and not chosen and "_all" not in args \
                        and _is_archive_route(datasette, m["route"]):
                    scope = _with_args(scope, "&".join(f"_col={c}" for c in READING_COLUMNS))
                elif (m := _ARTICLES_JSON_PATH.match(path)) and "_extra" in args and not chosen \
                        and _is_archive_route(datasette, m["route"]):
                    # datasette 1.0-style clients (datasette-search-all's results) get the
                    # reading columns, not every body in full, and no facets (0.5-1 s on 50,000)
                    scope = _with_args(scope, "&".join(f"_col={c}" for c in READING_COLUMNS) + "&_nofacet=1")
                if (m := _ARTICLES_PATH.match(path)) and args.get("_search") \
                        and not {"_sort", "_sort_desc"} & set(args) and _is_archive_route(datasette, m["route"]):
                    # The search box sorts its hits by id (newest crawled first): by publication
                    # time SQLite reads every hit's row, 5-10x slower for common words.
                    # /-/tintinh/search is the search sorted by publication time.
                    scope = _with_args(scope, "_sort_desc=id")
                if (m := FEED_PATH.match(path)) and _is_archive_route(datasette, m["route"]):
                    await with_feed_title(app, scope, receive, send, args)
                    return
            await app(scope, receive, send)

        return table_defaults

    return wrap


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


CHART_ARGS = ("interval", "by", "province", "paper", "since", "until")


async def chart(datasette, request):
    """/-/tintinh/chart: the archive's dashboard (/-/dashboards/<database>); .json: the data it
    draws (the articles_over_time query, per day unless ?interval= says otherwise)."""
    db = await _archive_database(datasette, request.args.get("database"))
    args = {k: request.args[k] for k in CHART_ARGS if request.args.get(k)}
    if request.url_vars.get("format") == "json":
        args = {"interval": "day", **args, "_shape": "array"}
        return Response.redirect(f"{datasette.urls.table(db.name, CHART_QUERY, format='json')}?{urlencode(args)}")
    if args:  # the dashboard takes its defaults only when no filter is given
        args = {"interval": "week", "by": "province", **args}
    target = datasette.urls.path(f"/-/dashboards/{quote(db.name, safe='')}")
    return Response.redirect(f"{target}?{urlencode(args)}" if args else target)

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
            {"href": datasette.urls.path("/-/tintinh/chart"), "label": "Articles over time (chart)"}]
