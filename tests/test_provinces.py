"""Every article tagged with the provinces it is about: the gazetteer, the tagging rules on real
and made-up text, the archive's provinces column and table, and the canned query over HTTP."""
import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from archive.migrations import MIGRATIONS, migrate
from archive.store import Archive, connect
from common.provinces import (NATIONAL, article_provinces, load_provinces, load_regions, province_label,
                              provinces_meant, provinces_named, resolve_province)
from registered import extract_registered
from test_datasette import demo, get_json, running_server  # noqa: F401  (demo: a fixture)

PAGES = Path(__file__).parent / "fixtures" / "pages"


@pytest.mark.parametrize("name, label", [
    ("Lào Cai", "Lào Cai"), ("lao cai", "Lào Cai"), ("LÀO CAI", "Lào Cai"),
    ("Yên Bái", "Lào Cai"), ("yen bai", "Lào Cai"),                     # merged into Lào Cai
    ("Bắc Giang", "Bắc Ninh"), ("TP.HCM", "Hồ Chí Minh"), ("hcm", "Hồ Chí Minh"),
    ("Thành phố Hồ Chí Minh", "Hồ Chí Minh"), ("Bà Rịa - Vũng Tàu", "Hồ Chí Minh"),
    ("Bà Rịa–Vũng Tàu", "Hồ Chí Minh"), ("Thừa Thiên Huế", "Huế"), ("Thanh Hoá", "Thanh Hóa"),
    ("Đăk Lăk", "Đắk Lắk"), ("Hà Giang", "Tuyên Quang"), ("national", NATIONAL), ("(national)", NATIONAL),
    ("Toàn quốc", NATIONAL), ("Atlantis", None), ("", None),
])
def test_any_spelling_of_a_province_old_or_new_gives_todays_name_or_the_national_label(name, label):
    assert province_label(name) == label


def test_the_six_regions_hold_each_of_the_34_provinces_once_and_the_three_parts_hold_them_all():
    regions = load_regions()
    six = [p for r in regions[:6] for p in r.provinces]
    assert sorted(six) == sorted(p.name for p in load_provinces())
    three = [p for r in regions[6:] for p in r.provinces]
    assert [r.name for r in regions[6:]] == ["Miền Bắc", "Miền Trung", "Miền Nam"] and sorted(three) == sorted(six)


@pytest.mark.parametrize("name, provinces", [
    ("Tây Nguyên", ["Gia Lai", "Đắk Lắk", "Lâm Đồng"]),
    ("tay nguyen", ["Gia Lai", "Đắk Lắk", "Lâm Đồng"]),
    ("ĐBSCL", ["Cần Thơ", "Vĩnh Long", "Đồng Tháp", "Cà Mau", "An Giang"]),
    ("Mekong Delta", ["Cần Thơ", "Vĩnh Long", "Đồng Tháp", "Cà Mau", "An Giang"]),
    ("Đông Nam Bộ", ["Hồ Chí Minh", "Đồng Nai", "Tây Ninh"]),
    ("yen bai", ["Lào Cai"]),            # a province, old or new, is itself
    ("Huế", ["Huế"]),
    ("national", [NATIONAL]),
    ("Atlantis", []),
])
def test_a_filter_means_a_regions_provinces_or_one_province(name, provinces):
    assert provinces_meant(name) == provinces


def test_every_old_province_resolves_to_the_province_it_was_merged_into():
    for province in load_provinces():
        for old in province.before:
            assert resolve_province(old)[0] == province.name


@pytest.mark.parametrize("title, sapo, body, provinces", [
    # a title opening with a province, a title naming one, a dateline, "tỉnh X", "tại X", "X cũ"
    ("Lào Cai: thanh tra việc quản lý đất đai ở Sa Pa", "", "", ["Lào Cai"]),
    ("Thanh Hoá có 61 học sinh đoạt giải quốc gia", "", "", ["Thanh Hóa"]),
    ("Không khí lạnh tràn về, Hà Tĩnh trời rét", "", "", ["Hà Tĩnh"]),
    ("Rét đậm", "LÀO CAI - Nhiệt độ ở Sa Pa xuống dưới 3 độ C.", "", ["Lào Cai"]),
    ("Rét đậm", "(Lào Cai) - Nhiệt độ ở Sa Pa xuống dưới 3 độ C.", "", ["Lào Cai"]),
    ("Rét đậm", "NDO - Hà Nội: nhiệt độ xuống 9 độ C.", "", ["Hà Nội"]),
    ("Rét đậm", "", "Hà Nội, 07/03/2026 - Nhiệt độ xuống 9 độ C.", ["Hà Nội"]),
    ("Quế hữu cơ", "Vùng quế Văn Yên, trước đây thuộc tỉnh Yên Bái, chuyển sang trồng hữu cơ.", "", ["Lào Cai"]),
    ("Vành đai 3 qua Bình Dương cũ thông xe kỹ thuật", "", "", ["Hồ Chí Minh"]),
    ("Đoàn đại biểu TP.HCM dâng hoa tại Bình Dương, Bà Rịa - Vũng Tàu (cũ)", "", "", ["Hồ Chí Minh"]),
    ("Giá cà phê", "Giá cà phê nhân xô tại Gia Lai quanh mức 115.000 đồng/kg.", "", ["Gia Lai"]),
    ("Hỗ trợ nông dân", "Hai tỉnh Long An và Kiên Giang cũ được hỗ trợ.", "", ["Tây Ninh", "An Giang"]),
    ("Lễ hội Côn Sơn", "Khu di tích thuộc tỉnh Hải Dương cũ do thành phố Hải Phòng tổ chức.", "", ["Hải Phòng"]),
    # names of people, common words and longer names are not provinces
    ("Ca sĩ Hà Giang ra mắt album mới", "Nữ ca sĩ Hà Giang vừa phát hành đĩa đơn.", "", []),
    ("Bình Định kể chuyện đời mình", "Ông Bình Định, 70 tuổi, nhớ lại.", "", []),
    ("Vì một nền hòa bình lâu dài", "Hòa Bình là khát vọng của mọi dân tộc.", "", []),
    ("Long An tâm vì con đã khỏe", "", "", []),
    ("Hợp tác châu Á - Thái Bình Dương", "Hội nghị tại Thái Bình Dương bàn về biển.", "", []),
    ("Bảo tàng Hồ Chí Minh đón khách", "Tư tưởng Hồ Chí Minh soi đường.", "", []),
    ("Khám bệnh tại Bệnh viện Tâm Anh Hà Nội", "", "", []),
    # in a lead, where a trip goes is not where the news is
    ("Bến xe tăng chuyến", "Bến xe tăng 120 chuyến trên các tuyến đi Hà Nội, TP.HCM và Tây Nguyên.", "", []),
    ("Kín phòng", "Khách chủ yếu đến từ TP.HCM và Hà Nội.", "", []),
    # a name in the body is no dateline
    ("Giá vàng giảm", "Giá vàng trong nước tiếp tục giảm.", "Tại TP.HCM, nhiều cửa hàng đông khách.", []),
])
def test_provinces_are_named_only_where_a_name_is_a_place(title, sapo, body, provinces):
    assert provinces_named(title, sapo, body) == provinces


def test_the_papers_province_comes_first_then_the_ones_named():
    assert article_provinces("Lào Cai", "Hà Nội: hội nghị xúc tiến đầu tư") == ["Lào Cai", "Hà Nội"]
    assert article_provinces("", "Lào Cai: thanh tra đất đai") == ["Lào Cai"]
    assert article_provinces("", "Giá vàng giảm") == []                # national coverage
    assert article_provinces("Lào Cai", "x", given=["yen bai", "TP.HCM"]) == ["Lào Cai", "Hồ Chí Minh"]


@pytest.mark.parametrize("pid, provinces", [
    ("plo-874982", ["Hồ Chí Minh"]),            # national paper, "TP.HCM … tại Bình Dương, Bà Rịa - Vũng Tàu (cũ)"
    ("baolaocai-404649", ["Lào Cai"]),          # the paper's own province ("Quân sự tỉnh lại…" names none)
    ("dantri-20260307080054340", []),           # gold prices: national
    ("vnexpress-4954454", []),                  # a TP.HCM hospital deep in the body: no dateline
    ("baochinhphu-102260228093004191", []),
    ("tuoitre-20260307075519174", []),
    ("cafef-18826030622484142", []),
    ("vietnamnet-2495349", []),
])
def test_real_pages_are_tagged_with_the_provinces_they_are_about(pid, provinces):
    gold = json.loads((PAGES / f"{pid}.gold.json").read_text(encoding="utf-8"))
    article = extract_registered(gzip.decompress((PAGES / f"{pid}.html.gz").read_bytes()), gold["url"])
    assert article["provinces"] == provinces


NHANDAN = {"url": "https://nhandan.vn/lao-cai-thanh-tra-dat-dai-post900100.html", "site": "nhandan",
           "province": "", "title": "Lào Cai: thanh tra việc quản lý đất đai tại các xã vùng cao",
           "sapo": "Đoàn thanh tra phát hiện nhiều sai phạm trong giao đất, cho thuê đất.",
           "body": "Đoàn thanh tra làm việc trong ba tháng.\nKết luận được công bố công khai.",
           "published_at": "2026-03-06T08:00:00+07:00", "fetched_at": "2026-03-06T02:00:00+00:00"}
BAOLAOCAI = {"url": "https://baolaocai.vn/hoa-man-bac-ha-post900101.html", "site": "baolaocai",
             "province": "Lào Cai", "title": "Hoa mận trắng phủ kín cao nguyên Bắc Hà",
             "sapo": "Mùa hoa mận năm nay nở sớm hơn mọi năm gần ba tuần.",
             "body": "Nhiều nhóm nhiếp ảnh đến săn ảnh.\nDu khách tăng mạnh.",
             "published_at": "2026-03-05T08:00:00+07:00", "fetched_at": "2026-03-05T02:00:00+00:00"}
VNEXPRESS = {"url": "https://vnexpress.net/gia-vang-giam-4900102.html", "site": "vnexpress", "province": "",
             "title": "Giá vàng giảm phiên thứ ba liên tiếp", "sapo": "Giá vàng miếng giảm 500.000 đồng.",
             "body": "Tại TP.HCM, nhiều cửa hàng vắng khách.\nGiới đầu tư chờ tín hiệu mới.",
             "published_at": "2026-03-04T08:00:00+07:00", "fetched_at": "2026-03-04T02:00:00+00:00"}


def tagged(db, url):
    conn = sqlite3.connect(db)
    try:
        (article_id, provinces), = conn.execute("SELECT id, provinces FROM articles WHERE url = ?", [url])
        rows = [r[0] for r in conn.execute("SELECT province FROM article_provinces WHERE article_id = ?"
                                           " ORDER BY province", [article_id])]
    finally:
        conn.close()
    return json.loads(provinces), rows


def test_the_archive_keeps_each_articles_provinces_and_national_for_none(tmp_path):
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        for article in (NHANDAN, BAOLAOCAI, VNEXPRESS):
            archive.store_article(article)
    assert tagged(db, NHANDAN["url"]) == (["Lào Cai"], ["Lào Cai"])
    assert tagged(db, BAOLAOCAI["url"]) == (["Lào Cai"], ["Lào Cai"])
    assert tagged(db, VNEXPRESS["url"]) == ([], [NATIONAL])


def test_a_new_version_of_an_article_is_tagged_again(tmp_path):
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        archive.store_article(VNEXPRESS)
        assert archive.store_article(dict(VNEXPRESS, title="Hà Nội: giá vàng giảm phiên thứ ba",
                                          fetched_at="2026-03-04T05:00:00+00:00")) == "updated"
    assert tagged(db, VNEXPRESS["url"]) == (["Hà Nội"], ["Hà Nội"])


def test_an_archive_from_before_provinces_has_its_articles_tagged_when_opened(tmp_path):
    db = tmp_path / "old.db"
    conn = connect(db)
    migrate(conn, [m for m in MIGRATIONS if m[0] < 11])
    conn.execute("INSERT INTO articles (canonical_url, url, site, province, title, sapo, body, category)"
                 " VALUES (?, ?, 'nhandan', '', ?, ?, ?, 'Thời sự > Chính trị')",
                 (NHANDAN["url"], NHANDAN["url"], NHANDAN["title"], NHANDAN["sapo"], NHANDAN["body"]))
    conn.close()
    Archive(db).close()
    assert tagged(db, NHANDAN["url"]) == (["Lào Cai"], ["Lào Cai"])
    conn = sqlite3.connect(db)
    assert json.loads(conn.execute("SELECT categories FROM articles").fetchone()[0]) == ["Thời sự", "Chính trị"]
    conn.close()


def test_latest_by_province_finds_a_national_papers_article_by_any_name(tmp_path):
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        for article in (NHANDAN, BAOLAOCAI, VNEXPRESS):
            archive.store_article(article)
    with running_server(db) as base:
        for name in ("Lào Cai", "lao cai", "Yên Bái", "LÀO CAI"):
            rows = get_json(base, "/archive/latest_by_province.json", province=name, _shape="array")
            assert [r["title"] for r in rows] == [NHANDAN["title"], BAOLAOCAI["title"]], name  # newest first
        rows = get_json(base, "/archive/latest_by_province.json", province="national", _shape="array")
        assert [r["title"] for r in rows] == [VNEXPRESS["title"]]
        rows = get_json(base, "/archive/search.json", q="thanh tra", province="yen bai", _shape="array")
        assert [r["title"] for r in rows] == [NHANDAN["title"]]
        facet = get_json(base, "/archive/article_provinces.json")["facet_results"]["province"]["results"]
        assert {v["value"]: v["count"] for v in facet} == {"Lào Cai": 2, NATIONAL: 1}
        per_day = get_json(base, "/archive/articles_per_day_per_province.json", _shape="array")
        assert {(r["day"], r["province"]) for r in per_day} == {
            ("2026-03-06", "Lào Cai"), ("2026-03-05", "Lào Cai"), ("2026-03-04", NATIONAL)}


def test_on_the_demo_a_national_papers_article_is_listed_under_its_province(demo):
    base, _ = demo
    rows = get_json(base, "/demo/latest_by_province.json", province="yen bai", _shape="array", _size="max")
    papers = {r["site"] for r in rows}
    assert "Lào Cai: thanh tra việc giao đất, cho thuê đất tại các xã vùng cao" in [r["title"] for r in rows]
    assert {"baolaocai", "nhandan"} <= papers
    national = get_json(base, "/demo/latest_by_province.json", province="national", _shape="array", _size="max")
    assert national and all(json.loads(r["provinces"]) == [] for r in national)
