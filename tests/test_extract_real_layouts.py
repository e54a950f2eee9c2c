"""Layouts checked against real saved pages of outlets outside the vi-news corpus. Each snippet is
modelled on the real markup around the article (element names, classes and the quirks that
mattered are kept; the text is shortened or rewritten). The pages read:
baocantho  tammuoichanhoa/crawl_lastest_news  tmp_baocantho_article.html
baodautu   meth04/tracking_news-mcp           tests/fixtures/baodautu_article.html
znews      tammuoichanhoa/crawl_lastest_news  znews_sample_article.html"""
from pipelines.extract import extract_article
from registered import extract_registered

P1 = "Trong năm, toàn ngành đã triển khai 66.032 cuộc thanh tra, kiểm tra tại 79.894 đơn vị trên cả nước."
P2 = "Phát biểu chỉ đạo hội nghị, Phó Thủ tướng ghi nhận và biểu dương những thành tựu đạt được của ngành."

CANTHO_LEAD = ("(CTO) - Ngày 8-1, Phó Thủ tướng Thường trực Nguyễn Hòa Bình chủ trì hội nghị tổng kết "
               "công tác năm 2025 của ngành Thanh tra.")
# baocantho.com.vn (content-fck): breadcrumb <h1> first, the date above the headline, the lead is
# the first body paragraph with only the agency tag in bold, the byline a right-aligned paragraph.
CANTHO = f"""<html><head><title>Tập trung thanh tra các lĩnh vực có nguy cơ - Báo Cần Thơ Online</title>
<meta name="Description" content="{CANTHO_LEAD}" />
<meta property="og:title" content="Tập trung thanh tra các lĩnh vực có nguy cơ" />
<script type="application/ld+json">{{"@type": "NewsArticle", "datePublished": "2026-01-08"}}</script>
</head><body><div id="content"><div id="colcate1">
<div class="titlecate"><h1><a href="/news/thoi-su/">THỜI SỰ</a><span class="fw400"> > <a href="/thoi-su/can-tho/">Cần Thơ</a></span></h1></div>
<div id="clear" class="sharemxh detail-fb-like-share"><span class="pubdate 128">08/01/2026 - 18:21</span>
<a class="ashare btn-facebook" href="#"><i></i> Chia sẻ Facebook</a></div>
<h1 class="margintopbot10 fw700">Tập trung thanh tra các lĩnh vực có nguy cơ&nbsp;<span class="sprite icophoto"></span></h1>
<div id="newscontents"><div class="content-fck slider-jsgallery 171">
<p style="text-align: justify;"><strong>(CTO)</strong> - Ngày 8-1, Phó Thủ tướng Thường trực Nguyễn Hòa Bình chủ trì hội nghị tổng kết công tác năm 2025 của ngành Thanh tra.</p>
<p style="text-align: justify;">{P1}</p>
<div class="AMN_res_baocantho.com.vn_mid"></div><p><img class="zoomimg" alt="" src="/image/a.webp" /></p>
<p style="text-align: center;"><em><span>Chủ tịch UBND TP Cần Thơ&nbsp;Trương Cảnh Tuyên tham dự hội nghị.</span></em></p>
<p style="text-align: justify;">{P2}</p>
<p style="text-align: right;"><strong>Tin, ảnh: P.Y</strong></p>
</div></div>
<div class="block_tag marginbottom10"><div class="txt_tag">Từ khóa</div>
<a class="tag_item" href="/tim-kiem/ngành Thanh tra.html">ngành Thanh tra</a></div>
<div class="col-xs-12 detail-related"><span class="cate-title"><a class="cate1">Đọc thêm</a></span>
<ul class="related-list"><li><a href="/kiem-tra-cong-tac-bau-cu-a196661.html"><h3 class="b-title">Kiểm tra công tác bầu cử tại xã An Lạc Thôn</h3></a></li></ul></div>
</div></div></body></html>"""
CANTHO_URL = "https://baocantho.com.vn/tap-trung-thanh-tra-a196670.html"


def test_content_fck_lead_with_bold_agency_tag_is_the_sapo():
    article = extract_registered(CANTHO, CANTHO_URL)
    assert article["sapo"] == CANTHO_LEAD
    assert not article["body"].startswith("(CTO)")
    assert article["body"].split("\n")[0] == P1


def test_content_fck_breadcrumb_h1_is_not_the_title_and_the_shown_time_wins_over_a_bare_date():
    article = extract_registered(CANTHO, CANTHO_URL)
    assert article["title"] == "Tập trung thanh tra các lĩnh vực có nguy cơ"
    assert article["published_at"] == "2026-01-08T18:21:00+07:00"
    assert article["authors"] == ["P.Y"]
    assert "Tin, ảnh" not in article["body"] and "Đọc thêm" not in article["body"]
    assert "Chủ tịch UBND TP Cần Thơ Trương Cảnh Tuyên tham dự hội nghị." in article["body"].split("\n")


# znews.vn: headline in <header>, body in <section class="main">, the tag list after the section,
# all inside <article class="the-article">.
ZNEWS = f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8" />
<title>Phát hành dự án tiền ảo, chiếm đoạt tiền</title>
<meta property="article:published_time" content="2025-10-09T12:35:44+07:00" />
<meta property="og:title" content="Phát hành dự án tiền ảo, chiếm đoạt tiền" /></head>
<body><article class="the-article type-text">
  <header class="the-article-header">
    <p class="the-article-category"><a class="parent_cate" href="/phap-luat.html">Pháp luật</a></p>
    <h1 class="the-article-title">
      Phát hành dự án tiền ảo, chiếm đoạt tiền của hơn 3.000 nhà đầu tư
    </h1>
    <ul class="the-article-meta"><li class="the-article-publish">Thứ năm, 9/10/2025 12:35 (GMT+7)</li></ul>
  </header>
  <section class="main">
    <p class="the-article-summary">Công an TP Hà Nội cho biết lực lượng chức năng triệt phá nhóm phát hành tiền ảo.</p>
    <div class="the-article-body"><p>{P1}</p>
      <table class="picture"><tbody><tr><td class="pic"><img data-src="/a.jpg" alt="Ảnh minh họa" /></td></tr>
      <tr><td class="pCaption caption"><p>Ảnh minh họa do cơ quan chức năng cung cấp.</p></td></tr></tbody></table>
      <p>{P2}</p>
    </div>
  </section>
  <ul class="the-article-tags"><li><a href="/topic/ha-noi.html">Hà Nội</a></li>
    <li><a href="/topic/tien-ao.html">Tiền mã hóa</a></li></ul>
</article></body></html>"""


def test_article_scope_is_the_element_holding_headline_and_body_so_its_tag_list_is_read():
    article = extract_registered(ZNEWS, "https://znews.vn/phat-hanh-du-an-tien-ao-post1592000.html")
    assert article["tags"] == ["Hà Nội", "Tiền mã hóa"]
    assert article["title"] == "Phát hành dự án tiền ảo, chiếm đoạt tiền của hơn 3.000 nhà đầu tư"
    assert article["body"].split("\n") == [P1, "Ảnh minh họa do cơ quan chức năng cung cấp.", P2]


def test_znews_inline_teasers_and_the_house_promo_box_are_not_text():
    promo = ('<div class="notebox ncenter"><p><em>Tri Thức - Znews</em> giới thiệu độc giả '
             '<a href="/tieu-diem/tusachkinhte2023.html">Tủ sách kiến thức kinh tế</a> với đa dạng cuốn sách, '
             'câu chuyện trong lĩnh vực kinh doanh, kinh tế.</p></div>')
    teaser = ('<table align="center" class="article"><tbody><tr><td><div class="inner-article">'
              '<a href="https://znews.vn/ky-luc-moi-cua-gia-vang-post1613421.html"><h2 class="title">Kỷ lục mới của giá vàng</h2>'
              '<p class="summary">Trong phiên giao dịch chiều 22/12, giá vàng miếng SJC lập kỷ lục mới.</p></a>'
              '</div></td></tr></tbody></table>')
    html = ZNEWS.replace(f"<p>{P2}</p>", f"<p>{P2}</p> {teaser} {promo}")
    article = extract_registered(html, "https://znews.vn/phat-hanh-du-an-tien-ao-post1592000.html")
    assert article["body"].split("\n")[-1] == P2
    assert "Tủ sách" not in article["body"] and "Kỷ lục mới" not in article["body"]
    assert article["related"] == [{"url": "https://znews.vn/ky-luc-moi-cua-gia-vang-post1613421.html",
                                   "title": "Kỷ lục mới của giá vàng"}]


def test_content_fck_tag_links_and_the_read_more_box_below_the_text_are_kept_as_tags_and_related():
    article = extract_registered(CANTHO, CANTHO_URL)
    assert article["tags"] == ["ngành Thanh tra"]
    assert [r["title"] for r in article["related"]] == ["Kiểm tra công tác bầu cử tại xã An Lạc Thôn"]


# baodautu.vn: headline in a <div>, byline link and "- dd/mm/yyyy hh:mm" above the sapo, a "TIN LIÊN
# QUAN" list between the sapo and the text, a related teaser and "#tag" links after the text.
BAODAUTU = f"""<!doctype html><html lang="vi"><head><meta charset="UTF-8">
<meta name="AUTHOR" content="baodautu.vn" />
<title>Xử phạt Giám đốc tài chính vì thao túng cổ phiếu </title>
<meta property="og:site_name" content="baodautu" />
<meta property="og:title" content="Xử phạt Giám đốc tài chính vì thao túng cổ phiếu " /></head>
<body><main class="main_content main_detail"><div class="col630 ml-auto mb40">
<div class="fs16 text-uppercase "> <a href="/dau-tu-tai-chinh-d6/">Đầu tư tài chính</a> </div>
<div class="title-detail">Xử phạt Giám đốc tài chính vì thao túng cổ phiếu </div>
<div class="author-share-top cl99 fs13 d-flex align-items-center mt20 mb20"><div class="mr-auto">
  <a href="" class="author cl_green">Nguyên Minh </a><span class="post-time"> - 07/03/2026 08:47</span></div>
  <div class="ml-auto"><a title="In bài viết"><img src="/print.png"/></a></div></div>
<div class="sapo_detail">Ông Tống Anh Linh đã sử dụng 30 tài khoản chứng khoán để mua, bán cổ phiếu AAT. </div>
<div class="list_news_relation_top pkg"> <span class="head_relation"> <strong>TIN LIÊN QUAN</strong> </span>
  <ul><li> <a title="Một cá nhân bị xử phạt vì dùng 19 tài khoản thao túng giá cổ phiếu PAS" href="https://baodautu.vn/mot-ca-nhan-bi-xu-phat-d519394.html">Một cá nhân bị xử phạt vì dùng 19 tài khoản thao túng giá cổ phiếu PAS</a> </li></ul></div>
<div id="content_detail_news"><p class="p1">{P1}<span>&nbsp;</span></p>
<table class="MASTERCMS_TPL_TABLE"><tbody><tr><td><img src="https://media.baodautu.vn/a.png" alt="a.png" /></td></tr>
<tr><td class="media-caption">Diễn biến cổ phiếu AAT trong giai đoạn 2021 - 2023</td></tr></tbody></table>
<p class="p3">{P2}</p><span id="boxcauhoi"></span></div>
<div class="news_relate_one d-flex mb30"><div class="info_news_relate_one flex-one">
  <a href="https://baodautu.vn/xu-phat-hai-ca-nhan-d488447.html" class="fs16 fbold">Xử phạt hai cá nhân thao túng cổ phiếu SJS giai đoạn 2023 - 2024</a>
  <div class="sapo_thumb_news mt10"> Hai cá nhân này vừa bị xử phạt tổng cộng 3 tỷ đồng. </div></div></div>
<div class="tag_detail d-flex"><a class="tag_detail_item" href='/tag/aat/'># AAT</a>
  <a class="tag_detail_item" href='/tag/thao-tung-co-phieu/'># thao túng cổ phiếu</a></div>
</div></main></body></html>"""


def test_baodautu_layout_gives_title_byline_time_caption_tags_and_both_related_boxes():
    article = extract_registered(BAODAUTU, "https://baodautu.vn/xu-phat-giam-doc-tai-chinh-d538952.html")
    assert article["title"] == "Xử phạt Giám đốc tài chính vì thao túng cổ phiếu"
    assert article["sapo"] == "Ông Tống Anh Linh đã sử dụng 30 tài khoản chứng khoán để mua, bán cổ phiếu AAT."
    assert article["authors"] == ["Nguyên Minh"]
    assert article["published_at"] == "2026-03-07T08:47:00+07:00"
    assert article["body"].split("\n") == [P1, "Diễn biến cổ phiếu AAT trong giai đoạn 2021 - 2023", P2]
    assert article["tags"] == ["AAT", "thao túng cổ phiếu"]
    assert sorted(r["url"] for r in article["related"]) == [
        "https://baodautu.vn/mot-ca-nhan-bi-xu-phat-d519394.html", "https://baodautu.vn/xu-phat-hai-ca-nhan-d488447.html"]
