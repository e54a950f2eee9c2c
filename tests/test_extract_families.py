"""Each family in crawler/sites/families.toml reads the markup the notes describe for its outlets
(vi-news-sites.md §1–§2). Pages are minimal copies of that markup, detected by DOM signature with
no registry entry (the hosts are example hosts)."""
import pytest

from pipelines.clean_dom import css
from pipelines.extract import extract_article, load_families

P1 = "Đoạn thứ nhất của bài viết, đủ dài để là một đoạn văn thật sự trong bài báo điện tử."
P2 = "Đoạn thứ hai của bài viết kể tiếp câu chuyện với nhiều chi tiết hơn cho người đọc."
HEAD = ('<head><meta property="og:title" content="Tiêu đề bài viết mẫu - Báo Mẫu">'
        '<meta property="article:published_time" content="2026-03-07T08:06:00+07:00"></head>')

LAYOUTS = {
    "afcbc@1": f"""<h1 class="detail-title">Tiêu đề bài viết mẫu</h1><div class="detail-author">Anh Thư - Ngọc Lan</div>
        <div class="detail-time"><div data-role="publishdate">07/03/2026 08:06 GMT+7</div></div>
        <h2 class="detail-sapo">(NLĐO)- Lời dẫn của bài viết mẫu.</h2>
        <div class="detail-cmain"><div class="detail-content afcbc-body" data-role="content"><p>{P1}</p>
        <script>var ads = "quảng cáo";</script>
        <div class="VCSortableInPreviewMode" type="RelatedNewsBox"><a href="/tin-khac-196260307.htm">Tin liên quan: Một tin khác đã đăng hôm qua</a></div>
        <p>{P2}</p></div><div class="box-author-detail">Anh Thư - Ngọc Lan</div></div>""",
    "znews@1": f"""<article class="the-article"><h1 class="the-article-title">Tiêu đề bài viết mẫu</h1>
        <ul><li class="the-article-publish">Thứ ba, 23/12/2025 09:02 (GMT+7)</li></ul>
        <p class="the-article-summary">Lời dẫn của bài viết mẫu.</p>
        <div class="the-article-body"><p>{P1}</p><table class="picture"><tr><td><img src="/a.jpg"></td></tr>
        <tr><td class="pCaption caption">Chú thích ảnh mẫu. Ảnh: Zing</td></tr></table>
        <div id="innerarticle" class="inner-article"><a href="/khac-post1.html">Một tin khác đã đăng hôm qua</a></div>
        <p>{P2}</p></div><div class="the-article-credit"><p class="author">Anh Thư</p></div></article>""",
    "vtcnews@1": f"""<div class="logo"><h1>VTC News</h1></div><section><h1 class="font28 bold">Tiêu đề bài viết mẫu</h1>
        <span class="time-update">Thứ Tư, 24/12/2025 09:30:00 +07:00</span>
        <h2 class="font18 bold inline-nb">Lời dẫn của bài viết mẫu.</h2>
        <div class="edittor-content"><p>{P1}</p>
        <div class="relate-listnews"><a href="/khac-ar1.html">Một tin khác đã đăng hôm qua</a><span>0</span></div>
        <p>{P2}</p></div><div class="author-make">Anh Thư</div></section>""",
    "baodautu@1": f"""<div class="title-detail">Tiêu đề bài viết mẫu</div><span class="post-time">- 07/03/2026 08:47</span>
        <a class="author" href="/tac-gia">Anh Thư</a><div class="sapo_detail">Lời dẫn của bài viết mẫu.</div>
        <div id="content_detail_news"><p>{P1}</p>
        <div class="news_relate_one"><a href="/khac-d1.html">Một tin khác đã đăng hôm qua</a></div><p>{P2}</p></div>""",
    "sc-longform@1": f"""<article class="entry"><div class="sc-longform-header">
        <h1 class="sc-longform-header-title">Tiêu đề bài viết mẫu</h1>
        <p class="sc-longform-header-sapo">Lời dẫn của bài viết mẫu.</p></div>
        <p>{P1}</p><div class="sc-related-articles"><a href="/khac-1.html">Một tin khác đã đăng hôm qua</a></div>
        <p>{P2}</p><p style="text-align:right"><strong>Anh Thư</strong></p></article>""",
    "cms@1": f"""<div class="article"><div class="breadcrumb">Thời sự</div>
        <h1 class="article__title cms-title">Tiêu đề bài viết mẫu</h1>
        <div class="article__sapo cms-desc">Lời dẫn của bài viết mẫu.</div>
        <div class="article__body zce-content-body cms-body"><p>{P1}</p>
        <div class="article-relate"><a href="/khac-post1.html">Một tin khác đã đăng hôm qua</a></div>
        <p>{P2}</p><p>Theo TTXVN</p></div>
        <div class="article__tags">Từ khóa: <a href="/tag">#mẫu</a></div></div>""",
}


def page(layout: str) -> str:
    return f"<html>{HEAD}<body>{LAYOUTS[layout]}</body></html>"


@pytest.mark.parametrize("extractor", sorted(LAYOUTS))
def test_family_layout_gives_the_article_and_drops_its_boxes(extractor):
    article = extract_article(page(extractor), "https://example.vn/tieu-de-bai-viet-mau-post123456.html")
    assert article["extractor"] == extractor
    assert article["title"] == "Tiêu đề bài viết mẫu"
    assert article["sapo"].endswith("Lời dẫn của bài viết mẫu.")
    lines = article["body"].split("\n")
    assert lines[0] == P1 and lines[-1] == P2
    assert "Một tin khác" not in article["body"]
    assert [r["title"] for r in article["related"]][:1] == ["Một tin khác đã đăng hôm qua"]
    assert article["authors"] in (["Anh Thư"], ["Anh Thư", "Ngọc Lan"], ["TTXVN"])
    assert article["published_at"] == "2026-03-07T08:06:00+07:00"


def test_znews_caption_in_a_table_cell_is_a_caption_line():
    article = extract_article(page("znews@1"), "https://example.vn/tieu-de-post123456.html")
    assert article["body"].split("\n")[1] == "Chú thích ảnh mẫu. Ảnh: Zing"
    assert article["images"][0]["caption"] == "Chú thích ảnh mẫu. Ảnh: Zing"


def test_every_family_has_a_version_a_signature_and_a_body_and_every_selector_compiles():
    families, common = load_families()
    assert common["junk"] and common["related"]
    for fam in families:
        assert fam.version >= 1 and fam.signature and fam.body, fam.name
        for key in ("signature", "title", "sapo", "body", "authors", "date", "junk", "related"):
            for selector in getattr(fam, key):
                css(selector)  # raises on a selector cssselect cannot read
    for selectors in common.values():
        for selector in selectors:
            css(selector)


def test_a_redesign_adds_a_version_and_pages_of_the_old_design_still_find_the_old_one(monkeypatch):
    import gzip
    from pathlib import Path

    import pipelines.extract as extract

    families, common = load_families()
    old = extract.family_named("afcbc")
    new = extract.Family("afcbc", old.version + 1, signature=("div.detail-v2",), title=("h1.detail-v2-title",),
                         body=("div.detail-v2-body",))
    monkeypatch.setattr(extract, "load_families", lambda: ((new,) + families, common))
    assert extract.family_named("afcbc").version == old.version + 1
    html = gzip.decompress((Path(__file__).parent / "fixtures" / "pages" / "tuoitre-20260307075519174.html.gz")
                           .read_bytes())
    article = extract_article(html, "https://tuoitre.vn/chien-su-day-gia-hoa-nhap-khau-dip-8-3-tang-manh-20260307075519174.htm")
    assert article["extractor"] == f"afcbc@{old.version}"
    assert article["title"] == "Chiến sự đẩy giá hoa nhập khẩu dịp 8-3 tăng mạnh"
