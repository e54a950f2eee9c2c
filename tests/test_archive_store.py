import json
import sqlite3
import unicodedata
from pathlib import Path

import pytest

from archive.migrations import MIGRATIONS
from archive.pagecodec import decompress_page
from archive.store import Archive, ArchiveError, BadArticle, UnknownPage
from pipelines.article import new_article

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "archive"


def gold_article(name: str, **changes) -> dict:
    """A real article (vi-news gold) as extraction hands it over: body without the sapo line."""
    g = json.loads((FIXTURES / f"{name}.gold.json").read_text(encoding="utf-8"))
    lines = g["body"].split("\n")
    if g["sapo"] and lines[0] == g["sapo"]:
        lines = lines[1:]
    article = new_article(
        url=g["url"], site=g["site"].split(".")[0], title=g["title"], sapo=g["sapo"],
        body="\n".join(lines), authors=g["authors"], published_at=g["published"],
        images=[{"src": f"https://{g['site']}/img/{i}.jpg", "caption": c} for i, c in enumerate(g["captions"])],
        tags=["thời sự"], language="vi", extractor="test@1", fetched_at="2026-03-01T10:00:00+00:00")
    article.update(changes)
    return article


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "archive.db", aliases={}) as a:
        yield a


def count(archive, table, where="1", *params) -> int:
    return archive.conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]


def test_same_article_under_url_variants_is_one_row(archive):
    art = gold_article("plo-874982")
    url = art["url"]
    variants = [url.replace("https://", "http://www."), url.replace("https://", "https://m."),
                url + "?utm_source=facebook&fbclid=IwAR0x", url + "#comments",
                url.replace("plo.vn/", "plo.vn/amp/"), url.replace(".html", ".amp.html") + "?zarsrc=30"]
    assert archive.store_article(art) == "new"
    assert [archive.store_article(dict(art, url=v)) for v in variants] == ["unchanged"] * len(variants)
    assert count(archive, "articles") == 1
    assert archive.is_archived(url.replace("https://", "http://m.") + "?gidzl=abc")
    assert not archive.is_archived("https://plo.vn/another-post874983.html")


@pytest.mark.parametrize("order", ["tracking address first", "canonical address first"])
def test_an_article_fetched_at_two_addresses_shows_its_canonical_one_in_any_order(archive, order):
    """A feed's "…?utm_source=rss" and the bare address: whichever a crawl stores first (worker
    processes finish in any order), the article shows the bare one, with that fetch's page."""
    art = gold_article("plo-874982")
    tracked = art["url"] + "?utm_source=rss&utm_medium=feed"
    urls = [tracked, art["url"]] if order.startswith("tracking") else [art["url"], tracked]
    pages = {}
    for n, url in enumerate(urls):
        page = {"url": url, "final_url": url, "status": 200, "headers": {}, "body": f"page {n}".encode(),
                "fetched_at": f"2026-03-01T10:00:0{n}+00:00", "site": "plo"}
        archive.store_fetch(page=page, article=dict(art, url=url))
        pages[url] = archive.conn.execute("SELECT max(id) FROM pages").fetchone()[0]
    (url, page_id), = archive.conn.execute("SELECT url, page_id FROM articles").fetchall()
    assert (url, page_id) == (art["url"], pages[art["url"]])
    # a new version fetched at the tracking address keeps showing the bare one
    archive.store_article(dict(art, url=tracked, body=art["body"] + "\nCập nhật: thêm một đoạn mới cho bài viết này."))
    assert archive.conn.execute("SELECT url FROM articles").fetchone()[0] == art["url"]


def test_declared_canonical_on_the_same_site_keys_the_article(archive):
    art = gold_article("plo-874982", url="https://plo.vn/share874982.html",
                       canonical_url="https://plo.vn/doan-dai-bieu-tphcm-post874982.html")
    archive.store_article(art)
    row = archive.conn.execute("SELECT canonical_url, url FROM articles").fetchone()
    assert row == ("https://plo.vn/doan-dai-bieu-tphcm-post874982.html", "https://plo.vn/share874982.html")
    assert archive.is_archived("https://plo.vn/share874982.html")


def test_same_story_on_two_sites_joins_one_story(archive):
    original = gold_article("plo-874982")
    reprint = gold_article(
        "plo-874982", url="https://baocantho.com.vn/doan-dai-bieu-dang-hoa-a191234.html", site="baocantho",
        sapo=original["sapo"].replace("(PLO)-", "(CTO) -"), authors=["Thanh Tâm"],
        body=original["body"].replace("Ảnh: THUẬN VĂN", "Ảnh: TTXVN").replace("Ảnh: LÊ ÁNH", "Ảnh: TTXVN")
        + "\nTHANH TÂM (theo PLO)")
    other = gold_article("vnexpress-4954454")
    assert archive.store_article(original) == "new"
    assert archive.store_article(other) == "new"
    assert archive.store_article(reprint) == "duplicate"
    rows = archive.conn.execute("SELECT id, site, story_id, duplicate_of FROM articles ORDER BY id").fetchall()
    assert rows == [(1, "plo", 1, None), (2, "vnexpress", 2, None), (3, "baocantho", 1, 1)]


def test_earlier_published_copy_becomes_the_one_others_duplicate(archive):
    first_crawled = gold_article("plo-874982", published_at="2025-10-11T10:02:00+07:00")
    published_earlier = gold_article("plo-874982", url="https://baocantho.com.vn/doan-dai-bieu-a1.html",
                                     site="baocantho", published_at="2025-10-11T08:00:00+07:00",
                                     sapo=first_crawled["sapo"].replace("(PLO)-", "(CTO) -"))
    archive.store_article(first_crawled)
    assert archive.store_article(published_earlier) == "duplicate"
    rows = archive.conn.execute("SELECT id, story_id, duplicate_of FROM articles ORDER BY id").fetchall()
    assert rows == [(1, 1, 2), (2, 1, None)]


def test_exact_same_text_at_another_url_of_the_same_site_is_an_alias(archive):
    art = gold_article("baolaocai-404649")
    assert archive.store_article(art) == "new"
    moved = dict(art, url="https://baolaocai.vn/tin-cu/bai-viet-404649.html")
    assert archive.store_article(moved) == "duplicate"
    assert count(archive, "articles") == 1
    assert archive.is_archived(moved["url"])
    assert archive.store_article(moved) == "unchanged"


def test_exact_same_text_on_another_site_is_a_new_row_in_the_same_story(archive):
    art = gold_article("baolaocai-404649")
    archive.store_article(art)
    assert archive.store_article(dict(art, url="https://baophutho.vn/x-1.html", site="baophutho")) == "duplicate"
    assert archive.conn.execute("SELECT story_id, duplicate_of FROM articles WHERE id = 2").fetchone() == (1, 1)


def test_recrawl_with_an_edited_paragraph_updates_in_place_and_keeps_the_old_text(archive):
    art = gold_article("tuoitre-20260307075519174")
    archive.store_article(art)
    lines = art["body"].split("\n")
    lines[2] = lines[2] + " (Cập nhật lúc 15h.)"
    edited = dict(art, body="\n".join(lines), fetched_at="2026-03-02T08:00:00+00:00")
    assert archive.store_article(edited) == "updated"
    assert count(archive, "articles") == 1
    body, last_seen, first_seen = archive.conn.execute("SELECT body, last_seen, first_seen FROM articles").fetchone()
    assert "(Cập nhật lúc 15h.)" in body
    assert (first_seen, last_seen) == ("2026-03-01T10:00:00+00:00", "2026-03-02T08:00:00+00:00")
    versions = archive.conn.execute("SELECT body, fetched_at, replaced_at FROM article_versions").fetchall()
    assert versions == [(art["body"], "2026-03-01T10:00:00+00:00", "2026-03-02T08:00:00+00:00")]


def test_updated_article_is_still_found_as_its_story(archive):
    art = gold_article("tuoitre-20260307075519174")
    archive.store_article(art)
    archive.store_article(dict(art, body=art["body"] + "\nMột đoạn mới được thêm vào cuối bài viết sau khi cập nhật."))
    reprint = dict(art, url="https://baocantho.com.vn/a-9.html", site="baocantho")
    assert archive.store_article(reprint) == "duplicate"
    assert count(archive, "lsh_buckets", "article_id = 1") == 20


def test_article_updated_into_a_copy_of_another_story_joins_it(archive):
    wire = gold_article("baochinhphu-102260228093004191", published_at="2026-02-28T09:00:00+07:00")
    placeholder = gold_article("plo-874982", url="https://baolaocai.vn/chinh-sach-moi-404700.html", site="baolaocai",
                               published_at="2026-02-28T10:00:00+07:00")
    assert [archive.store_article(a) for a in (wire, placeholder)] == ["new", "new"]
    reprint = dict(placeholder, title=wire["title"], sapo="(BLC) - " + wire["sapo"], body=wire["body"])
    assert archive.store_article(reprint) == "updated"
    assert archive.conn.execute("SELECT id, story_id, duplicate_of FROM articles ORDER BY id").fetchall() == [
        (1, 1, None), (2, 1, 1)]


def test_story_members_stay_when_their_first_copy_is_rewritten(archive):
    art = gold_article("plo-874982")
    reprint = dict(art, url="https://baocantho.com.vn/doan-dai-bieu-a191234.html", site="baocantho",
                   sapo=art["sapo"].replace("(PLO)-", "(CTO) -"))
    archive.store_article(art)
    archive.store_article(reprint)
    other = gold_article("vnexpress-4954454")
    archive.store_article(other)
    assert archive.store_article(dict(art, title=other["title"], sapo=other["sapo"], body=other["body"])) == "updated"
    assert archive.conn.execute("SELECT id, story_id, duplicate_of FROM articles ORDER BY id").fetchall() == [
        (1, 1, None), (2, 1, 1), (3, 3, None)]


def test_unchanged_recrawl_moves_only_last_seen(archive):
    art = gold_article("dantri-20260307080054340")
    archive.store_article(art)
    before = archive.conn.execute("SELECT * FROM articles").fetchone()
    assert archive.store_article(dict(art, fetched_at="2026-03-09T00:00:00+00:00")) == "unchanged"
    after = archive.conn.execute("SELECT * FROM articles").fetchone()
    names = [d[1] for d in archive.conn.execute("PRAGMA table_info(articles)")]
    changed = {n for n, a, b in zip(names, before, after) if a != b}
    assert changed == {"last_seen"}
    assert after[names.index("last_seen")] == "2026-03-09T00:00:00+00:00"
    assert count(archive, "article_versions") == 0


def test_old_tone_placement_and_decomposed_text_are_not_a_change(archive):
    art = gold_article("vietnamnet-2495349", body="Lũ quét ở Hòa Bình, thủy điện xả lũ, người dân khỏe mạnh.\n"
                       + gold_article("vietnamnet-2495349")["body"])
    archive.store_article(art)
    old_style = art["body"].replace("Hòa", "Hoà").replace("thủy", "thuỷ").replace("khỏe", "khoẻ")
    assert old_style != art["body"]
    assert archive.store_article(dict(art, body=unicodedata.normalize("NFD", old_style))) == "unchanged"


def test_unrelated_articles_sharing_boilerplate_are_not_merged(archive):
    # A site footer and related-headlines box that the extractor let through, on every article.
    boilerplate = "\n".join([
        "Đồng Nai: Khởi công xây dựng cầu vượt sông Đồng Nai nối hai tỉnh miền Đông Nam Bộ",
        "Đồng Nai: Bắt giữ nhóm đối tượng trộm cắp tài sản tại khu công nghiệp Biên Hòa",
        "Đồng Nai: Tuyên truyền kịp thời, toàn diện các sự kiện chính trị xã hội năm 2025",
        "Cơ quan chủ quản: Tỉnh ủy Đồng Nai. Giấy phép hoạt động báo điện tử số 123/GP-BTTTT",
        "Địa chỉ tòa soạn: số 1 đường Võ Thị Sáu, phường Thống Nhất, tỉnh Đồng Nai, điện thoại 0251",
        "Ghi rõ nguồn Báo Đồng Nai khi phát hành lại thông tin từ website này, mọi hành vi sao chép đều vi phạm",
    ])
    for name in ("baolaocai-404649", "cafef-18826030622484142", "dantri-20260307080054340"):
        art = gold_article(name, site="baodongnai")
        assert archive.store_article(dict(art, body=art["body"] + "\n" + boilerplate)) == "new"
    # two short, unrelated items (a brief each): most of their text is the boilerplate
    brief_a = " ".join(gold_article("vnexpress-4954454")["body"].split()[:25])
    brief_b = " ".join(gold_article("plo-874982")["body"].split()[:25])
    short_a = gold_article("vnexpress-4954454", site="baodongnai", url="https://baodongnai.com.vn/a-1.html",
                           sapo="", body=brief_a + "\n" + boilerplate)
    short_b = gold_article("plo-874982", site="baodongnai", url="https://baodongnai.com.vn/b-2.html",
                           sapo="", body=brief_b + "\n" + boilerplate)
    assert archive.store_article(short_a) == "new"
    assert archive.store_article(short_b) == "new"
    assert count(archive, "articles", "duplicate_of IS NOT NULL") == 0


def test_raw_page_round_trips_compressed_and_is_stored_once(archive):
    html = (FIXTURES / "plo-874982.html.gz").read_bytes()
    import gzip
    raw = gzip.decompress(html)
    headers = {"Content-Type": "text/html; charset=utf-8", "Set-Cookie": "x=1", "ETag": '"abc"'}
    first = archive.record_page(url="https://plo.vn/a-post874982.html", final_url=None, status=200,
                                headers=headers, body=raw, fetched_at="2026-03-01T10:00:00+00:00", site="plo")
    again = archive.record_page(url="https://plo.vn/a-post874982.html", final_url=None, status=200,
                                headers=headers, body=raw, fetched_at="2026-03-02T10:00:00+00:00", site="plo")
    assert archive.page_body(first) == raw and archive.page_body(again) == raw
    blobs = archive.conn.execute("SELECT body FROM pages ORDER BY id").fetchall()
    assert len(blobs[0][0]) < len(raw) / 3 and decompress_page(blobs[0][0]) == raw
    assert blobs[1][0] is None  # the same bytes are not kept twice
    stored = json.loads(archive.conn.execute("SELECT headers FROM pages WHERE id = ?", (first,)).fetchone()[0])
    assert stored == {"content-type": "text/html; charset=utf-8", "etag": '"abc"'}
    with pytest.raises(UnknownPage):
        archive.page_body(999)


def test_http_error_page_is_kept_with_its_reason(archive):
    pid = archive.record_page(url="https://plo.vn/gone.html", final_url=None, status=404, headers={},
                              body=b"<html>Not found</html>", fetched_at="2026-03-01T10:00:00+00:00", site="plo")
    assert archive.conn.execute("SELECT failure FROM pages WHERE id = ?", (pid,)).fetchone() == ("http 404",)


def test_only_a_successful_fetch_counts_as_a_stored_page(archive):
    archive.record_page(url="https://plo.vn/list.html", final_url=None, status=200, headers={},
                        body=b"<html>teasers</html>", fetched_at="2026-03-07T01:00:00+00:00", site="plo",
                        failure="not_an_article")
    archive.record_page(url="https://plo.vn/gone.html", final_url=None, status=404, headers={}, body=b"",
                        fetched_at="2026-03-07T01:00:00+00:00", site="plo")
    assert archive.has_page("https://plo.vn/list.html")
    assert not archive.has_page("https://plo.vn/gone.html")
    assert not archive.has_page("https://plo.vn/never-fetched.html")


def test_migrations_are_recorded_and_applied_once(tmp_path):
    path = tmp_path / "a.db"
    Archive(path, aliases={}).close()
    first = sqlite3.connect(path).execute("SELECT number, name, applied_at FROM _migrations").fetchall()
    with Archive(path, aliases={}) as again:
        assert again.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert {"articles", "pages", "url_aliases", "lsh_buckets", "articles_fts"} <= set(again.db.table_names())
    assert sqlite3.connect(path).execute("SELECT number, name, applied_at FROM _migrations").fetchall() == first
    assert [n for n, *_ in first] == [n for n, *_ in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_search_indexes_take_a_whole_batch_in_memory_and_merge_sixteen_segments_between_commits(archive):
    for table in ("articles_fts", "articles_fts_exact"):
        config = dict(archive.conn.execute(f"SELECT k, v FROM {table}_config"))
        assert (config["hashsize"], config["usermerge"]) == (64 * 1024 * 1024, 16)
        assert (config["automerge"], config["crisismerge"]) == (0, 64)   # no commit merges by itself


def test_a_bulk_load_merges_the_search_segments_after_each_batch(archive):
    for n in range(20):   # twenty batches: twenty segments, merged once sixteen are there
        with archive.batch():
            article = gold_article("plo-874982", url=f"https://plo.vn/bai-{n}-post{n}.html")
            archive.store_article(dict(article, body=article["body"] + f"\nĐoạn riêng số {n}."))
    blob = archive.conn.execute("SELECT block FROM articles_fts_data WHERE id = 10").fetchone()[0]
    levels, segments = blob[4], blob[5]   # the structure record: cookie, then these two varints (< 128)
    assert levels >= 2 and segments < 16


def test_failures_and_run_counters_are_recorded(archive):
    run = archive.start_run(["plo", "vnexpress"])
    archive.record_page(url="https://plo.vn/a.html", final_url=None, status=200, headers={}, body=b"<p>x</p>",
                        fetched_at="2026-03-01T10:00:00+00:00", site="plo", run_id=run)
    archive.store_article(gold_article("plo-874982"), run_id=run)
    archive.record_failure(url="https://vnexpress.net/x.html", reason="not_an_article", site="vnexpress",
                           run_id=run, detail="listing page")
    archive.finish_run(run, {"vnexpress": {"fetched": 3}})
    failure = archive.conn.execute("SELECT url, site, reason, detail, run_id FROM failures").fetchone()
    assert failure == ("https://vnexpress.net/x.html", "vnexpress", "not_an_article", "listing page", run)
    rows = {r[0]: r[1:] for r in archive.conn.execute(
        "SELECT site, fetched, new, failed, completeness, finished IS NOT NULL FROM crawl_runs WHERE run_id = ?", (run,))}
    assert rows["vnexpress"][:3] == (3, 0, 1)
    assert rows["plo"][:3] == (1, 1, 0) and rows["plo"][4] == 1
    assert json.loads(rows["plo"][3])["authors"] == 1.0
    stats = {s["site"]: s for s in archive.stats()}
    assert (stats["plo"]["articles"], stats["plo"]["pages"], stats["vnexpress"]["failures"]) == (1, 1, 1)


def test_a_page_failing_again_updates_its_failure_row(archive):
    first = archive.record_failure(url="https://plo.vn/x.html", reason="http_404", site="plo", run_id=None,
                                   detail="404 Not Found", fetched_at="2026-03-01T00:00:00+00:00")
    again = archive.record_failure(url="https://plo.vn/x.html", reason="http_404", site="plo",
                                   detail="404 again", fetched_at="2026-03-02T00:00:00+00:00")
    archive.record_failure(url="https://plo.vn/x.html", reason="timeout", site="plo",
                           fetched_at="2026-03-03T00:00:00+00:00")
    assert first == again
    assert archive.conn.execute("SELECT reason, detail, first_failed, fetched_at, times FROM failures ORDER BY id").fetchall() == [
        ("http_404", "404 again", "2026-03-01T00:00:00+00:00", "2026-03-02T00:00:00+00:00", 2),
        ("timeout", "", "2026-03-03T00:00:00+00:00", "2026-03-03T00:00:00+00:00", 1)]


def test_older_archives_keep_one_failure_row_per_url_and_reason(tmp_path):
    from archive import migrations
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    migrations.migrate(conn, migrations.MIGRATIONS[:1])
    conn.executemany("INSERT INTO failures (url, site, reason, detail, fetched_at, run_id) VALUES (?,?,?,?,?,?)", [
        ("https://plo.vn/x", "plo", "http_404", "a", "2026-03-01", 1), ("https://plo.vn/x", "plo", "http_404", "b", "2026-03-02", 2),
        ("https://plo.vn/y", "plo", "timeout", "c", "2026-03-02", 2), ("https://plo.vn/x", "plo", "http_404", "d", "2026-03-03", 3)])
    conn.commit()
    conn.close()
    with Archive(path, aliases={}) as archive:
        assert archive.conn.execute("SELECT url, detail, first_failed, fetched_at, run_id, times FROM failures ORDER BY url").fetchall() == [
            ("https://plo.vn/x", "d", "2026-03-01", "2026-03-03", 3, 3), ("https://plo.vn/y", "c", "2026-03-02", "2026-03-02", 2, 1)]


def test_bad_articles_are_refused_with_a_clear_error(archive):
    with pytest.raises(BadArticle, match="no url"):
        archive.store_article(new_article(title="x", body="y"))
    with pytest.raises(BadArticle, match="neither title nor body"):
        archive.store_article(new_article(url="https://plo.vn/a.html"))
    with pytest.raises(BadArticle, match="not an http"):
        archive.store_article(new_article(url="ftp://plo.vn/a", title="x"))
    with pytest.raises(ArchiveError):
        archive.record_failure(url="https://plo.vn/a", reason="", site="plo")
    assert count(archive, "articles") == 0


def test_near_duplicate_index_survives_a_restart(tmp_path):
    path = tmp_path / "a.db"
    original = gold_article("baochinhphu-102260228093004191")
    with Archive(path, aliases={}) as first:
        first.store_article(original)
    reprint = dict(original, url="https://baolaocai.vn/chinh-sach-moi-404700.html", site="baolaocai",
                   sapo="(BLC) - " + original["sapo"], body="\n".join(original["body"].split("\n")[:-2]))
    with Archive(path, aliases={}) as second:
        assert second.store_article(reprint) == "duplicate"
        assert second.conn.execute("SELECT duplicate_of FROM articles WHERE id = 2").fetchone() == (1,)


def test_batch_keeps_what_was_stored_before_an_error(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path, aliases={}) as archive:
        with pytest.raises(BadArticle):
            with archive.batch():
                archive.store_article(gold_article("plo-874982"))
                archive.store_article(new_article(url="https://plo.vn/empty.html"))
    with Archive(path, aliases={}) as archive:
        assert count(archive, "articles") == 1 and count(archive, "url_aliases") == 1


def test_old_domain_from_the_registry_is_the_same_article(tmp_path):
    with Archive(tmp_path / "a.db", aliases={"baoyenbai.com.vn": "baolaocai.vn"}) as archive:
        art = gold_article("baolaocai-404649")
        archive.store_article(art)
        moved = dict(art, url=art["url"].replace("baolaocai.vn", "www.baoyenbai.com.vn"))
        assert archive.store_article(moved) == "unchanged"


@pytest.mark.parametrize("body", [
    "Đoạn một.\nĐoạn hai.", "a  b", " a", "a ", "a \nb", "a\n b", "a\n\nb", "a\n", "\na", "a\u00a0b",
    "a\u200bb", "a\tb", "a\rb", "a\u2028b", "hoa\u0300 bi\u0300nh", "x\u3000y",
])
def test_stored_body_is_clean_lines_of_what_came_in(archive, body):
    from common.text import clean_lines
    archive.store_article(new_article(url="https://plo.vn/a-1.html", site="plo", title="Tiêu đề", body=body))
    assert archive.conn.execute("SELECT body FROM articles").fetchone()[0] == clean_lines(body)


def mixed_articles() -> list[dict]:
    """Real articles with a URL variant, a reprint on another site and an edited re-crawl among them."""
    names = ["plo-874982", "vnexpress-4954454", "baolaocai-404649", "tuoitre-20260307075519174", "dantri-20260307080054340"]
    arts = [gold_article(n) for n in names]
    plo = arts[0]
    reprint = dict(plo, url="https://baocantho.com.vn/doan-dai-bieu-a191234.html", site="baocantho",
                   sapo=plo["sapo"].replace("(PLO)-", "(CTO) -"), authors=["Thanh Tâm"])
    edited = dict(arts[1], body=arts[1]["body"] + "\nCập nhật lúc 15h.")
    return arts + [dict(plo, url=plo["url"] + "?utm_source=zalo"), reprint, edited]


def rows_of(archive) -> list[tuple]:
    return archive.conn.execute("SELECT id, canonical_url, body, content_hash, story_id, duplicate_of,"
                                " (SELECT signature FROM minhashes WHERE article_id = id) FROM articles ORDER BY id").fetchall()


@pytest.mark.parametrize("processes", [0, 1])
def test_store_many_stores_exactly_what_store_article_does(tmp_path, processes):
    with Archive(tmp_path / "one.db", aliases={}) as one, Archive(tmp_path / "many.db", aliases={}) as many:
        statuses = [one.store_article(a) for a in mixed_articles()]
        assert list(many.store_many(mixed_articles(), processes=processes, per_transaction=3)) == statuses
        assert statuses == ["new"] * 5 + ["unchanged", "duplicate", "updated"]
        assert rows_of(many) == rows_of(one)
        assert count(many, "article_versions") == 1
        assert many.conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", ['"cap nhat luc 15h"']).fetchall() \
            == [(2,)]


def test_store_many_reports_a_bad_article_in_its_place_and_goes_on(tmp_path):
    arts = mixed_articles()[:3] + [new_article(url="https://plo.vn/empty.html")] + mixed_articles()[3:5]
    with Archive(tmp_path / "a.db", aliases={}) as archive:
        out = list(archive.store_many(arts, processes=1, per_transaction=2))
        assert out[:3] + out[4:] == ["new"] * 5
        assert isinstance(out[3], BadArticle) and "neither title nor body" in str(out[3])
        assert count(archive, "articles") == 5


@pytest.mark.parametrize("processes", [0, 1])
def test_store_many_refuses_an_article_with_a_field_of_the_wrong_type_in_its_place(tmp_path, processes):
    """A library caller's article with a number for a title, or no dict at all, is one refused
    article with the reason (not an exception from a worker that ends the whole load)."""
    arts = mixed_articles()[:2] + [new_article(url="https://plo.vn/so.html", title=5), None] + mixed_articles()[2:4]
    with Archive(tmp_path / "a.db", aliases={}) as archive:
        out = list(archive.store_many(arts, processes=processes, per_transaction=2))
        assert out[:2] + out[4:] == ["new"] * 4
        assert isinstance(out[2], BadArticle) and '"title" must be' in str(out[2])
        assert isinstance(out[3], BadArticle) and "not NoneType" in str(out[3])
        assert count(archive, "articles") == 4


def test_store_many_reads_an_endless_stream_only_ahead_of_its_writer_and_commits_as_it_goes(tmp_path, monkeypatch):
    from archive import store as store_module
    monkeypatch.setattr(store_module, "PREPARED_CHUNK", 4)
    monkeypatch.setattr(store_module, "PREPARED_AHEAD", 12)
    template = gold_article("plo-874982")
    taken = []

    def endless():
        n = 0
        while True:  # every article its own: another URL, another text
            n += 1
            taken.append(n)
            yield dict(template, url=f"https://plo.vn/bai-{n}-post{n}.html", title=f"Bài {n}",
                       body="\n".join(f"Đoạn {n}.{k}: " + " ".join(f"từ{n}x{k}x{w}" for w in range(20)) for k in range(5)))

    path = tmp_path / "a.db"
    with Archive(path, aliases={}) as archive:
        statuses = archive.store_many(endless(), processes=1, per_transaction=10)
        stored = [next(statuses) for _ in range(25)]
        assert stored == ["new"] * 25
        assert len(taken) <= 25 + 12 + 4   # read ahead of the writer by a bounded number, not to the end
        with sqlite3.connect(path) as other:  # the first two transactions are committed
            assert other.execute("SELECT count(*) FROM articles").fetchone()[0] == 20
        statuses.close()


def test_an_archive_from_before_migration_14_gets_the_narrow_search_indexes_when_opened(tmp_path, monkeypatch):
    from archive import migrations, search
    path = tmp_path / "old.db"
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:13])   # the code as it was before
    with Archive(path, aliases={}) as old:
        old.store_article(gold_article("plo-874982"))
        old.store_article(gold_article("plo-874982", url="https://plo.vn/ban-sao-post874999.html", site="vnexpress"))
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    conn = sqlite3.connect(path)
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_id_facets'").fetchone()
    stories_before = conn.execute("SELECT id, story_id, duplicate_of FROM articles ORDER BY id").fetchall()
    conn.close()
    with Archive(path, aliases={}) as upgraded:
        conn = upgraded.conn
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'articles'")}
        assert {"articles_id_facets", "articles_story_papers", "articles_copies"} <= indexes
        assert "articles_story" not in indexes
        assert conn.execute("SELECT stat FROM sqlite_stat1 WHERE idx = 'articles_id_facets'").fetchone() == ("1048576 1 1 1 1",)
        assert conn.execute("SELECT id, story_id, duplicate_of FROM articles ORDER BY id").fetchall() == stories_before
        assert stories_before[1][2] == stories_before[0][0]   # the copy, found before the upgrade
        assert conn.execute("SELECT max(number) FROM _migrations").fetchone() == (len(MIGRATIONS),)
    search.check_index(path)
    plan = [r[3] for r in sqlite3.connect(path).execute(
        "EXPLAIN QUERY PLAN SELECT site, count(*) FROM articles WHERE id IN (SELECT rowid FROM articles_fts"
        " WHERE articles_fts MATCH 'x') GROUP BY site")]
    assert "SEARCH articles USING COVERING INDEX articles_id_facets (id=?)" in plan
