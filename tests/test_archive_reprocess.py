import gzip
from pathlib import Path

import pytest

from pipelines.reprocess import reprocess
from archive.store import Archive, ArchiveError
from test_archive_store import gold_article

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "archive"
PLO = "https://plo.vn/doan-dai-bieu-tphcm-dang-hoa-tuong-niem-cac-anh-hung-liet-si-tai-binh-duong-ba-ria-vung-tau-cu-post874982.html"
VNE = "https://vnexpress.net/dau-bung-keo-dai-phat-hien-ung-thu-lymphoma-ruot-non-4954454.html"
LISTING = "https://vnexpress.net/suc-khoe"


def page(archive, url, site, fixture, fetched_at="2026-03-01T10:00:00+00:00"):
    body = gzip.decompress((FIXTURES / fixture).read_bytes())
    return archive.record_page(url=url, final_url=url, status=200, headers={"Content-Type": "text/html"},
                               body=body, fetched_at=fetched_at, site=site)


@pytest.fixture
def db(tmp_path):
    """An archive whose plo article was made by older rules: a related headline leaked into its body."""
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        pid = page(archive, PLO, "plo", "plo-874982.html.gz")
        old = gold_article("plo-874982", url=PLO, fetched_at="2026-03-01T10:00:00+00:00")
        old["body"] += "\nTP.HCM: Khánh thành nhà tưởng niệm liệt sĩ mới tại Củ Chi"
        archive.store_article(old, page_id=pid)
        page(archive, VNE, "vnexpress", "vnexpress-4954454.html.gz")
        page(archive, LISTING, "vnexpress", "vnexpress-list.html.gz")
    return path


def test_reprocess_counts_pages_changes_and_failures(db):
    result = reprocess(db, processes=1)
    assert str(result) == "3 pages reprocessed, 2 articles changed, 1 failed"
    assert result.reasons == {"NotAnArticle": 1}
    with Archive(db) as archive:
        body = archive.conn.execute("SELECT body FROM articles WHERE url = ?", (PLO,)).fetchone()[0]
        assert "Khánh thành nhà tưởng niệm liệt sĩ mới" not in body
        assert archive.conn.execute("SELECT count(*) FROM article_versions").fetchone() == (1,)
        assert archive.conn.execute("SELECT count(*) FROM articles").fetchone() == (2,)


def test_reprocess_twice_changes_nothing_the_second_time(db):
    reprocess(db, processes=1)
    assert str(reprocess(db, processes=1)) == "3 pages reprocessed, 0 articles changed, 1 failed"


def test_reprocess_in_several_processes_gives_the_same_result(db):
    assert str(reprocess(db, processes=2)) == "3 pages reprocessed, 2 articles changed, 1 failed"


def test_reprocess_reads_only_the_latest_fetch_of_a_url(db):
    with Archive(db) as archive:
        page(archive, VNE, "vnexpress", "vnexpress-4954454.html.gz", fetched_at="2026-03-05T10:00:00+00:00")
    assert reprocess(db, site="vnexpress", processes=1).pages == 2
    assert reprocess(db, site="plo", since="2026-03-02", processes=1).pages == 0


def test_reprocess_without_an_archive_is_a_clear_error(tmp_path):
    with pytest.raises(ArchiveError, match="no archive at"):
        reprocess(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
