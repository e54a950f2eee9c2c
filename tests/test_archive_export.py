import csv
import io
import json
from pathlib import Path

import pytest

from archive.export import COLUMNS, JSONL_COLUMNS, export
from archive.store import Archive, ArchiveError
from test_archive_store import gold_article


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "archive.db", aliases={}) as a:
        a.store_article(gold_article("plo-874982"))
        a.store_article(gold_article("vnexpress-4954454", published_at="2026-01-05T07:00:00+07:00"))
        plo = gold_article("plo-874982")
        a.store_article(dict(plo, url="https://baocantho.com.vn/a-1.html", site="baocantho",
                             sapo=plo["sapo"].replace("(PLO)-", "(CTO) -")))
        yield a


def test_jsonl_keeps_authors_and_tags_as_lists(archive):
    out = io.StringIO()
    assert export(archive, out) == 3
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert list(rows[0]) == list(JSONL_COLUMNS) + ["images", "related", "versions", "aliases"]
    assert rows[0]["authors"] == ["THUẬN VĂN", "LÊ ÁNH"] and rows[0]["tags"] == ["thời sự"]
    assert rows[0]["title"].startswith("Đoàn đại biểu TP.HCM")
    assert rows[2]["duplicate_of"] == rows[0]["id"]


def test_csv_joins_lists_and_round_trips_the_text(archive):
    out = io.StringIO()
    export(archive, out, fmt="csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 3
    assert rows[0]["authors"] == "THUẬN VĂN; LÊ ÁNH"
    assert rows[1]["body"] == gold_article("vnexpress-4954454")["body"]


def test_site_since_and_duplicate_filters(archive):
    def urls(**kw):
        out = io.StringIO()
        export(archive, out, **kw)
        return [json.loads(line)["site"] for line in out.getvalue().splitlines()]
    assert urls(site="vnexpress") == ["vnexpress"]
    assert urls(since="2026-01-01") == ["vnexpress"]
    assert urls(skip_duplicates=True) == ["plo", "vnexpress"]


def test_bad_date_and_format_are_clear_errors(archive):
    with pytest.raises(ArchiveError, match="--since must be a date"):
        export(archive, io.StringIO(), since="hôm qua")
    with pytest.raises(ArchiveError, match="unknown format 'xml'"):
        export(archive, io.StringIO(), fmt="xml")


def test_child_rows_go_with_their_own_article_when_others_are_left_out(archive):
    archive.store_article(gold_article("vnexpress-4954454", related=[{"url": "https://vnexpress.net/b-1.html",
                                                                     "title": "Bài liên quan"}],
                                       fetched_at="2026-03-02T00:00:00+00:00", sapo="Bản sửa lại."))
    out = io.StringIO()
    export(archive, out, site="vnexpress")
    (row,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert row["related"] == [{"url": "https://vnexpress.net/b-1.html", "title": "Bài liên quan"}]
    assert [img["src"] for img in row["images"]] == [i["src"] for i in gold_article("vnexpress-4954454")["images"]]
    assert [v["replaced_at"] for v in row["versions"]] == ["2026-03-02T00:00:00+00:00"]
    assert row["versions"][0]["sapo"] == gold_article("vnexpress-4954454")["sapo"]
