import sqlite3

from archive import migrations, store
from archive.store import Archive
from tests.test_archive_store import gold_article


def test_reprint_is_found_after_buckets_move_to_the_merged_table(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "MERGE_ROWS", 20)  # every signed article triggers a merge
    with Archive(tmp_path / "a.db", aliases={}) as archive:
        art = gold_article("tuoitre-20260307075519174")
        assert archive.store_article(art) == "new"
        assert archive.conn.execute("SELECT count(*) FROM lsh_buckets").fetchone() == (0,)
        assert archive.conn.execute("SELECT count(*) FROM lsh_buckets_merged").fetchone() == (20,)
        reprint = dict(art, url="https://baocantho.com.vn/a-9.html", site="baocantho")
        assert archive.store_article(reprint) == "duplicate"


def test_line_counts_add_up_across_merged_and_recent_tables(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "MERGE_ROWS", 30)  # merges after every second article
    footer = "Ghi rõ nguồn Báo Đồng Nai khi phát hành lại thông tin từ website này, mọi hành vi sao chép đều vi phạm"
    with Archive(tmp_path / "a.db", aliases={}) as archive:
        for name in ("baolaocai-404649", "cafef-18826030622484142", "dantri-20260307080054340"):
            art = gold_article(name, site="baodongnai")
            archive.store_article(dict(art, body=art["body"] + "\n" + footer))
        total = archive.conn.execute(
            "SELECT sum(articles) FROM (SELECT articles FROM common_lines_merged UNION ALL"
            " SELECT articles FROM common_lines) ").fetchone()[0]
        per_line = archive.conn.execute(
            "SELECT max(n) FROM (SELECT line, sum(articles) AS n FROM (SELECT line, articles FROM common_lines_merged"
            " UNION ALL SELECT line, articles FROM common_lines) GROUP BY line)").fetchone()[0]
    assert per_line == 3 and total > 3


def test_migration_4_keeps_the_buckets_of_an_older_archive(tmp_path):
    path = tmp_path / "old.db"
    conn = store.connect(path)
    migrations.migrate(conn, migrations.MIGRATIONS[:3])
    conn.close()
    art = gold_article("tuoitre-20260307075519174")
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO lsh_buckets VALUES (1, 1)")
    conn.execute("INSERT INTO common_lines VALUES ('plo', 7, 2)")
    conn.commit()
    conn.close()
    with Archive(path, aliases={}) as archive:
        assert archive.conn.execute("SELECT * FROM lsh_buckets_merged").fetchall() == [(1, 1)]
        assert archive.conn.execute("SELECT * FROM common_lines_merged").fetchall() == [("plo", 7, 2)]
        assert archive.conn.execute("SELECT count(*) FROM lsh_buckets").fetchone() == (0,)
        assert archive.store_article(art) == "new"
