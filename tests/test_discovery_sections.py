"""Discovery that finds what a site publishes: the sections of its navigation and their next
pages, article URLs by a shape learned from the site (short ids), a line when nothing is found,
and backfills that walk month sitemaps and paginated sections back to a date.

Crawls run `tintinh crawl --url` (the real Scrapy engine, in a subprocess) against
tests/hostile.py servers; the pure parts are tested with inline HTML.
"""
import sqlite3
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from crawler import discovery
from hostile import HostileServer, article_page, page
from mockserver import run_crawl

# -- the pure parts ----------------------------------------------------------------------------------

NAV = ('<header><ul class="main-menu"><li><a href="/">Trang chủ</a></li><li><a href="/thoi-su.html">'
       'Thời sự</a></li><li><a href="/kinh-te.html">Kinh tế</a></li><li><a href="/lien-he.html">Liên hệ'
       '</a></li><li><a href="/tim-kiem?q=a">Tìm</a></li><li><a href="/tag/lua-gao.html">Lúa gạo</a>'
       '</li></ul></header>')


def test_section_links_are_the_navigations_listings_without_home_contact_search_or_tags():
    html = f"<html><body>{NAV}<a href='/thoi-su/mot-bai-bao-dai-12.html'>bài</a></body></html>"
    assert discovery.section_links(html, "http://x.vn/") == ["http://x.vn/thoi-su.html", "http://x.vn/kinh-te.html"]


def test_a_page_without_navigation_gives_its_short_listing_links_as_sections():
    html = ("<html><body><a href='/thoi-su/'>Thời sự</a><a href='/gioi-thieu'>Giới thiệu</a>"
            "<a href='/thoi-su/bai-bao-so-mot-123456.html'>bài</a><a href='http://khac.vn/kinh-te/'>x</a></body></html>")
    assert discovery.section_links(html, "http://x.vn/") == ["http://x.vn/thoi-su/"]


@pytest.mark.parametrize("page_url, html, expected", [
    ("http://x.vn/thoi-su.html", '<link rel="next" href="/thoi-su/p2">', "http://x.vn/thoi-su/p2"),
    ("http://x.vn/thoi-su.html", '<a rel="next" href="/thoi-su/trang-2.html">›</a>', "http://x.vn/thoi-su/trang-2.html"),
    ("http://x.vn/thoi-su.html", '<a href="/thoi-su/trang-3.html">3</a><a href="/thoi-su/trang-2.html">Trang sau</a>',
     "http://x.vn/thoi-su/trang-2.html"),
    ("http://x.vn/thoi-su/trang-2.html", '<a href="/thoi-su.html">1</a><a href="/thoi-su/trang-3.html">3</a>',
     "http://x.vn/thoi-su/trang-3.html"),
    ("http://x.vn/kinh-te", '<a href="/kinh-te?page=2">2</a>', "http://x.vn/kinh-te?page=2"),
    ("http://x.vn/kinh-te/", '<a href="/kinh-te/page/2/">Next</a>', "http://x.vn/kinh-te/page/2/"),
    ("http://x.vn/kinh-te/", '<a href="/the-thao/trang-2.html">Trang sau</a>', None),   # another listing's
    ("http://x.vn/kinh-te/", '<a href="/kinh-te/bai-bao-so-mot-2.html">2</a>', None),
])
def test_next_page_of_a_listing_in_every_common_form(page_url, html, expected):
    assert discovery.next_page(f"<html><body>{html}</body></html>", page_url) == expected


def test_a_shape_shared_by_five_links_makes_them_all_articles_short_ids_included():
    shapes = discovery.ArticleShapes()
    urls = [f"http://x.vn/thoi-su/nong-dan-mua-lua-so-{n}.html" for n in range(1, 7)]
    assert [shapes.offer(u) for u in urls[:4]] == [[], [], [], []]
    assert shapes.offer(urls[4]) == urls[:5]
    assert shapes.offer(urls[5]) == [urls[5]]
    assert discovery.is_article_url(urls[5], None, shapes)
    assert not discovery.is_article_url(urls[5], None)            # 1-digit ids: no usual shape
    assert not discovery.is_article_url("http://x.vn/thoi-su.html", None, shapes)


@pytest.mark.parametrize("url", [
    "http://x.vn/thoi-su/",                 # no id
    "http://x.vn/2024/03/",                 # numbers without a title
    "http://x.vn/thoi-su/trang-2.html",     # pagination
    "http://x.vn/tag/nong-dan-mua-lua-12.html",
    "http://x.vn/doc.php?id=12",
])
def test_urls_without_an_id_and_a_title_have_no_shape_to_learn(url):
    assert discovery.url_shape(url) is None


@pytest.mark.parametrize("url, month", [
    ("https://x.vn/sitemap-2024-01.xml", (2024, 1)),
    ("https://x.vn/sitemaps/2024/01.xml", (2024, 1)),
    ("https://x.vn/post-sitemap-202403.xml", (2024, 3)),
    ("https://x.vn/sitemap/2024-02-15.xml", (2024, 2)),
    ("https://x.vn/sitemap.xml?year=2023&month=12", (2023, 12)),
    ("https://x.vn/sitemap-categories.xml", None),
    ("https://x.vn/sitemap-12.xml", None),
])
def test_month_of_an_archive_sitemap_is_read_from_its_name(url, month):
    assert discovery.sitemap_month(url) == month


def test_month_sitemaps_are_read_newest_first_after_news():
    children = ["https://x.vn/sitemap-pages.xml", "https://x.vn/sitemap-2023-12.xml",
                "https://x.vn/sitemap-2024-02.xml", "https://x.vn/sitemap-news.xml"]
    assert discovery.newest_months_first(children) == [
        "https://x.vn/sitemap-news.xml", "https://x.vn/sitemap-2024-02.xml",
        "https://x.vn/sitemap-2023-12.xml", "https://x.vn/sitemap-pages.xml"]


def test_a_listing_is_past_a_date_when_most_of_its_dates_are_older():
    html = "<html><body>" + "".join(f"<p>Bài {d}</p>" for d in ("31/12/2023", "30/12/2023", "02/01/2024")) + "</body></html>"
    dates = discovery.listing_dates(html)
    assert dates == [date(2023, 12, 31), date(2023, 12, 30), date(2024, 1, 2)]
    assert discovery.past_window(dates, date(2024, 1, 1))
    assert not discovery.past_window(dates, date(2023, 12, 1))
    assert not discovery.past_window(dates[:2], date(2024, 1, 1))   # two dates say nothing


def test_feed_items_come_with_their_dates_and_rss_dates_are_compared():
    rss = ("<rss><channel><item><link>http://x.vn/a-1.html</link><pubDate>Thu, 07 Mar 2024 08:47:00 +0700"
           "</pubDate></item><entry xmlns='http://www.w3.org/2005/Atom'><link href='http://x.vn/b-2.html'/>"
           "<updated>2024-03-08T10:00:00+07:00</updated></entry></channel></rss>")
    entries = list(discovery.iter_feed_entries(rss, "http://x.vn/rss"))
    assert entries == [("http://x.vn/a-1.html", "Thu, 07 Mar 2024 08:47:00 +0700"),
                       ("http://x.vn/b-2.html", "2024-03-08T10:00:00+07:00")]
    since = datetime(2024, 3, 8, tzinfo=timezone.utc)
    assert [discovery.modified_before(e.date, since) for e in entries] == [True, False]


# -- a site explored from its homepage ---------------------------------------------------------------

def article_path(section: str, n: int) -> str:
    """Short ids, as on many provincial papers: /thoi-su/bai-bao-ve-doi-song-nguoi-dan-so-7.html"""
    return f"/{section}/bai-bao-ve-doi-song-nguoi-dan-so-{n}.html"


def listing(links: list[str], next_href: str | None = None, nav: str = NAV, dates: list[str] = ()) -> str:
    items = "".join(f'<li><a href="{href}">Bài {i}</a> {dates[i] if i < len(dates) else ""}</li>'
                    for i, href in enumerate(links))
    more = f'<div class="paging"><a href="{next_href}">Trang sau</a></div>' if next_href else ""
    return f"<!doctype html><html><body>{nav}<ul class='news'>{items}</ul>{more}</body></html>"


DEAD = "/thoi-su/bai-bao-da-bi-go-khoi-trang-so-99.html"
HOME = [article_path("thoi-su", 1), article_path("kinh-te", 20)]
THOI_SU = {
    "/thoi-su.html": ([article_path("thoi-su", n) for n in (1, 2, 3, 4)], "/thoi-su/trang-2.html"),
    "/thoi-su/trang-2.html": ([article_path("thoi-su", n) for n in (5, 6)] + [DEAD], "/thoi-su/trang-3.html"),
    "/thoi-su/trang-3.html": ([article_path("thoi-su", n) for n in (7, 8)], "/thoi-su/trang-4.html"),
    "/thoi-su/trang-4.html": ([article_path("thoi-su", 9)], None),
}
KINH_TE = {
    "/kinh-te.html": ([article_path("kinh-te", n) for n in (20, 21, 22)], "/kinh-te.html?page=2"),
    "/kinh-te.html?page=2": ([article_path("kinh-te", n) for n in (23, 24)], None),
}
# only linked from a section's own navigation: two hops from the homepage
DEEPER_NAV = NAV.replace('<li><a href="/lien-he.html">', '<li><a href="/the-thao.html">Thể thao</a></li><li><a href="/lien-he.html">')


def explored_site(site: HostileServer) -> None:
    site.routes["/"] = page(listing(HOME))
    for path, (links, next_href) in {**THOI_SU, **KINH_TE}.items():
        site.routes[path] = page(listing(links, next_href, nav=DEEPER_NAV))
    site.routes["/the-thao.html"] = page(listing([article_path("the-thao", 30)]))
    site.routes["/lien-he.html"] = page("<html><body>Liên hệ</body></html>")
    for section, numbers in (("thoi-su", range(1, 10)), ("kinh-te", range(20, 25)), ("the-thao", [30])):
        for n in numbers:
            site.routes[article_path(section, n)] = page(article_page(n))


def archived(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {url for (url,) in conn.execute("SELECT url FROM articles")}


def failures(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return {url: reason for url, reason in conn.execute("SELECT url, reason FROM failures")}


@pytest.fixture(scope="module")
def explored(tmp_path_factory):
    db = tmp_path_factory.mktemp("explore") / "a.db"
    with HostileServer({}) as site:
        explored_site(site)
        done, _ = run_crawl(["--url", site.url("/")], db, TINTINH_SECTION_NEXT_PAGES="2")
        yield site, db, done


def test_sections_of_the_homepage_navigation_and_their_next_pages_are_followed(explored):
    site, db, done = explored
    assert done.returncode == 0, done.stderr
    for path in ("/thoi-su.html", "/thoi-su/trang-2.html", "/thoi-su/trang-3.html",
                 "/kinh-te.html", "/kinh-te.html?page=2"):
        assert site.served.count(path) == 1, path


def test_short_id_articles_on_sections_and_next_pages_are_archived(explored):
    site, db, _ = explored
    expected = {article_path("thoi-su", n) for n in range(1, 9)} | {article_path("kinh-te", n) for n in range(20, 25)}
    assert archived(db) == {site.url(p) for p in expected}


def test_a_dead_article_on_a_section_page_is_a_http_404_row(explored):
    site, db, _ = explored
    assert DEAD in site.served
    assert failures(db) == {site.url(DEAD): "http_404"}


def test_exploration_stays_within_its_bounds(explored):
    site, _, _ = explored
    assert "/thoi-su/trang-4.html" not in site.served    # a third next page: TINTINH_SECTION_NEXT_PAGES=2
    assert "/the-thao.html" not in site.served           # two hops from the homepage: TINTINH_SECTION_DEPTH=1
    assert "/lien-he.html" not in site.served and not any(p.startswith(("/tim-kiem", "/tag/")) for p in site.served)


def test_section_pages_per_run_are_bounded(tmp_path):
    with HostileServer({}) as site:
        explored_site(site)
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db", TINTINH_SECTION_PAGES="1")
    assert done.returncode == 0, done.stderr
    asked = [p for p in site.served if p in THOI_SU or p in KINH_TE]
    assert asked == ["/thoi-su.html"]


def test_a_site_where_nothing_looks_like_an_article_says_why_and_what_to_try(tmp_path):
    with HostileServer({}) as site:
        links = "".join(f'<a href="/video/{100000 + n}">Clip</a>' for n in range(6))
        site.routes["/"] = page(f"<html><body>{links}<a href='/gioi-thieu.html'>Giới thiệu</a></body></html>")
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db")
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if "nothing found" in line)
    assert line == (f"127.0.0.1: nothing found: none of 7 links on 1 page looks like an article (e.g. /video/100000);"
                    " give --url a section page, or register the site with an article_pattern"
                    " (crawler/sites/sites.toml)")


def test_a_start_page_that_fails_says_so_in_the_summary(tmp_path):
    with HostileServer({}) as site:
        done, _ = run_crawl(["--url", site.url("/mat-roi/")], tmp_path / "a.db")
    assert "127.0.0.1: nothing found: the start page failed (http_404); check the URL" in done.stdout


# -- backfill -------------------------------------------------------------------------------------------

MONTHS = ["2023-10", "2023-11", "2023-12", "2024-01", "2024-02", "2024-03"]


def month_articles(month: str) -> list[str]:
    year, m = map(int, month.split("-"))
    return [f"/{month}/tin-tuc-ve-doi-song-nguoi-dan-post{year * 1000 + m * 10 + i}.html" for i in range(2)]


def sitemap_xml(origin: str, entries) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{origin}{path}</loc><lastmod>{lastmod}</lastmod></url>" for path, lastmod in entries)
            + "</urlset>")


PAGED = [  # a section's pages, newest first, with the dates they show
    ("/tin-moi.html", ["15/03/2024", "10/02/2024", "05/02/2024"]),
    ("/tin-moi/trang-2.html", ["20/01/2024", "10/01/2024", "02/01/2024"]),
    ("/tin-moi/trang-3.html", ["31/12/2023", "20/12/2023", "03/01/2024"]),
    ("/tin-moi/trang-4.html", ["10/12/2023", "01/12/2023", "28/11/2023"]),
]


def paged_article(page_no: int, i: int) -> str:
    return f"/tin-moi/bai-viet-moi-nhat-trong-ngay-so-{page_no * 10 + i}.html"


def backfill_site(site: HostileServer) -> None:
    index = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             + "".join(f"<sitemap><loc>{site.url(f'/sitemap-{m}.xml')}</loc></sitemap>" for m in MONTHS)
             + "</sitemapindex>")
    site.routes["/robots.txt"] = page(f"User-agent: *\nSitemap: {site.url('/sitemap.xml')}\n", content_type="text/plain")
    site.routes["/sitemap.xml"] = page(index, content_type="application/xml")
    for month in MONTHS:
        entries = [(path, f"{month}-1{i}T08:00:00+07:00") for i, path in enumerate(month_articles(month))]
        site.routes[f"/sitemap-{month}.xml"] = page(sitemap_xml(site.origin, entries), content_type="application/xml")
        for n, path in enumerate(month_articles(month)):
            site.routes[path] = page(article_page(1000 + MONTHS.index(month) * 10 + n))
    nav = '<nav><a href="/tin-moi.html">Tin mới</a></nav>'
    site.routes["/"] = page(f"<html><body>{nav}</body></html>")
    for number, (path, dates) in enumerate(PAGED, start=1):
        links = [paged_article(number, i) for i in range(3)]
        next_href = PAGED[number][0] if number < len(PAGED) else None
        site.routes[path] = page(listing(links, next_href, nav=nav, dates=dates))
        for i, link in enumerate(links):
            site.routes[link] = page(article_page(2000 + number * 10 + i))


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    db = tmp_path_factory.mktemp("backfill") / "a.db"
    with HostileServer({}) as site:
        backfill_site(site)
        done, _ = run_crawl(["--url", site.url("/"), "--backfill", "--since", "2024-01-01"], db,
                            TINTINH_SITEMAP_CHILDREN="1", TINTINH_SECTION_NEXT_PAGES="0")
        yield site, db, done


def test_backfill_reads_the_month_sitemaps_back_to_its_date_and_no_older(backfilled):
    site, db, done = backfilled
    assert done.returncode == 0, done.stderr
    read = sorted(p for p in site.served if p.startswith("/sitemap-"))
    # whatever TINTINH_SITEMAP_CHILDREN; December 2023 too, as it may end on 1 January in
    # Vietnam (its entries are dated before the date, and skipped)
    assert read == ["/sitemap-2023-12.xml", "/sitemap-2024-01.xml", "/sitemap-2024-02.xml", "/sitemap-2024-03.xml"]
    wanted = {site.url(p) for m in MONTHS[3:] for p in month_articles(m)}
    assert wanted <= archived(db)
    assert not {site.url(p) for m in MONTHS[:3] for p in month_articles(m)} & archived(db)


def test_backfill_walks_a_sections_pages_back_to_its_date_and_stops_there(backfilled):
    site, db, _ = backfilled
    pages = [p for p in site.served if p.startswith("/tin-moi") and "bai-viet" not in p]
    # page 3 shows mostly dates of December 2023: it is the last one read
    assert pages == ["/tin-moi.html", "/tin-moi/trang-2.html", "/tin-moi/trang-3.html"]
    assert {site.url(paged_article(n, i)) for n in (1, 2, 3) for i in range(3)} <= archived(db)


def test_backfill_needs_a_date(tmp_path):
    done, _ = run_crawl(["--url", "http://127.0.0.1:9/", "--backfill"], tmp_path / "a.db")
    assert done.returncode == 2
    assert "--backfill walks back to a date: give --since YYYY-MM-DD" in done.stderr


def test_a_killed_backfill_is_resumed_by_running_it_again(tmp_path, monkeypatch):
    db = tmp_path / "a.db"
    with HostileServer({}) as site:
        backfill_site(site)
        args = ["--url", site.url("/"), "--backfill", "--since", "2024-01-01"]
        monkeypatch.setenv("TINTINH_TEST_KILL_AFTER", "8")    # SIGKILL while storing the 8th page
        done, _ = run_crawl(args, db, CONCURRENT_REQUESTS_PER_DOMAIN="1")
        assert done.returncode == -9
        kept = archived(db)
        assert len(kept) < 15
        monkeypatch.delenv("TINTINH_TEST_KILL_AFTER")
        site.served.clear()
        done, _ = run_crawl(args, db)
        assert done.returncode == 0, done.stderr
    wanted = {site.url(p) for m in MONTHS[3:] for p in month_articles(m)}
    wanted |= {site.url(paged_article(n, i)) for n in (1, 2, 3) for i in range(3)}
    assert wanted <= archived(db)
    assert not {site.url(p) for p in site.served} & kept   # what the killed run archived is not fetched again
