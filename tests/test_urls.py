import pytest

from common.urls import BadURL, article_canonical, canonical_url, same_site

ALIASES = {"baovinhphuc.com.vn": "baophutho.vn", "www.baovinhphuc.com.vn": "baophutho.vn",
           "baoyenbai.com.vn": "baolaocai.vn"}


@pytest.mark.parametrize("url, expected", [
    # scheme and host
    ("http://baolaocai.vn/a-404649.html", "https://baolaocai.vn/a-404649.html"),
    ("https://WWW.BaoLaoCai.VN/a-404649.html", "https://baolaocai.vn/a-404649.html"),
    ("https://m.dantri.com.vn/xa-hoi/a.htm", "https://dantri.com.vn/xa-hoi/a.htm"),
    ("https://amp.tuoitre.vn/a.htm", "https://tuoitre.vn/a.htm"),
    ("https://www.m.vietnamnet.vn/a.html", "https://vietnamnet.vn/a.html"),
    ("https://baolaocai.vn:443/a.html", "https://baolaocai.vn/a.html"),
    ("http://baolaocai.vn:80/a.html", "https://baolaocai.vn/a.html"),
    ("https://baolaocai.vn./a.html", "https://baolaocai.vn/a.html"),
    ("//plo.vn/a-post874982.html", "https://plo.vn/a-post874982.html"),
    ("  https://plo.vn/a.html \n", "https://plo.vn/a.html"),
    ("https://m.vn/a.html", "https://m.vn/a.html"),  # a two-label host keeps its name
    # AMP variants
    ("https://vnexpress.net/amp/a-4954454.html", "https://vnexpress.net/a-4954454.html"),
    ("https://dantri.com.vn/a.htm/amp", "https://dantri.com.vn/a.htm"),
    ("https://tuoitre.vn/a.amp.htm", "https://tuoitre.vn/a.htm"),
    ("https://cafef.vn/a.amp", "https://cafef.vn/a"),
    ("https://plo.vn/a.html?amp", "https://plo.vn/a.html"),
    ("https://plo.vn/a.html?amp=1", "https://plo.vn/a.html"),
    ("https://plo.vn/a.html?outputType=amp", "https://plo.vn/a.html"),
    ("https://plo.vn/example/a.html", "https://plo.vn/example/a.html"),  # "amp" inside a word stays
    ("https://plo.vn/camp/a.html", "https://plo.vn/camp/a.html"),
    # tracking parameters
    ("https://plo.vn/a.html?utm_source=fb&utm_medium=social&utm_campaign=x", "https://plo.vn/a.html"),
    ("https://plo.vn/a.html?fbclid=IwAR0abc", "https://plo.vn/a.html"),
    ("https://plo.vn/a.html?gclid=1&_ga=2.1&_gl=3", "https://plo.vn/a.html"),
    ("https://baolaocai.vn/a.html?zarsrc=30&utm_source=zalo&utm_medium=zalo&gidzl=Ab-1", "https://baolaocai.vn/a.html"),
    ("https://plo.vn/a.html?mc_cid=1&mc_eid=2&ref=home", "https://plo.vn/a.html"),
    ("https://plo.vn/a.html?UTM_SOURCE=x", "https://plo.vn/a.html"),
    # remaining parameters sorted, kept
    ("https://baochinhphu.vn/news.aspx?id=5&cat=2", "https://baochinhphu.vn/news.aspx?cat=2&id=5"),
    ("https://baochinhphu.vn/news.aspx?utm_source=a&id=5", "https://baochinhphu.vn/news.aspx?id=5"),
    ("https://baochinhphu.vn/news.aspx?page=", "https://baochinhphu.vn/news.aspx?page="),
    ("https://baochinhphu.vn/tim?q=H%C3%B2a+B%C3%ACnh", "https://baochinhphu.vn/tim?q=H%C3%B2a%20B%C3%ACnh"),
    # fragment and trailing slash
    ("https://plo.vn/a.html#comments", "https://plo.vn/a.html"),
    ("https://plo.vn/thoi-su/", "https://plo.vn/thoi-su"),
    ("https://plo.vn/thoi-su//a.html", "https://plo.vn/thoi-su/a.html"),
    ("https://plo.vn", "https://plo.vn/"),
    ("https://plo.vn/", "https://plo.vn/"),
    ("https://plo.vn/a/./b/../c.html", "https://plo.vn/a/c.html"),
    # percent-encoding
    ("https://plo.vn/%7Etin/a.html", "https://plo.vn/~tin/a.html"),
    ("https://plo.vn/tin-t%e1%bb%a9c.html", "https://plo.vn/tin-t%E1%BB%A9c.html"),
    ("https://plo.vn/tin-tức.html", "https://plo.vn/tin-t%E1%BB%A9c.html"),
    ("https://plo.vn/tin-tu\u0301c.html", "https://plo.vn/tin-t%C3%BAc.html"),  # NFD → NFC first
    ("https://plo.vn/a%20b.html", "https://plo.vn/a%20b.html"),
    ("https://plo.vn/a b.html", "https://plo.vn/a%20b.html"),
])
def test_url_variants_canonicalise_to_one_form(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize("url, expected", [
    ("https://baovinhphuc.com.vn/a-1.html", "https://baophutho.vn/a-1.html"),
    ("http://www.baovinhphuc.com.vn/a-1.html", "https://baophutho.vn/a-1.html"),
    ("https://m.baovinhphuc.com.vn/a-1.html", "https://baophutho.vn/a-1.html"),
    ("https://baoyenbai.com.vn/12/a.html", "https://baolaocai.vn/12/a.html"),
    ("https://baolaocai.vn/a.html", "https://baolaocai.vn/a.html"),
])
def test_old_domains_map_to_the_current_one(url, expected):
    assert canonical_url(url, ALIASES) == expected


def test_canonical_form_is_a_fixed_point():
    url = "http://m.plo.vn/amp/tin-tức/a.html/?utm_source=x&b=2&a=1#top"
    once = canonical_url(url)
    assert canonical_url(once) == once == "https://plo.vn/tin-t%E1%BB%A9c/a.html?a=1&b=2"


@pytest.mark.parametrize("url", ["", "   ", "ftp://plo.vn/a", "mailto:x@plo.vn", "/relative/a.html", "https://",
                                 "http://[::1", "https://plo.vn:99999/a"])
def test_non_http_urls_are_refused(url):
    with pytest.raises(BadURL):
        canonical_url(url)


def test_declared_canonical_on_the_same_site_is_honoured():
    got = article_canonical("https://m.plo.vn/a-post874982.html?utm_source=x",
                            "https://plo.vn/doan-dai-bieu-post874982.html")
    assert got == "https://plo.vn/doan-dai-bieu-post874982.html"


@pytest.mark.parametrize("declared", [
    "https://baomoi.com/doan-dai-bieu-c/874982.epi",   # an aggregator
    "https://plo.vn/",                                   # the homepage
    "not a url",
    None,
])
def test_declared_canonical_elsewhere_is_ignored(declared):
    assert article_canonical("https://plo.vn/a-post874982.html", declared) == "https://plo.vn/a-post874982.html"


def test_declared_canonical_on_an_old_domain_of_the_site_counts_as_same_site():
    got = article_canonical("https://baophutho.vn/a-1.html", "http://baovinhphuc.com.vn/b-1.html", ALIASES)
    assert got == "https://baophutho.vn/b-1.html"
    assert same_site("https://baovinhphuc.com.vn/x", "https://www.baophutho.vn/y", ALIASES)
    assert not same_site("https://plo.vn/x", "https://tuoitre.vn/x")
