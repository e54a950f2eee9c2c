"""Discovery: feeds, sitemaps, robots.txt, page links and article-URL shapes, on real-shaped input."""

import codecs
import gzip
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import crawler.discovery as discovery
from crawler.discovery import (
    DiscoveryError,
    SitemapEntry,
    feeds_from_html,
    is_article_url,
    iter_feed,
    iter_sitemap,
    links_from_page,
    looks_like_article_url,
    modified_before,
    parse_feed,
    parse_sitemap,
    sitemaps_from_robots,
)
from crawler.sites import get_site, load_sites, site_for_url

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
# The saved pages (name → the URL they were saved from), shared with bench/discovery_speed.py.
LISTINGS = dict(line.split("\t") for line in (FIXTURES / "pages.tsv").read_text().splitlines())


def fixture(name: str) -> bytes:
    data = (FIXTURES / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") and not name.endswith(".xml.gz") else data


def page(name: str) -> bytes:
    return fixture(f"{name}.html.gz")


# ---------------------------------------------------------------- feeds

TUOITRE_ITEMS = [
    "https://tuoitre.vn/chien-su-day-gia-hoa-nhap-khau-dip-8-3-tang-manh-20260307075519174.htm",
    "https://tuoitre.vn/giam-doc-tai-chinh-tap-doan-tien-son-thanh-hoa-dung-nhieu-tai-khoan-thao-tung-chung-khoan-2026030707011493.htm",
    "https://tuoitre.vn/xung-dot-o-trung-dong-khien-xuat-khau-viet-lao-dao-vi-phu-phi-cua-logistics-20260306231657525.htm",
    "https://tuoitre.vn/chinh-phu-yeu-cau-uu-tien-ban-dau-tho-cho-noi-dia-gia-xang-dau-tang-7-la-xem-xet-dieu-chinh-20260307075621356.htm",
]


def test_rss_links_in_cdata_with_bom_and_crlf_come_out_in_feed_order():
    assert parse_feed(fixture("tuoitre-kinh-doanh.rss"), "https://tuoitre.vn/rss/kinh-doanh.rss") == TUOITRE_ITEMS


def test_rss_relative_links_resolve_fragments_drop_and_repeats_collapse():
    links = parse_feed(fixture("vnexpress-tin-moi-nhat.rss"), "https://vnexpress.net/rss/tin-moi-nhat.rss")
    assert links == [
        "https://vnexpress.net/gia-vang-the-gioi-tang-manh-dau-tho-vuot-90-usd-5047621.html",
        "https://vnexpress.net/thai-nguyen-dan-dau-ca-nuoc-ve-thu-hut-fdi-dau-nam-2026-5047492.html",
        "https://vnexpress.net/ha-tinh-thong-bao-ban-gan-30-kg-vang-thuoc-so-huu-toan-dan-5047110.html",
        "https://vnexpress.net/gia-xang-dau-co-the-duoc-dieu-chinh-som-hon-5047601.html",
    ]


def test_rss_item_without_link_uses_its_permalink_guid():
    links = parse_feed(fixture("baolaocai-home.rss"), "https://baolaocai.vn/rss/home.rss")
    assert len(links) == 3
    assert links[-1] == "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html"


def test_rss_guid_that_is_not_a_permalink_is_ignored():
    body = b'<rss><channel><item><guid isPermaLink="false">20260307075519174</guid></item></channel></rss>'
    assert parse_feed(body, "https://tuoitre.vn/rss/x.rss") == []


def test_atom_entries_use_the_alternate_link_resolved_against_the_feed():
    links = parse_feed(fixture("dantri-kinh-doanh.atom"), "https://dantri.com.vn/atom/kinh-doanh.xml")
    assert links == [
        "https://dantri.com.vn/kinh-doanh/gia-vang-giam-van-cao-hon-the-gioi-gan-20-trieu-dongluong-20260307080054340.htm",
        "https://dantri.com.vn/kinh-doanh/chung-khoan-thung-moc-1800-diem-20260306151317523.htm",
        "https://dantri.com.vn/kinh-doanh/vu-ha-tinh-rao-ban-gan-30kg-vang-da-co-doanh-nghiep-den-xem-ca-lo-20260306173742535.htm",
    ]


def test_rss_1_rdf_items_are_read():
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
 <channel rdf:about="https://baohatinh.vn/"><title>Bao Ha Tinh</title></channel>
 <item rdf:about="https://baohatinh.vn/a-post1001.html"><title>A</title><link>https://baohatinh.vn/a-post1001.html</link></item>
 <item rdf:about="https://baohatinh.vn/b-post1002.html"><title>B</title></item>
</rdf:RDF>"""
    assert parse_feed(body, "https://baohatinh.vn/rss/home.rss") == [
        "https://baohatinh.vn/a-post1001.html", "https://baohatinh.vn/b-post1002.html"]


FEED_TEXT = ('<?xml version="1.0" encoding="{enc}"?>\n<rss version="2.0"><channel><title>Thời sự</title>'
             '<item><title>Tin Hà Tĩnh</title><link>https://baohatinh.vn/tin-ha-tinh-post1001.html</link></item>'
             '<item><title>Tin Lào Cai</title><link> /tin-lao-cai-post1002.html </link></item>'
             '</channel></rss>')


@pytest.mark.parametrize("body", [
    FEED_TEXT.format(enc="utf-8").encode("utf-8"),
    codecs.BOM_UTF8 + FEED_TEXT.format(enc="utf-8").encode("utf-8"),
    codecs.BOM_UTF8 + b"\r\n\r\n" + FEED_TEXT.format(enc="UTF-8").encode("utf-8"),
    FEED_TEXT.format(enc="utf-16").encode("utf-16"),
    FEED_TEXT.format(enc="windows-1258").encode("cp1258", "ignore"),
    FEED_TEXT.format(enc="iso-8859-1").encode("latin-1", "ignore"),
    FEED_TEXT.format(enc="utf8").encode("utf-8"),
    unicodedata.normalize("NFD", FEED_TEXT.format(enc="utf-8")).encode("utf-8"),
    FEED_TEXT.format(enc="utf-8"),                      # str input with a declaration
    "\ufeff" + FEED_TEXT.format(enc="utf-16"),         # decoded text keeping its BOM
    FEED_TEXT.format(enc="utf-8").replace("Thời sự", "Thời&nbsp;sự").encode(),  # HTML entity in XML
    FEED_TEXT.format(enc="utf-8").replace("ờ", "à").encode("latin-1", "ignore"),  # declared UTF-8, is not
], ids=["utf8", "utf8-bom", "bom-blank-lines", "utf16", "cp1258", "latin1", "utf8-alias", "nfd", "str",
        "str-bom", "html-entity", "misdeclared"])
def test_feed_is_read_whatever_its_encoding_or_preamble(body):
    assert parse_feed(body, "https://baohatinh.vn/rss/home.rss") == [
        "https://baohatinh.vn/tin-ha-tinh-post1001.html", "https://baohatinh.vn/tin-lao-cai-post1002.html"]


def test_decomposed_accents_in_feed_links_come_out_nfc():
    link = unicodedata.normalize("NFD", "https://plo.vn/tu-khoa.html?q=anh hùng")
    body = f"<rss><channel><item><link>{link}</link></item></channel></rss>".encode()
    assert parse_feed(body, "https://plo.vn/rss/home.rss") == ["https://plo.vn/tu-khoa.html?q=anh hùng"]


@pytest.mark.parametrize("body, reason", [
    (b"", "empty feed"),
    (b"   \r\n", "empty feed"),
    (page("vnexpress-list"), "not a feed: root element <html>"),
    (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>', "not a feed: root element <urlset>"),
    (b"Just a moment... checking your browser", "feed is not XML"),
])
def test_a_body_that_is_not_a_feed_is_an_error_with_the_reason(body, reason):
    with pytest.raises(DiscoveryError, match=reason):
        parse_feed(body, "https://vnexpress.net/rss/tin-moi-nhat.rss")


def test_a_truncated_feed_keeps_the_items_before_the_cut():
    body = fixture("vnexpress-tin-moi-nhat.rss")
    cut = body[: body.index(b"thai-nguyen") + 40]
    assert parse_feed(cut, "https://vnexpress.net/rss/tin-moi-nhat.rss")[:1] == [
        "https://vnexpress.net/gia-vang-the-gioi-tang-manh-dau-tho-vuot-90-usd-5047621.html"]


# ---------------------------------------------------------------- sitemaps and robots.txt

def test_sitemap_index_lists_child_sitemaps_resolved_and_deduplicated():
    children, pages = parse_sitemap(fixture("plo-sitemap-index.xml"), "https://plo.vn/sitemaps/index.xml")
    assert children == ["https://plo.vn/sitemaps/news.xml", "https://plo.vn/sitemaps/categories.xml",
                        "https://plo.vn/sitemaps/2025-10.xml.gz"]
    assert pages == []


def test_google_news_sitemap_gives_article_locs_not_image_locs():
    children, pages = parse_sitemap(fixture("plo-news-sitemap.xml"), "https://plo.vn/sitemaps/news.xml")
    assert children == []
    assert len(pages) == 4 and all(u.startswith("https://plo.vn/") and u.endswith(".html") for u in pages)
    assert pages[0].endswith("-post874982.html")


def test_gzipped_urlset_is_inflated_and_alternate_links_ignored():
    children, pages = parse_sitemap(fixture("baolaocai-sitemap.xml.gz"), "https://baolaocai.vn/sitemap.xml.gz")
    assert children == []
    assert pages == ["https://baolaocai.vn/viet-tiep-uoc-mo-post890641.html",
                     "https://baolaocai.vn/hai-hoa-loi-ich-khi-tang-luong-toi-thieu-vung-post890650.html",
                     "https://baolaocai.vn/kham-pha-ben-ca-tan-minh-post884862.html",
                     "https://baolaocai.vn/chinh-tri/"]


def test_plain_text_sitemap_is_one_url_a_line():
    body = b"\xef\xbb\xbfhttps://baohatinh.vn/a-post1.html\r\nhttps://baohatinh.vn/b-post2.html\r\n\r\n"
    assert parse_sitemap(body, "https://baohatinh.vn/sitemap.txt") == (
        [], ["https://baohatinh.vn/a-post1.html", "https://baohatinh.vn/b-post2.html"])


def test_truncated_gzip_sitemap_is_an_error():
    body = fixture("baolaocai-sitemap.xml.gz")
    with pytest.raises(DiscoveryError, match="truncated"):
        parse_sitemap(body[: len(body) // 2], "https://baolaocai.vn/sitemap.xml.gz")


def test_oversized_gzip_sitemap_is_refused(monkeypatch):
    monkeypatch.setattr(discovery, "MAX_SITEMAP_BYTES", 200)
    with pytest.raises(DiscoveryError, match="larger than 200 bytes"):
        parse_sitemap(fixture("baolaocai-sitemap.xml.gz"), "https://baolaocai.vn/sitemap.xml.gz")


@pytest.mark.parametrize("body, reason", [
    (fixture("tuoitre-kinh-doanh.rss"), "not a sitemap: root element <rss>"),
    (page("tuoitre-list"), "not a sitemap: root element <html>"),
    (b"Not Found", "not a sitemap"),
])
def test_a_body_that_is_not_a_sitemap_is_an_error(body, reason):
    with pytest.raises(DiscoveryError, match=reason):
        parse_sitemap(body, "https://tuoitre.vn/sitemap.xml")


# ---------------------------------------------------------------- sitemaps and feeds as streams

def urlset(*entries: str) -> bytes:
    return ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(entries) + "</urlset>").encode()


def test_sitemap_entries_come_with_their_lastmod_and_whether_they_are_child_sitemaps():
    index = fixture("plo-sitemap-index.xml")
    assert {e.child for e in iter_sitemap(index, "https://plo.vn/sitemaps/index.xml")} == {True}
    body = urlset("<url><loc>https://baolaocai.vn/a-post1.html</loc><lastmod> 2025-06-17T13:43:02+07:00 </lastmod></url>",
                  "<url><loc>https://baolaocai.vn/b-post2.html</loc></url>")
    assert list(iter_sitemap(body, "https://baolaocai.vn/sitemap.xml")) == [
        SitemapEntry("https://baolaocai.vn/a-post1.html", "2025-06-17T13:43:02+07:00", False),
        SitemapEntry("https://baolaocai.vn/b-post2.html", None, False)]


def test_sitemap_entries_are_handed_out_before_the_body_is_read_to_its_end():
    # a gzipped sitemap cut in its middle: its first entry comes out before the cut is found
    body = gzip.compress(urlset(*(f"<url><loc>https://baolaocai.vn/a-post{n}.html</loc></url>"
                                  for n in range(100_000))))
    entries = iter_sitemap(body[: len(body) // 2], "https://baolaocai.vn/sitemap.xml.gz")
    assert next(entries).url == "https://baolaocai.vn/a-post0.html"
    with pytest.raises(DiscoveryError, match="truncated"):
        list(entries)


def test_feed_links_are_handed_out_as_the_feed_is_read():
    items = "".join(f"<item><link>https://baolaocai.vn/a-post{n}.html</link></item>" for n in range(50_000))
    links = iter_feed(f"<rss><channel>{items}".encode(), "https://baolaocai.vn/rss/home.rss")
    assert next(links) == "https://baolaocai.vn/a-post0.html"
    assert sum(1 for _ in links) == 49_999


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
                  + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefgh", "bcdefghi"))
                  + "]>")
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("doctype", [BILLION_LAUGHS, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_entities_in_sitemaps_and_feeds_are_never_expanded(doctype):
    ref = "&i;" if doctype == BILLION_LAUGHS else "&x;"
    sitemap = (doctype + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               f"<url><loc>https://baolaocai.vn/a{ref}-post1.html</loc></url></urlset>").encode()
    feed = (doctype + f"<rss><channel><item><link>https://baolaocai.vn/a{ref}-post1.html</link>"
            "</item></channel></rss>").encode()
    urls = [e.url for e in iter_sitemap(sitemap, "https://baolaocai.vn/s.xml")] + parse_feed(feed, "https://baolaocai.vn/f.rss")
    assert all(len(url) < 100 and "root:" not in url for url in urls)


def test_a_text_sitemap_is_read_line_by_line_and_a_line_that_is_no_url_is_an_error():
    body = b"https://baohatinh.vn/a-post1.html\n<html>oops</html>\n"
    entries = iter_sitemap(body, "https://baohatinh.vn/sitemap.txt")
    assert next(entries).url == "https://baohatinh.vn/a-post1.html"
    with pytest.raises(DiscoveryError, match="a line is no URL"):
        next(entries)


SINCE = datetime(2026, 3, 7, 1, 0, tzinfo=timezone.utc)   # 08:00 in Vietnam


@pytest.mark.parametrize("lastmod, before", [
    ("2026-03-07T07:59:00+07:00", True),
    ("2026-03-07T08:01:00+07:00", False),
    ("2026-03-07T00:59:59Z", True),
    ("2026-03-07T00:30:00", True),        # no zone: read as UTC
    ("2026-03-07T07:30:00", False),       # no zone, 07:30 UTC is after 01:00 UTC
    ("2026-03-06", True),                 # a date stands for its whole day (UTC), over before SINCE
    ("2026-03-07", False),                # SINCE falls within that day
    ("2026-03-06T23:00:00.123+00:00", True),
    ("", False), (None, False), ("hôm qua", False), ("2026-13-45", False),
])
def test_lastmod_is_before_only_when_it_certainly_is(lastmod, before):
    assert modified_before(lastmod, SINCE) is before


def test_robots_sitemap_lines_in_any_case_resolved_deduplicated_comments_dropped():
    text = fixture("robots.txt").decode()
    assert sitemaps_from_robots(text, "https://tuoitre.vn/robots.txt") == [
        "https://tuoitre.vn/sitemap.xml",
        "https://tuoitre.vn/StaticSitemaps/sitemaps-category.xml",
        "https://tuoitre.vn/sitemaps/google-news.xml",
    ]


def test_robots_without_sitemap_lines_gives_nothing():
    assert sitemaps_from_robots(b"User-agent: *\nDisallow: /\n", "https://baodautu.vn/robots.txt") == []


# ---------------------------------------------------------------- HTML: feeds and links

@pytest.mark.parametrize("name, feeds", [
    ("tuoitre-list", ["https://tuoitre.vn/rss/kinh-doanh.rss"]),
    ("dantri-list", ["https://dantri.com.vn/rss/kinh-doanh.rss"]),
    ("cafef-list", ["https://cafef.vn/thi-truong-chung-khoan.rss"]),
    ("baochinhphu-list", ["https://baochinhphu.vn/chinh-sach-va-cuoc-song/chinh-sach-moi.rss"]),
    ("vietnamnet-list", ["https://vietnamnet.vn/kinh-doanh.rss"]),   # relative href on the page
    ("vnexpress-list", []),                                          # only hreflang/handheld alternates
])
def test_feeds_advertised_in_link_alternate_of_real_listings(name, feeds):
    assert feeds_from_html(page(name), LISTINGS[name]) == feeds


def test_feed_links_honour_base_href_rel_tokens_and_type_parameters():
    html = """<html><head><base href="https://baonghean.vn/rss/">
      <link rel="Alternate Feed" type="application/RSS+XML; charset=utf-8" href="home.rss">
      <link rel="alternate" type="application/atom+xml" href="/atom.xml">
      <link rel="alternate" type="application/feed+json" href="/feed.json">
      <link rel="alternate" hreflang="en" href="https://baonghean.vn/en/">
      <link rel="stylesheet" type="text/css" href="/a.css">
      <link rel="alternate" type="application/rss+xml" href="home.rss">
    </head><body></body></html>"""
    assert feeds_from_html(html, "https://baonghean.vn/") == ["https://baonghean.vn/rss/home.rss", "https://baonghean.vn/atom.xml"]


def test_page_links_are_absolute_in_order_deduplicated_without_fragments():
    html = b"""<html><body>
      <a href="/thoi-su">Th\xe1\xbb\x9di s\xe1\xbb\xb1</a>
      <a href="https://baolaocai.vn/a-post1.html#comments">A</a>
      <a href="a-post1.html">A again</a>
      <a href="javascript:void(0)">x</a> <a href="mailto:toasoan@baolaocai.vn">x</a> <a href="#top">x</a>
      <a href="tel:0214">x</a> <a>no href</a> <a href="  ">blank</a> <a href="http://[baolaocai">bad</a>
      <a href="//www.youtube.com/@baolaocai">yt</a>
      <a href="
         /b-post2.html">B</a>
    </body></html>"""
    assert links_from_page(html, "https://baolaocai.vn/") == [
        "https://baolaocai.vn/thoi-su",
        "https://baolaocai.vn/a-post1.html",
        "https://www.youtube.com/@baolaocai",
        "https://baolaocai.vn/b-post2.html",
    ]


def test_same_site_links_keep_prefixed_and_old_hosts_of_the_site_only():
    html = """<a href="https://m.baoquangninh.vn/a-1.html">m</a><a href="https://baoquangninh.com.vn/b-2.html">old</a>
      <a href="https://baoquangninh.vn/c-3.html">c</a><a href="https://vnexpress.net/x-1234567.html">other</a>
      <a href="https://cdn.baoquangninh.vn/img.jpg">cdn</a>"""
    assert links_from_page(html, "https://www.baoquangninh.vn/", same_site=True) == [
        "https://m.baoquangninh.vn/a-1.html", "https://baoquangninh.com.vn/b-2.html", "https://baoquangninh.vn/c-3.html"]


def test_same_site_filter_works_for_an_unregistered_host():
    html = '<a href="https://www.baoyenbai.com.vn/a-1.html">a</a><a href="https://baolaocai.vn/b-post2.html">b</a>'
    assert links_from_page(html, "https://baoyenbai.com.vn/", same_site=True) == ["https://www.baoyenbai.com.vn/a-1.html"]


def test_real_listing_links_start_with_navigation_then_articles_in_page_order():
    links = links_from_page(page("vnexpress-list"), LISTINGS["vnexpress-list"], same_site=True)
    articles = [u for u in links if is_article_url(u, get_site("vnexpress"))]
    assert links[0] == "https://vnexpress.net/"
    assert articles[:3] == [
        "https://vnexpress.net/gia-vang-the-gioi-tang-manh-dau-tho-vuot-90-usd-5047621.html",
        "https://vnexpress.net/cach-cac-nuoc-doi-pho-cu-soc-nang-luong-tu-trung-dong-5047363.html",
        "https://vnexpress.net/ly-do-trung-quoc-ha-muc-tieu-tang-truong-5047460.html",
    ]
    assert len(articles) == len(set(articles)) >= 40


def test_page_bytes_without_charset_are_read_as_utf8_and_links_nfc():
    links = links_from_page(page("plo-874982"), LISTINGS["plo-874982"])
    assert "https://plo.vn/tu-khoa.html?q=anh hùng liệt sĩ" in links


def test_page_declaring_a_legacy_charset_is_decoded_with_it():
    # cp1258 writes "ộ" as "ô" + a combining dot below; the link must come out as NFC "Hà Nội"
    html = '<meta charset="windows-1258"><a href="/tu-khoa.html?q=Hà Nô\u0323i">x</a>'.encode("cp1258")
    assert links_from_page(html, "https://hanoimoi.vn/") == ["https://hanoimoi.vn/tu-khoa.html?q=Hà Nội"]


@pytest.mark.parametrize("html", [b"", "   ", b"\xef\xbb\xbf", "<?xml version='1.0'?>"])
def test_empty_pages_have_no_links_or_feeds(html):
    assert links_from_page(html, "https://baolaocai.vn/") == []
    assert feeds_from_html(html, "https://baolaocai.vn/") == []


# ---------------------------------------------------------------- article URLs: URL shape

ARTICLES = [
    # real links from the saved listings and pages
    "https://vnexpress.net/gia-vang-moi-nhat-hom-nay-ngay-4-3-5046407.html",
    "https://vnexpress.net/24-bang-kien-thue-nhap-khau-10-cua-ong-trump-5047470.html",
    "https://tuoitre.vn/giam-doc-tai-chinh-tap-doan-tien-son-thanh-hoa-dung-nhieu-tai-khoan-thao-tung-chung-khoan-2026030707011493.htm",
    "https://tuoitre.vn/den-sieu-thi-dip-8-3-trao-mon-qua-nho-gui-loi-yeu-lon-20260307074732188.htm",
    "https://dantri.com.vn/kinh-doanh/chung-khoan-thung-moc-1800-diem-20260306151317523.htm",
    "https://dantri.com.vn/bat-dong-san/nha-re-hon-o-to-nguoi-tre-trung-quoc-bo-pho-tim-ve-mua-nha-o-du-an-ma-20260306110524534.htm",
    "https://vietnamnet.vn/co-phieu-flc-duoc-giao-dich-tro-lai-2495349.html",
    "https://baochinhphu.vn/danh-gia-dien-rong-cap-quoc-gia-chat-luong-giao-duc-pho-thong-10226030416274747.htm",
    "https://cafef.vn/vi-sao-chu-tich-acv-vu-the-phiet-bi-bat-188260306104748303.chn",
    "https://cafef.vn/mot-nha-dau-tu-chung-khoan-o-thanh-hoa-bi-phat-15-ti-dong-18826030618532896.chn",
    "https://plo.vn/nam-2025-tp-can-tho-moi-da-giam-hon-4000-bien-che-post874902.html",
    "https://baolaocai.vn/viet-tiep-uoc-mo-post890641.html",
    "https://baolaocai.vn/net-duyen-tham-cua-thieu-nu-thai-muong-lo-post884948.html",
    # shapes of other outlets (vi-news-sites.md §4), and URLs quoted in public code (sites.toml [code])
    "https://baobacninhtv.vn/bac-ninh-don-nhan-huan-chuong-lao-dong-postid430001.bbg",
    "https://baocantho.com.vn/can-tho-khoi-cong-cau-moi-a198765.html",
    "https://vtcnews.vn/gia-vang-hom-nay-tang-manh-ar912345.html",
    "https://baodautu.vn/dong-nai-thu-hut-von-fdi-d245678.html",
    "https://tienphong.vn/ha-tinh-mua-lon-gay-ngap-post1712345.tpo",
    "https://vov.vn/xa-hoi/quang-tri-don-mua-lu-post1123456.vov",
    "https://laodong.vn/xa-hoi/nghe-an-sat-lo-dat-1456789.ldo",
    "https://baophutho.vn/phu-tho-phat-trien-nong-nghiep-cong-nghe-cao-226789.htm",
    "https://baothanhhoa.vn/thanh-hoa-don-tet-an-toan-245678.htm",
    "https://baoninhbinh.org.vn/ninh-binh-tang-truong-kinh-te-202601051234567.html",
    "https://baonghean.vn/nghe-an-tang-truong-du-lich-10298765.html",
    "https://baokhanhhoa.vn/kinh-te/202601/khanh-hoa-thu-hut-dau-tu-nuoc-ngoai-8f2a1c3/",
    "https://baodaklak.vn/xa-hoi/202601/dak-lak-ho-tro-nguoi-dan-vung-lu-lut/",
    "https://www.qdnd.vn/quoc-phong-an-ninh/tin-tuc/hai-quan-nhan-dan-huan-luyen-tau-moi-812345",
    "https://cand.com.vn/thoi-su/bo-cong-an-trien-khai-dich-vu-cong-moi-i765432/",
    "https://www.vietnamplus.vn/bao-ve-nguoi-cao-tuoi-truoc-cac-chieu-lua-dao-tinh-vi-tren-khong-gian-mang-post1101437.vnp",
    "https://nld.com.vn/cong-an-tp-hcm-ket-luan-vu-ca-si-chi-dan-dung-ma-tuy-196250821135822527.htm",
    "https://baodanang.vn/co-ganh-thu-choi-tao-nha-cua-nguoi-dan-nong-thon-3235682.html",
    "https://baohaiphong.vn/hai-phong-bo-sung-69-cong-trinh-du-an-thu-hoi-dat-nam-2026-541045.html",
    "https://baoquangninh.vn/vinh-ha-long-toa-sang-3314842.html",
    "https://znews.vn/nghien-cuu-ve-ai-cua-nhom-ky-su-viet-duoc-cong-nhan-cap-quoc-te-post1281985.html",
    "https://baonghean.vn/gia-ca-phe-hom-nay-20-4-2026-tang-dong-loat-300-dong-10333605.html",
    "https://www.sggp.org.vn/tphcm-khoi-cong-du-an-chong-ngap-post812345.html?utm_source=rss",
]

NOT_ARTICLES = [
    # sections, subsections, home pages (from the saved listings)
    "https://vnexpress.net/", "https://vnexpress.net/kinh-doanh", "https://vnexpress.net/kinh-doanh/kinh-te-vung",
    "https://tuoitre.vn/kinh-doanh.htm", "https://tuoitre.vn/thoi-su/xa-hoi.htm", "https://tuoitre.vn/tin-moi-nhat.htm",
    "https://dantri.com.vn/noi-vu/sap-xep-cac-don-vi-hanh-chinh.htm", "https://dantri.com.vn/tam-long-nhan-ai/hoan-canh.htm",
    "https://vietnamnet.vn/dan-toc-ton-giao/chinh-sach-phat-trien", "https://vietnamnet.vn/dai-hoi-dang-lan-thu-xiii/nhan-su-toan-van.html",
    "https://baochinhphu.vn/chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu.htm", "https://cafef.vn/thi-truong-chung-khoan.chn",
    "https://cafef.vn/du-lieu/top/ceo.chn", "https://plo.vn/thoi-su/chinh-tri/", "https://baolaocai.vn/dia-phuong/xa-tram-tau/18.html",
    "https://baolaocai.vn/dia-phuong.html",
    # topics, events, tags, collections
    "https://vnexpress.net/topic/ha-noi-26482", "https://tuoitre.vn/gia-vang-e592.htm", "https://tuoitre.vn/chuyen-doi-so-ho-kinh-doanh-e1999.htm",
    "https://dantri.com.vn/event/lich-su-quoc-hoi-viet-nam-8378.htm", "https://dantri.com.vn/collection/chattoday-4033.htm",
    "https://vietnamnet.vn/gia-vang-tag14642850852768478603.html", "https://plo.vn/chu-tich-ubnd-tphcm-tag21388.html",
    "https://plo.vn/chu-de/tien-toi-dai-hoi-dang-bo-tphcm-224.html", "https://baolaocai.vn/tu-khoa/thieu-ta-doan-thi-hanh-tag40212.html",
    "https://baochinhphu.vn/chu-de/bau-cu-quoc-hoi-khoa-xvi-va-hoi-dong-nhan-dan-cac-cap-nhiem-ky-2026-2031-276.htm",
    "https://baonghean.vn/dai-hoi-dang-bo-tinh-nghe-an-event12345.html",
    # video, author, search, pagination, print
    "https://dantri.com.vn/video/bo-bua-trua-xin-nghi-lam-di-mua-vang-ngay-via-than-tai-187983.htm",
    "https://dantri.com.vn/video/kinh-doanh.htm", "https://tuoitre.vn/video/tin-nong.htm",
    "https://dantri.com.vn/tac-gia/nguyen-van-a-1234.htm", "https://vnexpress.net/tim-kiem?q=lao-cai-1234567",
    "https://plo.vn/tu-khoa.html?q=anh hùng liệt sĩ", "https://baolaocai.vn/search?keyword=sa-pa-post12345",
    "https://vnexpress.net/kinh-doanh-p2", "https://vietnamnet.vn/kinh-doanh-page3", "https://dantri.com.vn/kinh-doanh/trang-2.htm",
    "https://baohatinh.vn/page/4", "https://tuoitre.vn/print/chien-su-day-gia-hoa-nhap-khau-dip-8-3-tang-manh-20260307075519174.htm",
    # static files, feeds, non-web schemes
    "https://cdn.baolaocai.vn/images/351860_song-dep-post404649.jpg", "https://tuoitre.vn/rss/kinh-doanh.rss",
    "https://vnexpress.net/sitemap-12345678.xml", "https://baochinhphu.vn/van-ban-102260228093004191.pdf",
    "https://cafef.vn/static/chinh-sach-bao-mat.html", "ftp://tuoitre.vn/a-20260307075519174.htm", "mailto:toasoan@plo.vn",
    "http://[tuoitre.vn/a-20260307075519174.htm", "/chien-su-day-gia-hoa-nhap-khau-dip-8-3-tang-manh-20260307075519174.htm",
    # a slug alone is not enough; nor a short id
    "https://baodanang.vn/chinh-tri", "https://baohaiphong.vn/lien-he.html", "https://vietnamnet.vn/du-lich/chuyen-cua-nhung-dong-song-sk0008F1.html",
    "https://dantri.com.vn/lien-he.htm", "https://baosonla.vn/a-1.html",
]


@pytest.mark.parametrize("url", ARTICLES)
def test_article_shaped_urls_are_articles(url):
    assert looks_like_article_url(url)
    assert is_article_url(url, None)


@pytest.mark.parametrize("url", NOT_ARTICLES)
def test_listing_tag_media_search_pagination_and_static_urls_are_not_articles(url):
    assert not looks_like_article_url(url)
    assert not is_article_url(url, site_for_url(url))


# ---------------------------------------------------------------- article URLs: site patterns

@pytest.mark.parametrize("slug", sorted(s.slug for s in load_sites().values() if s.sections))
def test_no_registered_section_page_is_taken_for_an_article(slug):
    site = get_site(slug)
    for url in site.sections:
        assert not is_article_url(url, site), url
        assert not looks_like_article_url(url), url


@pytest.mark.parametrize("url", [u for u in ARTICLES if site_for_url(u) and site_for_url(u).article_pattern])
def test_registered_sites_patterns_accept_their_article_shapes(url):
    assert is_article_url(url, site_for_url(url))


@pytest.mark.parametrize("name", sorted(LISTINGS))
def test_site_pattern_and_url_shape_agree_on_real_listing_links(name):
    site = site_for_url(LISTINGS[name])
    links = links_from_page(page(name), LISTINGS[name], same_site=True)
    by_pattern = {u for u in links if is_article_url(u, site)}
    by_shape = {u for u in links if is_article_url(u, None)}
    agree = sum((u in by_pattern) == (u in by_shape) for u in links)
    assert len(by_pattern) >= 9 and len(links) - len(by_pattern) >= 20   # both kinds are present
    assert agree / len(links) >= 0.97
    assert all(urlsplit(u).fragment == "" for u in links)


def test_an_article_of_another_host_is_not_the_sites_article():
    url = "https://vnexpress.net/gia-vang-moi-nhat-hom-nay-ngay-4-3-5046407.html"
    assert is_article_url(url, get_site("vnexpress"))
    assert not is_article_url(url, get_site("vietnamnet"))      # same pattern, other site
    assert is_article_url(url.replace("//", "//m."), get_site("vnexpress"))


def test_a_loose_site_pattern_still_rejects_topic_and_tag_pages():
    site = get_site("hanoimoi")   # pattern -<id>.html also fits topic pages
    assert is_article_url("https://hanoimoi.vn/ha-noi-mo-rong-duong-vanh-dai-4-712345.html", site)
    assert not is_article_url("https://hanoimoi.vn/chu-de/ky-nguyen-moi-712.html", site)
    assert not is_article_url("https://hanoimoi.vn/tag/ha-noi-12345.html", site)


def test_a_site_without_a_pattern_falls_back_to_url_shape_on_its_own_hosts():
    site = get_site("baovinhphuc")
    assert not site.article_pattern
    assert is_article_url("https://baovinhphuc.com.vn/tin-tuc/vinh-phuc-thu-hut-dau-tu-fdi-123456.html", site)
    assert not is_article_url("https://baovinhphuc.com.vn/tin-tuc", site)
    assert not is_article_url("https://baophutho.vn/phu-tho-phat-trien-nong-nghiep-226789.htm", site)
