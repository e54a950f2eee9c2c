"""`tintinh serve` started for real on a real archive, queried over HTTP."""
import asyncio
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from cli.main import cli
from archive.datasette.diff import word_diff
from archive.store import Archive
from test_search import build_archive

TINTINH = Path(sys.executable).with_name("tintinh")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Articles added to test_search's archive for the article page: pictures whose captions stand in
# the body, hostile markup in every field, and an article with neither pictures nor a date.
PAGE_ARTICLES = {
    "pictures": {
        "url": "https://sggp.org.vn/trien-lam-anh-sai-gon-xua-post900001.html", "site": "sggp",
        "province": "Hồ Chí Minh", "title": "Triển lãm ảnh về Sài Gòn xưa",
        "sapo": "Hơn 200 bức ảnh tư liệu về Sài Gòn được trưng bày tại bảo tàng thành phố.",
        "body": "Triển lãm mở cửa từ sáng 5/3 và kéo dài đến hết tháng.\n"
                "Chợ Bến Thành năm 1960. Ảnh: Tư liệu\n"
                "Nhiều khách tham quan dừng lâu trước những bức ảnh đường phố.\n"
                "Ban tổ chức cho biết sẽ đưa triển lãm về các trường học.",
        "images": [{"src": "https://image.sggp.org.vn/ben-thanh-1960.jpg", "caption": "Chợ Bến Thành năm 1960. Ảnh: Tư liệu"},
                   {"src": "https://image.sggp.org.vn/khach-tham-quan.jpg", "caption": "Khách tham quan triển lãm. Ảnh: Hoàng Hùng"}],
        "authors": ["Hoàng Hùng"], "published_at": "2026-03-05T08:00:00+07:00",
        "modified_at": "2026-03-05T01:30:00+00:00",
    },
    "hostile": {
        "url": "https://baohatinh.vn/tin-nong-post900002.html", "site": "baohatinh", "province": "Hà Tĩnh",
        "title": '<script>alert("title")</script> Tin <b>nóng</b>',
        "sapo": "<img src=x onerror=alert(1)> lời dẫn",
        "body": "Đoạn một </p><script>alert(2)</script>\nĐoạn hai \" onmouseover=\"alert(3)",
        "authors": ["<b>Tác giả</b>"], "tags": ['"><script>alert(4)</script>'],
        "images": [{"src": "javascript:alert(5)", "caption": "<i>chú thích</i>"}],
        "related": [{"url": "javascript:alert(6)", "title": "<u>liên quan</u>"}],
        "published_at": "2026-03-02T10:00:00+07:00",
    },
    "undated": {
        "url": "https://baogialai.com.vn/thong-bao-lich-tiep-dan-post900003.html", "site": "baogialai",
        "province": "Gia Lai", "title": "Thông báo lịch tiếp công dân",
        "body": "Lãnh đạo tỉnh tiếp công dân vào thứ năm hằng tuần.\nĐịa điểm: trụ sở tiếp công dân tỉnh.",
    },
}


def add_page_articles(path) -> dict[str, int]:
    ids = {}
    with Archive(path) as archive:
        for key, article in PAGE_ARTICLES.items():
            archive.store_article(dict(article, fetched_at="2026-03-07T12:00:00+00:00"))
            ids[key] = archive.conn.execute("SELECT id FROM articles WHERE url = ?", [article["url"]]).fetchone()[0]
    return ids


@contextmanager
def running_server(path, *extra) -> Iterator[str]:
    """The base URL of `tintinh serve` on `path`, started for real, stopped afterwards."""
    port = free_port()
    proc = subprocess.Popen([str(TINTINH), "serve", "--db", str(path), "--port", str(port), *extra],
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
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def demo_archive(tmp_path_factory) -> Path:
    """demo.db made by `tintinh demo`, once per test session (test_browser.py uses it too)."""
    path = tmp_path_factory.getbasetemp() / "demo-archive" / "demo.db"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        done = subprocess.run([str(TINTINH), "demo", "--db", str(path)], capture_output=True, text=True,
                              timeout=180, cwd=path.parent)
        assert done.returncode == 0, done.stderr
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base URL, article ids by key) of a running `tintinh serve` on archive.db."""
    path = tmp_path_factory.mktemp("datasette") / "archive.db"
    ids = build_archive(path)
    ids.update(add_page_articles(path))
    with running_server(path) as base:
        yield base, ids


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(base URL, path) of `tintinh serve` on the demo archive."""
    path = demo_archive(tmp_path_factory)
    with running_server(path) as base:
        yield base, path


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
    # order=relevance since the default became newest first (dantri's "đã … năng" is newer)
    base, ids = server
    rows = get_json(base, "/archive/search.json", q="da nang", order="relevance", _shape="array")
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


def test_article_history_by_any_url_spelling_or_id(server):
    base, ids = server
    url = "https://www.baodanang.vn/mua-lon-gay-ngap-nhieu-tuyen-pho-3301234.html?utm_source=zalo"
    for article in (url, str(ids["danang"])):
        rows = get_json(base, "/archive/article_history.json", article=article, _shape="array")
        assert [r["version"] for r in rows] == ["current", "earlier"]
        assert "nước đã rút" in rows[0]["body"] and "nước đã rút" not in rows[1]["body"]


def test_the_article_versions_table_is_not_hidden_by_a_query_of_its_name(server):
    base, ids = server
    rows = get_json(base, "/archive/article_versions.json", _shape="array")
    assert [(r["article_id"], "nước đã rút" in r["body"]) for r in rows] == [(ids["danang"], False)]


def test_failures_grouped_by_site_and_reason(server):
    base, _ = server
    rows = get_json(base, "/archive/failures_by_site_and_reason.json", _shape="array")
    assert [(r["site"], r["reason"], r["failures"]) for r in rows] == [("baodanang", "not an article", 1)]


def test_articles_per_day_per_province_counts(server):
    base, _ = server
    rows = get_json(base, "/archive/articles_per_day_per_province.json", _shape="array")
    counts = {(r["day"], r["province"]): r["articles"] for r in rows}
    assert counts[("2026-03-06", "Đà Nẵng")] == 1
    assert counts[("2026-03-07", "Lào Cai")] == 2  # baolaocai's, and vietnamplus's naming Lào Cai in its title


def test_facets_on_site_province_category(server):
    base, _ = server
    data = get_json(base, "/archive/articles.json")
    facets = data["facet_results"]
    assert {"site", "province", "category"} <= set(facets)
    provinces = {v["value"]: v["count"] for v in facets["province"]["results"]}
    assert provinces["Phú Thọ"] == 2


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
    assert "Articles over time (chart)" in get(base, "/")[1]


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


# -- the article page -------------------------------------------------------------------------

def article_page(base, article_id, **params):
    status, html = get(base, f"/archive/articles/{article_id}", **params)
    assert status == 200
    return html


def test_article_page_reads_like_an_article(server):
    base, ids = server
    html = article_page(base, ids["danang"])
    assert '<h1 class="headline">Mưa lớn gây ngập nhiều tuyến phố trung tâm</h1>' in html
    assert "<title>Mưa lớn gây ngập nhiều tuyến phố trung tâm — Báo Đà Nẵng</title>" in html
    assert '<a class="paper" href="/archive/articles?site=baodanang">Báo Đà Nẵng</a>' in html
    assert '<a class="province" href="/archive/articles?province=%C4%90%C3%A0%20N%E1%BA%B5ng">Đà Nẵng</a>' in html
    assert '<time class="published" datetime="2026-03-06T07:15:00+07:00">2026-03-06 07:15 +07:00</time>' in html
    assert '<p class="sapo">Mưa lớn kéo dài từ đêm qua' in html
    paragraphs = ["Từ 22 giờ đêm 5/3", "Các tuyến đường Hoàng Diệu", "Ban Chỉ huy phòng thủ dân sự",
                  "Đến sáng 6/3, nước đã rút"]
    positions = [html.index(f"<p>{p}") for p in paragraphs]
    assert positions == sorted(positions)
    assert 'href="https://baodanang.vn/mua-lon-gay-ngap-nhieu-tuyen-pho-3301234.html"' in html
    assert "24 columns" not in html and "articles: " not in html


def test_article_page_puts_each_picture_where_its_caption_stood(server):
    base, ids = server
    html = article_page(base, ids["pictures"])
    first = html.index('<img src="https://image.sggp.org.vn/ben-thanh-1960.jpg"')
    assert html.index("<p>Triển lãm mở cửa") < first < html.index("<p>Nhiều khách tham quan")
    assert "<figcaption>Chợ Bến Thành năm 1960. Ảnh: Tư liệu</figcaption>" in html
    assert "<p>Chợ Bến Thành năm 1960" not in html  # the caption line became the figure
    second = html.index('<img src="https://image.sggp.org.vn/khach-tham-quan.jpg"')
    assert second > html.index("<p>Ban tổ chức cho biết")  # no caption line in the text: after it
    assert "<figcaption>Khách tham quan triển lãm. Ảnh: Hoàng Hùng</figcaption>" in html
    assert 'by <span class="authors">Hoàng Hùng</span>' in html
    assert '<time class="modified" datetime="2026-03-05T01:30:00+00:00">2026-03-05 08:30 +07:00</time>' in html


def test_article_page_without_pictures_or_date(server):
    base, ids = server
    html = article_page(base, ids["undated"])
    assert '<h1 class="headline">Thông báo lịch tiếp công dân</h1>' in html
    assert '<span class="published">No publication date</span>' in html
    assert "<figure>" not in html
    assert "<p>Lãnh đạo tỉnh tiếp công dân vào thứ năm hằng tuần.</p>" in html


def test_article_page_escapes_hostile_text_and_links(server):
    base, ids = server
    html = article_page(base, ids["hostile"])
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>" not in html
    assert "javascript:" not in html.replace("&#34;", "")
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; Tin &lt;b&gt;nóng&lt;/b&gt;" in html
    assert "<figcaption>&lt;i&gt;chú thích&lt;/i&gt;</figcaption>" in html
    assert "&lt;u&gt;liên quan&lt;/u&gt;" in html
    assert 'onmouseover="' not in html


def test_article_page_links_the_other_copies_of_its_story(server):
    base, ids = server
    html = article_page(base, ids["wire_b"])
    section = html[html.index('id="also-carried-by"'):html.index('id="versions"')]
    assert f'<a class="copy" href="/archive/articles/{ids["wire_a"]}">Báo Lào Cai</a>' in section
    assert "Khởi công cao tốc Lào Cai - Sa Pa <em>(first copy)</em>" in section
    other = article_page(base, ids["wire_a"])
    assert f'<a class="copy" href="/archive/articles/{ids["wire_b"]}">' in other
    alone = article_page(base, ids["hoa_chat"])
    assert "No other paper in the archive carries this story." in alone


def test_article_page_shows_a_word_diff_between_versions(server):
    base, ids = server
    html = article_page(base, ids["danang"])
    section = html[html.index('id="versions"'):html.index('id="fetch-record"')]
    assert "<strong>Version 1</strong>" in section and "<strong>Version 2 (current)</strong>" in section
    assert "<ins>Đến sáng 6/3, nước đã rút ở hầu hết các tuyến phố.</ins>" in section
    assert "<del>" not in section.replace("<del>removed</del>", "")  # only words were added
    assert "2026-03-08 09:00 +07:00" in section  # replaced 02:00 UTC, shown in Vietnam time


def test_article_page_shows_the_fetch_record_of_its_raw_page(tmp_path):
    path = tmp_path / "news.db"
    with Archive(path) as archive:
        page = archive.record_page(url="https://baolaocai.vn/a-post1.html", final_url="https://baolaocai.vn/a-post1.html",
                                   status=200, headers={"content-type": "text/html; charset=utf-8"},
                                   body=b"<html>raw</html>", fetched_at="2026-03-07T01:02:03+00:00", site="baolaocai")
        archive.store_article({"url": "https://baolaocai.vn/a-post1.html", "site": "baolaocai", "title": "Tiêu đề",
                               "body": "Nội dung."}, page_id=page)
    html = asyncio.run(fetch_in_process(path, "/news/articles/1"))
    section = html[html.index('id="fetch-record"'):html.index('id="archive-details"')]
    assert "2026-03-07 08:02 +07:00" in section and "<dd>200</dd>" in section
    assert "text/html; charset=utf-8" in section
    assert f'<a href="/news/pages/{page}">page {page}</a>' in section
    assert f'href="/news/pages/{page}.blob?_blob_column=body"' in section
    listing = asyncio.run(fetch_in_process(path, "/news/articles?_all=1"))
    assert f'<a href="/news/pages/{page}" title="page {page}">fetch 2026-03-07 08:02 +07:00</a>' in listing


def test_article_row_keeps_datasette_row_view_and_json(server):
    base, ids = server
    html = article_page(base, ids["danang"], _view="row")
    assert f"articles: {ids['danang']}" in html and "content_hash" in html
    row = get_json(base, f"/archive/articles/{ids['danang']}.json", _shape="array")[0]
    assert row["published_at"] == "2026-03-06T07:15:00+07:00"  # stored values, unconverted
    status, html = get(base, "/archive/sites/baodanang")
    assert status == 200 and "sites: baodanang" in html  # other tables keep the plain row page


async def fetch_in_process(path, url):
    from archive.serve import make_datasette
    ds = make_datasette(path)
    await ds.invoke_startup()
    response = await ds.client.get(url)
    assert response.status_code == 200, response.text
    return response.text


def test_word_diff_marks_replaced_words_and_escapes_them():
    html = word_diff("Nước sâu <b>nửa</b> mét.\nĐoạn hai.", "Nước sâu <b>một</b> mét.\nĐoạn hai.\nĐoạn ba.")
    assert html == ("Nước sâu <del>&lt;b&gt;nửa&lt;/b&gt;</del> <ins>&lt;b&gt;một&lt;/b&gt;</ins> mét. ¶<br>"
                    "Đoạn hai. ¶<br> <ins>Đoạn ba.</ins>")


def test_word_diff_keeps_a_few_words_around_a_change_in_a_long_text():
    words = [f"w{i}" for i in range(200)]
    html = word_diff(" ".join(words), " ".join(words[:100] + ["mới"] + words[100:]), context=3)
    assert html == '<span class="diff-skip">…</span> w97 w98 w99 <ins>mới</ins> w100 w101 w102 <span class="diff-skip">…</span>'


# -- tables that fit a screen -----------------------------------------------------------------

def columns_shown(html) -> list[str]:
    import re
    return re.findall(r'<th [^>]*data-column="([^"]+)"', html)


def test_articles_table_shows_the_reading_columns_unless_all_are_asked_for(server):
    base, _ = server
    _, html = get(base, "/archive/articles")
    assert columns_shown(html) == ["id", "title", "site", "province", "published_at", "authors", "sapo"]
    _, html = get(base, "/archive/articles", _all="1")
    assert {"content_hash", "published_raw", "canonical_url", "story_id", "page_id"} <= set(columns_shown(html))
    _, html = get(base, "/archive/articles", _col="content_hash")
    assert columns_shown(html) == ["id", "content_hash"]
    row = get_json(base, "/archive/articles.json", _shape="array", _size=1)[0]
    assert "content_hash" in row and "body" in row  # the JSON API keeps every column


def test_articles_table_links_titles_and_names_papers_and_authors(server):
    base, ids = server
    _, html = get(base, "/archive/articles", _search="trien lam")
    assert f'<a href="/archive/articles/{ids["pictures"]}">Triển lãm ảnh về Sài Gòn xưa</a>' in html
    assert '<a href="/archive/sites/sggp" title="sggp">Sài Gòn Giải Phóng</a>' in html
    assert '<td class="col-authors type-str">Hoàng Hùng</td>' in html
    assert '<time datetime="2026-03-05T08:00:00+07:00">2026-03-05 08:00 +07:00</time>' in html


def test_articles_table_is_newest_publication_first_undated_last(server):
    base, ids = server
    rows = get_json(base, "/archive/articles.json", _shape="array", _col="published_at", _size="max")
    dates = [r["published_at"] for r in rows]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True) and dates[-1] is None
    assert rows[-1]["id"] == ids["undated"]


def test_search_box_lists_hits_newest_crawled_first_unless_sorted(server):
    base, _ = server
    data = get_json(base, "/archive/articles.json", _search="hoa binh")
    assert data["human_description_en"].endswith("sorted by id descending")
    ids = [row[0] for row in data["rows"]]
    assert ids == sorted(ids, reverse=True) and len(ids) >= 2
    data = get_json(base, "/archive/articles.json", _search="hoa binh", _sort="title")
    assert data["human_description_en"].endswith("sorted by title")


def test_ids_are_links_with_readable_labels(server):
    base, ids = server
    _, html = get(base, "/archive/articles", _all="1", _search="cao toc lao cai")
    assert (f'<a href="/archive/articles/{ids["wire_a"]}" title="article {ids["wire_a"]}">'
            f'Báo Lào Cai: Khởi công cao tốc Lào Cai - Sa Pa</a>') in html          # duplicate_of
    assert f'<a href="/archive/stories?story_id={ids["wire_a"]}">story {ids["wire_a"]} (2 articles, 2 papers)</a>' in html
    _, html = get(base, "/archive/articles", _all="1", _search="mua lon")
    assert '<a href="/archive/sites/baodanang" title="baodanang">Báo Đà Nẵng</a>' in html  # site


def test_stories_view_lists_each_story_with_its_papers_and_times(server):
    base, ids = server
    rows = get_json(base, "/archive/stories.json", _shape="array", papers__gte="2")
    assert rows == [{"story_id": ids["wire_a"], "title": "Khởi công cao tốc Lào Cai - Sa Pa",
                     "first_article": ids["wire_a"], "papers": 2, "copies": 2,
                     "carried_by": '["Báo Lào Cai","VietnamPlus"]',
                     "first_published": "2026-03-07T09:10:00+07:00", "last_published": "2026-03-07T11:45:00+07:00"}]
    status, html = get(base, "/archive/stories")
    assert status == 200 and "Báo Lào Cai, VietnamPlus" in html


# -- one time zone ----------------------------------------------------------------------------

def visible_text(html) -> str:
    """The page without tags and attributes: what a reader sees."""
    import re
    return re.sub(r"<[^>]*>", " ", html)


@pytest.mark.parametrize("path", ["/archive/articles?_all=1", "/archive/failures", "/archive/pages",
                                  "/archive/article_history?article=9", "/archive/article_versions",
                                  "/archive/failures_by_site_and_reason", "/archive/_migrations"])
def test_every_time_shown_is_vietnam_time(server, path):
    base, _ = server
    _, html = get(base, path)
    text = visible_text(html)
    assert "+07:00" in text
    assert "+00:00" not in text and "Z " not in text


# -- search -----------------------------------------------------------------------------------

def search_rows(base, **params):
    return get_json(base, "/archive/search.json", _shape="array", **params)


def test_search_is_newest_publication_first_by_default(server):
    base, ids = server
    rows = search_rows(base, q="hoa binh")
    dates = [r["published_at"] for r in rows]
    assert dates == sorted(dates, reverse=True) and len(rows) >= 2
    assert [r["id"] for r in search_rows(base, q="hoa binh", order="oldest")] == [r["id"] for r in rows][::-1]


def test_search_collapses_the_copies_of_a_story(server):
    base, ids = server
    rows = search_rows(base, q="cao toc")
    story = [r for r in rows if r["id"] in (ids["wire_a"], ids["wire_b"])]
    assert len(story) == 1 and story[0]["id"] == ids["wire_b"]  # newest first: the newer copy stands
    assert story[0]["copies"] == 2 and json.loads(story[0]["other_copies"]) == [ids["wire_a"]]
    oldest = [r for r in search_rows(base, q="cao toc", order="oldest") if r["id"] in (ids["wire_a"], ids["wire_b"])]
    assert [(r["id"], json.loads(r["other_copies"])) for r in oldest] == [(ids["wire_a"], [ids["wire_b"]])]
    _, html = get(base, "/archive/search", q="cao toc")
    assert f'<a href="/archive/articles/{ids["wire_a"]}">Báo Lào Cai: Khởi công cao tốc Lào Cai - Sa Pa</a>' in html


def test_search_pages_go_beyond_the_first(server):
    base, _ = server
    everything = search_rows(base, q="va", size="100")
    assert len(everything) > 6 and everything[0]["stories_found"] == len(everything)
    pages = [search_rows(base, q="va", size="3", page=str(n)) for n in (1, 2, 3)]
    assert [r["id"] for page in pages for r in page] == [r["id"] for r in everything[:9]]
    assert [r["position"] for r in pages[1]] == [4, 5, 6]


def test_search_filters_by_paper_province_and_dates(server):
    base, ids = server
    assert [r["id"] for r in search_rows(base, q="cao toc", paper="vietnamplus")] == [ids["wire_b"]]
    assert [r["id"] for r in search_rows(base, q="cao toc", paper="Vietnam Plus".replace(" ", ""))] == [ids["wire_b"]]
    assert {r["id"] for r in search_rows(base, q="hoa binh", province="phu tho")} == {ids["hoabinh_old"], ids["hoabinh_new"]}
    # a pre-merger name is the province it is part of now: Hoà Bình is in Phú Thọ, Yên Bái in Lào Cai
    assert {r["id"] for r in search_rows(base, q="hoa binh", province="Hoà Bình")} == {ids["hoabinh_old"], ids["hoabinh_new"]}
    assert {r["id"] for r in search_rows(base, q="cao toc", province="yen bai", order="oldest")} == {ids["wire_a"]}
    assert [r["id"] for r in search_rows(base, q="hoa binh", since="2026-03-05", until="2026-03-05")] == [ids["hoabinh_new"]]


def test_search_filters_by_region(server):
    """A region is all of its provinces: Phú Thọ and Lào Cai are in the northern midlands and
    mountains (and the North), Đà Nẵng in the central coast; none of them in the Central Highlands."""
    base, ids = server
    hoabinh = {ids["hoabinh_old"], ids["hoabinh_new"]}
    assert {r["id"] for r in search_rows(base, q="hoa binh", province="Trung du và miền núi phía Bắc")} == hoabinh
    assert {r["id"] for r in search_rows(base, q="hoa binh", province="mien bac")} == hoabinh
    assert search_rows(base, q="hoa binh", province="Tây Nguyên") == []
    assert {r["id"] for r in search_rows(base, q="cao toc", province="northern midlands and mountains")} == {ids["wire_b"]}
    rows = get_json(base, "/archive/latest_by_province.json", province="miền Trung", _shape="array")
    assert ids["danang"] in {r["id"] for r in rows} and not hoabinh & {r["id"] for r in rows}
    data = get_json(base, "/-/tintinh/search.json", q="hoa binh", province="ĐB sông Cửu Long")
    assert data["results"] == []
    data = get_json(base, "/-/tintinh/search.json", q="hoa binh", province="Tây Bắc")
    assert {r["id"] for r in data["results"]} == hoabinh
    _, html = get(base, "/-/tintinh/search", q="hoa binh")
    assert '<option value="Tây Nguyên" label="region: Gia Lai, Đắk Lắk, Lâm Đồng">' in html


def test_search_page_shows_no_sql_and_titles_its_tab(server):
    base, _ = server
    _, html = get(base, "/archive/search", q="da nang")
    assert "<title>Search (accents optional) — archive</title>" in html
    assert "with matches as" not in html and "<textarea" not in html
    assert "_show_sql=1" in html  # shown when asked


def test_search_page_of_the_plugin_pages_and_folds_copies(server):
    base, ids = server
    status, html = get(base, "/-/tintinh/search", q="cao toc")
    assert status == 200
    assert f'<a class="title" href="/archive/articles/{ids["wire_b"]}">Khởi công tuyến cao tốc nối Lào Cai và Sa Pa</a>' in html
    assert '<details class="copies"><summary>2 copies: also carried by 1 other</summary>' in html
    assert f'<a class="copy" href="/archive/articles/{ids["wire_a"]}">Báo Lào Cai</a>' in html
    _, html = get(base, "/-/tintinh/search", q="va", size="3", page="2")
    assert 'rel="prev"' in html and 'rel="next"' in html and '<ol class="tintinh-results" start="4">' in html
    data = get_json(base, "/-/tintinh/search.json", q="va", size="3", page="2")
    assert data["page"] == 2 and len(data["results"]) == 3 and data["pages"] >= 3
    assert [r["id"] for r in data["results"]] == [r["id"] for r in search_rows(base, q="va", size="3", page="2")]


def test_search_page_escapes_the_query(server):
    base, _ = server
    _, html = get(base, "/-/tintinh/search", q='"><script>alert(1)</script>')
    assert "<script>alert(1)" not in html


def test_article_history_query_shows_a_word_diff(server):
    base, ids = server
    _, html = get(base, "/archive/article_history", article=str(ids["danang"]))
    assert "<ins>Đến sáng 6/3, nước đã rút ở hầu hết các tuyến phố.</ins>" in html


# -- the demo archive and the README ----------------------------------------------------------

README = Path(__file__).resolve().parents[1] / "README.md"
CORRECTED = "https://baothanhhoa.vn/khu-kinh-te-nghi-son-thu-hut-them-12-du-an-dau-tu-900163.htm"


def test_demo_archive_holds_every_kind_of_row_the_readme_mentions(demo):
    import sqlite3
    import unicodedata
    _, path = demo
    with sqlite3.connect(path) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        assert one("SELECT count(*) FROM articles") >= 100
        assert one("SELECT count(DISTINCT site) FROM articles") >= 8
        assert one("SELECT count(DISTINCT province) FROM articles WHERE province != ''") >= 6
        assert one("SELECT count(*) FROM stories WHERE papers >= 2") >= 5
        assert one("SELECT max(papers) FROM stories") >= 4
        assert one("SELECT count(*) FROM article_versions") >= 1
        assert one("SELECT count(DISTINCT reason) FROM failures") >= 4
        assert one("SELECT count(*) FROM images WHERE caption IS NOT NULL") >= 10
        assert one("SELECT count(*) FROM articles WHERE published_at IS NULL") == 0
        assert one("SELECT count(*) FROM runs") == 2
        titles = [t for (t,) in conn.execute("SELECT title FROM articles")]
    assert all(unicodedata.is_normalized("NFC", t) for t in titles)
    assert any("ệ" in t or "ữ" in t for t in titles) and "Thanh Hoá chủ động ứng phó đợt rét đậm, rét hại" in titles


def readme_paths() -> list[str]:
    section = README.read_text(encoding="utf-8").split("## Browsing and searching", 1)[1].split("\n## ", 1)[0]
    return sorted(set(re.findall(r"`(/[^`\s]*)`", section)))


def test_every_url_of_the_readme_works_on_the_demo(demo):
    base, _ = demo
    paths = readme_paths()
    assert len(paths) >= 12
    for path in paths:
        if path.endswith("…") or path in ("/demo/…", "/archive/…", "/-/tintinh/…"):
            continue
        status, _ = get(base, urllib.parse.quote(path, safe="/?=&+:.%-_"))
        assert status == 200, path


def test_the_readme_examples_find_what_it_says_on_the_demo(demo):
    base, _ = demo
    cold = get_json(base, "/-/tintinh/search.json", q="khong khi lanh")["results"]
    assert [r["copies"] for r in cold if r["copies"] > 1] == [6]
    titles = [r["title"] for r in get_json(base, "/demo/articles.json", _search="thanh hoa", _shape="array", _size="max")]
    assert any("Thanh Hóa" in t for t in titles) and any("Thanh Hoá" in t for t in titles)
    exact = [r["title"] for r in get_json(base, "/demo/articles.json", _search="Hóa", _fts_table="articles_fts_exact",
                                          _shape="array", _size="max")]
    assert any("Thanh Hoá" in t for t in exact) and not any("hòa lưới" in t for t in exact)
    assert any("hòa lưới" in r["title"] for r in get_json(base, "/demo/articles.json", _search="hoa luoi", _shape="array"))
    paper = get_json(base, "/-/tintinh/search.json", q="ca phe", paper="baogialai")["results"]
    assert paper and {r["site"] for r in paper} == {"baogialai"}


def test_the_corrected_demo_article_shows_what_changed(demo):
    base, _ = demo
    status, html = get(base, "/-/tintinh/article", url=CORRECTED)  # redirected to its page
    assert status == 200 and '<h1 class="headline">Khu kinh tế Nghi Sơn thu hút thêm 12 dự án đầu tư</h1>' in html
    assert "<del>6.200</del> <ins>7.100</ins>" in html and "<del>4</del> <ins>5</ins>" in html
    assert "<ins>Ghi chú: bài viết đã được cập nhật" in html


def test_serve_passes_its_other_arguments_to_datasette(demo, tmp_path):
    _, path = demo
    other = tmp_path / "other.db"
    import sqlite3
    sqlite3.connect(other).execute("CREATE TABLE notes (x)").connection.commit()
    done = subprocess.run([str(TINTINH), "serve", "--db", str(path), "--setting", "default_page_size", "7",
                           str(other), "--get", "/-/settings.json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    settings = json.loads(done.stdout)
    assert settings["default_page_size"] == 7 and settings["suggest_facets"] is False
    done = subprocess.run([str(TINTINH), "serve", "--db", str(path), str(other), "--get", "/-/databases.json"],
                          capture_output=True, text=True, timeout=60)
    assert sorted(d["name"] for d in json.loads(done.stdout)) == ["demo", "other"]


def test_plain_datasette_with_the_plugins_dir_gets_the_metadata_for_any_file_name(demo, tmp_path):
    import shutil
    _, path = demo
    news = tmp_path / "news.db"
    shutil.copy(path, news)
    datasette = Path(sys.executable).with_name("datasette")
    plugins = Path(__file__).resolve().parents[1] / "archive" / "datasette" / "plugins"
    done = subprocess.run([str(datasette), str(news), "--plugins-dir", str(plugins), "--get",
                           "/news/search.json?q=lao+cai&_shape=array"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) and all("copies" in r for r in json.loads(done.stdout))
    done = subprocess.run([str(datasette), str(news), "--plugins-dir", str(plugins), "--get",
                           f"/news/articles/{json.loads(done.stdout)[0]['id']}"], capture_output=True, text=True, timeout=60)
    assert '<h1 class="headline">' in done.stdout and 'id="also-carried-by"' in done.stdout
