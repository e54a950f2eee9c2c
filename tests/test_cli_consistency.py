"""One command line: the same exit statuses, option names and conventions in every command,
bad input said in one line. Exact output and exit codes, CliRunner or a real subprocess."""
import gzip
import json
import socket
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from scrapy.settings import Settings

from archive.store import Archive
from cli.main import cli
from mockserver import FAST, TINTINH
from pipelines.author_names import title_case_name
from common.text import split_categories

PAGES = Path(__file__).parent / "fixtures" / "pages"
PLO = PAGES / "plo-874982.html.gz"
PLO_URL = "https://plo.vn/doan-dai-bieu-tphcm-dang-hoa-tuong-niem-cac-anh-hung-liet-si-tai-binh-duong-ba-ria-vung-tau-cu-post874982.html"
ROOT = Path(__file__).resolve().parents[1]


def run(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], **kw)


@pytest.fixture
def db(tmp_path):
    """An archive with a registered site's article and an unregistered host's."""
    path = tmp_path / "archive.db"
    with Archive(path, aliases={}) as archive:
        archive.store_article({"url": "https://plo.vn/a-post1.html", "site": "plo", "title": "Giá vàng tăng",
                               "sapo": "Giá vàng miếng tăng mạnh.", "body": "Người mua đông.\nTHUẬN VĂN",
                               "published_at": "2026-03-02T08:00:00+07:00", "fetched_at": "2026-03-02T02:00:00+00:00"})
        archive.store_article({"url": "https://example.com/b.html", "site": "example.com", "title": "Một bài khác",
                               "body": "Nội dung bài viết khác hẳn.", "published_at": "2026-03-05T08:00:00+07:00",
                               "fetched_at": "2026-03-05T02:00:00+00:00"})
    return path


@pytest.mark.parametrize("command", [["export"], ["reprocess"], ["export-warc", "-o", "x.warc.gz"]])
def test_an_unknown_site_is_refused_in_one_line_like_crawl_refuses_it(db, command):
    result = run(*command, "--db", db, "--site", "typo")
    assert result.exit_code == 1
    assert result.output.startswith("Error: unknown site 'typo' (known: ")
    assert result.output.endswith(f"); no site 'typo' in {db} either\n") and result.output.count("\n") == 1


def test_a_site_of_the_archive_that_is_not_registered_is_exported(db):
    result = run("export", "--db", db, "--site", "example.com")
    assert result.exit_code == 0
    assert [json.loads(line)["title"] for line in result.output.splitlines()] == ["Một bài khác"]


def test_published_since_and_since_are_one_option_of_export(db):
    new = run("export", "--db", db, "--published-since", "2026-03-03")
    old = run("export", "--db", db, "--since", "2026-03-03")
    assert new.exit_code == old.exit_code == 0
    assert new.output == old.output and [json.loads(line)["site"] for line in new.output.splitlines()] == ["example.com"]


@pytest.mark.parametrize("command, option", [("export", "--published-since, --since DATE"),
                                             ("reprocess", "--fetched-since, --since DATE"),
                                             ("export-warc", "--fetched-since, --since DATE")])
def test_each_since_option_says_what_it_compares(command, option):
    assert option in run(command, "--help").output


def test_processes_means_the_same_in_every_command():
    helps = {}
    for command in ("import", "reprocess", "merge"):
        text = " ".join(run(command, "--help").output.split())
        helps[command] = text[text.index("--processes"):].split("  ")[0]
    assert len(set(helps.values())) == 1
    assert "--processes INTEGER RANGE Worker processes beside the one writing the archive (default: one per CPU but one; 0: none)." \
        in helps["import"]


def test_csv_export_starts_with_a_byte_order_mark_for_excel(db):
    csv = run("export", "--db", db, "--format", "csv")
    assert csv.exit_code == 0 and csv.stdout_bytes.startswith("\ufeffid,canonical_url,".encode("utf-8"))
    assert run("export", "--db", db, "--format", "csv", "--no-bom").stdout_bytes.startswith(b"id,canonical_url,")
    assert run("export", "--db", db).stdout_bytes.startswith(b'{"id": ')
    assert run("export", "--db", db, "--bom").stdout_bytes.startswith("\ufeff{".encode("utf-8"))


def test_extract_reads_a_page_from_standard_input():
    from_file = run("extract", PLO, "--url", PLO_URL)
    from_stdin = run("extract", "-", "--url", PLO_URL, input=PLO.read_bytes())          # gzip
    plain = run("extract", "-", input=gzip.decompress(PLO.read_bytes()))               # canonical link
    assert from_file.exit_code == from_stdin.exit_code == plain.exit_code == 0
    assert json.loads(from_stdin.output) == json.loads(from_file.output) == json.loads(plain.output)


def test_extract_reads_a_manifest_from_standard_input():
    result = run("extract", "--manifest", "-", input=f"{PLO}\t{PLO_URL}\n")
    assert result.exit_code == 0
    assert json.loads(result.output)["title"].startswith("Đoàn đại biểu TP.HCM")


@pytest.mark.parametrize("setting, message", [
    ("DOWNLOAD_DELAY=abc", "Error: -s DOWNLOAD_DELAY=abc: a number is expected\n"),
    ("CONCURRENT_REQUESTS=2.5", "Error: -s CONCURRENT_REQUESTS=2.5: a whole number is expected\n"),
    ("ROBOTSTXT_OBEY=maybe", "Error: -s ROBOTSTXT_OBEY=maybe: true or false is expected (or 1 or 0)\n"),
    ("TINTINH_ORIGINS={bad", "Error: -s TINTINH_ORIGINS={bad: a JSON object is expected (Expecting property name"
                             " enclosed in double quotes: line 1 column 2 (char 1))\n"),
    ("TINTINH_ORIGINS=[1]", "Error: -s TINTINH_ORIGINS=[1]: a JSON object is expected, not list\n"),
    ("DOWNLOAD_DELAY", "Error: -s needs KEY=VALUE, got 'DOWNLOAD_DELAY'\n"),
])
def test_a_bad_setting_is_one_line_before_the_crawl_starts(tmp_path, setting, message):
    db = tmp_path / "archive.db"
    result = run("crawl", "baolaocai", "--db", db, "-s", setting)
    assert (result.exit_code, result.output) == (2, message)
    assert not db.exists()      # nothing was started


def test_settings_that_fit_pass_as_given(tmp_path):
    from crawler.setting_values import check_settings
    good = {"DOWNLOAD_DELAY": "0.5", "TINTINH_ORIGINS": '{"baolaocai": "http://127.0.0.1:8000"}',
            "ROBOTSTXT_OBEY": "False", "TINTINH_DISCOVERY": "feeds", "DEPTH_PRIORITY": "-1", "MY_OWN": "x"}
    assert check_settings(good) == good


def test_scrapy_crawl_with_an_unknown_site_prints_one_line(tmp_path):
    done = subprocess.run([str(TINTINH.with_name("scrapy")), "crawl", "news", "-a", "site=nope",
                           "-s", f"TINTINH_DB={tmp_path / 'a.db'}", "-s", "LOG_LEVEL=ERROR"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("error: unknown site 'nope' (known: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr + done.stdout


def test_serve_on_a_busy_port_says_so_in_one_line_and_does_not_serve(db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--db", db, "--port", port)
    assert result.exit_code == 1
    assert result.output == f"Error: port {port} on 127.0.0.1 is in use (another server?): pick another with --port\n"


def test_stats_and_its_json_give_times_in_vietnam_time(db):
    table = run("stats", "--db", db).output.splitlines()
    assert table[1] == "example.com         1           0      0         0  2026-03-05 09:00 +07:00"
    rows = [json.loads(line) for line in run("stats", "--db", db, "--json").output.splitlines()]
    assert [r["last_crawl"] for r in rows] == ["2026-03-05T09:00:00+07:00", "2026-03-02T09:00:00+07:00"]


def test_sites_lists_national_outlets_under_one_label():
    lines = run("sites").output.splitlines()
    assert any(line.split()[0] == "nhandan" and line.endswith(" national") for line in lines)
    assert not any("(national)" in line for line in lines)


def test_the_offline_resolver_of_the_crawl_tests_is_set_by_scrapys_current_name():
    settings = Settings()
    settings.setmodule("crawler.settings")
    settings.setdict(FAST)     # DNS_RESOLVER would warn (deprecated), and warnings are errors here
    assert settings["TWISTED_DNS_RESOLVER"] == "crawler.resolver.LoopbackOnlyResolver"


@pytest.mark.parametrize("name, cased", [
    ("THUẬN VĂN", "Thuận Văn"), ("LÊ ÁNH", "Lê Ánh"), ("NHẬT XUÂN", "Nhật Xuân"), ("ĐỨC MINH", "Đức Minh"),
    ("Ỷ LAN", "Ỷ Lan"), ("LÊ THỊ MINH-HÀ", "Lê Thị Minh-Hà"), ("MINH ANH (TTXVN)", "Minh Anh (TTXVN)"),
    ("ĐĂNG KHOA/VNA", "Đăng Khoa/VNA"), ("NGUYỄN P.Y", "Nguyễn P.Y"),
    # acronyms, initials and names already in mixed case stay as written
    ("TTXVN", "TTXVN"), ("AFP", "AFP"), ("PV", "PV"), ("P.Y", "P.Y"), ("Lê Sơn", "Lê Sơn"),
    ("McDonald", "McDonald"), ("Minh Anh/TTXVN", "Minh Anh/TTXVN"),
])
def test_authors_in_capitals_are_title_cased_syllable_by_syllable(name, cased):
    assert title_case_name(name) == cased


def test_a_byline_in_capitals_on_a_real_page_is_title_cased():
    article = json.loads(run("extract", PLO, "--url", PLO_URL).output)
    assert article["authors"] == ["Thuận Văn", "Lê Ánh"]


@pytest.mark.parametrize("category, categories", [
    ("Thời sự,Chính trị", ["Thời sự", "Chính trị"]), ("Thời sự > Chính trị", ["Thời sự", "Chính trị"]),
    ("Kinh doanh » Tài chính » Kinh doanh", ["Kinh doanh", "Tài chính"]), ("Kinh doanh", ["Kinh doanh"]),
    ("", []), (None, []),
])
def test_categories_are_split_into_a_list(category, categories):
    assert split_categories(category) == categories


def test_extracted_and_stored_articles_carry_the_category_list(tmp_path):
    article = json.loads(run("extract", PLO, "--url", PLO_URL).output)
    assert (article["category"], article["categories"]) == ("Thời sự,Chính trị", ["Thời sự", "Chính trị"])
    with Archive(tmp_path / "a.db", aliases={}) as archive:
        archive.store_article(dict(article, categories=None))   # an imported line without the list
        stored = archive.conn.execute("SELECT category, categories FROM articles").fetchone()
    assert (stored[0], json.loads(stored[1])) == ("Thời sự,Chính trị", ["Thời sự", "Chính trị"])
