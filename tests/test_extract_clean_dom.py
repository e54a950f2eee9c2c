"""Junk removal and blocks on an article's DOM; bylines and author names (pipelines.clean_dom)."""
import lxml.html
import pytest

from pipelines.clean_dom import (DocIndex, blocks_of, byline_names, images_of, remove_junk, split_authors, take_bylines,
                                 take_inline_related, take_related)


def container(html: str):
    return lxml.html.fragment_fromstring(html, create_parent="div")


@pytest.mark.parametrize("byline, names", [
    ("NHẬT XUÂN - NGHI VŨ", ["NHẬT XUÂN", "NGHI VŨ"]),
    ("THUẬN VĂN, LÊ ÁNH", ["THUẬN VĂN", "LÊ ÁNH"]),
    ("NHẬT XUÂN;NGHI VŨ", ["NHẬT XUÂN", "NGHI VŨ"]),
    ("Hoàng Anh và Minh Châu", ["Hoàng Anh", "Minh Châu"]),
    ("NHẬT XUÂN và 1 tác giả khác", ["NHẬT XUÂN"]),
    ("Tin, ảnh: P.Y", ["P.Y"]),
    ("Bài và ảnh: Ngọc Hà", ["Ngọc Hà"]),
    ("Hà Thu (tổng hợp)", ["Hà Thu"]),
    ("Minh Anh (TTXVN)", ["Minh Anh", "TTXVN"]),
    ("Tâm HằngTTXVN", ["Tâm Hằng", "TTXVN"]),
    ("Theo TTXVN", ["TTXVN"]),
    ("Theo Nhịp sống thị trường", []),
    ("Duy Anh Xem các bài viết của tác giả", ["Duy Anh"]),
])
def test_bylines_split_into_people_and_agencies(byline, names):
    assert split_authors(byline) == names


def test_the_outlet_itself_is_never_an_author():
    assert split_authors("Báo Lào Cai điện tử", organizations=["Báo Lào Cai điện tử"]) == []


@pytest.mark.parametrize("line", ["Giá vàng tăng mạnh trong phiên sáng nay.",
                                  "Theo ông Nguyễn Văn A, giá sẽ còn tăng trong thời gian tới.",
                                  "Bệnh viện Chợ Rẫy cho biết bệnh nhân đã ổn định sau ca mổ kéo dài 5 tiếng."])
def test_ordinary_sentences_are_not_bylines(line):
    assert byline_names(line) is None


def test_trailing_byline_lines_leave_the_body_and_become_authors():
    blocks = [("p", "Đoạn thứ nhất của bài viết đủ dài."), ("p", "Đoạn thứ hai."), ("p", "Lê Phương")]
    kept, authors = take_bylines(blocks)
    assert kept == blocks[:2] and authors == ["Lê Phương"]


def test_caption_repeated_by_a_second_caption_element_appears_once():
    div = container('<p>Mở đầu bài.</p><figure><img src="/a.jpg" alt="Cầu mới" title="Cầu mới">'
                    '<figcaption><p class="Image">Cầu mới. Ảnh: P.Y</p></figcaption>'
                    '<div class="caption">Cầu mới. Ảnh: P.Y</div></figure>'
                    '<p>Cầu mới. Ảnh: P.Y</p><p>Kết bài.</p>')
    assert blocks_of(div) == [("p", "Mở đầu bài."), ("caption", "Cầu mới. Ảnh: P.Y"), ("p", "Kết bài.")]


def test_alt_and_title_of_images_are_never_text():
    div = container('<figure><img src="/a.jpg" alt="Ảnh minh họa cầu"><figcaption>Cây cầu mới</figcaption></figure>')
    assert [t for _, t in blocks_of(div)] == ["Cây cầu mới"]
    assert images_of(div, "https://baocantho.com.vn/x.html") == [
        {"src": "https://baocantho.com.vn/a.jpg", "caption": "Cây cầu mới"}]


def test_inline_tags_join_without_spaces_and_br_is_a_space():
    div = container("<p>TP.<b>HCM</b>, ngày 7<br>tháng 3</p>")
    assert blocks_of(div) == [("p", "TP.HCM, ngày 7 tháng 3")]


def test_hidden_boxes_scripts_and_styles_are_not_text():
    div = container('<p>Giữ lại.</p><div class="readmore-body-box d-none">Đọc tiếp</div>'
                    '<div style="display:none">Ẩn</div><script>var a = "quảng cáo";</script>'
                    '<style>.t2 { font-weight: bold; }</style>')
    assert blocks_of(div) == [("p", "Giữ lại.")]


def test_related_box_headlines_become_related_links():
    div = container('<p>Nội dung.</p><div class="kbwscwl-relatedbox"><ul>'
                    '<li><span>Tham khảo thêm</span><a href="/chinh-sach-thang-2-102.htm">Chính sách mới tháng 2/2026</a></li>'
                    '<li><span>Tham khảo thêm</span><a href="/chinh-sach-thang-1-101.htm" title="Chính sách mới tháng 1/2026">'
                    'Chính sách mới tháng 1/2026</a></li></ul></div>')
    related = take_related(div, [".kbwscwl-relatedbox"], "https://baochinhphu.vn/a.htm")
    assert related == [{"url": "https://baochinhphu.vn/chinh-sach-thang-2-102.htm", "title": "Chính sách mới tháng 2/2026"},
                       {"url": "https://baochinhphu.vn/chinh-sach-thang-1-101.htm", "title": "Chính sách mới tháng 1/2026"}]
    assert blocks_of(div) == [("p", "Nội dung.")]


def test_junk_selector_never_cuts_a_keyword_link_out_of_a_sentence():
    div = container('<p>Tưởng niệm các <a class="cms-relate" href="/tu-khoa">anh hùng liệt sĩ</a> đã hy sinh vì độc lập.</p>'
                    '<div class="box"><a class="cms-relate" href="/x">Tin khác</a></div>')
    remove_junk(div, ["a.cms-relate"])
    assert blocks_of(div) == [("p", "Tưởng niệm các anh hùng liệt sĩ đã hy sinh vì độc lập.")]


def test_see_also_paragraphs_in_the_text_become_related_links():
    div = container('<p>Nội dung chính của bài viết.</p>'
                    '<p><strong>Xem thêm:</strong> <a href="/gia-vang-hom-nay-123456.htm">Giá vàng hôm nay tăng mạnh</a></p>'
                    '<p><a href="/xang-dau-tang-gia-234567.htm">Xăng dầu tăng giá từ chiều nay</a></p>'
                    '<p>Đoạn có <a href="/tu-khoa">liên kết từ khóa</a> ở giữa câu vẫn được giữ nguyên.</p>')
    related = take_inline_related(div, "https://dantri.com.vn/a-999999.htm", lambda url: url[-10:-4].isdigit())
    assert [r["title"] for r in related] == ["Giá vàng hôm nay tăng mạnh", "Xăng dầu tăng giá từ chiều nay"]
    assert [t for _, t in blocks_of(div)] == ["Nội dung chính của bài viết.",
                                             "Đoạn có liên kết từ khóa ở giữa câu vẫn được giữ nguyên."]


def test_only_one_unlabelled_name_line_is_taken_as_a_byline():
    blocks = [("p", "Đoạn văn đầu tiên của bài."), ("p", "Ông Nguyễn Văn An"), ("p", "Minh Châu"),
              ("p", "Theo TTXVN")]
    kept, authors = take_bylines(blocks)
    assert kept == blocks[:2] and authors == ["Minh Châu", "TTXVN"]


def test_label_only_lines_are_not_text():
    div = container("<p>Nội dung.</p><div>Quảng cáo</div><p>Tiếp tục nội dung.</p>")
    assert [t for _, t in blocks_of(div)] == ["Nội dung.", "Tiếp tục nội dung."]


def test_class_and_id_index_rules_out_only_selectors_that_cannot_match():
    index = DocIndex(container('<div class="detail-content afcbc-body" id="main"><p>t</p></div>'))
    assert index.may_match("div.detail-content.afcbc-body") and index.may_match("#main .afcbc-body")
    assert index.may_match("[type*=Related]") and index.may_match("script")
    assert not index.may_match("div.article__body") and not index.may_match("#content_detail_news")
    assert index.may_match(".nope, .afcbc-body")


def test_class_index_reads_upper_case_markup_and_quotes_inside_names():
    index = DocIndex(container("<DIV CLASS=\"Upper menu-maria's-wall-street\" ID='Top'>x</DIV>"))
    assert index.may_match("div.Upper") and index.may_match("#Top")
    assert "menu-maria's-wall-street" in index.classes and not index.may_match(".anything")


def test_a_name_in_a_list_at_the_end_is_not_a_byline():
    div = container("<p>Danh sách các cá nhân được khen thưởng năm nay gồm:</p><ul><li>Nguyễn Văn An</li>"
                    "<li>Trần Thị Bình</li></ul>")
    kept, authors = take_bylines(blocks_of(div))
    assert authors == [] and [t for _, t in kept][-1] == "Trần Thị Bình"


# ---- boxes, dates and bylines known by what they hold ------------------------------------------

from pipelines.clean_dom import find_dateline, link_lists, slug_headline, teaser_boxes  # noqa: E402

P = ("Người dân trong xã đã cùng nhau dọn dẹp đường làng, trồng thêm cây xanh và sửa lại mương "
     "thoát nước trước mùa mưa, theo kế hoạch của ủy ban.")


@pytest.mark.parametrize("text, href, expected", [
    ("Xung đột ở Trung Đông khiến xuất khẩu Việt lao đao",
     "/xung-dot-o-trung-dong-khien-xuat-khau-viet-lao-dao-20260306231657525.htm", True),
    ("Giá vàng hôm nay tăng mạnh", "/kinh-doanh.htm", False),
    ("Xem thêm các tin khác", "/xung-dot-o-trung-dong-20260306231657525.htm", False),
])
def test_a_headline_link_says_the_words_of_its_url(text, href, expected):
    assert slug_headline(text, href) is expected


def test_a_teaser_box_is_found_by_its_slug_headline_and_its_summary():
    box = ('<div class="r1"><a href="/gia-vang-hom-nay-tang-manh-tro-lai-post123456.html"><img src="/t.jpg"></a>'
           '<a href="/gia-vang-hom-nay-tang-manh-tro-lai-post123456.html">Giá vàng hôm nay tăng mạnh trở lại</a>'
           '<p>Giá vàng miếng tăng 500.000 đồng mỗi lượng.</p></div>')
    root = container(f"<p>{P}</p>{box}<p>{P}</p><p>{P}</p>")
    found = teaser_boxes(root, "https://bao.vn/bai-nay-post1.html")
    assert [(b.get("class"), u) for b, u, _ in found] == [
        ("r1", "https://bao.vn/gia-vang-hom-nay-tang-manh-tro-lai-post123456.html")]


def test_a_link_to_the_page_itself_or_to_another_site_is_no_teaser():
    box = ('<div class="r1"><img src="/t.jpg"><a href="https://khac.vn/gia-vang-hom-nay-tang-manh-post9.html">'
           'Giá vàng hôm nay tăng mạnh trở lại</a><p>Tóm tắt.</p></div>')
    root = container(f"<p>{P}</p>{box}<p>{P}</p><p>{P}</p>")
    assert teaser_boxes(root, "https://bao.vn/bai-post1.html", {"bao.vn"}) == []


def test_a_list_of_headline_links_is_a_link_list_but_a_sentence_citing_two_links_is_not():
    run_together = ('<div class="a"><a href="/1">Hà Nội khánh thành cầu mới bắc qua sông</a>'
                    '<a href="/2">Giá vàng hôm nay tăng mạnh trở lại</a></div>')
    tags = '<div class="b">Từ khóa: <a href="/t/1">#thủy điện</a> <a href="/t/2">#Lào Cai</a></div>'
    citing = ('<p class="c">Theo <a href="/nd">Nghị định số 357/2025/NĐ-CP của Chính phủ</a> và '
              '<a href="/tt">Thông tư số 12/2025/TT-BTC của Bộ Tài chính</a>.</p>')
    root = container(f"<p>{P}</p>{run_together}{tags}{citing}")
    assert [b.get("class") for b in link_lists(root)] == ["a", "b"]


@pytest.mark.parametrize("header, shown", [
    ('<h1>Tiêu đề bài</h1><div><span>Nguyên Minh</span> - <span>07/03/2026 08:47</span></div>',
     "Nguyên Minh - 07/03/2026 08:47"),
    ('<div><span>08/01/2026 - 18:21</span> Chia sẻ</div><h1>Tiêu đề bài</h1>', "08/01/2026 - 18:21"),
])
def test_the_date_shown_by_the_headline_is_found_above_or_below_it(header, shown):
    root = container(f"{header}<p>{P}</p><p>{P}</p>")
    line, text, span = find_dateline(root.find(".//h1"))
    assert text == shown
    assert text[span[0]:span[1]] in ("07/03/2026 08:47", "08/01/2026 - 18:21")


def test_no_date_is_taken_from_the_text_itself():
    root = container(f"<h1>Tiêu đề bài</h1><p>{P} Ngày 07/03/2026 lúc 08:47 hội nghị khai mạc.</p>")
    assert find_dateline(root.find(".//h1")) is None
