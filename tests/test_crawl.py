"""End to end: `tintinh crawl` (real Scrapy engine, in a subprocess) against the fixture mirror on
127.0.0.1, into a real SQLite archive. The mirror serves real saved pages under the sites' real
URLs plus every failure a crawl meets (tests/fixtures/site/site.toml).
"""
import json
import logging
import re
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from crawler.sites import get_site
from mockserver import FAST, TINTINH, run_crawl

ROOT = Path(__file__).resolve().parents[1]   # scrapy.cfg: `scrapy crawl` runs from the project root
SITES = ["baolaocai", "plo", "tuoitre", "dantri"]
ARTICLES = {  # url → (site, province, title, published_at): the pages' own facts
    "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html":
        ("baolaocai", "Lào Cai", "Sống đẹp từ những điều giản dị", "2025-06-17T13:43:02+07:00"),
    "https://plo.vn/doan-dai-bieu-tphcm-dang-hoa-tuong-niem-cac-anh-hung-liet-si-tai-binh-duong-ba-ria-vung-tau-cu-post874982.html":
        ("plo", get_site("plo").province,
         "Đoàn đại biểu TP.HCM dâng hoa, tưởng niệm các anh hùng liệt sĩ tại Bình Dương, Bà Rịa - Vũng Tàu (cũ)",
         "2025-10-11T10:02:08+07:00"),
    "https://tuoitre.vn/chien-su-day-gia-hoa-nhap-khau-dip-8-3-tang-manh-20260307075519174.htm":
        ("tuoitre", get_site("tuoitre").province, "Chiến sự đẩy giá hoa nhập khẩu dịp 8-3 tăng mạnh",
         "2026-03-07T08:01:53+07:00"),
    "https://dantri.com.vn/kinh-doanh/gia-vang-giam-van-cao-hon-the-gioi-gan-20-trieu-dongluong-20260307080054340.htm":
        ("dantri", get_site("dantri").province, "Giá vàng giảm, vẫn cao hơn thế giới gần 20 triệu đồng/lượng",
         "2026-03-07T08:07:18+07:00"),
}
B = "https://baolaocai.vn/"
FAILURES = {  # url → reason, one per kind of failure the mirror serves
    B + "bai-da-xoa-post100001.html": "http_404",
    B + "loi-may-chu-post100002.html": "http_500",
    B + "vong-lap-a-post100003.html": "redirect_loop",
    B + "tai-lieu-dinh-kem-post100004.html": "not_html",
    B + "trang-ma-cu-post100005.html": "bad_charset",
    B + "tin-tong-hop-post100006.html": "not_an_article",
    B + "trang-cham-post100007.html": "timeout",
    B + "trang-qua-lon-post100008.html": "too_large",
    B + "bai-noi-bo-post100009.html": "robots_forbidden",
    B + "sitemaps/news.xml": "http_404",            # a child of the sitemap index that is gone
    get_site("tuoitre").feeds[0]: "http_404",        # a registered feed the mirror lacks
}
log = logging.getLogger(__name__)


def rows(db: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def counts(db: Path) -> dict[str, int]:
    return {t: rows(db, f"SELECT count(*) FROM {t}")[0][0]
            for t in ("articles", "pages", "article_versions", "failures")}


def summary_row(stdout: str, site: str) -> dict:
    header, *lines = [line for line in stdout.splitlines() if line.startswith(("site ", site + " "))]
    values = lines[0].split()
    return dict(zip(header.split()[1:], map(int, values[1:8])))


@pytest.fixture(scope="module")
def first(server, tmp_path_factory):
    db = tmp_path_factory.mktemp("crawl") / "archive.db"
    done, seconds = run_crawl(SITES, db, server.origins())
    pages = counts(db)["pages"]
    log.warning("crawl test: %d pages archived in %.2f s (whole `tintinh crawl` process) = %.1f pages/s",
                pages, seconds, pages / seconds)
    return db, done, list(server.served)


@pytest.fixture(scope="module")
def second(server, first):
    db = first[0]
    before = counts(db)
    server.served.clear()
    done, _ = run_crawl(SITES, db, server.origins())
    return before, counts(db), done, list(server.served)


def test_crawl_exits_zero_and_prints_a_summary_and_how_to_browse(first):
    db, done, _ = first
    assert done.returncode == 0, done.stderr
    assert f"open it with: tintinh serve --db {db}" in done.stdout
    assert summary_row(done.stdout, "plo") == {"fetched": 1, "new": 1, "updated": 0, "unchanged": 0,
                                                "duplicates": 0, "failed": len(get_site("plo").feeds)
                                                + len(get_site("plo").sections), "skipped": 0}


def test_articles_from_feed_sitemap_and_section_are_archived_with_their_facts(first):
    db = first[0]
    got = {url: (site, province, title, published)
           for url, site, province, title, published in rows(
               db, "SELECT canonical_url, site, province, title, published_at FROM articles")}
    assert got == ARTICLES


def test_archive_keeps_real_urls_never_the_mirror(first):
    db = first[0]
    for table, columns in {"articles": "url || canonical_url", "pages": "url || final_url",
                           "failures": "url || detail"}.items():
        assert rows(db, f"SELECT count(*) FROM {table} WHERE {columns} LIKE '%127.0.0.1%'") == [(0,)]


def test_every_failure_is_recorded_with_reason_and_time(first):
    db = first[0]
    recorded = {url: (reason, fetched_at) for url, reason, fetched_at in rows(
        db, "SELECT url, reason, fetched_at FROM failures WHERE run_id = 1")}
    for url, reason in FAILURES.items():
        assert recorded[url][0] == reason, url
        assert recorded[url][1].startswith("20")


def test_pages_that_are_no_article_keep_their_raw_body(first):
    db = first[0]
    kept = dict(rows(db, "SELECT url, failure FROM pages WHERE failure IS NOT NULL"))
    assert kept[B + "tin-tong-hop-post100006.html"] == "not_an_article"
    assert kept[B + "trang-ma-cu-post100005.html"] == "bad_charset"


def test_redirect_is_followed_and_the_moved_article_stored_once(first):
    db = first[0]
    assert rows(db, "SELECT final_url, status FROM pages WHERE url = ?", B + "bai-cu-chuyen-huong-post404649.html") == [
        (B + "song-dep-tu-nhung-dieu-gian-di-post404649.html", 200)]
    assert rows(db, "SELECT count(*) FROM articles WHERE site = 'baolaocai'") == [(1,)]


def test_robots_txt_is_obeyed_and_its_sitemap_index_read(first):
    served = first[2]
    assert "baolaocai.vn/bai-noi-bo-post100009.html" not in served
    assert "baolaocai.vn/sitemaps/2025-06.xml" in served


def test_run_is_recorded_per_site(first):
    db = first[0]
    runs = {site: (fetched, new, failed) for site, fetched, new, failed in rows(
        db, "SELECT site, fetched, new, failed FROM crawl_runs WHERE run_id = 1")}
    assert set(runs) == set(SITES)
    assert runs["baolaocai"][1] == 1 and runs["baolaocai"][2] >= len(FAILURES) - 1


def test_second_crawl_adds_nothing_and_skips_archived_articles_before_fetching(first, second):
    before, after, done, served = second
    assert done.returncode == 0, done.stderr
    assert {t: after[t] for t in ("articles", "pages", "article_versions", "failures")} == \
        {t: before[t] for t in ("articles", "pages", "article_versions", "failures")}
    for url in ARTICLES:
        assert url.split("://", 1)[1] not in served
    assert "baolaocai.vn/bai-cu-chuyen-huong-post404649.html" not in served
    assert "baolaocai.vn/tin-tong-hop-post100006.html" not in served   # its page is stored
    assert summary_row(done.stdout, "baolaocai")["new"] == 0
    assert summary_row(done.stdout, "baolaocai")["skipped"] == 5


def test_second_crawl_retries_only_what_failed_to_download(first, second):
    retried = rows(first[0], "SELECT reason, times FROM failures WHERE run_id = 2")
    assert retried and {reason for reason, _ in retried} <= {
        "http_404", "http_500", "redirect_loop", "timeout", "too_large", "robots_forbidden"}
    assert {times for _, times in retried} == {2}  # the same row again, counted, not a second row


def test_refresh_fetches_archived_articles_again_without_adding_any(server, first, second):
    db = first[0]
    before = counts(db)
    server.served.clear()
    done, _ = run_crawl(["baolaocai", "plo", "--refresh"], db, server.origins())
    assert done.returncode == 0, done.stderr
    assert "plo.vn/doan-dai-bieu-tphcm-dang-hoa-tuong-niem-cac-anh-hung-liet-si-tai-binh-duong-ba-ria-vung-tau-cu-post874982.html" in server.served
    assert counts(db)["articles"] == before["articles"]
    assert counts(db)["pages"] > before["pages"]
    assert summary_row(done.stdout, "plo")["unchanged"] == 1


def test_url_crawls_a_site_not_in_the_registry(server, tmp_path):
    db = tmp_path / "url.db"
    server.served.clear()
    done, _ = run_crawl(["--url", "https://tinh.example/kinh-doanh"], db, server.origins())
    assert done.returncode == 0, done.stderr
    assert rows(db, "SELECT site, title FROM articles") == [("tinh.example", "Cổ phiếu FLC được giao dịch trở lại")]
    assert "tinh.example/kinh-doanh.rss" in server.served      # <link rel=alternate> of the start page
    assert "tinh.example/sitemap.xml" in server.served         # announced in robots.txt


def test_connection_refused_everywhere_exits_nonzero_with_failures_recorded(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]   # closed again below: nothing listens there
    db = tmp_path / "refused.db"
    done, _ = run_crawl(["plo"], db, {"plo": f"http://127.0.0.1:{port}"})
    assert done.returncode == 1
    assert "nothing could be fetched" in done.stderr
    assert {r for (r,) in rows(db, "SELECT DISTINCT reason FROM failures")} == {"connection_refused"}


def test_unresolvable_host_is_a_dns_failure(tmp_path):
    db = tmp_path / "dns.db"
    done, _ = run_crawl(["--url", "https://khong-ton-tai.invalid/"], db)
    assert done.returncode == 1
    assert rows(db, "SELECT url, reason FROM failures WHERE url = 'https://khong-ton-tai.invalid/'") == [
        ("https://khong-ton-tai.invalid/", "dns_error")]


def test_scrapy_crawl_news_runs_the_same_pipeline(server, tmp_path):
    db = tmp_path / "scrapy.db"
    command = [str(TINTINH.with_name("scrapy")), "crawl", "news", "-a", "site=dantri", "-s", f"TINTINH_DB={db}",
               "-s", "TINTINH_ORIGINS=" + json.dumps(server.origins())]
    for key, value in FAST.items():
        command += ["-s", f"{key}={value}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "'new': 1" in done.stderr  # the run summary is in the crawl's stats
    assert rows(db, "SELECT site, title FROM articles") == [
        ("dantri", "Giá vàng giảm, vẫn cao hơn thế giới gần 20 triệu đồng/lượng")]


def test_scrapy_feed_export_writes_the_archived_articles(server, tmp_path):
    db, feed = tmp_path / "feed.db", tmp_path / "items.jsonl"
    command = [str(TINTINH.with_name("scrapy")), "crawl", "news", "-a", "site=dantri", "-s", f"TINTINH_DB={db}",
               "-s", "TINTINH_ORIGINS=" + json.dumps(server.origins()), "-O", str(feed)]
    for key, value in FAST.items():
        command += ["-s", f"{key}={value}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    items = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
    assert [(i["title"], i["archive_status"]) for i in items] == [
        ("Giá vàng giảm, vẫn cao hơn thế giới gần 20 triệu đồng/lượng", "new")]
    assert items[0]["url"].startswith("https://dantri.com.vn/") and items[0]["authors"] == ["Tri Túc"]


def test_limit_fetches_at_most_n_articles_per_site(server, tmp_path):
    server.served.clear()
    done, _ = run_crawl(["tuoitre", "--limit", "2"], tmp_path / "limit.db", server.origins())
    assert done.returncode == 0, done.stderr
    articles = [key for key in server.served if re.fullmatch(r"tuoitre\.vn/[a-z0-9-]+-\d{17}\.htm", key)]
    assert len(articles) == 2
