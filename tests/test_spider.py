"""NewsSpider callbacks, the page checks and the pipelines' pure parts, without a reactor.

Responses are built from the real saved pages and the mirror's feeds in tests/fixtures/site.
"""
import asyncio
import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler import settings as project_settings
from archive.lock import db_lock
from crawler.middlewares import mirror_url, origin_map, real_url
from crawler.sites import UnknownSite, get_site, load_sites
from crawler.spiders.news import NewsSpider, Page, failure_reason
from pipelines.decode import charset_problem
from pipelines.stages import ExtractPipeline, Failed, validation_problem

SITE = Path(__file__).parent / "fixtures" / "site"
BAOLAOCAI_URL = "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html"


def fixture_bytes(name: str) -> bytes:
    data = (SITE / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


PROJECT_SETTINGS = {k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper()}


def make_spider(**kwargs) -> NewsSpider:
    crawler = get_crawler(NewsSpider, {**PROJECT_SETTINGS, "TINTINH_DB": None})
    return crawler._create_spider(**kwargs)


def request_urls(output) -> list[str]:
    return [r.url for r in output if isinstance(r, Request)]


# -- arguments ----------------------------------------------------------------------------

def test_spider_needs_a_site_or_a_url():
    with pytest.raises(ValueError, match="site=SLUG"):
        NewsSpider()
    with pytest.raises(ValueError):
        NewsSpider(site="baolaocai", url="https://baolaocai.vn/")


def test_unknown_slug_is_refused_with_the_known_ones():
    with pytest.raises(UnknownSite, match="known: .*baolaocai"):
        NewsSpider(site="khong-co")


def test_site_all_and_comma_lists_name_the_sites_crawled():
    assert NewsSpider(site="all").slugs == sorted(load_sites())
    assert NewsSpider(site="plo, baolaocai").slugs == ["plo", "baolaocai"]


def test_url_of_an_unknown_site_is_crawled_under_its_host():
    spider = NewsSpider(url="https://www.tinh.example/kinh-doanh")
    assert spider.slugs == ["tinh.example"] and spider.sites == []


def test_url_of_a_registered_site_uses_that_site():
    assert NewsSpider(url="https://baolaocai.vn/xa-hoi/").slugs == ["baolaocai"]


# -- discovery callbacks --------------------------------------------------------------------

def test_feed_yields_only_this_sites_article_urls_once_each():
    spider = make_spider(site="baolaocai")
    feed = XmlResponse("https://baolaocai.vn/rss/home.rss", body=fixture_bytes("baolaocai-home.rss"))
    urls = request_urls(spider.parse_feed(feed, "baolaocai"))
    assert "https://baolaocai.vn/bai-cu-chuyen-huong-post404649.html" in urls
    assert "https://baolaocai.vn/chinh-tri/" not in urls          # a section, not an article
    assert len(urls) == 11 and len(set(urls)) == 11
    # the same article without tracking parameters is not queued a second time
    sitemap = XmlResponse("https://baolaocai.vn/sitemaps/2025-06.xml",
                          body=fixture_bytes("baolaocai-sitemap-2025-06.xml"))
    assert request_urls(spider.parse_sitemap(sitemap, "baolaocai")) == []


def test_article_requests_go_before_discovery_and_reach_the_errback():
    spider = make_spider(site="baolaocai")
    feed = XmlResponse("https://baolaocai.vn/rss/home.rss", body=fixture_bytes("baolaocai-home.rss"))
    request = next(iter(spider.parse_feed(feed, "baolaocai")))
    assert request.priority > 0 and request.errback == spider.fetch_failed
    assert request.dont_filter  # a redirect loop must reach REDIRECT_MAX_TIMES, not the dupefilter


def test_limit_caps_new_article_requests_per_site():
    spider = make_spider(site="baolaocai", limit="3")
    feed = XmlResponse("https://baolaocai.vn/rss/home.rss", body=fixture_bytes("baolaocai-home.rss"))
    assert len(request_urls(spider.parse_feed(feed, "baolaocai"))) == 3


def test_sitemap_index_follows_news_sitemaps_first():
    spider = make_spider(site="baolaocai")
    index = XmlResponse("https://baolaocai.vn/sitemap.xml", body=fixture_bytes("baolaocai-sitemap.xml"))
    assert request_urls(spider.parse_sitemap(index, "baolaocai")) == [
        "https://baolaocai.vn/sitemaps/news.xml", "https://baolaocai.vn/sitemaps/2025-06.xml"]


def test_section_page_yields_the_article_links_of_a_real_listing():
    spider = make_spider(site="tuoitre")
    listing = HtmlResponse("https://tuoitre.vn/kinh-doanh.htm", body=fixture_bytes("tuoitre-list.html.gz"),
                           request=Request("https://tuoitre.vn/kinh-doanh.htm", meta={"kind": "section"}))
    urls = request_urls(spider.parse_section(listing, "tuoitre"))
    assert "https://tuoitre.vn/chien-su-day-gia-hoa-nhap-khau-dip-8-3-tang-manh-20260307075519174.htm" in urls
    assert urls and all(u.startswith("https://tuoitre.vn/") and u.endswith(".htm") for u in urls)


def test_start_page_of_an_unknown_site_finds_its_feed_and_articles_by_shape():
    spider = make_spider(url="https://tinh.example/kinh-doanh")
    page = HtmlResponse("https://tinh.example/kinh-doanh", body=fixture_bytes("vietnamnet-list.html.gz"),
                        request=Request("https://tinh.example/kinh-doanh", meta={"kind": "start"}))
    urls = request_urls(spider.parse_section(page, "tinh.example"))
    assert urls[0] == "https://tinh.example/kinh-doanh.rss"
    assert "https://tinh.example/co-phieu-flc-duoc-giao-dich-tro-lai-2495349.html" in urls


def test_html_served_as_a_feed_is_a_recorded_failure_not_silence():
    spider = make_spider(site="baolaocai")
    page = XmlResponse("https://baolaocai.vn/rss/home.rss", body="<html><body>Trang chủ</body></html>".encode(),
                       request=Request("https://baolaocai.vn/rss/home.rss", meta={"kind": "feed"}))
    [failure] = spider.parse_feed(page, "baolaocai")
    assert isinstance(failure, Page) and failure.failure == "bad_feed" and failure.detail.startswith("feed:")


# -- article pages ----------------------------------------------------------------------------

def article_response(body: bytes, content_type: str, url: str = BAOLAOCAI_URL, cls=HtmlResponse):
    request = Request(url, meta={"kind": "article"})
    return cls(url, body=body, headers={"Content-Type": content_type}, request=request)


def test_article_page_becomes_a_raw_page_item():
    spider = make_spider(site="baolaocai")
    body = fixture_bytes("baolaocai-404649.html.gz")
    [page] = spider.parse_article(article_response(body, "text/html; charset=utf-8"), "baolaocai")
    assert (page.url, page.final_url, page.status, page.site) == (BAOLAOCAI_URL, BAOLAOCAI_URL, 200, "baolaocai")
    assert page.body == body and not page.failure and page.fetched_at.endswith("+00:00")
    assert "body=" not in repr(page)  # logs never dump a whole page


def test_pdf_at_an_article_url_is_not_html():
    spider = make_spider(site="baolaocai")
    response = article_response(b"%PDF-1.4\n", "application/pdf", cls=Response)
    [page] = spider.parse_article(response, "baolaocai")
    assert page.failure == "not_html" and "application/pdf" in page.detail and page.body is None


def test_page_in_another_charset_than_declared_is_a_failure_that_keeps_the_bytes():
    spider = make_spider(site="baolaocai")
    body = fixture_bytes("baolaocai-404649-cp1258.html.gz")
    [page] = spider.parse_article(article_response(body, "text/html; charset=utf-8"), "baolaocai")
    assert page.body == body and not page.failure   # fetched whole; extraction finds the charset wrong
    with pytest.raises(Failed) as dropped:
        extracted(page)
    assert dropped.value.reason == "bad_charset" and "not valid utf-8" in dropped.value.detail


def test_charset_check_accepts_real_utf8_and_honest_windows_1258():
    assert charset_problem(fixture_bytes("baolaocai-404649.html.gz"), "text/html") == ""
    cp1258 = fixture_bytes("baolaocai-404649-cp1258.html.gz")
    assert "not valid utf-8" in charset_problem(cp1258, "text/html; charset=utf-8")
    assert charset_problem(cp1258, "text/html; charset=windows-1258") == ""


@pytest.mark.parametrize("exc, reason", [
    (CannotResolveHostError("DNS lookup failed"), "dns_error"),
    (DownloadConnectionRefusedError("refused"), "connection_refused"),
    (DownloadTimeoutError("took longer than 2.0 seconds"), "timeout"),
    (DownloadCancelledError("Expected to receive 3000000 bytes which is larger than download max size (2000000)"), "too_large"),
    (IgnoreRequest("max redirections reached"), "redirect_loop"),
    (IgnoreRequest("Forbidden by robots.txt"), "robots_forbidden"),
    (ValueError("odd"), "valueerror"),
])
def test_network_failures_get_named_reasons(exc, reason):
    assert failure_reason(Failure(exc))[0] == reason


def test_http_errors_are_named_by_status():
    response = TextResponse(BAOLAOCAI_URL, status=503, body=b"busy")
    assert failure_reason(Failure(HttpError(response, "ignored"))) == ("http_503", "HTTP 503")


def test_errback_turns_a_failed_article_fetch_into_a_failure_item():
    spider = make_spider(site="baolaocai")
    request = Request(BAOLAOCAI_URL, meta={"kind": "article", "site": "baolaocai"})
    failure = Failure(DownloadTimeoutError("took longer than 2.0 seconds"))
    failure.request = request
    [page] = spider.fetch_failed(failure)
    assert (page.url, page.site, page.failure, page.kind) == (BAOLAOCAI_URL, "baolaocai", "timeout", "article")


def test_missing_robots_txt_is_not_a_failure():
    spider = make_spider(site="baolaocai")
    request = Request("https://baolaocai.vn/robots.txt", meta={"kind": "robots", "site": "baolaocai"})
    failure = Failure(HttpError(TextResponse(request.url, status=404, request=request), "ignored"))
    failure.request = request
    assert list(spider.fetch_failed(failure)) == []


# -- mirror origins ---------------------------------------------------------------------------

def test_origin_by_slug_covers_every_domain_of_the_site():
    site = get_site("baolaocai")
    hosts = origin_map({"baolaocai": "http://127.0.0.1:8000/"})
    assert set(site.domains + site.old_domains) <= set(hosts)
    assert hosts[site.domains[0]] == "http://127.0.0.1:8000"
    assert origin_map({"www.tinh.example": "http://127.0.0.1:9/x"}) == {"tinh.example": "http://127.0.0.1:9/x"}


def test_mirror_urls_round_trip_to_the_real_url():
    base = "http://127.0.0.1:8000/baolaocai.vn"
    mirrored = mirror_url(BAOLAOCAI_URL + "?utm_source=rss", base)
    assert mirrored == base + "/song-dep-tu-nhung-dieu-gian-di-post404649.html?utm_source=rss"
    assert real_url(mirrored, base, "https://baolaocai.vn") == BAOLAOCAI_URL + "?utm_source=rss"
    assert real_url("https://other.vn/x", base, "https://baolaocai.vn") == "https://other.vn/x"


# -- pipelines' pure parts ----------------------------------------------------------------------

def raw_page(name: str, url: str = BAOLAOCAI_URL, site: str = "baolaocai") -> Page:
    """A fetched page as the spider yields it: with what the registry knows of its site."""
    return Page(url=url, site=site, site_profile=get_site(site).profile(), final_url=url, status=200,
                body=fixture_bytes(name), fetched_at="2026-01-01T00:00:00+00:00")


def extracted(page: Page) -> Page:
    """The extract stage's process_item (a coroutine), extracting in this process."""
    return asyncio.run(ExtractPipeline().process_item(page))


def test_extract_stage_fills_the_article_with_site_facts():
    item = extracted(raw_page("baolaocai-404649.html.gz"))
    article = item.article
    assert article["title"] == "Sống đẹp từ những điều giản dị"
    assert article["published_at"] == "2025-06-17T13:43:02+07:00"
    assert (article["url"], article["site"], article["province"]) == (BAOLAOCAI_URL, "baolaocai", "Lào Cai")
    assert article["fetched_at"] == "2026-01-01T00:00:00+00:00"


def test_extract_stage_drops_a_listing_as_not_an_article():
    with pytest.raises(Failed) as dropped:
        extracted(raw_page("vnexpress-list.html.gz"))
    assert dropped.value.reason == "not_an_article"


def test_extract_stage_passes_fetch_failures_on_as_drops_with_their_reason():
    page = Page(url=BAOLAOCAI_URL, site="baolaocai", failure="timeout", detail="took too long")
    with pytest.raises(Failed) as dropped:
        extracted(page)
    assert (dropped.value.reason, dropped.value.detail) == ("timeout", "took too long")


@pytest.mark.parametrize("article, reason", [
    ({"title": "", "body": "x" * 500}, "no_title"),
    ({"title": "Tin", "body": "Ngắn."}, "short_body"),
    ({"title": "B\ufffdo L\ufffdo Cai", "body": "x" * 500}, "bad_charset"),
])
def test_validation_names_the_reason_an_article_is_dropped(article, reason):
    assert validation_problem(article, 80)[0] == reason


def test_validation_keeps_a_real_article():
    item = extracted(raw_page("plo-874982.html.gz", "https://plo.vn/a-post874982.html", "plo"))
    assert validation_problem(item.article, 80) is None


# -- one crawl per archive ------------------------------------------------------------------------

def test_lock_is_reentrant_in_one_process_and_exclusive_across_processes(tmp_path):
    db = tmp_path / "a.db"
    other = [sys.executable, "-c", "import sys; from archive.lock import db_lock\n"
             "try:\n    db_lock(sys.argv[1]).__enter__()\nexcept Exception as e:\n    print(e); sys.exit(3)",
             str(db)]
    with db_lock(db):
        with db_lock(db):
            pass
        done = subprocess.run(other, capture_output=True, text=True, env={**os.environ})
        assert done.returncode == 3 and f"pid {os.getpid()}" in done.stdout
    assert subprocess.run(other, capture_output=True).returncode == 0
