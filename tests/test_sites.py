"""The site registry: its data is well-formed, verified entries match real saved pages, lookups work."""

import gzip
import json
import re
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from cli.main import cli
from crawler.discovery import feeds_from_html, links_from_page
from crawler.sites import (
    CMS_FAMILIES,
    RegistryError,
    UnknownSite,
    bare_host,
    get_site,
    host_aliases,
    load_sites,
    parse_registry,
    load_provinces,
    resolve_province,
    select_sites,
    site_for_url,
)

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
SITES = load_sites()

# Real article URLs of saved pages (shared/corpora/vi-news/manifest.tsv).
SAVED_ARTICLES = [
    "https://vnexpress.net/dau-bung-keo-dai-phat-hien-ung-thu-lymphoma-ruot-non-4954454.html",
    "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html",
    "https://plo.vn/doan-dai-bieu-tphcm-dang-hoa-tuong-niem-cac-anh-hung-liet-si-tai-binh-duong-ba-ria-vung-tau-cu-post874982.html",
    "https://baochinhphu.vn/chinh-sach-moi-co-hieu-luc-tu-thang-3-2026-102260228093004191.htm",
    "https://cafef.vn/thoi-diem-nang-hang-can-ke-mbs-diem-ten-30-co-phieu-viet-nam-co-kha-nang-lot-ro-chi-so-ftse-18826030622484142.chn",
    "https://dantri.com.vn/kinh-doanh/gia-vang-giam-van-cao-hon-the-gioi-gan-20-trieu-dongluong-20260307080054340.htm",
    "https://tuoitre.vn/chien-su-day-gia-hoa-nhap-khau-dip-8-3-tang-manh-20260307075519174.htm",
    "https://vietnamnet.vn/co-phieu-flc-duoc-giao-dich-tro-lai-2495349.html",
]
# The saved page of each verified site: (fixture, the URL it was saved from).
SAVED_PAGES = {
    "vnexpress": ("vnexpress-list", "https://vnexpress.net/kinh-doanh"),
    "tuoitre": ("tuoitre-list", "https://tuoitre.vn/kinh-doanh.htm"),
    "dantri": ("dantri-list", "https://dantri.com.vn/kinh-doanh.htm"),
    "vietnamnet": ("vietnamnet-list", "https://vietnamnet.vn/kinh-doanh"),
    "baochinhphu": ("baochinhphu-list", "https://baochinhphu.vn/chinh-sach-va-cuoc-song/chinh-sach-moi.htm"),
    "cafef": ("cafef-list", "https://cafef.vn/thi-truong-chung-khoan.chn"),
    "plo": ("plo-874982", SAVED_ARTICLES[2]),
    "baolaocai": ("baolaocai-404649", SAVED_ARTICLES[1]),
}


def saved_page(name: str) -> bytes:
    return gzip.decompress((FIXTURES / f"{name}.html.gz").read_bytes())


def test_registry_holds_national_outlets_and_provincial_papers():
    national = [s for s in SITES.values() if s.national]
    provincial = [s for s in SITES.values() if not s.national]
    assert len(SITES) >= 25
    assert len(national) >= 10 and len(provincial) >= 12


@pytest.mark.parametrize("slug", sorted(SITES))
def test_site_entry_is_well_formed(slug):
    site = SITES[slug]
    assert site.slug == slug
    assert site.cms in CMS_FAMILIES
    assert all(d == bare_host(d) and "." in d for d in site.domains + site.old_domains)
    re.compile(site.article_pattern)
    for text in (site.name, site.province, site.province_before, site.note):
        assert text == unicodedata.normalize("NFC", text)
    # provincial papers name both provinces, national outlets none
    assert bool(site.province) == bool(site.province_before) == (not site.national)
    for url in site.feeds + site.sitemaps + site.sections:
        assert bare_host(urlsplit(url).hostname) in site.domains, url
    if not site.verified:
        assert site.note, "an unverified entry says where its facts come from"


@pytest.mark.parametrize("slug", sorted(SAVED_PAGES))
def test_verified_site_sections_are_linked_from_its_saved_page(slug):
    site = get_site(slug)
    name, url = SAVED_PAGES[slug]
    links = set(links_from_page(saved_page(name), url))
    assert site.verified
    assert site.sections and set(site.sections) <= links


@pytest.mark.parametrize("slug", sorted(SAVED_PAGES))
def test_feeds_advertised_by_saved_pages_are_registered_unless_known_broken(slug):
    site = get_site(slug)
    name, url = SAVED_PAGES[slug]
    advertised = feeds_from_html(saved_page(name), url)
    if slug == "vietnamnet":
        # pages still link .rss feeds, but the RSS service is discontinued site-wide
        assert advertised and not site.feeds
    else:
        assert set(advertised) <= set(site.feeds)


@pytest.mark.parametrize("url", SAVED_ARTICLES)
def test_saved_article_urls_match_their_sites_pattern(url):
    site = site_for_url(url)
    assert site is not None and site.verified
    assert re.search(site.article_pattern, urlsplit(url).path)


def test_only_sites_with_a_saved_page_are_verified():
    assert {s.slug for s in SITES.values() if s.verified} == set(SAVED_PAGES)


def test_merged_province_is_recorded_beside_the_old_one():
    vinhphuc = get_site("baovinhphuc")
    assert (vinhphuc.province_before, vinhphuc.province) == ("Vĩnh Phúc", "Phú Thọ")
    assert get_site("baophutho").province == "Phú Thọ"


def test_known_broken_feeds_are_not_registered():
    assert get_site("vietnamnet").feeds == ()
    assert get_site("baodautu").feeds == ()
    assert get_site("vietnamnet").sections and get_site("baodautu").sections


def test_get_site_unknown_names_the_known_slugs():
    with pytest.raises(UnknownSite) as err:
        get_site("baokhongco")
    assert str(err.value).startswith("unknown site 'baokhongco' (known: ")
    assert "baolaocai" in str(err.value)
    assert isinstance(err.value, KeyError)


@pytest.mark.parametrize("url, slug", [
    ("https://vnexpress.net/x-4954454.html", "vnexpress"),
    ("https://www.vnexpress.net/x-4954454.html", "vnexpress"),
    ("https://m.cafef.vn/thi-truong-chung-khoan.chn", "cafef"),
    ("http://AMP.Tuoitre.VN:443/a.htm", "tuoitre"),
    ("https://www.sggp.org.vn/", "sggp"),
    ("https://baoquangninh.com.vn/old-page", "baoquangninh"),
    ("https://www.hanoimoi.com.vn/tin-tuc/1.html", "hanoimoi"),
    ("https://nhandan.org.vn/chinhtri/x", "nhandan"),
    ("https://baovinhphuc.com.vn/tin-tuc/1", "baovinhphuc"),
    ("baolaocai.vn/chinh-tri/", "baolaocai"),
])
def test_site_for_url_finds_site_by_any_host_form(url, slug):
    assert site_for_url(url).slug == slug


@pytest.mark.parametrize("url", [
    "https://en.baochinhphu.vn/x.htm",      # another edition is another site
    "https://e.vnexpress.net/news/x.html",
    "https://example.com/a-post1.html",
    "https://vnexpress.net.evil.com/a",
    "not a url",
    "http://[vnexpress.net/a",
    "",
])
def test_site_for_url_is_none_for_unknown_hosts(url):
    assert site_for_url(url) is None


def test_host_aliases_send_old_domains_and_prefixed_hosts_to_the_main_domain():
    aliases = host_aliases()
    assert aliases["baoquangninh.com.vn"] == "baoquangninh.vn"
    assert aliases["www.baoquangninh.com.vn"] == "baoquangninh.vn"
    assert aliases["m.baohaiphong.com.vn"] == "baohaiphong.vn"
    assert aliases["amp.tuoitre.vn"] == "tuoitre.vn"
    assert aliases["www.nhandan.com.vn"] == "nhandan.vn"
    for site in SITES.values():
        assert aliases[site.domain] == site.domain
        assert aliases["www." + site.domain] == site.domain


def test_host_aliases_do_not_merge_a_merged_provinces_old_paper():
    # Báo Vĩnh Phúc's content is not known to have moved to baophutho.vn: keep its own domain.
    assert host_aliases()["baovinhphuc.com.vn"] == "baovinhphuc.com.vn"
    assert "baovinhphuc.com.vn" not in get_site("baophutho").old_domains


GOOD = '''
[[site]]
slug = "baoa"
domains = ["baoa.vn"]
cms = "cms"
'''


@pytest.mark.parametrize("text, message", [
    (GOOD + GOOD, "registered twice"),
    (GOOD + GOOD.replace('"baoa"', '"baob"'), "belongs to both"),
    (GOOD.replace('"cms"', '"wordpress"'), "unknown cms 'wordpress'"),
    (GOOD + "article_pattern = '-post(\\d+'\n", "bad article_pattern"),
    (GOOD + 'feeds = ["/rss/home.rss"]\n', "not an absolute URL"),
    (GOOD + '[site.selectors]\ntitle = "h1"\n', "must be a list of CSS selectors"),
    (GOOD + '[site.selectors]\nheadline = ["h1"]\n', "unknown selector keys"),
    (GOOD.replace('domains = ["baoa.vn"]', "domains = []"), "has no domains"),
    (GOOD.replace('"baoa"', '"Báo A"'), "bad slug"),
    ("[[site]\nslug=", "not valid TOML"),
])
def test_broken_registry_entries_are_refused_with_the_reason(text, message):
    with pytest.raises(RegistryError, match=re.escape(message)):
        parse_registry(text)


def test_registry_entry_defaults_and_host_normalisation():
    sites = parse_registry(GOOD.replace('["baoa.vn"]', '["WWW.BaoA.vn", "m.baoa.com.vn"]'))
    site = sites["baoa"]
    assert site.domains == ("baoa.vn", "baoa.com.vn")
    assert (site.national, site.verified, site.feeds, site.selectors) == (False, False, (), {})
    assert site.start_url == "https://baoa.vn/"
    assert len({site, *SITES.values()}) == len(SITES) + 1   # hashable despite its selectors dict


@pytest.mark.parametrize("name, slugs", [
    ("Phú Thọ", ["baophutho", "baovinhphuc"]),      # the merged province holds the old paper too
    ("vinh phuc", ["baophutho", "baovinhphuc"]),     # a pre-merger name: its old paper and today's province's
    ("Yên Bái", ["baolaocai"]),                      # merged into Lào Cai, no paper of its own registered
    ("Bắc Giang", ["baobacninhtv"]),
    ("Bến Tre", ["baodongkhoi", "baotravinh", "baovinhlong"]),
    ("THANH HOÁ", ["baothanhhoa"]),                  # old tone placement, upper case
    ("Đà Nẵng", ["baodanang"]),
    ("TP.HCM", ["baobinhduong", "sggp"]),
    ("TP Hồ Chí Minh", ["baobinhduong", "sggp"]),
    ("hcm", ["baobinhduong", "sggp"]),
    ("Bà Rịa - Vũng Tàu", ["baobinhduong", "sggp"]),
    ("Bà Rịa–Vũng Tàu", ["baobinhduong", "sggp"]),
    ("Thừa Thiên Huế", ["huengaynay"]),
    ("Atlantis", []),
    ("Tây Nguyên", ["baodaklak", "baogialai", "baolamdong"]),   # a region: the outlets of its provinces
    ("central highlands", ["baodaklak", "baogialai", "baolamdong"]),
])
def test_select_sites_by_province_after_or_before_the_merger(name, slugs):
    assert [s.slug for s in select_sites(name)] == slugs


@pytest.mark.parametrize("spelling, names", [
    ("TP.HCM", ("Hồ Chí Minh", None)),
    ("TP Hồ Chí Minh", ("Hồ Chí Minh", "Hồ Chí Minh")),
    ("Thành phố Hồ Chí Minh", ("Hồ Chí Minh", "Hồ Chí Minh")),
    ("hcm", ("Hồ Chí Minh", None)),
    ("Sài Gòn", ("Hồ Chí Minh", None)),
    ("Thừa Thiên Huế", ("Huế", "Thừa Thiên Huế")),
    ("TT-Huế", ("Huế", "Thừa Thiên Huế")),
    ("hue", ("Huế", None)),
    ("Bà Rịa - Vũng Tàu", ("Hồ Chí Minh", "Bà Rịa - Vũng Tàu")),
    ("ba ria vung tau", ("Hồ Chí Minh", "Bà Rịa - Vũng Tàu")),
    ("BRVT", ("Hồ Chí Minh", "Bà Rịa - Vũng Tàu")),
    ("Yên Bái", ("Lào Cai", "Yên Bái")),
    ("Tỉnh Đắk Nông", ("Lâm Đồng", "Đắk Nông")),
    ("Dak Lak", ("Đắk Lắk", "Đắk Lắk")),
    ("Bắc Cạn", ("Thái Nguyên", "Bắc Kạn")),
    ("Khánh Hoà", ("Khánh Hòa", "Khánh Hòa")),
    ("Atlantis", (None, None)),
])
def test_a_province_is_found_by_any_common_spelling(spelling, names):
    assert resolve_province(spelling) == names


def test_the_gazetteer_holds_34_provinces_made_of_the_63_before_the_merger():
    provinces = load_provinces()
    before = [old for p in provinces for old in p.before]
    assert len(provinces) == 34 and len({p.name for p in provinces}) == 34
    assert len(before) == 63 and len(set(before)) == 63   # each old province in exactly one new one
    unchanged = [p.name for p in provinces if p.before == (p.name,)]
    assert len(unchanged) == 10 and get_province("Huế").before == ("Thừa Thiên Huế",)   # + Huế, renamed
    assert get_province("Hồ Chí Minh").before == ("Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu")


def get_province(name):
    return next(p for p in load_provinces() if p.name == name)


@pytest.mark.parametrize("province", [p.name for p in load_provinces()])
def test_every_province_since_the_merger_has_a_provincial_outlet(province):
    assert [s for s in select_sites(province) if not s.national]


@pytest.mark.parametrize("old", [old for p in load_provinces() for old in p.before])
def test_every_province_before_the_merger_maps_to_an_outlet(old):
    assert select_sites(old)


@pytest.mark.parametrize("slug", sorted(s.slug for s in SITES.values() if not s.national))
def test_provincial_entries_name_gazetteer_provinces_and_the_right_merger(slug):
    site = SITES[slug]
    assert site.province in {p.name for p in load_provinces()}
    assert resolve_province(site.province_before) == (site.province, site.province_before)


# Old papers of merged provinces (shared/notes/vi-news-sites.md §7): their domains are not known
# to serve their pages under the merged paper's domain, so none may be an alias of it.
OLD_PAPERS_OF_MERGED_PROVINCES = [
    "baoyenbai.com.vn", "baovinhphuc.com.vn", "baobacgiang.com.vn", "baobacgiang.vn", "baohagiang.vn",
    "baobackan.org.vn", "baohoabinh.com.vn", "baothaibinh.com.vn", "baohaiduong.vn", "baohanam.com.vn",
    "baonamdinh.com.vn", "baoquangbinh.vn", "baoquangnam.vn", "baokontum.com.vn", "baobinhdinh.vn",
    "baoninhthuan.com.vn", "baodaknong.org.vn", "baobinhthuan.com.vn", "baophuyen.com.vn",
    "baobariavungtau.com.vn", "baobinhphuoc.com.vn", "baolongan.vn", "baosoctrang.org.vn",
    "baotravinh.vn", "baoapbac.vn", "baobaclieu.vn", "baokiengiang.vn",
]


@pytest.mark.parametrize("host", OLD_PAPERS_OF_MERGED_PROVINCES)
def test_an_old_papers_domain_is_no_alias_of_the_merged_paper(host):
    site = site_for_url(f"https://{host}/")
    assert site is None or host in site.domains   # unknown, or an entry of its own (baovinhphuc)
    assert host_aliases().get(host, host) == host


def test_bentres_old_domain_is_an_alias_because_its_pages_are_served_on_the_new_host():
    assert host_aliases()["baodongkhoi.vn"] == "dongkhoi.baovinhlong.vn"
    assert get_site("baodongkhoi").province_before == "Bến Tre"


# Article URLs of the notes' examples (ids quoted in shared/notes and the registry's notes) and
# listing URLs the notes describe: each site's pattern takes the first and not the second.
@pytest.mark.parametrize("slug, path, article", [
    ("tienphong", "/bai-viet-post1806382.tpo", True),
    ("qdnd", "/chinh-tri/bai-viet-1020977", True),
    ("nld", "/bai-viet-196250821135822527.htm", True),
    ("vietnamplus", "/bai-viet-post1101437.vnp", True),
    ("znews", "/bai-viet-post1281985.html", True),
    ("baophutho", "/bai-viet-245476.htm", True),
    ("baothanhhoa", "/bai-viet-265228.htm", True),
    ("baoquangninh", "/bai-viet-3164333.html", True),
    ("baogialai", "/bai-viet-post596298.html", True),
    ("baodanang", "/bai-viet-3235682.html", True),
    ("baohaiphong", "/bai-viet-541045.html", True),
    ("baonghean", "/bai-viet-10333605.html", True),
    ("baonghean", "/chu-de-event123.html", False),          # topic aggregates
    ("baohaugiang", "/thoi-su-215.html", False),            # a category
    ("baohaugiang", "/thoi-su/bai-viet-215.html", True),
    ("baosonla", "/thoi-su.html", False),
    ("baosonla", "/thoi-su/bai-viet-12345.html", True),
    ("baovinhlong", "/thoi-su/", False),
    ("baovinhlong", "/thoi-su/202506/bai-viet-1a2b3c/", True),
    ("baotuyenquang", "/thoi-su-chinh-tri/tin-tuc/", False),
    ("baotuyenquang", "/thoi-su-chinh-tri/tin-tuc/202506/bai-viet/", True),
    ("baodienbienphu", "/tin-bai/chinh-tri/bai-viet", True),
    ("baodienbienphu", "/tin-tuc/chinh-tri", False),
    ("baokhanhhoa", "/xa-hoi/202506/bai-viet-1a2b3c4/", True),
    ("baodongnai", "/202506/bai-viet-1a2b3c4/", True),
    ("baoninhbinh", "/bai-viet-123456789012345.html", True),
    ("baoninhbinh", "/bai-viet-1234.html", False),
    ("baolaichau", "/thoi-su", False),
    ("baolaichau", "/thoi-su/bai-viet-12345", True),
])
def test_article_patterns_take_the_notes_example_urls(slug, path, article):
    assert bool(re.search(get_site(slug).article_pattern, path)) == article


@pytest.mark.parametrize("slug", sorted(s for s in SITES if SITES[s].selectors))
def test_every_selector_is_one_the_extractor_can_run(slug):
    from pipelines.clean_dom import css
    for selectors in SITES[slug].selectors.values():
        for selector in selectors:
            css(selector)


def test_sites_command_lists_a_province_with_its_old_paper():
    result = CliRunner().invoke(cli, ["sites", "--province", "phu tho"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "baophutho      own          -         Phú Thọ",
        "baovinhphuc    own          -         Phú Thọ (was Vĩnh Phúc)",
    ]


def test_sites_command_json_lines_round_trip_every_site():
    result = CliRunner().invoke(cli, ["sites", "--json"])
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert result.exit_code == 0
    assert [r["slug"] for r in rows] == sorted(SITES)
    assert rows[0]["domains"] == list(SITES[rows[0]["slug"]].domains)


@pytest.mark.parametrize("name, first", [
    ("Yên Bái", "baolaocai      cms          verified  Lào Cai"),
    ("Bắc Giang", "baobacninhtv   own          -         Bắc Ninh"),
    ("TP.HCM", "baobinhduong   content-fck  -         Hồ Chí Minh (was Bình Dương)"),
    ("hcm", "baobinhduong   content-fck  -         Hồ Chí Minh (was Bình Dương)"),
])
def test_sites_command_finds_a_province_by_an_old_name_or_a_common_spelling(name, first):
    result = CliRunner().invoke(cli, ["sites", "--province", name])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == first


def test_sites_coverage_lists_every_province_with_its_old_ones_and_counts_them():
    result = CliRunner().invoke(cli, ["sites", "--coverage"])
    lines = result.output.splitlines()
    assert result.exit_code == 0
    assert lines[0].split() == ["province", "before", "the", "merger", "outlets", "(*", "verified)"]
    assert len(lines) == 36
    assert re.match(r"Lào Cai\s+Lào Cai, Yên Bái\s+baolaocai\*$", lines[13])
    assert re.match(r"Phú Thọ\s+Phú Thọ, Vĩnh Phúc, Hòa Bình\s+baophutho, baovinhphuc \(was Vĩnh Phúc\)$", lines[15])
    verified = sum(s.verified for s in SITES.values())
    provincial = sum(not s.national for s in SITES.values())
    assert lines[-1] == (f"34/34 provinces and 63/63 before the merger have an outlet; {provincial} provincial and"
                         f" {len(SITES) - provincial} national outlets, {verified} of {len(SITES)} verified")


def test_sites_coverage_json_and_one_province():
    rows = [json.loads(line) for line in CliRunner().invoke(cli, ["sites", "--coverage", "--json"]).output.splitlines()]
    assert len(rows) == 34 and all(r["outlets"] for r in rows)
    hcm = CliRunner().invoke(cli, ["sites", "--coverage", "--province", "hcm", "--json"])
    assert [json.loads(line)["province"] for line in hcm.output.splitlines()] == ["Hồ Chí Minh"]
    assert CliRunner().invoke(cli, ["sites", "--coverage", "--province", "Atlantis"]).output == \
        "Error: no province is called 'Atlantis'\n"


def test_sites_command_unknown_province_is_one_line_error():
    result = CliRunner().invoke(cli, ["sites", "--province", "Atlantis"])
    assert result.exit_code == 1
    assert result.output == "Error: no registered site covers the province 'Atlantis'\n"
