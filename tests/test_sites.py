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
    ("vinh phuc", ["baovinhphuc"]),                  # a pre-merger name, without accents
    ("THANH HOÁ", ["baothanhhoa"]),                  # old tone placement, upper case
    ("Đà Nẵng", ["baodanang"]),
    ("Sơn La", []),
])
def test_select_sites_by_province_after_or_before_the_merger(name, slugs):
    assert [s.slug for s in select_sites(name)] == slugs


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


def test_sites_command_unknown_province_is_one_line_error():
    result = CliRunner().invoke(cli, ["sites", "--province", "Atlantis"])
    assert result.exit_code == 1
    assert result.output == "Error: no registered site covers the province 'Atlantis'\n"
