"""The articles table's search in datasette: its rows, count and facets read from the search index
and one pass over the hits (archive.datasette.search_counts), the same answers as datasette's own
SQL gives; the narrow indexes of migration 14; stories on several papers."""
import asyncio
import sqlite3
from urllib.parse import urlencode

import pytest
from datasette.tracer import capture_traces

from archive.datasette import search_counts
from archive.serve import make_datasette
from test_search import build_archive

WORDS = ["tinh", "tỉnh", "Đà Nẵng", "ngay", "lao cai", "thuy dien", "không có từ này"]


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    path = tmp_path_factory.mktemp("search-counts") / "archive.db"
    build_archive(path)
    return path


def fetch(path, url: str, traces: list | None = None):
    """(status, JSON or HTML) of `url` on an in-process datasette over the archive."""
    async def run():
        ds = make_datasette(path)
        await ds.invoke_startup()
        with capture_traces(traces if traces is not None else []):
            response = await ds.client.get(url)
        return response.status_code, response.json() if ".json" in url else response.text
    return asyncio.run(run())


def articles_json(path, traces=None, **args):
    status, data = fetch(path, "/archive/articles.json?" + urlencode(args), traces)
    assert status == 200, data
    return data


def answers(data) -> tuple:
    """What a search page says: its rows, count and facet values with counts (not the links)."""
    facets = {name: [(v["value"], v["count"]) for v in facet["results"]]
              for name, facet in data["facet_results"].items()}
    return data["rows"], data["filtered_table_rows_count"], facets


@pytest.mark.parametrize("index", ["articles_fts", "articles_fts_exact"])
def test_a_search_page_says_what_datasettes_own_sql_says(path, index):
    for words in WORDS:
        for size in ("2", "50"):
            ours = articles_json(path, _search=words, _size=size, _fts_table=index)
            # a filter that keeps every article makes datasette run its own SQL for all of it
            theirs = articles_json(path, _search=words, _size=size, _fts_table=index, id__gte="0")
            assert answers(ours) == answers(theirs), (words, size)
    assert articles_json(path, _search="tỉnh", _fts_table=index)["filtered_table_rows_count"] >= 2


def test_a_search_is_counted_by_its_index_and_faceted_in_one_pass(path):
    traces = []
    data = articles_json(path, traces, _search="tinh")
    sql = [" ".join(t["sql"].split()) for t in traces]
    assert set(data["facet_results"]) == {"site", "province", "category"}
    assert "select count(*) from articles_fts where articles_fts match escape_fts(:search)" in sql
    assert sum("group by site, province, category" in s for s in sql) == 1
    assert not [s for s in sql if "as value, count(*)" in s or s.startswith("select count(*) from articles ")]
    newest = [s for s in sql if "order by id desc" in s]
    assert len(newest) == 1 and "order by rowid desc limit 51)" in newest[0]


def test_count_and_facets_never_read_an_articles_row(path):
    conn = sqlite3.connect(path)
    conn.create_function("escape_fts", 1, lambda q: q)
    for sql in (search_counts.FACETS_SQL, "select count(*) from articles where id in"
                " (select rowid from {fts} where {fts} match escape_fts(:search))"):
        plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql.format(fts="articles_fts"), {"search": "x"})]
        assert "SEARCH articles USING COVERING INDEX articles_id_facets (id=?)" in plan, plan
    conn.close()


def test_a_search_with_more_hits_than_the_cap_lists_its_facets_as_timed_out(path, monkeypatch):
    hits = articles_json(path, _search="tinh")["filtered_table_rows_count"]
    monkeypatch.setattr(search_counts, "FACET_MAX_HITS", hits - 1)
    traces = []
    data = articles_json(path, traces, _search="tinh")
    assert data["facet_results"] == {} and data["filtered_table_rows_count"] == hits
    assert not [t for t in traces if "group by" in t["sql"]]   # no pass over the hits at all
    status, html = fetch(path, "/archive/articles?" + urlencode({"_search": "tinh"}))
    assert status == 200 and "These facets timed out: site, province, category" in html
    assert articles_json(path, _search="lao cai")["facet_results"]   # fewer hits: faceted


def test_a_filtered_search_is_left_to_datasette(path):
    traces = []
    data = articles_json(path, traces, _search="tinh", site="baolaocai")
    sites = [(v["value"], v["count"]) for v in data["facet_results"]["site"]["results"]]
    assert sites == [("baolaocai", data["filtered_table_rows_count"])] and data["filtered_table_rows_count"] >= 1
    sql = [" ".join(t["sql"].split()) for t in traces]
    assert [s for s in sql if s.startswith("select count(*) from articles where")]
    assert not [s for s in sql if "group by site, province, category" in s or "order by rowid desc" in s]


def test_stories_on_two_or_more_papers_are_every_such_story(path):
    status, rows = fetch(path, "/archive/multi_paper_stories.json?_shape=array")
    conn = sqlite3.connect(path)
    expected = conn.execute(
        "SELECT story_id, count(DISTINCT site), count(*), min(published_at) FROM articles"
        " WHERE story_id IS NOT NULL GROUP BY story_id HAVING count(DISTINCT site) >= 2").fetchall()
    conn.close()
    assert status == 200 and expected
    assert sorted((r["story_id"], r["papers"], r["articles"], r["first_published"]) for r in rows) == sorted(expected)


def test_the_stories_view_has_the_rows_of_grouping_every_article(path, tmp_path):
    """Migration 16 groups only the stories with copies: the same rows as grouping every article
    (the view of migration 8), also when a story's first copy is not the article its id comes
    from (a copy published earlier, found later) and for an article with no paper."""
    from archive.migrations import STORIES_VIEW
    from archive.store import Archive
    every_article = STORIES_VIEW.split(" AS\n", 1)[1].rstrip().rstrip(";")
    db = tmp_path / "archive.db"
    db.write_bytes(path.read_bytes())
    with Archive(db) as archive:
        conn = archive.conn
        story, copy = conn.execute("SELECT story_id, id FROM articles WHERE duplicate_of IS NOT NULL LIMIT 1").fetchone()
        before = sorted(conn.execute("SELECT * FROM stories"))
        assert before == sorted(conn.execute(every_article))
        assert [r for r in before if r[0] == story and r[2] == story and r[3] >= 2]
        with archive._transaction():   # the copy becomes the story's first, as Archive._join_story makes one published earlier
            conn.execute("UPDATE articles SET duplicate_of = ? WHERE story_id = ?", (copy, story))
            conn.execute("UPDATE articles SET duplicate_of = NULL WHERE id = ?", (copy,))
            # no paper: an article alone in its story, and a copy
            conn.execute("UPDATE articles SET site = NULL WHERE id = (SELECT max(id) FROM articles WHERE story_id NOT IN"
                         " (SELECT story_id FROM articles WHERE duplicate_of IS NOT NULL))")
            conn.execute("UPDATE articles SET site = NULL WHERE id = (SELECT max(id) FROM articles WHERE duplicate_of IS NOT NULL)")
        after = sorted(conn.execute("SELECT * FROM stories"))
        assert [r for r in after if r[0] == story and r[2] == copy]
        assert [r for r in after if r[3] == 0]
        assert after == sorted(conn.execute(every_article))
        assert sorted(conn.execute("SELECT * FROM stories WHERE papers >= 2")) == sorted(
            conn.execute(f"SELECT * FROM ({every_article}) WHERE papers >= 2"))


def test_the_stories_kept_grouped_follow_every_write_to_their_articles_and_papers(path, tmp_path):
    """Migration 17 keeps the stories with copies grouped (story_groups, by triggers; the archive's
    own writes are the fixture's): after a paper is renamed, removed or registered again, a copy
    is inserted by other means, and a copy or a story's first copy is deleted, the stories view
    still has the rows of grouping every article."""
    from archive.migrations import STORIES_VIEW
    from archive.store import Archive
    every_article = STORIES_VIEW.split(" AS\n", 1)[1].rstrip().rstrip(";")
    db = tmp_path / "archive.db"
    db.write_bytes(path.read_bytes())
    with Archive(db) as archive:
        conn = archive.conn

        def change(*statements):
            with archive._transaction():
                for sql, args in statements:
                    conn.execute(sql, args)
            rows = sorted(conn.execute("SELECT * FROM stories"))
            assert rows == sorted(conn.execute(every_article))
            return rows

        story, copy, site = conn.execute("SELECT story_id, id, site FROM articles WHERE duplicate_of IS NOT NULL"
                                         " ORDER BY id LIMIT 1").fetchone()
        first = conn.execute("SELECT duplicate_of FROM articles WHERE id = ?", (copy,)).fetchone()[0]
        carried_by = {r[0]: r[5] for r in change() if r[0] == story}[story]
        rows = change(("UPDATE sites SET name = 'Báo Mới Đổi Tên' WHERE slug = ?", (site,)))
        assert "Báo Mới Đổi Tên" in {r[0]: r[5] for r in rows}[story] != carried_by
        saved = conn.execute("SELECT * FROM sites WHERE slug = ?", (site,)).fetchone()
        rows = change(("DELETE FROM sites WHERE slug = ?", (site,)))
        assert site in {r[0]: r[5] for r in rows}[story]   # a paper not registered shows its slug
        papers = {r[0]: r[3] for r in change(("INSERT INTO sites VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", saved))}[story]
        # a copy written by other means than the archive (sqlite3): inserted into the story at once
        columns = [r[1] for r in conn.execute("PRAGMA table_info(articles)")]
        values = {c: c for c in columns} | {"id": "?", "url": "url || '#reprint'", "site": "'reprints'",
                                            "canonical_url": "canonical_url || '#reprint'"}
        new_id = conn.execute("SELECT max(id) + 1 FROM articles").fetchone()[0]
        rows = change((f"INSERT INTO articles ({', '.join(columns)}) SELECT {', '.join(values[c] for c in columns)}"
                       " FROM articles WHERE id = ?", (new_id, copy)))
        assert {r[0]: r[3] for r in rows}[story] == papers + 1
        copies = conn.execute("SELECT count(*) FROM articles WHERE story_id = ?", (story,)).fetchone()[0]
        rows = change(("DELETE FROM articles WHERE id = ?", (copy,)))
        assert {r[0]: r[4] for r in rows}[story] == copies - 1   # the reprint is still a copy
        change(("DELETE FROM articles WHERE id = ?", (first,)))
        assert conn.execute("SELECT count(*) FROM story_groups").fetchone()[0] == conn.execute(
            "SELECT count(DISTINCT story_id) FROM articles WHERE duplicate_of IS NOT NULL").fetchone()[0]


def test_serve_brings_an_archive_of_an_older_tintinh_up_to_date_first(tmp_path, monkeypatch):
    from archive import migrations
    from archive.serve import missing_migrations, upgrade
    from archive.store import Archive
    old = tmp_path / "archive.db"
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:13])
    Archive(old, aliases={}).close()
    monkeypatch.undo()
    newer = list(range(14, len(migrations.MIGRATIONS) + 1))
    assert missing_migrations(old) == newer
    assert upgrade(old) == f"brought {old} up to this tintinh's schema (migrations {', '.join(map(str, newer))})"
    assert missing_migrations(old) == [] and upgrade(old) is None
    traces = []
    articles_json(old, traces, _search="tinh")
    assert any("group by site, province, category" in t["sql"] for t in traces)


def test_an_older_archive_that_cannot_be_written_is_served_and_says_what_it_lacks(tmp_path, monkeypatch):
    from archive import migrations, serve
    from archive.store import Archive
    old = tmp_path / "archive.db"
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:16])
    Archive(old, aliases={}).close()
    monkeypatch.undo()
    monkeypatch.setattr(serve, "writable", lambda path: False)
    note = serve.upgrade(old)
    assert "lacks this tintinh's schema changes 17" in note and "multi_paper_stories" in note
    assert serve.missing_migrations(old) == [17]   # served as it is
    assert fetch(old, "/archive/stories.json?_shape=array")[0] == 200
    status, data = fetch(old, "/archive/multi_paper_stories.json")
    assert status >= 400 and "story_groups" in data["error"]


def test_facet_values_are_ordered_by_count_then_as_sqlite_orders_them():
    counts = search_counts.Counter({("b", "Huế", None): 2, ("a", "Huế", 3): 2, (7, None, "x"): 2, ("c", "Huế", "x"): 1})
    assert search_counts.facet_rows(counts, "site", 30) == [
        {"value": 7, "count": 2}, {"value": "a", "count": 2}, {"value": "b", "count": 2}, {"value": "c", "count": 1}]
    assert search_counts.facet_rows(counts, "province", 1) == [{"value": "Huế", "count": 5}]
    assert search_counts.facet_rows(counts, "category", 30) == [{"value": "x", "count": 3}, {"value": 3, "count": 2}]


@pytest.mark.parametrize("query, index, words", [("search", "articles_fts", "tinh"), ("search_exact", "articles_fts_exact", "tỉnh")])
def test_the_search_query_counts_every_hit_with_and_without_filters(path, query, index, words):
    conn = sqlite3.connect(path)
    match = '"' + words + '"'
    every = conn.execute(f"SELECT count(*) FROM {index} WHERE {index} MATCH ?", [match]).fetchone()[0]
    in_laocai = conn.execute(
        f"SELECT count(*) FROM {index} WHERE {index} MATCH ? AND rowid IN"
        " (SELECT article_id FROM article_provinces WHERE province = 'Lào Cai')", [match]).fetchone()[0]
    conn.close()
    assert every > in_laocai >= 1
    for args, expected in (({}, every), ({"province": "lao cai"}, in_laocai)):
        status, rows = fetch(path, f"/archive/{query}.json?" + urlencode({"q": words, "_shape": "array", **args}))
        assert status == 200 and rows[0]["articles_found"] == expected, args
