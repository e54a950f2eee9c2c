"""How sure extraction was (the article's `extraction`: body by the generic path, date from visible
text, authors by position) is counted per crawl run and site, so a drift alarm can see a redesign."""
import json

from archive.store import Archive
from pipelines.extract import extract_article
from redesign import redesign
from registered import extract_registered
import test_extract_real_layouts as layouts
from test_redesign import REAL_PAGES


def test_a_run_records_the_shares_of_generic_bodies_visible_dates_and_bylines_by_position(tmp_path):
    pid, html, gold = next(p for p in REAL_PAGES if p[0].startswith("vnexpress"))
    known = extract_registered(html, gold["url"])                      # layout, metadata, selector
    page = redesign(layouts.CANTHO, layouts.CANTHO_URL, [layouts.P1, layouts.P2])
    redesigned = extract_article(page.html, page.url)                  # generic, visible, position
    assert known["extraction"]["body"] == "family" and redesigned["extraction"]["published"] == "visible"
    with Archive(tmp_path / "archive.db", aliases={}) as archive:
        run = archive.start_run(["news"])
        for article in (known, redesigned):
            archive.store_article(dict(article, site="news"), run_id=run)
        archive.finish_run(run, {})
        shares = json.loads(archive.conn.execute(
            "SELECT completeness FROM crawl_runs WHERE run_id = ? AND site = 'news'", (run,)).fetchone()[0])
    assert {k: v for k, v in shares.items() if k.startswith("extraction_")} == {
        "extraction_generic": 0.5, "extraction_visible_date": 0.5, "extraction_position_authors": 0.5}
