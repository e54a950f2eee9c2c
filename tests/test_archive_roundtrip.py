"""`tintinh export` then `tintinh import` into an empty archive gives back the same archive, table by table.

Compared: articles (every column but page_id), images, related_links, article_versions,
url_aliases, minhashes, the LSH buckets and the search indexes — rows keyed by canonical URL,
so ids (autoincrement) are compared through what they point at. Not compared: pages, runs,
crawl_runs and failures (what fetching did: export carries articles, not fetches; page_id points
into pages), sites (the registry, written by a crawl), _migrations (schema bookkeeping) and
common_lines (how many articles carried each line when they were first stored: the source counted
texts that an edit later replaced, the copy counts today's texts).
"""
import json
import sqlite3

import pytest
from click.testing import CliRunner

from archive.store import Archive, connect
from cli.main import cli
from test_archive_store import gold_article, mixed_articles

LATER = "2026-03-04T06:00:00+00:00"
SEARCHES = ['"cập nhật lúc 15h"', "thủy", "Lào", '"TP.HCM"', "liệt sĩ"]


def run(*args):
    return CliRunner().invoke(cli, list(args))


def build_source(path) -> str:
    """Real articles with images, related links, an edited re-crawl (a version), a later unchanged
    visit, a reprint on another site (a story), a moved URL of the same text (an alias), a story
    whose first copy was rewritten since (its members stay together)."""
    with Archive(path, aliases={}) as archive:
        for article in mixed_articles():
            archive.store_article(dict(article, related=[
                {"url": "https://plo.vn/tin-lien-quan-1.html", "title": "Tin liên quan một"},
                {"url": "https://plo.vn/tin-lien-quan-2.html", "title": None}]))
        tuoitre = gold_article("tuoitre-20260307075519174")
        lines = tuoitre["body"].split("\n")
        lines[2] += " (Cập nhật lúc 15h.)"
        assert archive.store_article(dict(tuoitre, body="\n".join(lines), fetched_at=LATER)) == "updated"
        dantri = gold_article("dantri-20260307080054340")
        assert archive.store_article(dict(dantri, fetched_at=LATER)) == "unchanged"
        laocai = gold_article("baolaocai-404649")
        assert archive.store_article(dict(laocai, url="https://baolaocai.vn/tin-cu/bai-viet-404649.html")) == "duplicate"
        wire = gold_article("baochinhphu-102260228093004191")
        wire_reprint = dict(wire, url="https://baocantho.com.vn/chinh-sach-a77.html", site="baocantho",
                            sapo="(CTO) - " + wire["sapo"])
        assert [archive.store_article(a) for a in (wire, wire_reprint)] == ["new", "duplicate"]
        other = gold_article("vietnamnet-2495349")
        assert archive.store_article(other) == "new"
        rewritten = dict(wire, title=other["title"], sapo=other["sapo"], body=other["body"], fetched_at=LATER)
        assert archive.store_article(rewritten) == "updated"
    return str(path)


def tables(path) -> dict[str, list]:
    """Each compared table's rows, ids replaced by the canonical URL of the article they name."""
    db = connect(path)  # with the search functions the index views use
    url = dict(db.execute("SELECT id, canonical_url FROM articles"))
    columns = [c[1] for c in db.execute("PRAGMA table_info(articles)") if c[1] not in ("id", "page_id")]
    articles = []
    for row in db.execute(f"SELECT {', '.join(columns)} FROM articles"):
        row = dict(zip(columns, row))
        row["story_id"], row["duplicate_of"] = url[row["story_id"]], url.get(row["duplicate_of"])
        articles.append(row)
    out = {
        "articles": articles,
        "images": [(url[a], *rest) for a, *rest in db.execute("SELECT * FROM images")],
        "related_links": [(url[a], *rest) for a, *rest in db.execute("SELECT * FROM related_links")],
        "article_versions": [(url[a], *rest) for a, *rest in db.execute(
            "SELECT article_id, title, sapo, body, content_hash, fetched_at, replaced_at FROM article_versions ORDER BY id")],
        "url_aliases": [(u, url[a]) for u, a in db.execute("SELECT url, article_id FROM url_aliases")],
        "minhashes": [(url[a], sig) for a, sig in db.execute("SELECT * FROM minhashes")],
        "lsh_buckets": [(b, url[a]) for b, a in db.execute(
            "SELECT * FROM lsh_buckets UNION SELECT * FROM lsh_buckets_merged")],
        "search": [(table, query, url[a]) for table in ("articles_fts", "articles_fts_exact") for query in SEARCHES
                   for (a,) in db.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ?", (query,))],
    }
    for table in ("articles_fts", "articles_fts_exact"):  # the index agrees with the articles' texts
        db.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
    db.close()
    return {name: sorted(rows, key=repr) for name, rows in out.items()}


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("roundtrip")
    source = build_source(tmp / "source.db")
    export = tmp / "export.jsonl"
    assert run("export", "--db", source, "-o", str(export)).exit_code == 0
    copy = str(tmp / "copy.db")
    loaded = run("import", str(export), "--db", copy, "--processes", "1")
    assert loaded.exit_code == 0, loaded.output
    return source, export, copy, loaded


@pytest.mark.parametrize("table", ["articles", "images", "related_links", "article_versions", "url_aliases",
                                   "minhashes", "lsh_buckets", "search"])
def test_export_then_import_into_an_empty_archive_keeps_every_row_of(round_trip, table):
    source, _, copy, _ = round_trip
    original, loaded = tables(source)[table], tables(copy)[table]
    assert loaded == original
    assert original  # the source has rows of each table, so the comparison means something


def test_the_source_archive_has_what_a_round_trip_could_lose(round_trip):
    source, _, _, _ = round_trip
    rows = tables(source)
    assert len(rows["article_versions"]) == 3
    assert any(a["first_seen"] != a["last_seen"] for a in rows["articles"])
    assert any(a["fetched_at"] != a["first_seen"] for a in rows["articles"])
    assert len(rows["url_aliases"]) > len(rows["articles"])
    drifted = [a for a in rows["articles"] if a["site"] == "baocantho" and a["url"].endswith("a77.html")]
    assert drifted[0]["duplicate_of"] is not None  # still in the story of the rewritten wire copy


def test_ids_come_back_the_same_in_an_empty_archive(round_trip):
    source, _, copy, _ = round_trip
    sql = "SELECT id, canonical_url, story_id, duplicate_of FROM articles ORDER BY id"
    with sqlite3.connect(source) as a, sqlite3.connect(copy) as b:
        assert b.execute(sql).fetchall() == a.execute(sql).fetchall()


def test_the_import_summary_counts_the_stories_as_they_were_exported(round_trip):
    source, export, _, loaded = round_trip
    with sqlite3.connect(source) as a:
        rows, duplicates = a.execute("SELECT count(*), count(duplicate_of) FROM articles").fetchone()
    assert loaded.stdout == (f"{export}: {rows} lines: {rows} loaded ({rows - duplicates} new, 0 updated,"
                             f" 0 unchanged, {duplicates} duplicate), 0 skipped\n")


def test_importing_the_export_again_changes_nothing(round_trip, tmp_path):
    source, export, copy, _ = round_trip
    again = tmp_path / "again.db"
    assert run("import", str(export), "--db", str(again)).exit_code == 0
    second = run("import", str(export), "--db", str(again), "--processes", "0")
    assert second.exit_code == 0
    rows = len(tables(source)["articles"])
    assert second.stdout.endswith(f": {rows} lines: {rows} loaded (0 new, 0 updated, {rows} unchanged, 0 duplicate), 0 skipped\n")
    assert tables(str(again)) == tables(source)


def test_export_lines_carry_children_versions_aliases_and_times(round_trip):
    _, export, _, _ = round_trip
    rows = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    tuoitre = next(r for r in rows if r["site"] == "tuoitre")
    assert [v["replaced_at"] for v in tuoitre["versions"]] == [LATER]
    assert tuoitre["fetched_at"] == LATER and tuoitre["first_seen"] == "2026-03-01T10:00:00+00:00"
    plo = rows[0]
    assert plo["related"] == [{"url": "https://plo.vn/tin-lien-quan-1.html", "title": "Tin liên quan một"},
                              {"url": "https://plo.vn/tin-lien-quan-2.html", "title": None}]
    assert plo["images"][0] == {"src": "https://plo.vn/img/0.jpg", "caption": gold_article("plo-874982")["images"][0]["caption"]}
    laocai = next(r for r in rows if r["site"] == "baolaocai")
    assert laocai["aliases"] == ["https://baolaocai.vn/tin-cu/bai-viet-404649.html"]


def test_csv_export_still_has_its_flat_columns(round_trip):
    source, _, _, _ = round_trip
    done = run("export", "--db", source, "--format", "csv")
    header, first = done.stdout.splitlines()[:2]
    assert header.startswith("\ufeffid,canonical_url,url,site,province,title,sapo,body,authors,")  # BOM: for Excel
    assert "images" not in header and first.startswith("1,https://plo.vn/")
