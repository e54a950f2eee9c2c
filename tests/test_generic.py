"""The generic main-content extractor on small pages that show one behaviour each."""
import lxml.html

from pipelines.generic import extract_body, extract_main, page_title

PROSE = ("Người dân trong xã đã cùng nhau dọn dẹp đường làng, trồng thêm cây xanh và sửa lại "
         "mương thoát nước trước mùa mưa, theo kế hoạch của ủy ban, với sự giúp đỡ của đoàn viên.")


def page(article: str, around: str = "") -> lxml.html.HtmlElement:
    html = f"""<html><head><title>Tin tỉnh</title>
      <meta property="og:title" content="Xã Yên Đồng làm đường mới"></head><body>
      <nav><a href="/">Trang chủ</a> <a href="/thoi-su">Thời sự</a></nav>
      {around}
      <div class="main"><h1>Xã Yên Đồng làm đường mới</h1>{article}</div>
      <footer>© Báo Tin Tỉnh. Phiên bản di động</footer></body></html>"""
    return lxml.html.document_fromstring(html)


def body_of(article: str, around: str = "") -> tuple[list[str], list[dict]]:
    """extract_body of `page(article, around)`: (paragraphs, images)."""
    root = page(article, around)
    return extract_body(root, page_title(root))


def paragraphs_of(n: int) -> str:
    return "".join(f"<p>{i}. {PROSE}</p>" for i in range(n))


def test_paragraphs_come_out_in_reading_order_without_title_nav_or_footer():
    paragraphs, _ = body_of(paragraphs_of(4))
    assert paragraphs == [f"{i}. {PROSE}" for i in range(4)]


def test_the_page_tree_is_not_modified():
    root = page(paragraphs_of(3))
    before = lxml.html.tostring(root)
    extract_body(root, "Xã Yên Đồng làm đường mới")
    assert lxml.html.tostring(root) == before


def test_share_related_and_comment_boxes_inside_the_article_are_dropped():
    boxes = ('<div class="share-buttons">Chia sẻ Facebook Zalo</div>'
             '<div class="box-tinlienquan"><a href="/a">Hà Nội: Khánh thành cầu mới bắc qua sông</a></div>'
             '<div id="comments"><p>Bình luận của bạn đọc: bài viết rất hay, cảm ơn tác giả nhiều.</p></div>')
    root = page(paragraphs_of(3) + boxes)
    paragraphs, _ = extract_body(root, page_title(root))
    assert paragraphs == [f"{i}. {PROSE}" for i in range(3)]


def test_a_link_named_like_a_widget_inside_a_sentence_stays():
    sentence = ('<p>Phó Bí thư <a class="cms-relate" href="/t">Thành ủy TP.HCM</a> '
                f'đã dự lễ. {PROSE}</p>')
    paragraphs, _ = body_of(paragraphs_of(2) + sentence)
    assert paragraphs[-1] == f"Phó Bí thư Thành ủy TP.HCM đã dự lễ. {PROSE}"


def test_hidden_boxes_are_dropped():
    hidden = ('<div class="d-none">Đọc tiếp Về trang Chủ đề</div>'
              '<div style="display: none"><p>Bản tin ẩn không hiển thị cho người đọc trên trang.</p></div>')
    paragraphs, _ = body_of(paragraphs_of(3) + hidden)
    assert paragraphs == [f"{i}. {PROSE}" for i in range(3)]


def test_double_br_separates_paragraphs_and_single_br_is_a_space():
    text = f"<div class='noidung'>{PROSE}<br><br>Dòng một<br>dòng hai, {PROSE}<br/><br/>{PROSE}</div>"
    paragraphs, _ = body_of(text)
    assert paragraphs == [PROSE, f"Dòng một dòng hai, {PROSE}", PROSE]


def test_inline_tags_are_glued_as_a_browser_renders_them():
    paragraphs, _ = body_of(paragraphs_of(2) + f"<p>Giá <b>vàng</b><i>SJC</i> tăng, <a href='/x'>TP.HCM</a>, {PROSE}</p>")
    assert paragraphs[-1] == f"Giá vàngSJC tăng, TP.HCM, {PROSE}"


def test_figure_caption_is_kept_once_and_given_to_its_image():
    figure = ('<figure><img src="/a.jpg" alt="Đường mới ở xã Yên Đồng"><figcaption>Đường mới ở xã '
              'Yên Đồng. Ảnh: P.Y</figcaption></figure>')
    paragraphs, images = body_of(paragraphs_of(2) + figure + figure.replace("/a.jpg", "/b.jpg") + paragraphs_of(1))
    assert paragraphs.count("Đường mới ở xã Yên Đồng. Ảnh: P.Y") == 1
    assert images == [{"src": "/a.jpg", "caption": "Đường mới ở xã Yên Đồng. Ảnh: P.Y"},
                      {"src": "/b.jpg", "caption": "Đường mới ở xã Yên Đồng. Ảnh: P.Y"}]


def test_lazy_image_source_is_preferred_over_the_placeholder():
    figure = '<figure><img src="data:image/gif;base64,R0lG" data-src="/real.jpg"></figure>'
    _, images = body_of(paragraphs_of(2) + figure)
    assert images == [{"src": "/real.jpg", "caption": ""}]


def test_a_sidebar_of_links_loses_to_the_article():
    sidebar = "<div class='col'>" + "".join(
        f"<p><a href='/{i}'>Tin nổi bật số {i}: {PROSE[:60]}</a></p>" for i in range(12)) + "</div>"
    paragraphs, _ = body_of(paragraphs_of(3), around=sidebar)
    assert paragraphs == [f"{i}. {PROSE}" for i in range(3)]


def test_article_split_in_chunks_around_an_ad_is_joined():
    article = ("<div class='story-body'>" + paragraphs_of(3) + "</div><div class='ad-slot'>Quảng cáo</div>"
               "<section><div class='story-body'><p>Sau quảng cáo. " + PROSE + "</p><p>Đoạn cuối. "
               + PROSE + "</p></div></section>")
    paragraphs, _ = body_of(article)
    assert paragraphs[-2:] == [f"Sau quảng cáo. {PROSE}", f"Đoạn cuối. {PROSE}"]
    assert "Quảng cáo" not in paragraphs


def test_page_title_prefers_og_title():
    root = page(paragraphs_of(1))
    assert page_title(root) == "Xã Yên Đồng làm đường mới"


def test_empty_page_gives_nothing():
    root = lxml.html.document_fromstring("<html><body><nav>Menu</nav></body></html>")
    assert extract_body(root) == ([], [])


def test_source_line_breaks_inside_a_block_become_spaces():
    root = page(paragraphs_of(2) + f"<p>Dòng một\n   của đoạn,\r\n{PROSE}</p>")
    paragraphs, _ = extract_body(root, page_title(root))
    assert paragraphs[-1] == f"Dòng một của đoạn, {PROSE}"
    assert all("\n" not in p for p in paragraphs)


def test_related_heading_and_its_list_of_links_are_dropped():
    related = ("<h3>Tin liên quan</h3><ul>"
               "<li><a href='/1'>Hà Nội: Khánh thành cầu mới bắc qua sông Hồng</a></li>"
               "<li>Đọc ngay: <a href='/2'>Giá vàng hôm nay tăng mạnh trở lại</a></li></ul>")
    paragraphs, _ = body_of(paragraphs_of(3) + related + f"<p>Sau hộp tin. {PROSE}</p>")
    assert paragraphs == [f"{i}. {PROSE}" for i in range(3)] + [f"Sau hộp tin. {PROSE}"]


def test_date_and_time_boxes_inside_the_article_are_dropped():
    stamp = '<div class="post-date">Thứ bảy, 07/03/2026 - 08:07</div><span class="time">08:07</span>'
    paragraphs, _ = body_of(stamp + paragraphs_of(3))
    assert paragraphs == [f"{i}. {PROSE}" for i in range(3)]


def test_a_byline_paragraph_at_the_end_stays_for_the_text_cleaner():
    paragraphs, _ = body_of(paragraphs_of(3) + '<p class="author">Lê Sơn</p>')
    assert paragraphs[-1] == "Lê Sơn"


def test_old_table_layout_with_br_paragraphs_gives_the_article():
    html = f"""<html><head><title>Báo Tỉnh - Xã Yên Đồng làm đường mới</title></head><body>
      <table width=980><tr><td colspan=2><a href=/>Trang chủ</a> | <a href=/ts>Thời sự</a></td></tr>
      <tr><td width=200 valign=top><table>
        <tr><td><a href=/1>Tin mới: Khánh thành cầu mới bắc qua sông Hồng ở xã bên</a></td></tr>
        <tr><td><a href=/2>Giá lúa tăng mạnh trong vụ đông xuân năm nay ở tỉnh nhà</a></td></tr></table></td>
      <td valign=top><font class=title>Xã Yên Đồng làm đường mới</font><br>
        <i>Cập nhật: 10:30 ngày 08/01/2026</i><br><br>
        <b>(BT) - Xã Yên Đồng vừa hoàn thành tuyến đường mới dài 2 km.</b><br><br>
        {PROSE}<br><br><img src=/a.jpg><br><i>Đường mới ở xã Yên Đồng.</i><br><br>
        Lễ khánh thành diễn ra sáng nay. {PROSE}<br><br><p align=right><b>Tin, ảnh: P.Y</b></p></td></tr>
      <tr><td colspan=2>Bản quyền thuộc về Báo Tỉnh.</td></tr></table></body></html>"""
    root = lxml.html.document_fromstring(html)
    paragraphs, images = extract_body(root, "Xã Yên Đồng làm đường mới")
    assert paragraphs == ["(BT) - Xã Yên Đồng vừa hoàn thành tuyến đường mới dài 2 km.", PROSE,
                          "Đường mới ở xã Yên Đồng.", f"Lễ khánh thành diễn ra sáng nay. {PROSE}",
                          "Tin, ảnh: P.Y"]
    assert images == [{"src": "/a.jpg", "caption": ""}]


def test_picture_table_caption_is_the_image_caption_and_kept_once():
    picture = ('<table class="picture"><tr><td><img src="/c.jpg"></td></tr>'
               '<tr><td class="pCaption">Cầu mới bắc qua sông. Ảnh: P.Y</td></tr></table>')
    paragraphs, images = body_of(paragraphs_of(2) + picture + paragraphs_of(1))
    assert paragraphs.count("Cầu mới bắc qua sông. Ảnh: P.Y") == 1
    assert images == [{"src": "/c.jpg", "caption": "Cầu mới bắc qua sông. Ảnh: P.Y"}]


def test_one_caption_for_a_group_of_figures_goes_to_each_image():
    group = ('<div class="layout-image-2"><figure><img data-src="/1.jpg"></figure>'
             '<figure><img data-src="/2.jpg"></figure><figcaption>Hai ảnh, một chú thích. Ảnh: LÊ ÁNH'
             '</figcaption></div>')
    paragraphs, images = body_of(paragraphs_of(2) + group)
    assert [i["caption"] for i in images] == ["Hai ảnh, một chú thích. Ảnh: LÊ ÁNH"] * 2
    assert paragraphs.count("Hai ảnh, một chú thích. Ảnh: LÊ ÁNH") == 1


def test_a_run_of_paragraphs_in_one_container_is_article_shaped():
    found = extract_main(page(paragraphs_of(4)))
    assert found.prose_run == 4 and found.article_shaped and not found.teaser_shaped


def test_teasers_each_in_its_own_box_are_teaser_shaped():
    items = "".join(f'<div class="item"><h3><a href="/tin-{i}.html">Tin số {i} về xã Yên Đồng</a></h3>'
                    f'<div class="item-desc"><p>{PROSE}</p></div></div>' for i in range(6))
    root = lxml.html.document_fromstring(f"<html><body><div class='list'>{items}</div></body></html>")
    found = extract_main(root)
    assert found.boxes >= 3 and found.prose_run == 1
    assert found.teaser_shaped and not found.article_shaped


def test_extract_main_in_place_gives_what_a_copy_gives():
    root = page(paragraphs_of(3), around='<div class="share-buttons">Chia sẻ Facebook Zalo</div>')
    copied = extract_main(root, page_title(root))
    assert extract_main(root, page_title(root), in_place=True).paragraphs == copied.paragraphs


def test_paragraphs_each_in_a_wrapper_named_like_the_article_are_still_one_run():
    wrapped = "".join(f'<div class="article-text"><p>{i}. {PROSE}</p></div>' for i in range(5))
    found = extract_main(page(f'<div class="body">{wrapped}</div>'))
    assert found.paragraphs == [f"{i}. {PROSE}" for i in range(5)]
    assert found.article_shaped and not found.teaser_shaped


def test_teasers_under_their_headlines_in_one_list_make_no_run_of_prose():
    items = "".join(f'<li><h3><a href="/tin-{i}.html">Tin số {i} về xã Yên Đồng làm đường</a></h3>'
                    f"<p>{i}. {PROSE}</p></li>" for i in range(6))
    root = lxml.html.document_fromstring(f"<html><body><ul class='news'>{items}</ul></body></html>")
    found = extract_main(root)
    assert found.boxes == 1 and len(found.paragraphs) == 6       # the teasers, headlines dropped
    assert found.prose_run == 0 and not found.article_shaped


# ---- junk and captions known by what they are, whatever their names ----------------------------

def test_a_teaser_box_inside_the_text_is_left_out_whatever_its_name():
    teaser = ('<div class="x9f2"><a href="/xung-dot-o-trung-dong-khien-xuat-khau-lao-dao-20260306231657525.htm">'
              '<img src="/t.jpg"></a><a href="/xung-dot-o-trung-dong-khien-xuat-khau-lao-dao-20260306231657525.htm">'
              'Xung đột ở Trung Đông khiến xuất khẩu lao đao</a><p>Xung đột leo thang đang đẩy doanh nghiệp '
              'xuất khẩu vào thế khó khi cước vận tải biển tăng vọt.</p></div>')
    root = page(paragraphs_of(2) + teaser + paragraphs_of(2))
    paragraphs, _ = extract_body(root, page_title(root))
    assert not any("Xung đột" in p for p in paragraphs)
    assert len(paragraphs) == 4


def test_a_run_together_box_of_headline_links_is_left_out():
    box = ('<div><a href="/a-1">Hà Nội khánh thành cầu mới bắc qua sông Hồng</a>'
           '<a href="/b-2">Giá vàng hôm nay tăng mạnh trở lại sau ba phiên</a>'
           '<a href="/c-3">Lào Cai đón hơn một triệu lượt khách du lịch</a></div>')
    paragraphs, _ = body_of(paragraphs_of(2) + box + paragraphs_of(1))
    assert paragraphs == [f"{i}. {PROSE}" for i in (0, 1, 0)]


def test_a_comment_section_goes_by_its_heading_whatever_its_name():
    comments = ('<div class="k1"><h3>2 responses to “Xã Yên Đồng làm đường mới”</h3>'
                f'<div class="k2"><p>Minh says: 19/11/2019 at 6:34 am</p><p>{PROSE}</p></div>'
                f'<div class="k2"><p>Lan says: 19/11/2019 at 6:44 am</p><p>Rất hay. {PROSE}</p></div></div>')
    paragraphs, _ = body_of(paragraphs_of(3) + comments)
    assert paragraphs == [f"{i}. {PROSE}" for i in range(3)]


def test_a_caption_said_in_alt_figcaption_and_an_italic_line_is_kept_once():
    caption = "Đường mới ở xã Yên Đồng được khánh thành sáng nay. Ảnh: P.Y"
    figure = (f'<figure><img src="/a.jpg" alt="{caption}" title="{caption}"><figcaption>{caption}</figcaption>'
              f'</figure><p><em>{caption}</em></p>')
    paragraphs, images = body_of(paragraphs_of(2) + figure + paragraphs_of(1))
    assert paragraphs.count(caption) == 1
    assert images == [{"src": "/a.jpg", "caption": caption}]


def test_a_picture_box_with_no_caption_name_gives_its_picture_a_caption_line():
    box = ('<div class="q1"><div class="q2"><img src="/a.jpg"></div><div class="q3">Người dân dọn dẹp '
           'đường làng.</div><div class="q4">Ảnh: P.Y</div></div>')
    paragraphs, images = body_of(paragraphs_of(2) + box + paragraphs_of(1))
    assert "Người dân dọn dẹp đường làng. Ảnh: P.Y" in paragraphs
    assert images == [{"src": "/a.jpg", "caption": "Người dân dọn dẹp đường làng. Ảnh: P.Y"}]


def test_a_card_whose_picture_links_to_another_article_is_not_text():
    card = ('<div class="c1"><a href="/news/123456/prince-party"><img src="/p.jpg"></a>'
            '<h3>TIN NÓNG</h3><span>Hoàng tử dự tiệc bất chấp tuyên bố trước đó</span></div>')
    paragraphs, _ = body_of(paragraphs_of(2) + card + paragraphs_of(1))
    assert not any("Hoàng tử" in p or "TIN NÓNG" in p for p in paragraphs)


def test_paragraph_divs_beside_the_text_box_are_text():
    lead = f'<div class="z1">Mở đầu. {PROSE}</div>'
    paragraphs, _ = body_of(f'<div class="wrap">{lead}<div class="z2">{paragraphs_of(4)}</div></div>')
    assert paragraphs[0] == f"Mở đầu. {PROSE}"


def test_a_most_read_heading_drops_its_headline_cards():
    cards = ("<h3>Most read in world news</h3><div>" + "".join(
        f"<div><a href='/news/1234{i}/story-{i}/'><img src='/p{i}.jpg'></a><h4>KICKER {i}</h4>"
        f"<span>Headline number {i} of another story</span></div>" for i in range(3)) + "</div>")
    paragraphs, _ = body_of(paragraphs_of(3) + cards)
    assert paragraphs == [f"{i}. {PROSE}" for i in range(3)]


def test_two_paragraphs_by_a_picture_are_text_not_its_caption():
    box = (f'<div class="w"><img src="/a.jpg"><p>Một. {PROSE}</p><p>Hai. {PROSE}</p></div>')
    paragraphs, images = body_of(box + paragraphs_of(1))
    assert paragraphs[:2] == [f"Một. {PROSE}", f"Hai. {PROSE}"]
    assert images == [{"src": "/a.jpg", "caption": ""}]


def test_a_comment_word_as_the_kicker_of_the_article_does_not_take_the_article_away():
    article = f'<div class="k"><h3>Bình luận</h3>{paragraphs_of(4)}</div>'
    paragraphs, _ = body_of(article)
    assert paragraphs == [f"{i}. {PROSE}" for i in range(4)]


def test_a_picture_linking_away_with_a_credited_caption_is_a_figure():
    figure = ('<div class="f"><a href="/anh/123456-album.html"><img src="/a.jpg"></a>'
              '<div>Người dân dọn dẹp đường làng. Ảnh: P.Y</div></div>')
    paragraphs, images = body_of(paragraphs_of(2) + figure + paragraphs_of(1))
    assert "Người dân dọn dẹp đường làng. Ảnh: P.Y" in paragraphs


EN = ("The council voted on Tuesday to repair the old bridge, widen the road to the market and "
      "plant trees along the river, after two years of complaints from the people who live there.")


def test_a_related_heading_over_a_teaser_box_ends_with_the_box():
    cards = ("<h3>Most read in world news</h3><div>" + "".join(
        f"<div><a href='/news/1234{i}/story-number-{i}-of-another-day/'><img src='/p{i}.jpg'></a>"
        f"<a href='/news/1234{i}/story-number-{i}-of-another-day/'>Story number {i} of another day</a></div>"
        for i in range(3)) + "</div>")
    after = f'<p>Officials in <a href="/tag/mongolia">Mongolia</a> closed the border to stop it spreading.</p>'
    paragraphs, _ = body_of(paragraphs_of(3) + cards + after + paragraphs_of(1))
    assert "Officials in Mongolia closed the border to stop it spreading." in paragraphs
    assert not any("Story number" in p for p in paragraphs)


def test_read_more_over_a_sentence_with_a_link_is_a_button_not_a_related_list():
    text = ('<div>Read More</div><p>US stock futures were <a href="/markets">trading slightly positive</a> '
            'during Asian hours.</p>')
    paragraphs, _ = body_of(paragraphs_of(2) + text + paragraphs_of(1))
    assert "US stock futures were trading slightly positive during Asian hours." in paragraphs


def test_a_short_paragraph_dressed_as_the_text_paragraphs_beside_the_text_box_is_text():
    wrap = ('<div class="w"><div class="z1"><p class="para"> (CNN)The President went to hospital on '
            'Saturday for a quick exam, the White House said, and came back the same evening.</p></div>'
            '<div class="para">You should not believe them.</div>'
            f'<div class="para">Which is not to say that much happened. {PROSE}</div>'
            f'<div class="body">{paragraphs_of(5)}</div><div class="other">Julius is a reporter.</div></div>')
    paragraphs, _ = body_of(wrap)
    assert paragraphs[:2] == ["(CNN)The President went to hospital on Saturday for a quick exam, the White "
                              "House said, and came back the same evening.", "You should not believe them."]
    assert "Julius is a reporter." not in paragraphs


def test_a_gallery_count_is_not_part_of_the_caption():
    caption = "The hospital in Beijing where the patients were treated. Credit: EPA"
    figure = (f'<figure><div><a href="#"><img src="/a.jpg" alt="{caption}"></a><div><span>6</span></div></div>'
              f'<figcaption>{caption}</figcaption></figure><p><em>{caption}</em></p>')
    paragraphs, images = body_of(paragraphs_of(2) + figure + paragraphs_of(1))
    assert paragraphs.count(caption) == 1 and "6 " + caption not in paragraphs
    assert images == [{"src": "/a.jpg", "caption": caption}]


def test_a_caption_said_again_with_its_credit_glued_on_is_kept_once():
    caption = "How can a duvet affect your lungs when it is too big? (Photo: Getty Images)"
    figure = (f'<figure><img src="/a.jpg" alt="{caption}Getty"><figcaption><p>{caption}</p><div>Getty</div>'
              f'</figcaption></figure><p><em>{caption}Getty</em></p>')
    paragraphs, _ = body_of(paragraphs_of(2) + figure + paragraphs_of(1))
    assert [p for p in paragraphs if p.startswith("How can a duvet")] == [caption]


def test_a_line_after_a_picture_saying_what_its_alt_says_is_its_caption():
    caption = "Former Governor Deval Patrick, left, speaks with a business owner in Columbia."
    box = (f'<ul><li><div class="g1"><img src="/a.jpg" alt="{caption} Photo: AP / All rights reserved"></div>'
           f'<div class="g2"><div>{caption}</div></div></li></ul>')
    paragraphs, images = body_of(box + paragraphs_of(3))
    assert images == [{"src": "/a.jpg", "caption": caption}]
    assert paragraphs.count(caption) == 1


def test_a_title_after_a_video_poster_is_not_its_caption():
    title = "'We Got Her!' Video Shows Dramatic Rescue of Kidnapped Girl"
    box = f'<div class="p"><img src="/poster.jpg" alt="{title}"></div><p>{title}</p>'
    _, images = body_of(paragraphs_of(2) + box + paragraphs_of(2))
    assert images == [{"src": "/poster.jpg", "caption": ""}]


def test_a_paragraph_repeating_the_caption_of_the_picture_before_it_goes_with_the_picture():
    caption = "Roughly 13,000 US troops remain in Afghanistan, 18 years after the invasion [File: Reuters]"
    lead = (f'<div class="top"><figure><img src="/a.jpg" alt="{caption}"><figcaption>{caption}</figcaption>'
            f'</figure><p><em>{caption}</em></p><div class="text">{paragraphs_of(5)}</div></div>')
    paragraphs, _ = body_of(lead)
    assert caption not in paragraphs


def test_a_teaser_whose_picture_links_where_its_headline_links_is_left_out_without_a_slug():
    href = "https://www.example.com/business/la-fi-hiltzik-alden-20190115-story.html"
    headline = "Column: A vulture firm’s bid for Gannett shows there’s still value in newspapers — for plundering"
    promo = (f'<div class="e"><div><a href="{href}">{headline}</a></div><div><a href="{href}"><img src="/v.jpg">'
             f'</a></div><div><div><a href="{href}">{headline}</a></div><div>Among those who believe that the '
             'press provides value for society — especially local journalism that slaps politicians’ hands out '
             'of the public cookie jar — Alden is a “vulture investing” firm that makes real vultures look good.'
             '</div></div></div>')
    root = page(paragraphs_of(6) + promo + paragraphs_of(6))
    found = extract_main(root, page_title(root), url="https://www.example.com/business/story/gannett-merger")
    assert not any("vulture" in p for p in found.paragraphs)
    assert len(found.paragraphs) == 12


def test_a_list_of_links_in_japanese_is_a_link_list_with_its_label():
    related = ('<div class="y"><div><p>関連記事</p><p>こちらの記事も合わせてどうぞ</p></div><ul>' + "".join(
        f'<li><p>2016年08月0{i}日</p><p><a href="/blog/index-17{i}.html">「体脂肪測定器」と「体重計」は類似する？－商標の判決シリーズ{i}</a></p></li>'
        for i in range(3)) + '</ul></div>')
    root = page(paragraphs_of(3) + related)
    found = extract_main(root, page_title(root), url="https://www.example.jp/blog/index-2726.html")
    assert found.paragraphs == [f"{i}. {PROSE}" for i in range(3)]


def test_a_box_after_the_text_asking_readers_for_support_is_left_out():
    letter = ('<div class="z"><div><span>Snopes.com</span> <span>Since 1994</span></div><h5>A Word to Our Loyal '
              'Readers</h5><p>Support Snopes and make a difference for readers everywhere.</p><ul>'
              + "".join(f"<li>Staff Member {i}</li>" for i in range(8)) +
              '</ul><p>We do this work every day at no cost to you, but it is far from free to produce. '
              'We need your financial support.</p></div>')
    root = page(f"<p>{EN}</p>" * 6 + letter)
    paragraphs, _ = extract_body(root, page_title(root))
    assert paragraphs == [EN] * 6 or paragraphs == [EN]      # the same line twice in a row is said once
    assert not any("Snopes" in p or "Staff Member" in p for p in paragraphs)


def test_an_article_about_donations_keeps_its_paragraphs():
    text = f"<p>{EN}</p><p>The charity said: we need your financial support to rebuild the school this winter.</p>"
    paragraphs, _ = body_of(text * 3)
    assert paragraphs.count("The charity said: we need your financial support to rebuild the school this winter.") >= 1


def test_a_caption_shown_whole_and_cut_short_with_more_and_less_toggles_is_said_once():
    caption = "Defense Secretary Mark Esper shakes hands in Hanoi on Wednesday. Esper is on a visit to Vietnam."
    box = (f'<ul><li><div class="g1"><img src="/a.jpg" alt="{caption}"></div><div class="c">'
           f'<div>{caption}<a class="t"> less</a></div><div>{caption[:60]}<a class="t"> ... more</a></div>'
           f'</div></li></ul>')
    paragraphs, _ = body_of(box + paragraphs_of(3))
    assert [p for p in paragraphs if p.startswith("Defense")] == [caption]


def test_a_link_saying_more_that_goes_somewhere_is_a_word_of_the_sentence():
    paragraphs, _ = body_of(paragraphs_of(2) + '<p>The council will meet again in March. Find out <a href="/council">more</a></p>')
    assert paragraphs[-1] == "The council will meet again in March. Find out more"


def _slideshow(n: int, between: str = "") -> tuple[str, list[str]]:
    captions = [f"Ảnh {i}: người dân xã Yên Đồng dọn dẹp đường làng trước mùa mưa." for i in range(n)]
    slides = "".join(f'<div><span>Image {i + 1} of {n}</span><figure><a href="/full{i}.jpg"><img src="/s{i}.jpg">'
                     f'</a><figcaption>{c}</figcaption></figure><p><em>{c}</em></p></div>'
                     for i, c in enumerate(captions))
    return f'<div><div>1 of {n}</div><div>{slides}</div>{between}</div>', captions


def test_a_slideshow_beside_the_text_keeps_its_captions_with_its_pictures_not_in_the_text():
    gallery, captions = _slideshow(4)
    paragraphs, images = body_of(paragraphs_of(2) + "<h4>Story continues below gallery</h4>" + gallery + paragraphs_of(2))
    assert not set(captions) & set(paragraphs)
    assert [p for p in paragraphs if p != "Story continues below gallery"] == [f"{i}. {PROSE}" for i in (0, 1, 0, 1)]
    assert images == [{"src": f"/s{i}.jpg", "caption": c} for i, c in enumerate(captions)]


def test_a_photo_story_whose_text_is_its_captions_keeps_them():
    gallery, captions = _slideshow(4)
    paragraphs, _ = body_of(gallery)
    assert paragraphs == captions


def test_two_pictures_with_captions_beside_the_text_are_no_gallery():
    gallery, captions = _slideshow(2)
    paragraphs, _ = body_of(paragraphs_of(2) + gallery + paragraphs_of(2))
    assert [p for p in paragraphs if p in captions] == captions


def test_pictures_with_a_paragraph_of_text_among_them_are_no_gallery():
    gallery, captions = _slideshow(3, between=f"<p>Giữa các ảnh. {PROSE}</p>")
    paragraphs, _ = body_of(paragraphs_of(2) + gallery + paragraphs_of(2))
    assert [p for p in paragraphs if p in captions] == captions
    assert f"Giữa các ảnh. {PROSE}" in paragraphs


def test_a_paragraph_beside_a_list_that_won_is_text_when_under_a_third_of_it_is_link_text():
    items = "".join(f'<li><strong><a href="/tin-{i}">Tin {i}: xã Yên Đồng làm đường mới</a>.</strong> {PROSE}</li>'
                    for i in range(8))
    line = ('Bạn cũng có thể <a href="/dang-ky">đăng ký nhận bản tin này qua thư</a> tại đây, chỉ cần chọn '
            'mục "Tin tỉnh mỗi sáng" trong danh sách.')      # 28% link text
    root = lxml.html.document_fromstring(
        f'<html><body><div><p>Chào buổi sáng! Đây là tin tức bạn cần biết hôm nay.</p><ol>{items}</ol>'
        f'<p>Mỗi sáng bạn có thể nghe bản tin này trên loa thông minh, tìm "Tin tỉnh" trong phần cài đặt.</p>'
        f'<p>{line}</p></div></body></html>')
    paragraphs, _ = extract_body(root)
    assert paragraphs[-1] == lxml.html.fromstring(f"<p>{line}</p>").text_content()
    assert len(paragraphs) == 11


def test_a_picture_with_its_caption_named_popup_gallery_stays_a_picture():
    gallery, captions = _slideshow(3)
    gallery = gallery.replace("<figure>", '<figure class="slide-popup-gallery">')
    paragraphs, images = body_of(paragraphs_of(2) + gallery + paragraphs_of(2))
    assert [image["caption"] for image in images] == captions
    assert paragraphs == [f"{i}. {PROSE}" for i in (0, 1, 0, 1)]
