"""The chart, the search feeds and datasette-search-all on a real `tintinh serve` over HTTP.

The archive is the demo's, under another file name (tin-tuc.db: the database is "tin-tuc"), so
nothing here depends on a database called archive or demo. The chart's numbers are checked
against counts made here in Python from the same file, and every bar's link against the
articles table it opens.
"""
import json
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from archive.datasette.plugin import READING_COLUMNS
from test_datasette import demo_archive, get, get_json, running_server

ATOM = "{http://www.w3.org/2005/Atom}"
DB = "tin-tuc"
PLUGINS = Path(__file__).resolve().parents[1] / "archive" / "datasette" / "plugins"


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("feeds") / f"{DB}.db"
    shutil.copy(demo_archive(tmp_path_factory), path)
    return path


@pytest.fixture(scope="module")
def server(archive):
    with running_server(archive) as base:
        yield base


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def redirect_target(base, path) -> str:
    try:
        urllib.request.build_opener(NoRedirect).open(base + path, timeout=10)
    except urllib.error.HTTPError as e:
        assert e.code == 302, e.code
        return e.headers["Location"]
    raise AssertionError(f"{path} did not redirect")


# -- the chart's data: articles_over_time -------------------------------------------------------

def period_start(day: str, unit: str) -> str:
    d = date.fromisoformat(day)
    return {"day": d, "week": d - timedelta(days=d.weekday()), "month": d.replace(day=1)}[unit].isoformat()


def expected_bars(path, unit: str, by: str, since: str = "") -> dict[tuple[str, str], int]:
    """{(period start, province or paper name): articles}, counted here: the 8 with the most
    articles, the others summed as "other provinces (n)" / "other papers (n)"."""
    with sqlite3.connect(path) as conn:
        if by == "province":
            rows = conn.execute("SELECT substr(a.published_at, 1, 10), p.province FROM article_provinces p"
                                " JOIN articles a ON a.id = p.article_id WHERE a.published_at >= ?", [since])
        else:
            rows = conn.execute("SELECT substr(published_at, 1, 10), site FROM articles"
                                " WHERE published_at >= ?", [since])
        counts = Counter((period_start(day, unit), key) for day, key in rows)
        names = dict(conn.execute("SELECT slug, name FROM sites"))
    totals = Counter()
    for (_, key), n in counts.items():
        totals[key] += n
    ranked = sorted(totals, key=lambda k: (-totals[k], k))
    top, rest = ranked[:8], ranked[8:]
    out = Counter()
    for (start, key), n in counts.items():
        label = (names.get(key, key) if by == "paper" else key) if key in top else f"other {by}s ({len(rest)})"
        out[(start, label)] += n
    return dict(out)


def over_time(base, **params) -> list[dict]:
    return get_json(base, f"/{DB}/articles_over_time.json", _shape="array", _size="max", **params)


def bars(rows) -> dict[tuple[str, str], int]:
    return {(r["period"], r["series"]): r["articles"] for r in rows}


def listed(base, link: str) -> int:
    """How many articles the articles table lists at `link` (a bar's link)."""
    parts = urllib.parse.urlsplit(link)
    assert parts.path == f"/{DB}/articles"
    return get_json(base, f"/{DB}/articles.json?{parts.query}&_size=1")["filtered_table_rows_count"]


@pytest.mark.parametrize("unit", ["day", "week", "month"])
@pytest.mark.parametrize("by", ["province", "paper"])
def test_chart_data_counts_articles_per_period_by_province_or_paper(server, archive, unit, by):
    rows = over_time(server, interval=unit, by=by, since="2000-01-01")
    assert bars(rows) == expected_bars(archive, unit, by)
    for r in rows:
        start, end = date.fromisoformat(r["period"]), date.fromisoformat(r["period_end"])
        assert {"day": 1, "week": 7}.get(unit, (end - start).days) == (end - start).days
        assert unit != "week" or start.weekday() == 0  # weeks start on Monday


def test_chart_data_without_a_start_is_the_archives_last_90_days(server, archive):
    with sqlite3.connect(archive) as conn:
        newest = date.fromisoformat(conn.execute("SELECT max(substr(published_at, 1, 10)) FROM articles").fetchone()[0])
    first = (newest - timedelta(days=89)).isoformat()
    rows = over_time(server, interval="day", by="province")
    assert rows and min(r["period"] for r in rows) >= first
    assert bars(rows) == expected_bars(archive, "day", "province", since=first)


def test_each_bars_link_lists_exactly_its_articles(server):
    rows = over_time(server, interval="week", by="province", since="2000-01-01")
    assert any(r["series"] == "national" for r in rows)
    for r in rows:
        assert listed(server, r["link"]) == r["articles"], r
    papers = over_time(server, interval="month", by="paper", since="2000-01-01")
    assert any(r["series"].startswith("other papers") for r in papers)
    for r in papers:
        if not r["series"].startswith("other papers"):
            assert listed(server, r["link"]) == r["articles"], r


def test_chart_data_stacks_each_periods_bars_without_gaps(server):
    rows = over_time(server, interval="week", by="paper", since="2000-01-01")
    for period in {r["period"] for r in rows}:
        stack = sorted((r["stack_from"], r["stack_to"], r["articles"]) for r in rows if r["period"] == period)
        assert stack[0][0] == 0
        assert all(top - bottom == n for bottom, top, n in stack)
        assert all(a[1] == b[0] for a, b in zip(stack, stack[1:]))


def test_chart_data_filters_by_an_old_province_name_and_a_paper(server, archive):
    with sqlite3.connect(archive) as conn:
        lao_cai = conn.execute("SELECT count(*) FROM article_provinces p JOIN articles a ON a.id = p.article_id"
                               " WHERE p.province = 'Lào Cai' AND a.published_at IS NOT NULL").fetchone()[0]
        own = conn.execute("SELECT count(*) FROM articles WHERE site = 'baolaocai'"
                           " AND published_at IS NOT NULL").fetchone()[0]
    rows = over_time(server, interval="month", by="paper", province="yen bai", since="2000-01-01")
    assert sum(r["articles"] for r in rows) == lao_cai >= own > 0
    about = "+id in (select article_id from article_provinces where province = 'Lào Cai')"
    assert all(urllib.parse.parse_qs(urllib.parse.urlsplit(r["link"]).query)["_where"] == [about] for r in rows)
    for r in rows:
        assert listed(server, r["link"]) == r["articles"], r
    rows = over_time(server, interval="month", by="province", paper="Báo Lào Cai", since="2000-01-01")
    assert {r["series"] for r in rows} >= {"Lào Cai"}
    assert sum(r["articles"] for r in rows if r["series"] == "Lào Cai") == own


# -- the chart's page: a datasette-dashboards dashboard -----------------------------------------

def test_chart_url_opens_the_archives_dashboard(server):
    assert redirect_target(server, "/-/tintinh/chart").endswith(f"/-/dashboards/{DB}")
    target = redirect_target(server, "/-/tintinh/chart?interval=day&province=L%C3%A0o+Cai&days=30")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(target).query) == {
        "interval": ["day"], "by": ["province"], "province": ["Lào Cai"]}
    data = redirect_target(server, "/-/tintinh/chart.json")
    assert urllib.parse.urlsplit(data).path == f"/{DB}/articles_over_time.json"
    assert json.loads(urllib.request.urlopen(server + "/-/tintinh/chart.json", timeout=10).read())[0]["period"]


def test_dashboard_takes_its_defaults_and_loads_no_script_from_elsewhere(server):
    assert redirect_target(server, f"/-/dashboards/{DB}").endswith(f"/-/dashboards/{DB}?interval=week&by=province")
    status, html = get(server, f"/-/dashboards/{DB}", interval="week", by="province")
    assert status == 200 and "renderChart('over-time'" in html and "renderChart('totals'" in html
    scripts = [s for s in html.split("<script")[1:] if s.lstrip().startswith("src=")]
    sources = [s.split('"')[1] for s in scripts]
    assert any(s.endswith("vega-lite.min.js") for s in sources)
    assert all(s.startswith("/") for s in sources), sources
    assert '<option value="Lào Cai"' in html and '<option value="Báo Lào Cai"' in html
    assert "Articles over time (chart)" in get(server, "/")[1]


def test_dashboards_chart_query_runs_as_the_json_api_runs_it(server):
    """datasette-dashboards sends the chart's SQL to /<db>.json?sql= with the filters."""
    config = get_json(server, "/-/metadata.json")["plugins"]["datasette-dashboards"][DB]
    sql = config["charts"]["over-time"]["query"]
    assert ":_tintinh" not in sql
    data = get_json(server, f"/{DB}.json", sql=sql, interval="week", by="province", province="", paper="",
                    since="2000-01-01", until="", _shape="objects")
    assert bars(data["rows"]) == bars(over_time(server, interval="week", by="province", since="2000-01-01"))
    assert data["rows"][0]["link"].startswith(f"/{DB}/articles?published_at__gte=")


# -- the feed of a search: search_feed.atom (datasette-atom) ------------------------------------

def feed(base, **params) -> ET.Element:
    status, body = get(base, f"/{DB}/search_feed.atom", **params)
    assert status == 200
    root = ET.fromstring(body.encode("utf-8"))
    assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}id").text and root.find(f"{ATOM}updated").text
    return root


def entries(root) -> list[dict]:
    return [{"id": e.find(f"{ATOM}id").text, "title": e.find(f"{ATOM}title").text,
             "updated": datetime.fromisoformat(e.find(f"{ATOM}updated").text),
             "link": e.find(f"{ATOM}link").get("href"), "author": e.find(f"{ATOM}author/{ATOM}name").text,
             "content": e.find(f"{ATOM}content").text} for e in root.findall(f"{ATOM}entry")]


def test_search_feed_is_atom_newest_first_and_titled_after_the_search(server):
    root = feed(server, q="lao cai")
    assert root.find(f"{ATOM}title").text == "lao cai — tintinh"
    found = entries(root)
    assert len(found) >= 3 and all(e["title"] and e["author"] for e in found)
    assert [e["updated"] for e in found] == sorted((e["updated"] for e in found), reverse=True)
    assert any("Lào Cai" in e["title"] for e in found)
    assert len({e["id"] for e in found}) == len(found)


def test_search_feed_entries_link_to_their_article_pages(server):
    for entry in entries(feed(server, q="lao cai")):
        parts = urllib.parse.urlsplit(entry["link"])
        assert parts.scheme == "http" and parts.path.startswith(f"/{DB}/articles/")
        status, html = get(server, parts.path)
        assert status == 200 and f'<h1 class="headline">{entry["title"]}</h1>' in html


def test_search_feed_ignores_accents_like_the_search(server):
    plain = [e["link"] for e in entries(feed(server, q="lao cai"))]
    accented = [e["link"] for e in entries(feed(server, q="Lào Cai"))]
    assert plain == accented
    searched = get_json(server, f"/{DB}/search.json", q="lao cai", size="50", _shape="array")
    assert {link.rsplit("/", 1)[1] for link in plain} == {str(r["id"]) for r in searched}


def test_search_feed_has_one_entry_per_story_with_the_papers_that_carried_it(server):
    found = entries(feed(server, q="khong khi lanh"))
    wire = [e for e in found if "Also carried by: " in e["content"]]
    assert len(wire) == 1
    assert len(wire[0]["content"].split("Also carried by: ")[1].split(", ")) == 5


def test_search_feed_filters_and_an_empty_search_is_an_empty_feed(server):
    root = feed(server, q="lao cai", paper="baolaocai")
    assert root.find(f"{ATOM}title").text == "lao cai · paper baolaocai — tintinh"
    assert {e["author"] for e in entries(root)} == {"Báo Lào Cai"}
    empty = feed(server, q="xyzzy khong co bai nao")
    assert entries(empty) == [] and empty.find(f"{ATOM}title").text.startswith("xyzzy")
    assert entries(feed(server)) == []


def test_search_page_links_to_the_feed_of_its_search(server):
    _, html = get(server, "/-/tintinh/search", q="lao cai", paper="baolaocai")
    feed_path = f"/{DB}/search_feed.atom?q=lao+cai&amp;paper=baolaocai"
    assert f'<link rel="alternate" type="application/atom+xml" title="lao cai — tintinh" href="{feed_path}">' in html
    assert f'<a class="feed" href="{feed_path}">' in html


# -- datasette-search-all -----------------------------------------------------------------------

def test_search_all_finds_the_articles_table_searchable(server):
    _, html = get(server, "/-/search", q="lao cai")
    tables = json.loads(html.split("var searchable_tables = ", 1)[1].split(";\n", 1)[0])
    assert [(t["database"], t["table"]) for t in tables] == [(DB, "articles")]
    assert "Search for records across 1 table" in get(server, "/")[1]


def test_search_all_results_are_articles_in_their_reading_columns(server):
    # the request datasette-search-all's page makes for each searchable table
    data = get_json(server, f"/{DB}/articles.json?_shape=objects&_labels=on&_extra=count&_extra=database"
                            "&_extra=table&_size=5&_search=lao%20cai")
    assert data["filtered_table_rows_count"] >= 3
    assert list(data["rows"][0]) == ["id", *READING_COLUMNS] and not data["facet_results"]
    assert all("Lào Cai" in (r["title"] + (r["sapo"] or "")) for r in data["rows"])


# -- plain datasette -----------------------------------------------------------------------------

def plain_datasette(path, url) -> str:
    datasette = Path(sys.executable).with_name("datasette")
    done = subprocess.run([str(datasette), str(path), "--plugins-dir", str(PLUGINS), "--get", url],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_plain_datasette_with_the_plugins_dir_serves_the_feed_chart_and_search_all(archive):
    root = ET.fromstring(plain_datasette(archive, f"/{DB}/search_feed.atom?q=lao+cai").encode())
    links = [e.find(f"{ATOM}link").get("href") for e in root.findall(f"{ATOM}entry")]
    assert links and all(urllib.parse.urlsplit(link).path.startswith(f"/{DB}/articles/") for link in links)
    assert "renderChart('over-time'" in plain_datasette(archive, f"/-/dashboards/{DB}?interval=week&by=province")
    assert f'"table": "articles"' in plain_datasette(archive, "/-/search?q=lao+cai")
