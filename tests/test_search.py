"""Search over a real archive file: accents optional, đ → d, tone placement unified, exact mode."""
import json
import sqlite3
import unicodedata
from pathlib import Path

import pytest

from archive import search
from archive.store import Archive
from common.text import fold_accents, nfc, unify_tones
from crawler.sites import load_sites, site_for_url

FIXTURES = Path(__file__).parent / "fixtures" / "search"


def short_articles() -> dict[str, dict]:
    """The hand-written articles by key (see fixtures/search/README.md)."""
    rows = json.loads((FIXTURES / "articles.json").read_text(encoding="utf-8"))
    return {row.pop("key"): row for row in rows}


def gold_articles() -> list[dict]:
    """The real corpus articles as the extractor would hand them to the archive."""
    out = []
    for path in sorted((FIXTURES / "gold").glob("*.gold.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        site = site_for_url(gold["url"])
        body = gold["body"].split("\n")
        if body and body[0] == gold["sapo"]:
            body = body[1:]  # gold bodies start with the sapo; archive bodies do not
        out.append({"url": gold["url"], "site": site.slug if site else gold["site"],
                    "province": site.province if site else "", "title": gold["title"],
                    "sapo": gold["sapo"], "body": "\n".join(body), "authors": gold["authors"],
                    "published_at": gold["published"]})
    return out


def build_archive(path: Path) -> dict[str, int]:
    """A real archive: the corpus articles, the short ones, a re-crawl, a failure, a raw page.
    Returns the article id of each short article by key."""
    ids = {}
    with Archive(path) as archive:
        archive.register_sites(load_sites().values())
        for article in gold_articles():
            archive.store_article(article)
        for key, article in short_articles().items():
            archive.store_article(dict(article, fetched_at="2026-03-07T12:00:00+00:00"))
            ids[key] = archive.conn.execute("SELECT id FROM articles WHERE url = ?",
                                            [article["url"]]).fetchone()[0]
        danang = short_articles()["danang"]
        recrawl = dict(danang, body=danang["body"] + "\nĐến sáng 6/3, nước đã rút ở hầu hết các tuyến phố.",
                       fetched_at="2026-03-08T02:00:00+00:00")
        assert archive.store_article(recrawl) == "updated"
        archive.record_failure(url="https://baodanang.vn/video/", reason="not an article",
                               site="baodanang", detail="listing page")
        archive.record_page(url=danang["url"], final_url=danang["url"], status=200,
                            headers={"Content-Type": "text/html; charset=utf-8"},
                            body=("<html><body>" + danang["body"] * 50 + "</body></html>").encode(),
                            fetched_at="2026-03-07T12:00:00+00:00", site="baodanang")
    return ids


@pytest.fixture(scope="module")
def archive_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "archive.db"
    ids = build_archive(path)
    return path, ids


def hit_ids(path, query, exact=False):
    return {hit["id"] for hit in search.search(path, query, exact=exact, limit=100)}


def test_query_without_accents_finds_d_with_stroke(archive_file):
    path, ids = archive_file
    assert ids["danang"] in hit_ids(path, "da nang")


def test_accented_query_still_matches(archive_file):
    path, ids = archive_file
    assert ids["danang"] in hit_ids(path, "Đà Nẵng")
    assert ids["danang"] in hit_ids(path, "đà nẵng")


def test_old_and_new_tone_placement_both_found_without_accents(archive_file):
    path, ids = archive_file
    assert {ids["hoabinh_old"], ids["hoabinh_new"]} <= hit_ids(path, "hoa binh")
    assert {ids["hoabinh_old"], ids["hoabinh_new"]} <= hit_ids(path, "thuy dien")
    assert ids["danang"] not in hit_ids(path, "thuy dien")


def test_accented_query_in_either_tone_placement_finds_both(archive_file):
    path, ids = archive_file
    assert {ids["hoabinh_old"], ids["hoabinh_new"]} <= hit_ids(path, "thuỷ điện")
    assert {ids["hoabinh_old"], ids["hoabinh_new"]} <= hit_ids(path, "Hòa Bình")


def test_exact_search_unifies_tone_placement_but_keeps_other_accents_apart(archive_file):
    path, ids = archive_file
    for spelling in ("Hòa", "Hoà", "hòa"):
        found = hit_ids(path, spelling, exact=True)
        assert {ids["hoabinh_old"], ids["hoabinh_new"]} <= found, spelling
        assert ids["hoa_chat"] not in found, spelling
    assert ids["hoa_chat"] in hit_ids(path, "Hóa", exact=True)
    assert ids["hoabinh_new"] not in hit_ids(path, "Hóa", exact=True)


def test_exact_search_does_not_fold_d_with_stroke(archive_file):
    path, ids = archive_file
    assert ids["danang"] in hit_ids(path, "Đà Nẵng", exact=True)
    assert ids["danang"] not in hit_ids(path, "da nang", exact=True)


def test_real_corpus_article_found_by_unaccented_title_words(archive_file):
    path, _ = archive_file
    hits = search.search(path, "chinh sach moi co hieu luc")
    assert hits and hits[0]["title"] == "Chính sách mới có hiệu lực từ tháng 3/2026"


def test_snippet_marks_the_accented_words_an_unaccented_query_matched(archive_file):
    path, ids = archive_file
    hit = next(h for h in search.search(path, "da nang") if h["id"] == ids["danang"])
    assert "<mark>Đà</mark> <mark>Nẵng</mark>" in hit["snippet"]


def test_quoted_words_must_be_adjacent(archive_file):
    path, ids = archive_file
    assert ids["hoabinh_old"] in hit_ids(path, "binh hoa")
    assert ids["hoabinh_old"] not in hit_ids(path, '"binh hoa"')
    assert ids["hoabinh_old"] in hit_ids(path, '"hoa binh"')


def test_query_syntax_characters_are_searched_as_words_not_errors(archive_file):
    path, ids = archive_file
    for query in ('Đà Nẵng"', "Đà-Nẵng", "da AND nang NOT", "nang*", "(da nang)", "NEAR(da"):
        search.search(path, query)  # must not raise
    assert ids["danang"] in hit_ids(path, "Đà-Nẵng")


def test_blank_query_finds_nothing(archive_file):
    path, _ = archive_file
    assert search.search(path, "   ") == []


def test_recrawled_text_is_searchable_and_old_text_is_not(archive_file):
    path, ids = archive_file
    assert ids["danang"] in hit_ids(path, "nuoc da rut")
    search.check_index(path)


def test_index_follows_deletes_and_edits(tmp_path):
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        for article in short_articles().values():
            archive.store_article(article)
        conn = archive.conn
        conn.execute("UPDATE articles SET title = 'Hội An đón khách' WHERE url LIKE '%hoa-binh-228950%'")
        conn.execute("DELETE FROM articles WHERE url LIKE '%thuy-dien-hoa-binh%'")
        search.check_index(archive)
        assert {h["title"] for h in search.search(archive, "hoi an")} == {"Hội An đón khách"}
        assert "Nhà máy thuỷ điện Hoà Bình mở cửa xả đáy" not in {
            h["title"] for h in search.search(archive, "thuy dien")}


def test_rebuild_index_restores_a_dropped_index(tmp_path):
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        for article in short_articles().values():
            archive.store_article(article)
        archive.conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('delete-all')")
        assert search.search(archive, "da nang") == []
        search.rebuild_index(archive)
        assert [h["title"] for h in search.search(archive, "da nang")] == [
            "Mưa lớn gây ngập nhiều tuyến phố trung tâm"]
        search.check_index(archive)


def test_search_on_a_database_without_index_is_a_clear_error(tmp_path):
    path = tmp_path / "plain.db"
    sqlite3.connect(path).execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT)")
    with pytest.raises(search.SearchError, match="no search index"):
        search.search(path, "da nang")
    with pytest.raises(search.SearchError, match="no such archive"):
        search.search(tmp_path / "missing.db", "da nang")


@pytest.mark.parametrize("text, folded", [
    ("Đà Nẵng", "da nang"), ("Hoà Bình", "hoa binh"), ("THUỶ ĐIỆN", "thuy dien"),
    (unicodedata.normalize("NFD", "Đà Nẵng"), "da nang"), (None, None),
])
def test_vi_fold(text, folded):
    assert search.vi_fold(text) == folded


@pytest.mark.parametrize("text, toned", [
    ("Hoà Bình", "Hòa Bình"), ("thuỷ điện", "thủy điện"), ("quý", "quý"), (None, None),
])
def test_vi_tone(text, toned):
    assert search.vi_tone(text) == toned


@pytest.mark.parametrize("query, escaped", [
    ("da nang", '"da" "nang"'),
    ('"hoa binh" lu', '"hoa binh" "lu"'),
    ('unbalanced "quote', '"unbalanced" "quote"'),
    ("Hoà", '"Hoà"'),
])
def test_fts_query_quotes_every_word(query, escaped):
    assert search.fts_query(query) == escaped


def test_fts_query_exact_unifies_tones():
    assert search.fts_query("Hoà thuỷ", exact=True) == '"Hòa" "thủy"'


def test_words_standing_together_rank_first(archive_file):
    path, ids = archive_file
    hits = search.search(path, "da nang")
    assert len(hits) >= 2  # a corpus article has "đà" and "năng" apart
    assert hits[0]["id"] == ids["danang"]


def test_vi_fold_equals_fold_accents_on_real_text():
    texts = [a["title"] + "\n" + a["sapo"] + "\n" + a["body"] for a in gold_articles()]
    texts.append("ǅ ﬁ İstanbul 한국어 e\u0301 Ω ß ĐẠI")  # ligatures, Hangul, a stray combining mark
    for text in texts:
        assert search.vi_fold(text) == fold_accents(nfc(text))


def test_vi_tone_equals_unify_tones_on_real_and_tricky_text():
    import itertools
    texts = [a["title"] + "\n" + a["sapo"] + "\n" + a["body"] for a in gold_articles()]
    texts += [a["title"] + " " + a["sapo"] + " " + a["body"] for a in short_articles().values()]
    vowels = "aăâeêyAĂÂEÊY"
    tones = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
    for first, v, t, after in itertools.product("oOuUqQ", vowels, tones, ["", "n", " "]):
        texts.append(unicodedata.normalize("NFC", f"x{first}{v}{t}{after}"))
        texts.append(unicodedata.normalize("NFD", f"q{first}{v}{t}{after}"))
    for text in texts:
        assert search.vi_tone(text) == unify_tones(nfc(text)), text


def test_batch_is_searchable_after_a_failed_unit_and_an_edit_inside_it(tmp_path):
    # the archive indexes its own inserts when the transaction ends, not row by row
    path = tmp_path / "archive.db"
    articles = short_articles()
    danang = articles.pop("danang")
    with Archive(path) as archive:
        with archive.batch():
            for article in articles.values():
                archive.store_article(article)
            archive.store_article(danang)
            with pytest.raises(ValueError):
                with archive._transaction():
                    archive.store_article(dict(danang, url="https://baodanang.vn/other.html",
                                               title="Hội An đón khách", body="Hội An đón khách."))
                    wire = articles["wire_a"]  # an edit indexes what is pending, then is undone
                    assert archive.store_article(dict(wire, body=wire["body"] + "\nHội An.")) == "updated"
                    raise ValueError("this unit fails")
            archive.store_article(dict(danang, body=danang["body"] + "\nNước đã rút ở hầu hết các tuyến phố."))
        search.check_index(archive)
        assert [h["title"] for h in search.search(archive, "nuoc da rut")] == [danang["title"]]
        assert search.search(archive, "hoi an") == []
        assert {h["title"] for h in search.search(archive, "Hòa Bình", exact=True)} == {
            articles["hoabinh_old"]["title"], articles["hoabinh_new"]["title"]}


def test_rows_written_by_plain_sql_are_indexed_by_the_trigger(tmp_path):
    path = tmp_path / "archive.db"
    Archive(path).close()
    conn = sqlite3.connect(path)
    search.register_functions(conn)
    with conn:
        conn.execute("INSERT INTO articles (canonical_url, url, title, body) VALUES (?, ?, ?, ?)",
                     ["https://a.vn/1.html", "https://a.vn/1.html", "Đà Nẵng mưa lớn", "Phố ngập."])
    assert [h["title"] for h in search.search(conn, "da nang")] == ["Đà Nẵng mưa lớn"]
    search.check_index(conn)
    conn.close()
