"""`tintinh serve` started for real on a real archive, queried over HTTP."""
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from archive.datasette.chart import line_chart_svg, per_day_series
from test_search import build_archive

TINTINH = Path(sys.executable).with_name("tintinh")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base URL, article ids by key) of a running `tintinh serve` on archive.db."""
    path = tmp_path_factory.mktemp("datasette") / "archive.db"
    ids = build_archive(path)
    port = free_port()
    proc = subprocess.Popen([str(TINTINH), "serve", "--db", str(path), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"datasette did not start: {proc.stdout.read().decode()}")
                time.sleep(0.1)
        yield base, ids
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def get(base, path, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8")


def get_json(base, path, **params):
    return json.loads(get(base, path, **params)[1])


def searched_ids(base, query, **extra):
    rows = get_json(base, "/archive/articles.json", _search=query, _shape="array",
                    _col="title", _size="max", **extra)
    return {row["id"] for row in rows}


def test_search_box_without_accents_finds_d_with_stroke(server):
    base, ids = server
    assert ids["danang"] in searched_ids(base, "da nang")


def test_search_box_with_accents_finds_the_same_article(server):
    base, ids = server
    assert ids["danang"] in searched_ids(base, "Đà Nẵng")


def test_search_box_joins_old_and_new_tone_placement(server):
    base, ids = server
    both = {ids["hoabinh_old"], ids["hoabinh_new"]}
    assert both <= searched_ids(base, "hoa binh")
    assert both <= searched_ids(base, "thuy dien")
    assert both <= searched_ids(base, "thuỷ điện")
    assert ids["danang"] not in searched_ids(base, "thuy dien")


def test_search_box_on_the_exact_index_keeps_hoa_apart_from_hoa_with_acute(server):
    base, ids = server
    found = searched_ids(base, "Hoà", _fts_table="articles_fts_exact")
    assert {ids["hoabinh_old"], ids["hoabinh_new"]} <= found
    assert ids["hoa_chat"] not in found


def test_search_box_html_page_lists_the_hit(server):
    base, _ = server
    status, html = get(base, "/archive/articles", _search="da nang")
    assert status == 200
    assert "Mưa lớn gây ngập nhiều tuyến phố trung tâm" in html


def test_search_query_ranks_phrase_first_and_highlights(server):
    base, ids = server
    rows = get_json(base, "/archive/search.json", q="da nang", _shape="array")
    assert rows[0]["id"] == ids["danang"]
    assert "<mark>Đà</mark> <mark>Nẵng</mark>" in rows[0]["snippet"]
    status, html = get(base, "/archive/search", q="da nang")
    assert "<mark>Đà</mark>" in html  # highlights rendered, not escaped


def test_exact_accent_query_matches_either_tone_placement_only(server):
    base, ids = server
    for spelling in ("Hòa", "Hoà"):
        found = {r["id"] for r in get_json(base, "/archive/search_exact.json", q=spelling, _shape="array")}
        assert {ids["hoabinh_old"], ids["hoabinh_new"]} <= found
        assert ids["hoa_chat"] not in found
    found = {r["id"] for r in get_json(base, "/archive/search_exact.json", q="Hóa", _shape="array")}
    assert ids["hoa_chat"] in found and ids["hoabinh_new"] not in found


def test_search_query_with_empty_words_is_empty_not_an_error(server):
    base, _ = server
    data = get_json(base, "/archive/search.json", q="")
    assert data["ok"] is True and data["rows"] == []


def test_latest_by_province_accepts_unaccented_name(server):
    base, ids = server
    rows = get_json(base, "/archive/latest_by_province.json", province="da nang", _shape="array")
    assert [r["id"] for r in rows] == [ids["danang"]]
    rows = get_json(base, "/archive/latest_by_province.json", province="Phú Thọ", _shape="array")
    assert [r["id"] for r in rows] == [ids["hoabinh_new"], ids["hoabinh_old"]]  # newest first


def test_stories_on_two_papers_are_listed(server):
    base, _ = server
    rows = get_json(base, "/archive/multi_paper_stories.json", _shape="array")
    assert [(r["papers"], r["sites"].split(",")) for r in rows] == [(2, ["baolaocai", "vietnamplus"])]


def test_article_versions_by_any_url_spelling_or_id(server):
    base, ids = server
    url = "https://www.baodanang.vn/mua-lon-gay-ngap-nhieu-tuyen-pho-3301234.html?utm_source=zalo"
    for article in (url, str(ids["danang"])):
        rows = get_json(base, "/archive/article_versions.json", article=article, _shape="array")
        assert [r["version"] for r in rows] == ["current", "earlier"]
        assert "nước đã rút" in rows[0]["body"] and "nước đã rút" not in rows[1]["body"]


def test_failures_grouped_by_site_and_reason(server):
    base, _ = server
    rows = get_json(base, "/archive/failures_by_site_and_reason.json", _shape="array")
    assert [(r["site"], r["reason"], r["failures"]) for r in rows] == [("baodanang", "not an article", 1)]


def test_articles_per_day_per_province_counts(server):
    base, _ = server
    rows = get_json(base, "/archive/articles_per_day_per_province.json", _shape="array")
    counts = {(r["day"], r["province"]): r["articles"] for r in rows}
    assert counts[("2026-03-06", "Đà Nẵng")] == 1
    assert counts[("2026-03-07", "Lào Cai")] == 1


def test_facets_on_site_province_category(server):
    base, _ = server
    data = get_json(base, "/archive/articles.json")
    facets = data["facet_results"]
    assert {"site", "province", "category"} <= set(facets)
    provinces = {v["value"]: v["count"] for v in facets["province"]["results"]}
    assert provinces["Phú Thọ"] == 2


def test_chart_page_draws_one_line_per_province(server):
    base, _ = server
    status, html = get(base, "/-/tintinh/chart")
    assert status == 200
    assert "<svg" in html and 'data-province="Phú Thọ"' in html
    data = get_json(base, "/-/tintinh/chart.json")
    series = {s["province"]: s["articles"] for s in data["series"]}
    assert sum(series["Phú Thọ"]) == 2 and len(series["Phú Thọ"]) == len(data["days"])


def test_pages_table_leaves_raw_body_out_unless_asked(server):
    base, _ = server
    rows = get_json(base, "/archive/pages.json", _shape="array")
    assert rows and "body" not in rows[0] and rows[0]["body_size"] > 10000
    rows = get_json(base, "/archive/pages.json", _shape="array", _col="body")
    assert "body" in rows[0]


def test_serve_without_archive_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "missing.db")])
    assert result.exit_code == 1
    assert result.output == f"Error: no archive at {tmp_path / 'missing.db'} (crawl first, or pass --db)\n"


def test_serve_refuses_a_database_that_is_not_an_archive(tmp_path):
    path = tmp_path / "other.db"
    import sqlite3
    sqlite3.connect(path).execute("CREATE TABLE t (x)")
    result = CliRunner().invoke(cli, ["serve", "--db", str(path)])
    assert result.exit_code == 1
    assert "is not a tintinh archive" in result.output


def test_html_pages_render(server):
    base, _ = server
    for path in ("/", "/archive", "/archive/articles", "/archive/pages", "/archive/failures",
                 "/archive/search_exact?q=Hoà", "/archive/latest_by_province?province=lao+cai"):
        status, html = get(base, urllib.parse.quote(path, safe="/?=+"))
        assert status == 200, path
    assert "Articles per day chart" in get(base, "/")[1]


def test_per_day_series_fills_missing_days_and_sums_the_rest():
    rows = [("2026-03-01", "A", 3), ("2026-03-03", "A", 1), ("2026-03-02", "B", 2),
            ("2026-03-01", "C", 1), ("not a date", "A", 9)]
    days, series = per_day_series(rows, top=1)
    assert days == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert series == [("A", [3, 0, 1]), ("other provinces (2)", [1, 2, 0])]
    assert line_chart_svg(days, series).count("<polyline") == 2


def test_plugin_is_registered_once_by_serve(server):
    base, _ = server
    ours = [p for p in get_json(base, "/-/plugins.json") if p["name"] == "archive.datasette.plugin"]
    assert len(ours) == 1 and "prepare_connection" in ours[0]["hooks"]


def test_only_the_tables_people_read_are_listed(server):
    base, _ = server
    tables = get_json(base, "/archive.json")["tables"]
    shown = {t["name"] for t in tables if not t["hidden"]}
    assert {"articles", "pages", "failures", "article_versions", "crawl_runs", "sites"} <= shown
    internal = {"lsh_buckets", "lsh_buckets_merged", "common_lines", "common_lines_merged", "minhashes"}
    assert internal & {t["name"] for t in tables} == internal  # they exist…
    assert not internal & shown                                 # …but only in the hidden list
