"""Site health: a site's runs compared with its own history (archive.health, pure), recorded by the
archive at the end of each run, shown by `tintinh health`, datasette and the crawl's summary; and a
real crawl of a local copy of a site whose layout changes and comes back."""
from __future__ import annotations

import gzip
import json
import random
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.health import BROKEN, DEGRADED, LEARNING, OK, assess, site_health
from archive.store import Archive
from cli.main import cli
from crawler.run import summary_lines

START = datetime(2026, 6, 1, 6, 0, tzinfo=timezone.utc)


def day(n: float) -> str:
    return (START + timedelta(days=n)).isoformat(timespec="seconds")


def run(n: float, **changes) -> dict:
    """The n-th daily run of a healthy site: 10 pages, 8 new articles, all dated, most with authors."""
    row = {"run_id": int(n * 10) + 1, "site": "baoa", "started": day(n), "finished": day(n + 0.01),
           "fetched": 10, "new": 8, "updated": 0, "unchanged": 0, "duplicates": 0, "failed": 2,
           "reasons": {"http_404": 2}, "source_failures": {}, "extracted": 8, "refused": 0,
           "dated": 1.0, "with_authors": 0.875, "with_sapo": 1.0, "median_body": 2400,
           "generic": 0.0, "junk": 0.125, "extraction_visible_date": 0.0, "extraction_position_authors": 0.0}
    row.update(changes)
    return row


HEALTHY = [run(i) for i in range(6)]
REFUSED_ALL = dict(new=0, extracted=0, refused=10, failed=10, reasons={"not_an_article": 10},
                   dated=None, with_authors=None, with_sapo=None, median_body=None, generic=None, junk=None)


@pytest.mark.parametrize("last, status, signal, words", [
    ({}, OK, "", ""),
    ({"dated": 0.1}, DEGRADED, "dated", "dates missing on 90% of new articles (usually 0%)"),
    ({"median_body": 1100}, DEGRADED, "body", "median body 1100 characters, usually 2400 (halved or more)"),
    ({"median_body": 9000}, DEGRADED, "body", "median body 9000 characters, usually 2400 (tripled or more)"),
    ({"generic": 1.0}, DEGRADED, "generic", "body taken by the generic fallback, not the site's layout, on 100%"),
    ({"junk": 0.75}, DEGRADED, "junk", "lines repeated across the site's articles (navigation, related headlines)"
                                       " in 75% of new articles (usually 12%)"),
    ({"with_sapo": 0.0}, DEGRADED, "sapo", "sapo missing on 100% of new articles (usually 0%)"),
    ({"with_authors": 0.125}, DEGRADED, "authors", "authors missing on 88% of new articles (usually 12%)"),
    (REFUSED_ALL, BROKEN, "refused", "all 10 article pages refused as no article (not_an_article 10)"),
    ({"refused": 12, "reasons": {"not_an_article": 12}}, DEGRADED, "refused",
     "60% of article pages refused as no article (usually 0%; not_an_article 12)"),
    ({"fetched": 0, "new": 0, "extracted": 0, "failed": 12, "reasons": {"http_503": 9, "timeout": 3}},
     BROKEN, "fetch", "nothing fetched: 12 failures (http_503 9, timeout 3)"),
    ({"failed": 1, "reasons": {"http_404": 1}, "source_failures": {"feed": {"http_404": 1}}},
     DEGRADED, "feed", "feed gone: http_404 on 1 feed"),
    # the feed alone timed out and nothing else was new: no alarm for one passing failure
    ({"fetched": 0, "new": 0, "extracted": 0, "failed": 1, "reasons": {"timeout": 1}}, OK, "", ""),
    # too small to say anything: one undated article
    ({"new": 1, "extracted": 1, "dated": 0.0, "median_body": 300}, OK, "", ""),
    # within the usual spread
    ({"dated": 0.75, "median_body": 1500, "generic": 0.25, "with_authors": 0.5}, OK, "", ""),
    # several signals of one redesign, each named
    ({"generic": 1.0, "dated": 0.0}, DEGRADED, "dated, generic", "dates missing on 100%"),
    # the metadata gone: dates and authors still found, but only by the fallbacks
    ({"extraction_visible_date": 0.875}, DEGRADED, "visible_date",
     "dates read from the visible text, not the page's metadata, on 88% of new articles (usually 0%)"),
    ({"extraction_position_authors": 1.0}, DEGRADED, "position_authors",
     "authors found by their position, not the layout, on 100% of new articles (usually 0%)"),
])
def test_a_sudden_change_marks_the_site_with_the_signal_in_words(last, status, signal, words):
    health = assess(HEALTHY + [run(6, **last)])
    assert health.status == status
    assert health.row()["signals"] == signal
    assert words in health.row()["reason"]
    if signal:
        assert health.since == day(6)
        assert health.last_good == day(5.01)


def test_a_site_with_little_history_is_learning_but_a_total_failure_is_broken_at_once():
    assert assess(HEALTHY[:2]).status == LEARNING
    assert assess(HEALTHY[:2] + [run(2, dated=0.0)]).status == LEARNING
    broken = assess([run(0, fetched=0, new=0, extracted=0, failed=3, reasons={"dns_error": 3})])
    assert (broken.status, broken.row()["signals"]) == (BROKEN, "fetch")


def test_no_new_articles_for_days_on_a_daily_site_is_broken_since_the_first_empty_run():
    quiet = dict(new=0, extracted=0, fetched=0, failed=0, reasons={})
    history = HEALTHY + [run(6, **quiet), run(7, **quiet)]
    assert assess(history[:-1]).status == OK          # one empty day: nothing to say yet
    health = assess(history + [run(8, **quiet)])
    assert (health.status, health.row()["signals"]) == (BROKEN, "silent")
    assert health.row()["reason"] == "no new articles for 3 days (new ones on 6 of the 6 days crawled before)"
    assert health.since == day(7)
    assert assess(history + [run(8)]).status == OK   # it publishes again


def test_a_weekly_site_is_not_silent_between_its_articles():
    weekly = [run(i, **({} if i % 7 == 0 else dict(new=0, extracted=0, fetched=0, failed=0))) for i in range(20)]
    assert "silent" not in assess(weekly).row()["signals"]


def test_the_alarm_lasts_while_the_site_stays_changed_and_clears_when_it_comes_back():
    broken = [run(6 + i, generic=1.0, dated=0.0) for i in range(40)]   # longer than the 14-run, 30-day window
    health = assess(HEALTHY + broken)
    assert (health.status, health.row()["signals"], health.since) == (DEGRADED, "dated, generic", day(6))
    assert health.last_good == day(5.01)
    back = assess(HEALTHY + broken + [run(46)])
    assert (back.status, back.problems, back.last_good) == (OK, [], day(46.01))


def test_a_run_too_small_to_judge_keeps_the_previous_judgement():
    health = assess(HEALTHY + [run(6, generic=1.0), run(7, new=1, extracted=1, generic=0.0)])
    assert (health.status, health.row()["signals"], health.since) == (DEGRADED, "generic", day(6))


def test_a_scheduled_site_not_crawled_for_days_is_stale():
    health = assess(HEALTHY, now=day(9))
    assert (health.status, health.row()["signals"]) == (DEGRADED, "stale")
    assert health.row()["reason"] == "not crawled for 3 days (crawled on 6 days before)"
    assert assess(HEALTHY, now=day(6)).status == OK


# -- a real crawl of a local copy of a site whose layout changes --------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE = gzip.decompress((FIXTURES / "site" / "baolaocai-404649.html.gz").read_bytes()).decode("utf-8")
OLD_PATH = "song-dep-tu-nhung-dieu-gian-di-post404649"
OLD_TITLE = "Sống đẹp từ những điều giản dị"
SENTENCES = [s for path in sorted((FIXTURES / "pages").glob("*.gold.json"))
             for line in json.loads(path.read_text(encoding="utf-8"))["body"].splitlines()
             for s in re.split(r"(?<=[.!?])\s+", line) if len(s.split()) >= 8]
PER_RUN = 4


def _article_html(n: int) -> tuple[str, str]:
    """(path, page): the real baolaocai article page with another article in it, the n-th."""
    import lxml.html
    rng = random.Random(n)
    title = " ".join(rng.sample(rng.choice(SENTENCES).rstrip(".").split(), 7)).capitalize()
    path = f"/bai-viet-so-{n}-post{500000 + n}.html"
    when = START + timedelta(hours=n)
    html = (TEMPLATE.replace(OLD_PATH, path[1:-5]).replace(OLD_TITLE, title)
            .replace("2025-06-17T13:43:02+0700", when.strftime("%Y-%m-%dT%H:%M:%S+0000"))
            .replace("17/06/2025 13:43", when.strftime("%d/%m/%Y %H:%M")))
    root = lxml.html.fromstring(html)
    sapo = root.find_class("article__sapo")[0]
    for child in list(sapo):
        sapo.remove(child)
    sapo.text = " ".join(rng.sample(SENTENCES, 2))
    body = root.find_class("article__body")[0]
    for child in list(body):
        body.remove(child)
    for _ in range(4):
        p = lxml.html.Element("p")
        p.text = " ".join(rng.sample(SENTENCES, 3))
        body.append(p)
    return path, lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def redesigned(page: str) -> str:
    """The same article in a new layout: every class renamed, the body moved out of the article's
    box to the end of the page, dates in another format and gone from the metadata."""
    import hashlib
    import lxml.html
    root = lxml.html.fromstring(page)
    body = root.find_class("article__body")[0]
    body.getparent().remove(body)
    root.find("body").append(body)
    for el in root.iter("meta"):
        if "published" in (el.get("property") or "") or el.get("itemprop") == "datePublished" \
                or "modified" in (el.get("property") or ""):
            el.getparent().remove(el)
    for el in root.iter("script"):
        if el.get("type") == "application/ld+json" and "datePublished" in (el.text or ""):
            el.getparent().remove(el)
    for el in root.iter("time"):
        el.attrib.pop("datetime", None)
        for span in el.iter("span"):
            d, m, y_hm = (span.text or "").split("/")
            y, hm = y_hm.split()
            span.text = f"{hm.replace(':', 'h')}' ngày {int(d)}-{int(m)}-{y[2:]}"
            span.attrib.clear()
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("class"):
            el.set("class", " ".join("v2-" + hashlib.md5(c.encode()).hexdigest()[:6] for c in el.get("class").split()))
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


class DriftingSite:
    """A local copy of baolaocai.vn that publishes PER_RUN new articles before each run, in its
    own layout or a redesigned one, listed in its feed."""

    def __init__(self):
        from hostile import page
        self._page = page
        self.routes: dict = {}
        self.published = 0

    def publish(self, layout: str = "old") -> list[str]:
        items, paths = [], []
        for n in range(self.published, self.published + PER_RUN):
            path, html = _article_html(n)
            self.routes[path] = self._page(redesigned(html) if layout == "new" else html)
            items.append(f"<item><title>Bài {n}</title><link>https://baolaocai.vn{path}</link></item>")
            paths.append(path)
        self.published += PER_RUN
        self.routes["/rss/home.rss"] = self._page(
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Lào Cai</title>'
            "<link>https://baolaocai.vn</link>" + "".join(items) + "</channel></rss>",
            content_type="application/rss+xml; charset=utf-8")
        return paths


def health_rows(db: Path) -> dict[str, dict]:
    result = CliRunner().invoke(cli, ["health", "--db", str(db), "--json"])
    return {row["site"]: row for row in map(json.loads, result.output.splitlines())}


def test_a_redesign_raises_an_alarm_naming_the_site_and_signals_and_it_clears_when_the_layout_returns(tmp_path):
    from hostile import HostileServer
    from mockserver import run_crawl

    site, db = DriftingSite(), tmp_path / "archive.db"

    def crawl(layout: str) -> str:
        site.publish(layout)
        done, _ = run_crawl(["baolaocai"], db, {"baolaocai": server.origin}, TINTINH_DISCOVERY="feeds")
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    with HostileServer(site.routes) as server:
        for _ in range(3):
            assert "degraded" not in crawl("old")
        assert health_rows(db)["baolaocai"]["status"] == LEARNING
        out = crawl("new")
        alarm = health_rows(db)["baolaocai"]
        assert (alarm["status"], alarm["signals"]) == (DEGRADED, "dated, generic, sapo")
        assert "body taken by the generic fallback, not the site's layout, on 100% of new articles" in alarm["reason"]
        assert "dates missing on 100% of new articles (usually 0%)" in alarm["reason"]
        assert re.search(r"^baolaocai: degraded since \S+ \S+ \+07:00: .*generic fallback", out, re.M)
        table = CliRunner().invoke(cli, ["health", "--db", str(db)])
        assert table.exit_code == 0                       # degraded is not broken
        assert re.search(r"^baolaocai\s+degraded\s+.*dated, generic, sapo", table.output, re.M)
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT site, status, signals FROM site_health").fetchall() == [
                ("baolaocai", DEGRADED, "dated, generic, sapo")]

        out = crawl("old")
        assert "degraded" not in out
        restored = health_rows(db)["baolaocai"]
        assert (restored["status"], restored["signals"], restored["reason"]) == (OK, "", "")
        with sqlite3.connect(db) as conn:
            signals = conn.execute("SELECT dated, generic, with_sapo, extracted FROM crawl_runs ORDER BY run_id").fetchall()
    assert signals == [(1.0, 0.0, 1.0, PER_RUN)] * 3 + [(0.0, 1.0, 0.0, PER_RUN), (1.0, 0.0, 1.0, PER_RUN)]


# -- what the archive records per run, and the command ---------------------------------------

def article(n: int, **fields) -> dict:
    rng = random.Random(n)
    body = "\n".join(" ".join(rng.sample(SENTENCES, 2)) for _ in range(4))
    return {"url": f"https://baoa.vn/bai-{n}-post{n}.html", "site": "baoa", "title": f"Bài {n}",
            "sapo": " ".join(rng.sample(SENTENCES, 1)), "body": body, "authors": ["Thu Hà"],
            "published_at": "2026-06-01T08:00:00+07:00", "extractor": "cms@1", **fields}


def crawl_run(archive: Archive, articles: list[dict], failures: list[tuple[str, str, str]] = ()) -> dict:
    run = archive.start_run(["baoa"])
    for a in articles:
        page = {"url": a["url"], "final_url": None, "status": 200, "headers": {}, "body": a["body"].encode(),
                "fetched_at": "2026-06-01T00:00:00+00:00", "site": "baoa"}
        archive.store_fetch(page=page, article=a, run_id=run)
    for url, reason, detail in failures:
        archive.store_fetch(failure={"url": url, "reason": reason, "site": "baoa", "detail": detail,
                                     "fetched_at": "2026-06-01T00:00:00+00:00"}, run_id=run)
    return archive.finish_run(run, {})


def test_a_run_records_failures_by_reason_and_the_signals_of_its_articles(tmp_path):
    nav = "Trang chủ Thời sự Kinh tế Xã hội Pháp luật Văn hóa Thể thao Du lịch Tỉnh Lào Cai"
    with Archive(tmp_path / "a.db") as archive:
        crawl_run(archive, [
            article(1),
            article(2, published_at=None, authors=[], sapo=""),
            article(3, extractor="generic@1", body=article(3)["body"] + "\n" + nav),
            article(4, extraction={"body": "generic"}, body=article(4)["body"] + "\n" + nav),
            article(5, body=article(5)["body"][:300] + "\n" + nav),
        ], failures=[("https://baoa.vn/rss/home.rss", "http_404", "feed: HTTP 404"),
                     ("https://baoa.vn/x-post9.html", "not_an_article", "a listing page"),
                     ("https://baoa.vn/y-post8.html", "http_404", "")])
        row = archive.conn.execute(
            "SELECT reasons, source_failures, extracted, refused, dated, with_authors, with_sapo, generic, junk,"
            " median_body, status, signals FROM crawl_runs").fetchone()
        lengths = sorted(n for (n,) in archive.conn.execute("SELECT length(body) FROM articles"))
    assert json.loads(row[0]) == {"http_404": 2, "not_an_article": 1}
    assert json.loads(row[1]) == {"feed": {"http_404": 1}}
    # extraction["body"] outranks the extractor's name; the navigation line counts as junk from the
    # article that puts it on 3 of the site's articles (the archive's boilerplate rule)
    assert row[2:9] == (5, 1, 0.8, 0.8, 0.8, 0.4, 0.2)
    assert row[9] == lengths[2] and lengths[0] < 400 < lengths[2]
    assert row[10:] == (DEGRADED, "feed")   # the rest needs more runs to compare with


def test_fallback_dates_and_authors_over_runs_raise_an_alarm_from_the_archive(tmp_path):
    """The shares of dates read from the visible text and authors found by position are kept with
    each run and read back by the health check: a site whose metadata vanishes is degraded."""
    with Archive(tmp_path / "a.db") as archive:
        for n in range(4):
            crawl_run(archive, [article(10 * n + i, extraction={"published": "metadata"}) for i in range(4)])
        crawl_run(archive, [article(100 + i, extraction={"published": "visible", "authors": "position"})
                            for i in range(4)])
        health = {h.site: h for h in site_health(archive.conn)}
    assert health["baoa"].status == DEGRADED
    assert health["baoa"].row()["signals"] == "position_authors, visible_date"
    assert "dates read from the visible text, not the page's metadata, on 100%" in health["baoa"].row()["reason"]


def test_health_command_exits_nonzero_when_a_site_is_broken_and_names_it(tmp_path):
    db = tmp_path / "a.db"
    with Archive(db) as archive:
        for n in range(4):
            crawl_run(archive, [article(10 * n + i) for i in range(3)])
        verdicts = crawl_run(archive, [], failures=[(f"https://baoa.vn/{i}-post{i}.html", "http_503", "")
                                                    for i in range(5)])
    assert verdicts["baoa"].status == BROKEN
    result = CliRunner().invoke(cli, ["health", "--db", str(db)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].split() == ["site", "status", "since", "last", "good", "signals", "reason"]
    assert re.match(r"baoa\s+broken\s+\d{4}-\d\d-\d\d \d\d:\d\d \+07:00\s+\d{4}-\d\d-\d\d \d\d:\d\d \+07:00\s+fetch\s+"
                    r"nothing fetched: 5 failures \(http_503 5\)$", lines[1])
    assert lines[-1] == "Error: 1 site broken: baoa"
    assert CliRunner().invoke(cli, ["health", "--db", str(db), "--site", "baob"]).output == \
        f"Error: no finished crawl of baob in {db}\n"
    assert site_health(sqlite3.connect(db))[0].status == BROKEN


def test_crawl_summary_has_a_line_for_each_site_that_is_not_ok():
    result = {"sites": {"baoa": {"new": 0}, "baob": {"new": 3}, "baoc": {"new": 2}},
              "health": {"baoa": {"status": BROKEN, "since": "2026-06-07T06:00:00+00:00",
                                  "reason": "nothing fetched: 5 failures (http_503 5)"},
                         "baob": {"status": OK, "since": None, "reason": ""},
                         "baoc": {"status": LEARNING, "since": None, "reason": ""}}}
    lines = summary_lines(result)
    assert lines[4:] == ["baoa: broken since 2026-06-07 13:00 +07:00: nothing fetched: 5 failures (http_503 5)"
                         " (see tintinh health)"]


def test_datasette_shows_site_health_and_a_sites_runs(tmp_path):
    import asyncio

    from archive.serve import make_datasette

    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        for n in range(4):
            crawl_run(archive, [article(10 * n + i) for i in range(3)])
        crawl_run(archive, [article(50 + i, extractor="generic@1") for i in range(3)])

    async def get(path: str):
        ds = make_datasette(db)
        await ds.invoke_startup()
        response = await ds.client.get(path)
        assert response.status_code == 200, response.text
        return response.json()
    health = asyncio.run(get(f"/{db.stem}/site_health.json?_shape=array"))
    assert [(r["site"], r["status"], r["signals"]) for r in health] == [("baoa", DEGRADED, "generic")]
    assert health[0]["alarm"].startswith("body taken by the generic fallback")
    runs = asyncio.run(get(f"/{db.stem}/site_signals.json?site=baoa&_shape=array"))
    assert [(r["status"], r["generic"]) for r in runs] == [(DEGRADED, 1.0), (OK, 0.0)] + [(LEARNING, 0.0)] * 3
