"""`tintinh merge A.db B.db --into archive.db`: archives crawled on two machines, each over its own
sites, merged into one equal to the archive one machine would have made of all the sites.

The machines' archives are built as a crawl builds them (runs, raw pages with their articles or
failures through `Archive.store_fetch`) from real articles; a wire story is carried by a site of
each machine, so only the merge can put its two copies in one story. "Equal" is table by table,
as tests/test_archive_roundtrip.py compares (ids through the canonical URLs they name), plus
failures, raw pages and which page each article came from. Runs are not compared with the single
machine's: they are what each machine did, and are copied as they were.
"""
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.merge import merge_archives
from archive.store import Archive, ArchiveError
from cli.main import cli
from test_archive_failures import read_only
from test_archive_roundtrip import tables
from test_archive_store import gold_article

T1, T2, T3 = "2026-03-01T10:00:00+00:00", "2026-03-02T10:00:00+00:00", "2026-03-03T10:00:00+00:00"
LISTING = b"<!doctype html><title>Tin tong hop</title><ul><li><a href=/a>A</a></ul>"  # the same bytes on two sites


def article_fetch(article: dict, when: str = T1) -> dict:
    article = dict(article, fetched_at=when)
    page = {"url": article["url"], "final_url": None, "status": 200, "headers": {"Content-Type": "text/html"},
            "body": f"<html><h1>{article['title']}</h1>{article['body']}</html>".encode(), "fetched_at": when,
            "site": article["site"]}
    return {"page": page, "article": article}


def failed_fetch(url: str, site: str, reason: str, when: str = T1) -> dict:
    """A failure as a crawl stores it: a page that came but is no article is kept with it, an HTTP
    error or a network failure is a failures row only."""
    page = {"url": url, "final_url": None, "status": 200, "headers": {}, "body": LISTING, "fetched_at": when,
            "site": site} if reason == "not_an_article" else None
    return {"page": page, "failure": {"url": url, "reason": reason, "site": site, "detail": f"{reason} at {when}",
                                      "fetched_at": when}}


def machine_a() -> list[list[dict]]:
    """Two runs of plo, vnexpress, baolaocai: the wire story's first copy (plo), a URL variant, an
    edited re-crawl (a version), a page that failed in both runs, a listing at an article's URL."""
    plo, vne, laocai = gold_article("plo-874982"), gold_article("vnexpress-4954454"), gold_article("baolaocai-404649")
    gone = "https://baolaocai.vn/bai-da-xoa-post100001.html"
    first = [article_fetch(plo), article_fetch(vne), article_fetch(laocai), failed_fetch(gone, "baolaocai", "http_404"),
             failed_fetch("https://baolaocai.vn/tin-tong-hop-post100006.html", "baolaocai", "not_an_article")]
    edited = dict(vne, body=vne["body"] + "\nCập nhật lúc 15h.")
    second = [article_fetch(dict(plo, url=plo["url"] + "?utm_source=zalo"), T2), article_fetch(edited, T2),
              failed_fetch(gone, "baolaocai", "http_404", T2)]
    return [first, second]


def machine_b() -> list[list[dict]]:
    """Two runs of baocantho, tuoitre, dantri: the wire story reprinted (baocantho, a day later), an
    unchanged re-crawl, failures of their own, the same listing bytes as machine A's."""
    plo = gold_article("plo-874982")
    reprint = dict(plo, url="https://baocantho.com.vn/doan-dai-bieu-a191234.html", site="baocantho",
                   sapo=plo["sapo"].replace("(PLO)-", "(CTO) -"), authors=["Thanh Tâm"],
                   published_at="2025-10-12T07:00:00+07:00")
    tuoitre, dantri = gold_article("tuoitre-20260307075519174"), gold_article("dantri-20260307080054340")
    first = [article_fetch(reprint), article_fetch(tuoitre), article_fetch(dantri),
             failed_fetch("https://tuoitre.vn/rss/tin-moi-nhat.rss", "tuoitre", "http_404"),
             failed_fetch("https://dantri.com.vn/tong-hop-20260307000000002.htm", "dantri", "not_an_article")]
    second = [article_fetch(dantri, T3), failed_fetch("https://dantri.com.vn/cham-20260307000000001.htm", "dantri",
                                                       "timeout", T3)]
    return [first, second]


def crawl(archive: Archive, runs: list[list[dict]]) -> None:
    """Each run as a crawl stores it: a run of its sites, one store_fetch per page, the run finished."""
    for fetches in runs:
        sites = sorted({(f.get("article") or f["failure"])["site"] for f in fetches})
        run = archive.start_run(sites)
        for fetch in fetches:
            archive.store_fetch(**fetch, run_id=run)
        archive.finish_run(run, {})


def build(path: Path, *machines) -> Path:
    with Archive(path, aliases={}) as archive:
        for runs in machines:
            crawl(archive, runs)
    return path


def comparable(db: Path) -> dict[str, list]:
    """`tables(db)`, each story named by its earliest member URL: a story's id is that of the copy
    stored first, which depends on the order of storing, not on what the story is."""
    out = tables(db)
    members = {}
    for article in out["articles"]:
        members.setdefault(article["story_id"], []).append(article["canonical_url"])
    for article in out["articles"]:
        article["story_id"] = min(members[article["story_id"]])
    return out


def facts(db: Path) -> dict[str, list]:
    """What the archives must agree on beyond `tables`: failures, raw pages, each article's page."""
    conn = sqlite3.connect(db)
    out = {
        "failures": conn.execute("SELECT url, site, reason, detail, first_failed, fetched_at, times FROM failures"
                                 " ORDER BY url, reason").fetchall(),
        "pages": conn.execute("SELECT url, final_url, status, headers, fetched_at, site, body_sha1, body_size, failure"
                              " FROM pages ORDER BY url, fetched_at").fetchall(),
        "bodies": conn.execute("SELECT count(body), count(DISTINCT body_sha1) FROM pages").fetchall(),
        "article_pages": conn.execute("SELECT a.canonical_url, p.url, p.fetched_at FROM articles a"
                                      " LEFT JOIN pages p ON p.id = a.page_id ORDER BY a.canonical_url").fetchall(),
    }
    conn.close()
    return out


def stories(db: Path) -> set[frozenset]:
    with sqlite3.connect(db) as conn:
        groups = conn.execute("SELECT group_concat(canonical_url, ' ') FROM articles GROUP BY story_id").fetchall()
    return {frozenset(g.split(" ")) for (g,) in groups}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("merge")
    a, b = build(tmp / "a.db", machine_a()), build(tmp / "b.db", machine_b())
    # one machine crawling every site: machine B's first run before A's, as a crawl may interleave them
    single = tmp / "single.db"
    with Archive(single, aliases={}) as archive:
        (a1, a2), (b1, b2) = machine_a(), machine_b()
        crawl(archive, [b1 + a1, a2 + b2])
    merged = tmp / "merged.db"
    done = run("merge", a, b, "--into", merged, "--processes", "1")
    assert done.exit_code == 0, done.output
    return a, b, single, merged, done.output


@pytest.mark.parametrize("table", ["articles", "images", "related_links", "article_versions", "url_aliases",
                                   "minhashes", "lsh_buckets", "search"])
def test_merged_archive_equals_one_machine_crawling_every_site(archives, table):
    _, _, single, merged, _ = archives
    assert comparable(merged)[table] == comparable(single)[table]


@pytest.mark.parametrize("fact", ["failures", "pages", "bodies", "article_pages"])
def test_merged_archive_keeps_the_failures_pages_and_their_links_of_one_crawl(archives, fact):
    _, _, single, merged, _ = archives
    assert facts(merged)[fact] == facts(single)[fact]


def test_the_wire_story_crawled_on_two_machines_is_one_story_after_the_merge(archives):
    a, b, single, merged, _ = archives
    wire = frozenset({gold_article("plo-874982")["url"], "https://baocantho.com.vn/doan-dai-bieu-a191234.html"})
    assert wire not in stories(a) | stories(b)  # each machine had one copy, a story of its own
    assert wire in stories(merged)
    assert stories(merged) == stories(single)
    with sqlite3.connect(merged) as conn:  # the earlier published copy is the one the other duplicates
        assert conn.execute("SELECT a.site, d.site FROM articles a JOIN articles d ON d.id = a.duplicate_of").fetchall() \
            == [("baocantho", "plo")]


def test_runs_are_copied_with_their_pages_and_failures(archives):
    a, b, _, merged, _ = archives
    sql = ("SELECT r.started, r.sites, c.site, c.fetched, c.new, c.updated, c.unchanged, c.duplicates, c.failed,"
           " c.reasons, c.status FROM runs r JOIN crawl_runs c ON c.run_id = r.id ORDER BY r.started, c.site")
    with sqlite3.connect(a) as ca, sqlite3.connect(b) as cb, sqlite3.connect(merged) as cm:
        assert sorted(cm.execute(sql).fetchall()) == sorted(ca.execute(sql).fetchall() + cb.execute(sql).fetchall())
        # every page and failure names the run it came from, by its new id
        by_run = ("SELECT p.url, p.fetched_at, r.started, r.sites FROM pages p JOIN runs r ON r.id = p.run_id"
                  " UNION ALL SELECT f.url, f.fetched_at, r.started, r.sites FROM failures f JOIN runs r ON r.id = f.run_id")
        assert sorted(cm.execute(by_run).fetchall()) == sorted(ca.execute(by_run).fetchall() + cb.execute(by_run).fetchall())
        assert cm.execute("SELECT count(*) FROM runs").fetchone() == (4,)


def test_the_merge_says_what_it_took_from_each_archive(archives):
    a, b, _, _, output = archives
    assert output.splitlines() == [
        f"{a}: 3 articles (3 new, 0 updated, 0 unchanged, 0 duplicate), 6 pages (0 already there),"
        " 2 failures (0 already there), 2 runs (0 already there)",
        f"{b}: 3 articles (2 new, 0 updated, 0 unchanged, 1 duplicate), 5 pages (0 already there),"
        " 3 failures (0 already there), 2 runs (0 already there)"]


def test_merging_the_same_archives_again_changes_nothing(archives, tmp_path):
    a, b, _, merged, _ = archives
    again = tmp_path / "again.db"
    assert run("merge", a, b, "--into", again).exit_code == 0
    second = run("merge", b, a, "--into", again, "--processes", "0")
    assert second.exit_code == 0, second.output
    assert second.output.splitlines() == [
        f"{b}: 3 articles (0 new, 0 updated, 3 unchanged, 0 duplicate), 0 pages (5 already there),"
        " 0 failures (3 already there), 0 runs (2 already there)",
        f"{a}: 3 articles (0 new, 0 updated, 3 unchanged, 0 duplicate), 0 pages (6 already there),"
        " 0 failures (2 already there), 0 runs (2 already there)"]
    assert tables(again) == tables(merged) and facts(again) == facts(merged)
    with sqlite3.connect(again) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (4,)


def test_an_archive_merged_again_after_more_crawls_counts_each_failure_once(tmp_path):
    path = tmp_path / "machine.db"
    first, second = machine_a()
    build(path, [first])
    into = tmp_path / "into.db"
    merge_archives(into, [path], aliases={})
    with Archive(path, aliases={}) as archive:
        crawl(archive, [second])  # the machine crawls on; its archive is merged again
    merge_archives(into, [path], aliases={})
    assert facts(into) == facts(path) and tables(into) == tables(path)


def test_the_same_failing_url_in_two_archives_sums_counts_keeps_first_and_latest(tmp_path):
    url = "https://plo.vn/loi-post1.html"
    with Archive(tmp_path / "a.db", aliases={}) as a:
        for when in (T1, T2):
            a.record_failure(url=url, reason="http_500", site="plo", detail=f"500 at {when}", fetched_at=when)
    with Archive(tmp_path / "b.db", aliases={}) as b:
        for when in ("2026-02-20T00:00:00+00:00", "2026-02-21T00:00:00+00:00", T3):
            b.record_failure(url=url, reason="http_500", site="plo", detail=f"500 at {when}", fetched_at=when)
    merge_archives(tmp_path / "m.db", [tmp_path / "a.db", tmp_path / "b.db"], aliases={})
    assert facts(tmp_path / "m.db")["failures"] == [
        (url, "plo", "http_500", f"500 at {T3}", "2026-02-20T00:00:00+00:00", T3, 5)]


def test_a_read_only_archive_can_be_merged(archives, tmp_path):
    a, _, _, _, _ = archives
    folder = tmp_path / "ro"
    folder.mkdir()
    source = build(folder / "a.db", machine_a())
    with read_only(folder):
        done = run("merge", source, "--into", tmp_path / "m.db")
    assert done.exit_code == 0, done.output
    assert tables(tmp_path / "m.db") == tables(a)


def test_a_missing_source_is_one_line_and_nothing_is_merged(archives, tmp_path):
    a, _, _, _, _ = archives
    done = run("merge", a, tmp_path / "nope.db", "--into", tmp_path / "m.db")
    assert (done.exit_code, done.output) == (1, f"Error: no archive at {tmp_path / 'nope.db'}\n")
    assert not (tmp_path / "m.db").exists()


def test_an_archive_is_not_merged_into_itself(archives):
    a, _, _, _, _ = archives
    done = run("merge", a, "--into", a)
    assert (done.exit_code, done.output) == (1, f"Error: {a} is the archive being merged into\n")


def test_a_file_that_is_no_archive_is_refused_in_one_line(tmp_path):
    junk = tmp_path / "notes.db"
    junk.write_text("not sqlite")
    done = run("merge", junk, "--into", tmp_path / "m.db")
    assert done.exit_code == 1 and done.output.startswith(f"Error: {junk} is not a tintinh archive")


def test_the_same_fetch_twice_in_one_archive_stays_twice_and_is_not_copied_again(tmp_path):
    with Archive(tmp_path / "a.db", aliases={}) as a:
        for _ in range(2):  # the same URL fetched twice in one second, the same bytes
            a.record_page(url="https://plo.vn/a-post1.html", final_url=None, status=200, headers={}, body=LISTING,
                          fetched_at=T1, site="plo")
    for _ in range(2):
        merge_archives(tmp_path / "m.db", [tmp_path / "a.db"], aliases={})
    assert facts(tmp_path / "m.db")["pages"] == facts(tmp_path / "a.db")["pages"]
    assert len(facts(tmp_path / "m.db")["pages"]) == 2


def test_after_merging_an_older_archive_a_sites_health_is_that_of_its_newest_run(tmp_path):
    from archive import health
    plo = gold_article("plo-874982")
    old = build(tmp_path / "old.db", [[article_fetch(plo)]])
    with sqlite3.connect(old) as conn:  # crawled a month before, and judged broken then
        conn.execute("UPDATE runs SET started = '2026-02-01T10:00:00+00:00'")
        conn.execute("UPDATE crawl_runs SET started = '2026-02-01T10:00:00+00:00', status = 'broken',"
                     " alarm = 'no articles'")
    new = build(tmp_path / "new.db", [[article_fetch(gold_article("vnexpress-4954454") | {"site": "plo"}, T2)]])
    with sqlite3.connect(new) as conn:
        newest_run, status = conn.execute("SELECT run_id, status FROM site_health WHERE site = 'plo'").fetchone()
    assert status != "broken"
    assert run("merge", old, "--into", new).exit_code == 0
    with sqlite3.connect(new) as conn:
        merged_run = conn.execute("SELECT max(run_id) FROM crawl_runs").fetchone()[0]
        assert merged_run > newest_run   # the older run came in with the higher id
        assert conn.execute("SELECT run_id, status FROM site_health WHERE site = 'plo'").fetchone() == (newest_run, status)
        runs = health.site_runs(conn, "plo")
    assert [r["run_id"] for r in runs] == [merged_run, newest_run]   # oldest first, by start time
