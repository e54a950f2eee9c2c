"""`tintinh crawl` / `tintinh demo` as a user meets them: exact error lines, exit codes, the lock,
and the offline demo (a real crawl of the bundled mirror, in a subprocess)."""
import sqlite3
import subprocess

from click.testing import CliRunner

from cli.main import cli
from archive.lock import db_lock
from mockserver import TINTINH


def test_crawl_without_a_site_is_a_one_line_usage_error():
    result = CliRunner().invoke(cli, ["crawl"])
    assert result.exit_code == 2
    assert result.output == "Error: name one or more sites, or give --all, or --url URL (see tintinh crawl -h)\n"


def test_crawl_with_both_sites_and_url_is_refused():
    result = CliRunner().invoke(cli, ["crawl", "plo", "--url", "https://plo.vn/"])
    assert result.exit_code == 2 and result.output.count("\n") == 1


def test_unknown_slug_lists_the_known_ones_in_one_line():
    result = CliRunner().invoke(cli, ["crawl", "baokhongco"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: unknown site 'baokhongco' (known: ")
    assert "baolaocai" in result.output and result.output.count("\n") == 1


def test_bad_scrapy_setting_is_a_usage_error():
    result = CliRunner().invoke(cli, ["crawl", "plo", "-s", "DOWNLOAD_DELAY"])
    assert result.exit_code == 2 and "-s needs KEY=VALUE" in result.output


def test_second_crawl_on_the_same_archive_exits_with_one_clear_line(tmp_path):
    db = tmp_path / "a.db"
    with db_lock(db):  # a crawl in progress (this process holds the lock)
        done = subprocess.run([str(TINTINH), "crawl", "plo", "--db", str(db)],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: another crawl is writing to {db} (pid ")
    assert done.stderr.count("\n") == 1 and done.stdout == ""
    assert not db.exists()  # nothing was touched


def test_demo_crawls_the_bundled_mirror_into_an_archive_with_real_urls(tmp_path):
    db = tmp_path / "demo.db"
    done = subprocess.run([str(TINTINH), "demo", "--db", str(db)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"open it with: tintinh serve --db {db}"
    with sqlite3.connect(db) as conn:
        urls = [url for (url,) in conn.execute("SELECT url FROM articles ORDER BY site")]
        failures = conn.execute("SELECT count(*) FROM failures").fetchone()[0]
    assert len(urls) >= 100 and failures == 5  # the demo mirror (crawler/demo_site) fails 5 pages on purpose
    assert urls[0] == "https://baochinhphu.vn/chinh-sach-moi-co-hieu-luc-tu-thang-3-2026-102260228093004191.htm"
    assert all(url.startswith("https://") and "127.0.0.1" not in url for url in urls)


def test_archive_in_a_missing_directory_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["crawl", "plo", "--db", str(tmp_path / "khong-co" / "a.db")])
    assert result.exit_code == 1
    assert result.output == f"Error: cannot write the archive {tmp_path / 'khong-co' / 'a.db'}: No such file or directory\n"


def test_a_file_that_is_no_archive_is_refused_untouched(tmp_path):
    db = tmp_path / "notes.db"
    db.write_text("ghi chú, không phải SQLite", encoding="utf-8")
    result = CliRunner().invoke(cli, ["crawl", "plo", "--db", str(db)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {db} is not a tintinh archive") and result.output.count("\n") == 1
    assert db.read_text(encoding="utf-8") == "ghi chú, không phải SQLite"
