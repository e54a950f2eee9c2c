"""Every charset a Vietnamese page comes in is read by one rule (pipelines.decode), the same in the
spider's check, in extraction and in reprocess: BOM > HTTP header > <meta> > detection.

The pages are the real baolaocai article (tests/fixtures/site/baolaocai-404649.html.gz) re-encoded
the ways Vietnamese sites serve it; crawls run the real engine against tests/hostile.py.
"""
import codecs
import gzip
import json
import sqlite3
import subprocess
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.search import search
from archive.store import Archive
from cli.main import cli
from pipelines.decode import charset_problem
from hostile import HostileServer, page
from mockserver import TINTINH, run_crawl
from pipelines.decode import CharsetMismatch, decode_page
from pipelines.extract import ExtractionError, extract_article
from test_extract_pages import to_cp1258
from test_legacy_vietnamese import MIXED_TCVN3_VNI, to_tcvn3

ARTICLE = gzip.decompress((Path(__file__).parent / "fixtures/site/baolaocai-404649.html.gz").read_bytes()).decode()
URL = "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html"
META = '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />'
NO_META = ARTICLE.replace(META, "")
CP1258 = "text/html; charset=windows-1258"


def test_the_fixture_declares_its_charset_once_and_the_copy_not_at_all():
    assert ARTICLE.count("charset") == 1 and META in ARTICLE
    assert "charset" not in NO_META


# -- the rule, as a table ----------------------------------------------------------------------

HELLO = "<html><head>{meta}</head><body><p>Không ồn ào, đẹp từ những điều giản dị</p></body></html>"
TEXT = HELLO.format(meta="")


def html(meta: str = "") -> str:
    return HELLO.format(meta=meta)


@pytest.mark.parametrize("data, content_type, encoding, source", [
    # a byte-order mark beats everything
    (codecs.BOM_UTF8 + TEXT.encode(), CP1258, "utf-8", "bom"),
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "text/html; charset=utf-8", "utf-16-le", "bom"),
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), None, "utf-16-be", "bom"),
    # the header beats the page's own <meta>
    (to_cp1258(html('<meta charset="utf-8">')), CP1258, "cp1258", "header"),
    (to_cp1258(TEXT), CP1258, "cp1258", "header"),
    (to_cp1258(html('<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">')),
     "text/html", "cp1258", "meta"),
    (to_cp1258(html('<meta charset="windows-1258">')), None, "cp1258", "meta"),
    # a declared charset the bytes do not fit gives way to the next declaration that fits
    (to_cp1258(html('<meta charset="windows-1258">')), "text/html; charset=utf-8", "cp1258", "meta"),
    # a legacy declaration over bytes that are UTF-8 (a site moved to UTF-8 and kept its header)
    (html('<meta charset="windows-1258">').encode(), "text/html; charset=ISO-8859-1", "utf-8", "header"),
    # a page cannot declare UTF-16 from inside itself in ASCII: read as UTF-8 (WHATWG)
    (html('<meta charset="utf-16">').encode(), None, "utf-8", "meta"),
    (TEXT.encode("utf-16-le"), "text/html; charset=utf-16", "utf-16-le", "header"),
    # nothing declared: detection
    (TEXT.encode(), None, "utf-8", "detected"),
    (TEXT.encode().replace("Không".encode(), b"Kh\xff\xfeng"), "text/html", "utf-8", "detected"),
    (to_cp1258(TEXT), "text/html", "cp1258", "detected"),
    (to_tcvn3(TEXT).encode("cp1252"), None, "cp1252", "detected"),
])
def test_decoding_order(data, content_type, encoding, source):
    decoded = decode_page(data, content_type)
    assert (decoded.encoding, decoded.source) == (encoding, source)
    if encoding != "cp1252":     # TCVN3 text is read in windows-1252, then converted by extraction
        assert "ồn ào, đẹp từ những điều giản dị</p>" in unicodedata.normalize("NFC", decoded.text)


def test_windows_1258_comes_out_nfc():
    decoded = decode_page(to_cp1258(TEXT), CP1258)
    assert unicodedata.is_normalized("NFC", decoded.text) and "Không ồn ào" in decoded.text


def test_a_page_whose_every_declaration_is_wrong_is_refused():
    data = to_cp1258(html('<meta charset="utf-8">'))
    with pytest.raises(CharsetMismatch, match="not valid utf-8 as the HTTP header declares; .* as the page declares"):
        decode_page(data, "text/html; charset=utf-8")


def test_a_few_broken_bytes_do_not_make_a_page_another_charset():
    data = ARTICLE.encode().replace("Không".encode(), b"Kh\xffng", 3)
    assert decode_page(data, "text/html; charset=utf-8").encoding == "utf-8"
    assert charset_problem(data, "text/html; charset=utf-8") == ""


# -- the real article, every way it is served --------------------------------------------------

VARIANTS = {  # name: (bytes, Content-Type header)
    "utf-8": (ARTICLE.encode(), "text/html; charset=utf-8"),
    "cp1258 in the header only": (to_cp1258(NO_META), CP1258),
    "cp1258 in the meta only": (to_cp1258(NO_META.replace("<head>", '<head><meta charset="windows-1258">', 1)),
                                "text/html"),
    "cp1258, header right, meta wrong": (to_cp1258(ARTICLE), CP1258),
    "cp1258, declared nowhere": (to_cp1258(NO_META), "text/html"),
    "utf-8 with BOM": (codecs.BOM_UTF8 + ARTICLE.encode(), CP1258),
    "utf-16-le with BOM": (codecs.BOM_UTF16_LE + ARTICLE.encode("utf-16-le"), "text/html; charset=utf-8"),
    "utf-16-be with BOM": (codecs.BOM_UTF16_BE + ARTICLE.encode("utf-16-be"), "text/html"),
    "latin-1 header over utf-8": (ARTICLE.encode(), "text/html; charset=iso-8859-1"),
}


@pytest.fixture(scope="module")
def original():
    return extract_article(ARTICLE.encode(), URL)


@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_extracts_as_the_utf8_original(name, original):
    data, content_type = VARIANTS[name]
    article = extract_article(data, URL, content_type=content_type)
    for field in ("title", "sapo", "body", "authors", "published_at", "category", "tags"):
        assert article[field] == original[field], field


@pytest.mark.parametrize("name", VARIANTS)
def test_the_spider_check_accepts_every_variant(name):
    assert charset_problem(*VARIANTS[name]) == ""


def test_header_only_cp1258_without_the_header_is_read_by_detection_and_by_nothing_else():
    data, _ = VARIANTS["cp1258 in the header only"]
    assert decode_page(data, None).source == "detected"
    wrong = to_cp1258(ARTICLE)            # says utf-8 in its <meta>, and nothing overrides it
    assert "not valid utf-8 as the page declares" in charset_problem(wrong, "text/html")
    with pytest.raises(ExtractionError, match="not valid utf-8"):
        extract_article(wrong, URL, content_type="text/html")


def test_extract_command_takes_the_content_type_the_page_came_with(tmp_path, original):
    saved = tmp_path / "page.html"
    saved.write_bytes(VARIANTS["cp1258, header right, meta wrong"][0])
    refused = CliRunner().invoke(cli, ["extract", str(saved), "--url", URL])
    assert refused.exit_code == 1 and "not valid utf-8 as the page declares" in refused.output
    done = CliRunner().invoke(cli, ["extract", str(saved), "--url", URL, "--content-type", CP1258])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["title"] == original["title"]


# -- crawls: the spider, extraction and the store together ---------------------------------------

def crawl(tmp_path: Path, routes: dict) -> Path:
    home = "<html><body>" + "".join(f'<a href="{p}">tin</a>' for p in routes) + "</body></html>"
    db = tmp_path / "a.db"
    with HostileServer({"/": page(home), **routes}) as site:
        done, _ = run_crawl(["--url", site.url("/")], db)
    assert done.returncode == 0, done.stderr
    return db


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


DANTRI = gzip.decompress((Path(__file__).parent / "fixtures/site/dantri-20260307080054340.html.gz").read_bytes())
DANTRI_URL = "https://dantri.com.vn/kinh-doanh/gia-vang-giam-van-cao-hon-the-gioi-gan-20-trieu-dongluong-20260307080054340.htm"


def test_crawl_archives_cp1258_declared_in_the_header_only_and_utf16_with_bom(tmp_path, original):
    cp1258, header = VARIANTS["cp1258 in the header only"]
    utf16 = codecs.BOM_UTF16_BE + DANTRI.decode("utf-8").encode("utf-16-be")
    db = crawl(tmp_path, {"/song-dep-404649.html": page(cp1258, content_type=header),
                          "/gia-vang-giam-20260307080054340.htm": page(utf16, content_type="text/html")})
    assert rows(db, "SELECT url, reason FROM failures") == []
    stored = {url.rsplit("/", 1)[1]: (title, body) for url, title, body in rows(db, "SELECT url, title, body FROM articles")}
    dantri = extract_article(DANTRI, DANTRI_URL)
    assert stored == {"song-dep-404649.html": (original["title"], original["body"]),
                      "gia-vang-giam-20260307080054340.htm": (dantri["title"], dantri["body"])}
    assert dantri["title"] == "Giá vàng giảm, vẫn cao hơn thế giới gần 20 triệu đồng/lượng"


def test_crawl_archives_a_tcvn3_page_as_unicode_the_search_finds_and_keeps_a_doubtful_one(tmp_path, original):
    tcvn3 = to_tcvn3(ARTICLE.replace("charset=utf-8", "charset=iso-8859-1")).encode("cp1252", "xmlcharrefreplace")
    assert "Kh«ng ån µo".encode("cp1252") in tcvn3
    db = crawl(tmp_path, {"/song-dep-404649.html": page(tcvn3, content_type="text/html"),
                          "/thong-bao-123456.html": page(MIXED_TCVN3_VNI, content_type="text/html")})
    [(url, reason, detail)] = rows(db, "SELECT url, reason, detail FROM failures")
    assert url.endswith("/thong-bao-123456.html") and reason == "legacy_encoding", detail
    assert rows(db, "SELECT failure, body_size FROM pages WHERE url = '%s'" % url) == [
        ("legacy_encoding", len(MIXED_TCVN3_VNI))]        # the page is kept for reprocess
    assert rows(db, "SELECT title, sapo, body FROM articles") == [(original["title"], original["sapo"], original["body"])]
    hits = search(db, "khong on ao")
    assert [h["title"] for h in hits] == [original["title"]]
    assert "<mark>Không</mark> <mark>ồn</mark> <mark>ào</mark>" in hits[0]["snippet"]


# -- reprocess: a page stored before is read with the header kept with it ------------------------

def test_reprocess_recovers_a_header_only_cp1258_page_stored_as_a_failure(tmp_path, original):
    db = tmp_path / "a.db"
    data, header = VARIANTS["cp1258 in the header only"]
    with Archive(db) as archive:     # as a crawl that could not read it left it
        archive.record_page(url=URL, final_url=URL, status=200, headers={"Content-Type": header},
                            body=data, fetched_at="2025-06-17T07:00:00+00:00", site="baolaocai",
                            failure="extraction_error")
        archive.record_failure(url=URL, reason="extraction_error", site="baolaocai",
                               detail="the page is not UTF-8", fetched_at="2025-06-17T07:00:00+00:00")
    assert json.loads(rows(db, "SELECT headers FROM pages")[0][0]) == {"content-type": header}
    done = subprocess.run([str(TINTINH), "reprocess", "--db", str(db), "--processes", "1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 articles changed, 0 failed" in done.stdout
    assert rows(db, "SELECT title, body FROM articles") == [(original["title"], original["body"])]
