import json

import pytest
from click.testing import CliRunner

from cli.main import cli
from archive.store import Archive
from test_archive_store import gold_article


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "archive.db"
    with Archive(path, aliases={}) as archive:
        archive.store_article(gold_article("plo-874982", fetched_at="2026-03-01T10:00:00+00:00"))
        plo = gold_article("plo-874982", fetched_at="2026-03-02T10:00:00+00:00")
        archive.store_article(dict(plo, url="https://baocantho.com.vn/a-1.html", site="baocantho",
                                   sapo=plo["sapo"].replace("(PLO)-", "(CTO) -")))
        archive.record_failure(url="https://baocantho.com.vn/x", reason="http_404", site="baocantho",
                               fetched_at="2026-03-02T10:00:00+00:00")
    return str(path)


def run(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("command", [["stats"], ["export"], ["reprocess"]])
def test_missing_archive_is_one_line_error(tmp_path, command):
    missing = tmp_path / "nothing.db"
    result = run(*command, "--db", str(missing))
    assert result.exit_code == 1
    assert result.output == f"Error: no archive at {missing}\n"
    assert not missing.exists()


@pytest.mark.parametrize("command", [["stats"], ["export"], ["reprocess"]])
def test_a_file_that_is_not_sqlite_is_one_line_error(tmp_path, command):
    bad = tmp_path / "notes.db"
    bad.write_text("not a database, just notes\n" * 200)
    result = run(*command, "--db", str(bad))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {bad} is not a tintinh archive (")
    assert result.output.count("\n") == 1


def test_stats_prints_a_table_per_site(db):
    result = run("stats", "--db", db)
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "site       articles  duplicates  pages  failures  last_crawl",
        "baocantho         1           1      0         1  2026-03-02 17:00 +07:00",
        "plo               1           0      0         0  2026-03-01 17:00 +07:00",
        "total             2           1      0         1",
    ]


def test_stats_json_lines(db):
    rows = [json.loads(line) for line in run("stats", "--db", db, "--json").output.splitlines()]
    assert [(r["site"], r["articles"], r["failures"]) for r in rows] == [("baocantho", 1, 1), ("plo", 1, 0)]


def test_export_jsonl_to_stdout_and_csv_to_a_file(db, tmp_path):
    result = run("export", "--db", db, "--site", "plo")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["site"] for r in rows] == ["plo"] and rows[0]["authors"] == ["THUẬN VĂN", "LÊ ÁNH"]
    out = tmp_path / "articles.csv"
    result = run("export", "--db", db, "--format", "csv", "--output", str(out), "--skip-duplicates")
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8").count("\n") > 2
    assert "plo.vn" in out.read_text(encoding="utf-8") and "baocantho" not in out.read_text(encoding="utf-8")


def test_export_no_captions_leaves_the_captions_out_of_the_text_and_keeps_them_on_the_images(db, tmp_path):
    captions = {i["caption"] for i in gold_article("plo-874982")["images"] if i.get("caption")}
    kept = json.loads(run("export", "--db", db, "--site", "plo").output)
    assert captions <= set(kept["body"].split("\n"))   # tintinh's own body keeps each caption once
    plain = json.loads(run("export", "--db", db, "--site", "plo", "--no-captions").output)
    assert not captions & set(plain["body"].split("\n"))
    assert plain["body"].split("\n") == [line for line in kept["body"].split("\n") if line not in captions]
    assert plain["images"] == kept["images"]
    out = tmp_path / "plain.csv"
    assert run("export", "--db", db, "--site", "plo", "--format", "csv", "--no-captions", "-o", str(out)).exit_code == 0
    import csv
    (row,) = csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines(keepends=True))
    assert row["body"] == plain["body"] and "images" not in row


def test_export_bad_date_is_one_line_error(db):
    result = run("export", "--db", db, "--since", "yesterday")
    assert result.exit_code == 1
    assert result.output == "Error: --since must be a date like 2025-07-01, not 'yesterday'\n"


def test_reprocess_reports_counts(db):
    result = run("reprocess", "--db", db, "--processes", "1")
    assert result.exit_code == 0
    assert result.output == "0 pages reprocessed, 0 articles changed, 0 failed\n"
