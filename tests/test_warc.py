"""WARC in and out: export-warc read back record by record with warcio, import-warc of WARC files
built from the saved real pages (gzip-encoded, chunked, non-HTML, revisit, truncated records), the
round trip crawl → export-warc → import-warc, and a crawl writing WARC as it goes."""
import gzip
import io
import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from mockserver import TINTINH, mock_site, run_crawl

FIXTURES = Path(__file__).parent / "fixtures" / "site"
WARCIO = TINTINH.with_name("warcio")
SITES = ["baolaocai", "plo", "tuoitre", "dantri"]
PAGES = {  # real saved pages and their URLs
    "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html": "baolaocai-404649.html.gz",
    "https://plo.vn/doan-dai-bieu-tphcm-dang-hoa-tuong-niem-cac-anh-hung-liet-si-tai-binh-duong-ba-ria-vung-tau-cu-post874982.html":
        "plo-874982.html.gz",
    "https://tuoitre.vn/chien-su-day-gia-hoa-nhap-khau-dip-8-3-tang-manh-20260307075519174.htm":
        "tuoitre-20260307075519174.html.gz",
    "https://dantri.com.vn/kinh-doanh/gia-vang-giam-van-cao-hon-the-gioi-gan-20-trieu-dongluong-20260307080054340.htm":
        "dantri-20260307080054340.html.gz",
}
ARTICLE_FIELDS = ("canonical_url", "site", "province", "title", "sapo", "body", "authors",
                  "published_at", "modified_at", "category", "tags", "content_hash")


def html(url: str) -> bytes:
    return gzip.decompress((FIXTURES / PAGES[url]).read_bytes())


def tintinh(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(TINTINH), *args], capture_output=True, text=True, timeout=120)


def articles(db: Path) -> dict[str, dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return {r["canonical_url"]: {f: r[f] for f in ARTICLE_FIELDS}
                for r in conn.execute("SELECT * FROM articles")}


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    db = tmp_path_factory.mktemp("warc") / "crawled.db"
    with mock_site() as server:
        done, _ = run_crawl(SITES, db, server.origins())
    assert done.returncode == 0, done.stderr
    return db


@pytest.fixture(scope="module")
def exported(crawled):
    out = crawled.with_name("export.warc.gz")
    done = tintinh("export-warc", "--db", str(crawled), "-o", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_export_warc_holds_every_raw_page_byte_for_byte(crawled, exported):
    with sqlite3.connect(crawled) as conn:
        pages = {url: (status, fetched_at) for url, status, fetched_at in conn.execute(
            "SELECT coalesce(final_url, url), status, fetched_at FROM pages"
            " WHERE status BETWEEN 200 AND 299 AND body_sha1 IS NOT NULL")}
    from archive.store import open_archive
    with open_archive(crawled) as archive:
        bodies = {url: archive.page_body(pid) for pid, url in archive.conn.execute(
            "SELECT id, coalesce(final_url, url) FROM pages WHERE body_sha1 IS NOT NULL AND status < 300")}
    responses, concurrent, kinds = {}, set(), []
    with open(exported, "rb") as stream:
        for record in ArchiveIterator(stream):
            kinds.append(record.rec_type)
            url = record.rec_headers.get_header("WARC-Target-URI")
            if record.rec_type == "response":
                responses[url] = (record.rec_headers.get_header("WARC-Record-ID"),
                                  int(record.http_headers.get_statuscode()),
                                  record.rec_headers.get_header("WARC-Date"), record.content_stream().read())
            elif record.rec_type in ("request", "metadata"):
                concurrent.add((record.rec_type, record.rec_headers.get_header("WARC-Concurrent-To")))
    assert kinds[0] == "warcinfo"
    assert set(responses) == set(pages) and len(pages) >= 4
    for url, (record_id, status, date, body) in responses.items():
        assert body == bodies[url]
        assert status == pages[url][0]
        assert date == pages[url][1].replace("+00:00", "Z")
        assert ("request", record_id) in concurrent and ("metadata", record_id) in concurrent


def test_export_warc_passes_warcio_check(exported):
    done = subprocess.run([str(WARCIO), "check", "-v", str(exported)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "digest pass" in done.stdout and "fail" not in done.stdout.replace("digest pass", "")


def test_round_trip_export_warc_then_import_warc_gives_the_same_articles(crawled, exported, tmp_path):
    db = tmp_path / "from-warc.db"
    done = tintinh("import-warc", str(exported), "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert articles(db) == articles(crawled)
    # the raw pages come along with their WARC-Date as the fetch time
    assert sorted(rows(db, "SELECT url, fetched_at FROM pages")) == sorted(rows(
        crawled, "SELECT coalesce(final_url, url), fetched_at FROM pages WHERE status < 300 AND body_sha1 IS NOT NULL"))


def build_warc(path: Path, truncate_last: bool = True) -> dict[str, int]:
    """A WARC as a real crawler writes one: the saved pages in every transfer form, plus records an
    import must skip; returns each response's offset by URL."""
    urls = list(PAGES)
    offsets = {}
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)

        def response(url, body, headers, date="2026-03-08T01:02:03Z"):
            offsets[url] = out.tell()
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": date}))

        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        response(urls[0], html(urls[0]), [("Content-Type", "text/html; charset=utf-8")])
        response(urls[1], gzip.compress(html(urls[1])),
                 [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")])
        body = html(urls[2])
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 5000]), body[i:i + 5000])
                          for i in range(0, len(body), 5000)) + b"0\r\n\r\n"
        response(urls[2], chunks, [("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked")])
        writer.write_record(writer.create_warc_record(   # a request: skipped
            urls[0], "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders("GET / HTTP/1.1", [("Host", "baolaocai.vn")], is_http_request=True)))
        response("https://baolaocai.vn/tai-lieu-post100004.pdf", b"%PDF-1.4 not html",
                 [("Content-Type", "application/pdf")])
        writer.write_record(writer.create_revisit_record(
            urls[0], digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", refers_to_uri=urls[0],
            refers_to_date="2026-03-08T01:02:03Z",
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")))
        response("https://bao-chua-dang-ky.vn/tin-moi-post123456.html", html(urls[0]),
                 [("Content-Type", "text/html; charset=utf-8")])
        response(urls[3], html(urls[3]), [("Content-Type", "text/html; charset=utf-8")])
    if truncate_last:
        data = path.read_bytes()
        path.write_bytes(data[:offsets[urls[3]] + (len(data) - offsets[urls[3]]) // 2])
    return offsets


def test_import_warc_takes_every_transfer_form_and_records_a_truncated_record(tmp_path):
    warc = tmp_path / "crawl.warc.gz"
    offsets = build_warc(warc)
    db = tmp_path / "a.db"
    done = tintinh("import-warc", str(warc), "--db", str(db))
    assert done.returncode == 0, done.stderr
    urls = list(PAGES)
    got = articles(db)
    assert {a["site"] for a in got.values()} == {"baolaocai", "plo", "tuoitre"}
    assert len(got) == 3        # plain, gzip-encoded and chunked pages; not the pdf, revisit or unregistered host
    assert all(a["body"] and "\ufffd" not in a["body"] for a in got.values())
    assert rows(db, "SELECT DISTINCT fetched_at FROM pages") == [("2026-03-08T01:02:03+00:00",)]
    (url, reason, detail), = rows(db, "SELECT url, reason, detail FROM failures")
    assert (url, reason) == (urls[3], "warc_truncated")
    assert f"{warc} at offset {offsets[urls[3]]}" in detail
    assert "warc_truncated 1" in done.stdout


def test_import_warc_all_vn_takes_unregistered_vn_hosts_and_site_limits(tmp_path):
    warc = tmp_path / "crawl.warc.gz"
    build_warc(warc, truncate_last=False)
    db = tmp_path / "a.db"
    assert tintinh("import-warc", str(warc), "--db", str(db), "--all-vn").returncode == 0
    assert "bao-chua-dang-ky.vn" in {a["site"] for a in articles(db).values()}
    only = tmp_path / "only.db"
    assert tintinh("import-warc", str(warc), "--db", str(only), "--site", "plo").returncode == 0
    assert {a["site"] for a in articles(only).values()} == {"plo"}
    wrong = tintinh("import-warc", str(warc), "--db", str(only), "--site", "khongco")
    assert wrong.returncode == 1 and "unknown site 'khongco'" in wrong.stderr and "Traceback" not in wrong.stderr


def test_crawl_writes_every_response_to_rotating_warc_files(tmp_path):
    db, warcs = tmp_path / "a.db", tmp_path / "warc"
    with mock_site() as server:
        done, _ = run_crawl(["baolaocai", "plo"], db, server.origins(),
                            TINTINH_WARC_DIR=str(warcs), TINTINH_WARC_MAX_BYTES="60000")
    assert done.returncode == 0, done.stderr
    files = sorted(warcs.glob("tintinh-*.warc.gz"))
    assert len(files) >= 2                       # rotated past 60 kB
    seen = {}
    for path in files:
        assert subprocess.run([str(WARCIO), "check", str(path)], capture_output=True).returncode == 0
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    seen[record.rec_headers.get_header("WARC-Target-URI")] = record.content_stream().read()
    for url, final_url in rows(db, "SELECT url, final_url FROM pages WHERE status BETWEEN 200 AND 299"):
        assert url in seen and final_url in seen    # a redirect is kept as its own response
    assert seen["https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html"] == html(
        "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html")
    assert any(u.endswith("robots.txt") for u in seen)   # discovery responses are kept too


def test_import_warc_reads_stdin_and_takes_the_hosts_of_a_hosts_file(tmp_path):
    warc = tmp_path / "crawl.warc.gz"
    build_warc(warc, truncate_last=False)
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("bao-chua-dang-ky.vn\n\n", encoding="utf-8")
    db = tmp_path / "a.db"
    with open(warc, "rb") as stdin:
        done = subprocess.run([str(TINTINH), "import-warc", "-", "--db", str(db), "--hosts", str(hosts)],
                              stdin=stdin, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    sites = {a["site"] for a in articles(db).values()}
    assert "bao-chua-dang-ky.vn" in sites and {"baolaocai", "plo", "tuoitre", "dantri"} <= sites
