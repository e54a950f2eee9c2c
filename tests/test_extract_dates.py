"""Vietnamese date strings → ISO 8601 in +07:00 (pipelines.dates)."""
import unicodedata

import pytest

from pipelines.dates import split_published_modified, to_iso

NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731


@pytest.mark.parametrize("raw, expected", [
    ("Thứ bảy, 7/3/2026, 00:05 (GMT+7)", "2026-03-07T00:05:00+07:00"),          # vnexpress, not zero-padded
    ("Thứ tư, 22/10/2025, 19:25 (GMT+7)", "2025-10-22T19:25:00+07:00"),
    ("Thứ ba, 23/12/2025 09:02 (GMT+7)", "2025-12-23T09:02:00+07:00"),          # znews
    ("Thứ Bảy, 07/03/2026 - 08:52", "2026-03-07T08:52:00+07:00"),               # vietnamnet, dantri
    ("07/03/2026 08:52 (GMT+07:00)", "2026-03-07T08:52:00+07:00"),
    (NFD("Thứ Tư, 24/12/2025 09:30:00 +07:00"), "2025-12-24T09:30:00+07:00"),   # vtcnews, decomposed accents
    ("07/03/2026 08:06 GMT+7", "2026-03-07T08:06:00+07:00"),                    # nld, tuoitre
    ("01/03/2026 09:51", "2026-03-01T09:51:00+07:00"),                          # no zone: Vietnam time
    ("08/01/2026 - 18:21", "2026-01-08T18:21:00+07:00"),                        # baocantho
    ("- 07/03/2026 08:47", "2026-03-07T08:47:00+07:00"),                        # baodautu
    ("07-03-2026 - 09:40 AM", "2026-03-07T09:40:00+07:00"),                     # cafef
    ("07-03-2026 - 00:01 AM", "2026-03-07T00:01:00+07:00"),
    ("07-03-2026 - 01:15 PM", "2026-03-07T13:15:00+07:00"),
    ("23:02 , 06/03/2026", "2026-03-06T23:02:00+07:00"),                        # time first
    ("15:30 ngày 05-03-2026", "2026-03-05T15:30:00+07:00"),
    ("ngày 7 tháng 3 năm 2026", "2026-03-07T00:00:00+07:00"),
    ("17 tháng Sáu năm 2025", "2025-06-17T00:00:00+07:00"),                      # the month in words
    ("1 tháng Giêng, 2026", "2026-01-01T00:00:00+07:00"),
    ("Thứ hai, 17 tháng Mười Một năm 2025 10:30", "2025-11-17T10:30:00+07:00"),
    ("mùng 5 tháng Tám năm 2023", "2023-08-05T00:00:00+07:00"),
    ("NGÀY 05 THÁNG 03, 2026 | 14:20", "2026-03-05T14:20:00+07:00"),
    ("Cập nhật: 08:10 07/03/2026", "2026-03-07T08:10:00+07:00"),
    ("2026-03-07T08:52:11.000 +07:00", "2026-03-07T08:52:11+07:00"),            # space before the offset
    ("2025-10-09T17:55:47+0700", "2025-10-09T17:55:47+07:00"),                  # offset without colon
    ("2025-12-23T09:02:07.000+07:00", "2025-12-23T09:02:07+07:00"),
    ("2026-03-07T00:01:00", "2026-03-07T00:01:00+07:00"),                       # meta without zone
    ("2026-03-07T01:06:00Z", "2026-03-07T08:06:00+07:00"),                      # UTC converted
])
def test_vietnamese_dates_become_iso_in_vietnam_time(raw, expected):
    assert to_iso(raw) == expected


@pytest.mark.parametrize("raw", ["", None, "hôm qua", "Tin mới nhất", "31/02/2026 10:00"])
def test_text_without_a_real_date_gives_none(raw):
    assert to_iso(raw) is None


def test_published_and_modified_in_one_element_are_kept_apart():
    published, modified = split_published_modified("07/03/2026 08:00 | Cập nhật: 07/03/2026 09:10")
    assert to_iso(published) == "2026-03-07T08:00:00+07:00"
    assert to_iso(modified) == "2026-03-07T09:10:00+07:00"


def test_a_lone_updated_date_is_only_the_modified_one():
    assert split_published_modified("Cập nhật 07/03/2026 09:10") == ("", "07/03/2026 09:10")


from pipelines.dates import datetime_span  # noqa: E402


@pytest.mark.parametrize("line, shown", [
    ("Nguyên Minh - 07/03/2026 08:47", "07/03/2026 08:47"),
    ("Tri Túc Thứ bảy, 07/03/2026 - 08:07", "Thứ bảy, 07/03/2026 - 08:07"),
    ("Thứ bảy, 7/3/2026, 00:05 (GMT+7)", "Thứ bảy, 7/3/2026, 00:05 (GMT+7)"),
    ("07/03/2026 08:52 (GMT+07:00)", "07/03/2026 08:52 (GMT+07:00)"),
    ("Thứ Tư, 24/12/2025 09:30:00 +07:00", "Thứ Tư, 24/12/2025 09:30:00 +07:00"),
    ("07-03-2026 - 09:40 AM | Thị trường chứng khoán", "07-03-2026 - 09:40 AM"),
    ("23:02 , 06/03/2026", "23:02 , 06/03/2026"),
    ("Cập nhật lúc 08:47 ngày 07/03/2026", "08:47 ngày 07/03/2026"),
    ("NGÀY 05 THÁNG 03, 2026 | 14:20", "NGÀY 05 THÁNG 03, 2026 | 14:20"),
    ("Chủ nhật, 8/3/2026 | 10:15", "Chủ nhật, 8/3/2026 | 10:15"),
    ("Published 10:02 AM EST Nov 19, 2019", "10:02 AM EST Nov 19, 2019"),
])
def test_the_date_and_time_shown_in_a_line_are_found_with_weekday_and_zone(line, shown):
    start, end = datetime_span(line)
    assert line[start:end] == shown
    assert to_iso(shown, guess=False) is not None


@pytest.mark.parametrize("line", ["Ngày 7 tháng 3 năm 2026", "Tháng 3/2026 có nhiều chính sách mới",
                                  "Giá vàng tăng 500.000 đồng"])
def test_a_line_without_a_date_and_a_time_shows_none(line):
    assert datetime_span(line) is None


from pipelines.clean_text import byline_dateline  # noqa: E402


@pytest.mark.parametrize("line, names", [
    ("Nguyên Minh - 07/03/2026 08:47", ["Nguyên Minh"]),
    ("Tri Túc Thứ bảy, 07/03/2026 - 08:07", ["Tri Túc"]),
    ("Published 10:02 AM EST Nov 19, 2019", []),
    ("07-03-2026 - 09:40 AM | Thị trường chứng khoán", []),
    ("Ngày 7/3/2026, UBND tỉnh tổ chức hội nghị tổng kết", None),
    ("— The Nigerian Senate (@NGRSenate) October 9, 2018", None),
])
def test_a_header_line_of_a_date_and_a_byline_gives_its_names(line, names):
    assert byline_dateline(line) == names



def test_dateparser_guesses_from_todays_clock_are_refused():
    from pipelines.dates import _dateparser
    # dateparser read "Sáu năm" (six years) and answered with today's date and time, to the microsecond
    assert _dateparser("17 tháng Sáu năm 2025") is None


def test_a_place_by_the_shown_date_is_no_author():
    assert byline_dateline("Hà Nội, 07/03/2026 08:47") == []
    assert byline_dateline("TP.HCM - 07/03/2026 08:47") == []
