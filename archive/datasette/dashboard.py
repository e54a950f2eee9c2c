"""The archive's chart: a datasette-dashboards dashboard (vega-lite, shipped with the plugin: no
CDN) over the `articles_over_time` canned query of metadata.yml.

One dashboard per archive served, named after its database (/-/dashboards/demo for demo.db):
articles per day, week or month by province or by paper as stacked bars, and each province's or
paper's total over the range; filters for the interval, the grouping, a province, a paper and
dates. A bar's tooltip says its period, province or paper and count; clicking a bar opens those
articles in the articles table (the query's `link`). /-/tintinh/chart redirects here.

datasette-dashboards runs a chart's SQL through the database's JSON API (?sql=), where canned
queries' magic parameters do not exist: the articles table's path stands in the SQL instead.
"""
from __future__ import annotations

import copy
from functools import lru_cache

from archive.datasette.metadata import database_section

QUERY = "articles_over_time"
ARTICLES_PLACEHOLDER = ":_tintinh_articles"
INTERVALS = ("day", "week", "month")
GROUPINGS = ("province", "paper")

TOOLTIP = [{"field": "period_label", "title": "period"},
           {"field": "series", "title": "province or paper"},
           {"field": "articles", "title": "articles"}]

OVER_TIME_SPEC = {
    "height": 360,
    "mark": {"type": "bar", "cursor": "pointer", "tooltip": True},
    "encoding": {
        "x": {"field": "period", "type": "temporal", "title": None, "scale": {"type": "utc"},
              "axis": {"labelOverlap": True}},
        "x2": {"field": "period_end"},
        # stacked in SQL (stack_from/stack_to): vega-lite stacks no bar that spans x to x2
        "y": {"field": "stack_to", "type": "quantitative", "title": "articles",
              "axis": {"tickMinStep": 1, "format": "d"}},
        "y2": {"field": "stack_from"},
        "color": {"field": "series", "type": "nominal", "title": None,
                  "sort": {"field": "series_rank", "op": "min"},
                  "scale": {"scheme": "tableau10"}, "legend": {"orient": "right", "labelLimit": 220}},
        "tooltip": TOOLTIP,
        "href": {"field": "link"},
    },
}

TOTALS_SPEC = {
    "transform": [{"aggregate": [{"op": "sum", "field": "articles", "as": "total"},
                                 {"op": "min", "field": "series_rank", "as": "rank"}],
                   "groupby": ["series", "series_link"]}],
    "mark": {"type": "bar", "cursor": "pointer", "tooltip": True},
    "encoding": {
        "y": {"field": "series", "type": "nominal", "title": None,
              "sort": {"field": "rank", "op": "min"}, "axis": {"labelLimit": 220}},
        "x": {"field": "total", "type": "quantitative", "title": "articles in the range",
              "axis": {"tickMinStep": 1, "format": "d"}},
        "color": {"field": "series", "type": "nominal", "legend": None,
                  "sort": {"field": "rank", "op": "min"}, "scale": {"scheme": "tableau10"}},
        "tooltip": [{"field": "series", "title": "province or paper"},
                    {"field": "total", "title": "articles in the range"}],
        "href": {"field": "series_link"},
    },
}


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@lru_cache(maxsize=64)
def chart_sql(articles_path: str) -> str:
    """The articles_over_time query with the articles table's path where its links start."""
    sql = database_section()["queries"][QUERY]["sql"]
    return sql.replace(ARTICLES_PLACEHOLDER, sql_literal(articles_path))


def dashboard(name: str, articles_path: str) -> dict:
    """The datasette-dashboards configuration of the archive served as database `name`; a new
    dict each time: datasette-dashboards fills its filters' options in, datasette merges other
    metadata into it."""
    sql = chart_sql(articles_path)
    return {
        "title": f"Articles over time — {name}",
        "description": "Articles per day, week or month, by province or by paper (the eight with "
                       "the most articles; the others summed). Point at a bar for its numbers, "
                       "click it to read those articles. An article counts under every province "
                       "it is about. Dates are Vietnam time (UTC+07:00); without a start date, the "
                       "archive's last 90 days, 104 weeks or 96 months.",
        "layout": [["over-time"], ["totals"]],
        "filters": {
            "interval": {"name": "Per", "type": "select", "options": list(INTERVALS), "default": "week"},
            "by": {"name": "By", "type": "select", "options": list(GROUPINGS), "default": "province"},
            "province": {"name": "Province", "type": "select", "db": name,
                         "query": "select distinct province from articles where province != '' order by province"},
            "paper": {"name": "Paper", "type": "select", "db": name,
                      "query": "select name from sites s where exists "
                               "(select 1 from articles a where a.site = s.slug) order by name"},
            "since": {"name": "From", "type": "date"},
            "until": {"name": "To", "type": "date"},
        },
        "charts": {
            "over-time": {"title": "Articles over time", "db": name, "query": sql,
                          "library": "vega-lite", "display": copy.deepcopy(OVER_TIME_SPEC)},
            "totals": {"title": "Articles in the range", "db": name, "query": sql,
                       "library": "vega-lite", "display": copy.deepcopy(TOTALS_SPEC)},
        },
    }


def dashboards_for(names, articles_path) -> dict:
    """{dashboard slug: configuration} for every archive served; `articles_path(name)` is the
    path of that archive's articles table."""
    return {name: dashboard(name, articles_path(name)) for name in names}
