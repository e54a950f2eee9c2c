"""Text-level cleaning: junk lines out, real prose untouched, bylines → authors, headlines → related."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from pipelines.clean_text import (byline_authors, clean_paragraphs, clean_text_article,
                                  split_dump, split_glued_headlines)

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seed" / "000_94bc274a2e71f128.txt"
GOLD = sorted((FIXTURES / "clean_text").glob("*.gold.json"))


def seed_lines() -> list[str]:
    return [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- the seed document (shared/seed/README.md) --------------------------------------------------

def test_seed_keeps_title_once_lead_and_every_body_paragraph_in_order():
    lines = seed_lines()
    article = clean_text_article(SEED.read_text(encoding="utf-8"))
    assert article["title"] == lines[0]
    assert article["sapo"] == lines[1]
    body = article["body"].split("\n")
    expected = []                      # every line that is neither junk nor a repeat, in order
    for line in lines[3:]:
        if line in (lines[0], "Lê Sơn", "Phiên bản di động") or (expected and expected[-1] == line):
            continue
        expected.append(line)
    assert body == expected
    assert len(body) == 14
    text = "\n".join([article["title"], article["sapo"], article["body"]])
    assert text.count(lines[0]) == 1


def test_seed_captions_appear_once():
    article = clean_text_article(SEED.read_text(encoding="utf-8"))
    body = article["body"].split("\n")
    for caption in ("Ban Thường vụ Huyện ủy Yên Lạc trao quyết định giao chỉ tiêu, nhiệm vụ trọng "
                    "tâm cho người đứng đầu các cơ quan, đơn vị, địa phương.",
                    "Ban Thường vụ Huyện ủy Yên Lạc khen thưởng các cá nhân, tập thể có thành tích "
                    "xuất sắc trong công tác Đảng và thực hiện các chỉ tiêu, nhiệm vụ năm 2022."):
        assert body.count(caption) == 1


def test_seed_byline_becomes_author_and_footer_goes():
    article = clean_text_article(SEED.read_text(encoding="utf-8"))
    assert article["authors"] == ["Lê Sơn"]
    assert "Phiên bản di động" not in article["body"]
    assert not article["body"].endswith("Lê Sơn")
    assert article["extractor"] == "clean-text@1"
    assert article["language"] == "vi"


def test_seed_related_box_headlines_become_related_links():
    article = clean_text_article(SEED.read_text(encoding="utf-8"))
    assert [r["title"] for r in article["related"]] == [
        "Vĩnh Phúc: Bắt giữ thanh niên cướp điện thoại Iphone 14 Promax",
        "Vĩnh Phúc: Khánh thành Trung tâm Y tế thành phố Phúc Yên",
        "Vĩnh Phúc: Tuyên truyền kịp thời, toàn diện, đậm nét các sự kiện thời sự, chính trị-xã hội năm 2023",
    ]
    assert all(r["url"] is None for r in article["related"])
    assert "PromaxVĩnh" not in article["sapo"] + article["body"]


# --- real prose is never damaged ---------------------------------------------------------------

@pytest.mark.parametrize("path", GOLD, ids=lambda p: p.name.split(".")[0])
def test_gold_body_passes_through_unchanged(path):
    gold = json.loads(path.read_text(encoding="utf-8"))
    body = gold["body"].split("\n")
    kept, authors, related = clean_paragraphs(body, gold["title"])
    assert kept == body
    assert authors == [] and related == []


@pytest.mark.parametrize("line", [
    "Cổ phiếu của VinFast tăng mạnh sau khi TikTok và TPBank công bố hợp tác với iPhone",
    "Ông Nguyễn Văn A, Chủ tịch HĐQT Tập đoàn HòaPhát phát biểu tại lễ khởi công dự án",
    "Smart tivi Samsung 50 inch 4K UA-50AU7700 hiển thị xuất sắc, giá chỉ từ 7 triệu đồng",
    "Bản quyền tác giả là vấn đề được nhiều đại biểu quan tâm tại kỳ họp.",
    "Xem thêm các quy định mới, người dân có thể truy cập Cổng thông tin điện tử của tỉnh.",
])
def test_prose_with_glued_brands_or_label_words_is_kept(line):
    kept, authors, related = clean_paragraphs(["Mở đầu bài viết.", line, "Kết thúc bài viết."])
    assert kept == ["Mở đầu bài viết.", line, "Kết thúc bài viết."]
    assert related == []


def test_short_sentence_at_the_end_is_not_a_byline():
    kept, authors, _ = clean_paragraphs(["Mở đầu bài viết.", "Chúc mừng năm mới!"])
    assert kept == ["Mở đầu bài viết.", "Chúc mừng năm mới!"] and authors == []


# --- each kind of junk ---------------------------------------------------------------------------

def test_headlines_glued_after_a_widget_label_become_related():
    line = ("Tham khảo thêmChính sách mới có hiệu lực từ tháng 2/2026Tham khảo thêm"
            "Châu Âu: Nhiều chính sách mới có hiệu lực năm 2026")
    kept, _, related = clean_paragraphs(["Đoạn văn đầu tiên của bài.", line])
    assert kept == ["Đoạn văn đầu tiên của bài."]
    assert [r["title"] for r in related] == ["Chính sách mới có hiệu lực từ tháng 2/2026",
                                            "Châu Âu: Nhiều chính sách mới có hiệu lực năm 2026"]


def test_three_glued_headlines_without_a_shared_prefix_are_split():
    line = ("Giá xăng dầu tăng mạnh từ chiều nay tại nhiều tỉnhXuất hiện tình trạng hết xăng "
            "ở một số cây xăng Hà NộiNgân hàng giảm lãi suất cho vay mua nhà ở xã hội")
    assert split_glued_headlines(line) == [
        "Giá xăng dầu tăng mạnh từ chiều nay tại nhiều tỉnh",
        "Xuất hiện tình trạng hết xăng ở một số cây xăng Hà Nội",
        "Ngân hàng giảm lãi suất cho vay mua nhà ở xã hội",
    ]


def test_related_prefix_line_gives_its_headline():
    kept, _, related = clean_paragraphs(["Đoạn văn của bài.",
                                         "Xem thêm: Vĩnh Phúc khánh thành Trung tâm Y tế Phúc Yên"])
    assert kept == ["Đoạn văn của bài."]
    assert related == [{"url": None, "title": "Vĩnh Phúc khánh thành Trung tâm Y tế Phúc Yên"}]


def test_caption_saved_twice_in_a_row_is_kept_once_with_its_credit():
    caption = "Đại biểu dâng hoa tại Nghĩa trang liệt sĩ tỉnh"
    kept, _, _ = clean_paragraphs(["Đoạn một.", caption, caption + ". Ảnh: THUẬN VĂN", "Đoạn hai."])
    assert kept == ["Đoạn một.", caption + ". Ảnh: THUẬN VĂN", "Đoạn hai."]


def test_title_repeated_in_the_body_is_dropped_whatever_the_tone_placement():
    kept, _, _ = clean_paragraphs(["Đoạn một.", "Hoà Bình: khai mạc lễ hội", "Đoạn hai."],
                                  title="Hòa Bình: khai mạc lễ hội")
    assert kept == ["Đoạn một.", "Đoạn hai."]


@pytest.mark.parametrize("junk", [
    "Phiên bản di động", "Đọc tiếp", "Về trang Chủ đề", "Đọc tiếp Về trang Chủ đề", "Xem thêm",
    "Tin liên quan", "Tin liên quan:", "Từ khóa: #Lào Cai #phụ nữ quân đội", "Chia sẻ",
    "Chia sẻ Facebook Zalo", "In bài", "Copy link thành công",
    "© Bản quyền thuộc về Báo Lào Cai. Ghi rõ nguồn khi phát hành lại thông tin từ website này.",
])
def test_widget_and_footer_lines_are_dropped(junk):
    kept, _, _ = clean_paragraphs(["Đoạn một của bài.", junk, "Đoạn hai của bài."])
    assert kept == ["Đoạn một của bài.", "Đoạn hai của bài."]


@pytest.mark.parametrize("line, authors", [
    ("Lê Sơn", ["Lê Sơn"]),
    ("Tin, ảnh: P.Y", ["P.Y"]),
    ("Theo TTXVN", ["TTXVN"]),
    ("Nguồn: VnExpress", ["VnExpress"]),
    ("NHẬT XUÂN - NGHI VŨ", ["NHẬT XUÂN", "NGHI VŨ"]),
    ("Hà Thu (tổng hợp)", ["Hà Thu"]),
    ("Bài và ảnh: Minh Anh, Quốc Huy", ["Minh Anh", "Quốc Huy"]),
])
def test_final_byline_line_becomes_authors(line, authors):
    assert byline_authors(line) == authors
    kept, found, _ = clean_paragraphs(["Đoạn một của bài.", line])
    assert kept == ["Đoạn một của bài."] and found == authors


def test_byline_above_the_footer_is_found():
    kept, authors, _ = clean_paragraphs(["Đoạn một.", "Anh Dũng", "Phiên bản di động"])
    assert kept == ["Đoạn một."] and authors == ["Anh Dũng"]


# --- many articles and the command line --------------------------------------------------------

def test_dump_splits_on_separator_lines_not_blank_lines():
    dump = "Tít một\n\nĐoạn một.\n---\nTít hai\nĐoạn hai.\n\n---\n\n"
    assert list(split_dump(dump.splitlines(keepends=True), "---")) == [
        "Tít một\n\nĐoạn một.\n", "Tít hai\nĐoạn hai.\n\n"]


def test_dump_splits_on_form_feeds():
    assert list(split_dump(["Tít một\n", "Đoạn.\f Tít hai\n", "Đoạn hai.\n"], "\f")) == [
        "Tít một\nĐoạn.", " Tít hai\nĐoạn hai.\n"]


def test_cli_prints_one_article_as_json():
    result = CliRunner().invoke(cli, ["clean-text", str(SEED)])
    assert result.exit_code == 0, result.output
    article = json.loads(result.output)
    assert article["authors"] == ["Lê Sơn"]
    assert set(article) >= {"title", "sapo", "body", "authors", "images", "related", "extractor"}


def test_cli_missing_file_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["clean-text", str(tmp_path / "nope.txt")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: cannot read {tmp_path / 'nope.txt'}: No such file or directory"]


def test_cli_non_utf8_file_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("Tiêu đề\nĐoạn.".encode("utf-16"))
    result = CliRunner().invoke(cli, ["clean-text", str(bad)])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and "not UTF-8" in result.output


def test_cli_jsonl_passes_id_and_url_through_and_reports_bad_records(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([json.dumps({"id": "a1", "url": "https://baovinhphuc.com.vn/x", "text": text}),
                               "{not json",
                               json.dumps({"text": "Tiêu đề hai\nĐoạn mở đầu.\nĐoạn thân."})]) + "\n",
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["clean-text", "--jsonl", str(path)])
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a.get("id") for a in out] == ["a1", None]
    assert out[0]["url"] == "https://baovinhphuc.com.vn/x" and out[0]["authors"] == ["Lê Sơn"]
    assert out[1]["title"] == "Tiêu đề hai" and out[1]["body"] == "Đoạn thân."
    assert "line 2: not JSON" in result.stderr


def test_cli_split_on_prints_one_json_line_per_article(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    path = tmp_path / "dump.txt"
    path.write_text(text + "\n---\n" + text + "\n---\nTiêu đề ba\nĐoạn mở đầu.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["clean-text", "--split-on", "---", str(path)])
    assert result.exit_code == 0, result.output
    titles = [json.loads(line)["title"] for line in result.output.splitlines()]
    assert titles == [seed_lines()[0], seed_lines()[0], "Tiêu đề ba"]


def test_caption_and_its_copy_without_full_stop_are_one():
    caption = "Ban Thường vụ Huyện ủy trao quyết định cho các đơn vị."
    kept, _, _ = clean_paragraphs(["Đoạn một.", caption[:-1], caption, "Đoạn hai."])
    assert kept == ["Đoạn một.", caption, "Đoạn hai."]


def test_footer_glued_to_the_byline_is_cut_and_the_byline_found():
    kept, authors, _ = clean_paragraphs(["Đoạn một của bài.", "Lê SơnPhiên bản di động"])
    assert kept == ["Đoạn một của bài."] and authors == ["Lê Sơn"]


def test_headlines_sharing_a_province_prefix_are_split_even_with_spaces_between():
    line = ("Vĩnh Phúc: Bắt giữ thanh niên cướp điện thoại Vĩnh Phúc: Khánh thành Trung tâm Y tế "
            "thành phố Phúc Yên Vĩnh Phúc: Tuyên truyền kịp thời các sự kiện năm 2023")
    assert split_glued_headlines(line) == [
        "Vĩnh Phúc: Bắt giữ thanh niên cướp điện thoại",
        "Vĩnh Phúc: Khánh thành Trung tâm Y tế thành phố Phúc Yên",
        "Vĩnh Phúc: Tuyên truyền kịp thời các sự kiện năm 2023",
    ]


def test_headline_ending_in_a_question_mark_splits_from_the_next():
    line = ("Vì sao giá vàng tăng mạnh trong tuần này?Người dân xếp hàng mua vàng từ sáng sớm"
            "Ngân hàng Nhà nước nói gì về thị trường vàng")
    assert len(split_glued_headlines(line)) == 3


def test_prose_that_repeats_a_place_name_with_a_colon_is_kept():
    line = ("Hà Nội: nhiệt độ cao nhất 35 độ C, trong khi đó Hà Nội: vùng ngoại thành có mưa "
            "rào và dông vào chiều tối.")
    assert clean_paragraphs(["Đoạn đầu.", line])[0] == ["Đoạn đầu.", line]


@pytest.mark.parametrize("line", ["Thứ bảy, 07/03/2026 - 08:07", "07/03/2026 08:06 GMT+7",
                                  "Thứ bảy, 7/3/2026, 00:05 (GMT+7)", "Cập nhật: 10:30 ngày 08/01/2026",
                                  "07-03-2026 - 09:40 AM"])
def test_date_stamp_lines_leave_the_body(line):
    kept, _, _ = clean_paragraphs(["Đoạn một.", line, "Đoạn hai."])
    assert kept == ["Đoạn một.", "Đoạn hai."]


@pytest.mark.parametrize("line", ["Ngày 8-1-2026, UBND tỉnh họp phiên thường kỳ.",
                                  "Sáng 07/03/2026 tại Hà Nội"])
def test_sentences_with_a_date_stay(line):
    assert clean_paragraphs(["Đoạn một.", line])[0] == ["Đoạn một.", line]


def test_date_line_under_the_headline_becomes_the_publication_time():
    article = clean_text_article("Tít bài\nThứ bảy, 07/03/2026 - 08:07\nMở đầu bài.\nThân bài.")
    assert article["published_raw"] == "Thứ bảy, 07/03/2026 - 08:07"
    assert article["published_at"] == "2026-03-07T08:07:00+07:00"
    assert (article["sapo"], article["body"]) == ("Mở đầu bài.", "Thân bài.")


def test_cli_split_on_form_feed_reads_standard_input():
    dump = "Tiêu đề một\nĐoạn mở đầu một.\n\fTiêu đề hai\nĐoạn mở đầu hai.\n"
    result = CliRunner().invoke(cli, ["clean-text", "--split-on", "\\f", "-"], input=dump)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["sapo"] for line in result.output.splitlines()] == [
        "Đoạn mở đầu một.", "Đoạn mở đầu hai."]


def test_cli_refuses_jsonl_and_split_on_together():
    result = CliRunner().invoke(cli, ["clean-text", "--jsonl", "--split-on", "---", str(SEED)])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: give --jsonl or --split-on, not both"


def test_hard_wrapped_paragraphs_are_joined_back():
    text = ("Tiêu đề bài viết\n\nĐoạn mở đầu nói về việc xã vừa hoàn thành\ncon đường mới dài hai "
            "cây số.\n\nĐoạn thân bài thứ nhất.\nĐoạn thân bài thứ hai.\n")
    article = clean_text_article(text)
    assert article["sapo"] == "Đoạn mở đầu nói về việc xã vừa hoàn thành con đường mới dài hai cây số."
    assert article["body"] == "Đoạn thân bài thứ nhất.\nĐoạn thân bài thứ hai."


def test_plain_text_in_another_language_is_not_called_vietnamese():
    text = ("Home Depot beats earnings estimates\n"
            "Dow component Home Depot reported third-quarter earnings that topped estimates as revenue "
            "fell short, sending shares lower ahead of the opening bell on Tuesday in New York.\n"
            "Rival Lowe's was also lower following the results, which analysts called mixed.")
    assert clean_text_article(text)["language"] is None
