"""Vietnamese news dates → ISO 8601 in Vietnam time (+07:00).

Pages write dates many ways: "Thứ bảy, 7/3/2026, 00:05 (GMT+7)", "07-03-2026 - 09:40 AM",
"- 07/03/2026 08:47", "23:02 , 06/03/2026", "ngày 7 tháng 3 năm 2026", metadata such as
"2026-03-07T08:52:11.000 +07:00" or "2025-10-09T17:55:47+0700", or no zone at all. Precompiled
patterns cover these (fast, exact); dateparser is only a last resort for anything else.
Every result is converted to +07:00 so one article has one offset whatever the page used;
a time without a zone is Vietnam time.
"""
from __future__ import annotations

import datetime as dt
import re

from common.text import nfc

VN_TZ = dt.timezone(dt.timedelta(hours=7))

# Weekday names, also in lower case and with "Thứ 2…7"; NFC is applied before matching.
_WEEKDAY = re.compile(r"(?:thứ\s*(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ\s*nhật|\bCN)\s*[,-]?", re.I)
_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?"
                  r"\s*(Z|[+-]\d{2}:?\d{2})?", re.I)
_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)")
# "ngày 7 tháng 3 năm 2026", "17 tháng Sáu năm 2025", "1 tháng Giêng, 2026": months in digits or words.
_MONTH_WORDS = {"giêng": 1, "một": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7,
                "bẩy": 7, "tám": 8, "chín": 9, "mười": 10, "mười một": 11, "mười hai": 12, "chạp": 12}
_VERBAL = re.compile(r"(?:ngày\s+)?(?<!\d)(\d{1,2})\s+tháng\s+(\d{1,2}|"
                     + "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))
                     + r")\s*(?:,|năm)?\s*(\d{4})", re.I)
_TIME = re.compile(r"(?<![\d/.+-])(\d{1,2})\s*(?::|h(?=\d))\s*(\d{2})(?::(\d{2}))?(?!\d)"
                   r"(?:\s*(AM|PM|SA|CH)\b)?", re.I)
_ZONE = re.compile(r"(?:GMT|UTC)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?|(?<![\d:])([+-])(\d{2}):?(\d{2})\b",
                   re.I)
# English month names (wire copies, English editions): "Nov 20, 2019", "20 November 2019".
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_EN_DATE = re.compile(r"\b(?:(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})|([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4}))\b")
_ZONE_HOURS = {"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
               "IST": 5.5, "BST": 1, "CET": 1, "CEST": 2, "JST": 9, "KST": 9, "ICT": 7, "AEST": 10, "AEDT": 11}
_NAMED_ZONE = re.compile(r"\b(" + "|".join(_ZONE_HOURS) + r")\b")
# "Cập nhật" / "Updated" start the modified date when one element shows both.
_MODIFIED_LABEL = re.compile(r"cập\s*nhật|update[d]?|sửa\s*lúc|chỉnh\s*sửa", re.I)


def _zone(sign: str, hours: str, minutes: str | None) -> dt.timezone:
    delta = dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
    return dt.timezone(-delta if sign == "-" else delta)


def _build(y, mo, d, h=0, mi=0, s=0, tz=None) -> dt.datetime | None:
    try:
        value = dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                            tzinfo=tz or VN_TZ)
    except ValueError:
        return None
    if not 1990 <= value.year <= 2100:
        return None
    return value


def _iso_match(text: str) -> dt.datetime | None:
    m = _ISO.search(text)
    if not m:
        return None
    y, mo, d, h, mi, s, zone = m.groups()
    tz = None
    if zone and zone.upper() == "Z":
        tz = dt.timezone.utc
    elif zone:
        zm = re.match(r"([+-])(\d{2}):?(\d{2})", zone)
        tz = _zone(*zm.groups())
    return _build(y, mo, d, h, mi, s, tz)


def _free_text(text: str) -> dt.datetime | None:
    """A day-first date with an optional time and zone anywhere around it."""
    m = _DMY.search(text) or _VERBAL.search(text)
    if m:
        d, mo, y = m.groups()
        mo = _MONTH_WORDS.get(mo.lower(), mo)
    else:
        m = _EN_DATE.search(text)
        month = m and _MONTHS.get((m.group(2) or m.group(4))[:3].lower())
        if not month:
            return None
        d, y = (m.group(1), m.group(3)) if m.group(1) else (m.group(5), m.group(6))
        mo = month
    rest = text[:m.start()] + " | " + text[m.end():]
    h = mi = s = 0
    tm = _TIME.search(rest)
    if tm:
        h, mi, s, half = int(tm.group(1)), int(tm.group(2)), int(tm.group(3) or 0), tm.group(4)
        if half:  # "SA"/"CH" are the Vietnamese AM/PM
            pm = half.upper() in ("PM", "CH")
            h = (h % 12) + (12 if pm else 0)
        rest = rest[:tm.start()] + rest[tm.end():]
    tz = None
    named = _NAMED_ZONE.search(rest)
    if named:
        tz = dt.timezone(dt.timedelta(hours=_ZONE_HOURS[named.group(1)]))
    zm = None if named else _ZONE.search(rest)
    if zm and (zm.group(2) or zm.group(4)):
        tz = _zone(zm.group(1), zm.group(2), zm.group(3)) if zm.group(2) else \
            _zone(zm.group(4), zm.group(5), zm.group(6))
    elif zm:  # bare "GMT"/"UTC"
        tz = dt.timezone.utc
    return _build(y, mo, d, h, mi, s, tz)


def _dateparser(text: str) -> dt.datetime | None:
    try:
        import dateparser  # slow to import: only for strings the patterns don't know
    except ImportError:  # pragma: no cover
        return None
    value = dateparser.parse(text, languages=["vi", "en"], settings={
        "TIMEZONE": "Asia/Ho_Chi_Minh", "RETURN_AS_TIMEZONE_AWARE": True,
        "DATE_ORDER": "DMY", "PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["day", "month", "year"]})
    # dateparser fills what it did not read from the current time: a year the text does not say,
    # or today's time to the microsecond, is a guess, not the page's date
    years = re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", text)
    if value is not None and (value.microsecond or years and str(value.year) not in years):
        return None
    return value


def parse_datetime(text: str | None, guess: bool = True) -> dt.datetime | None:
    """The first date (and time) in `text` as an aware datetime in +07:00, or None. Without
    `guess`, only this module's patterns are tried (dateparser is slow to load and to run)."""
    text = nfc(text).strip()
    if not text or not re.search(r"\d", text):
        return None
    if _ISO.search(text):  # machine-readable: the pattern is the whole answer (0001-01-01 is None)
        value = _iso_match(text)
    else:
        value = _free_text(_WEEKDAY.sub(" ", text))
        if value is None and guess and len(text) <= 80:
            value = _dateparser(text)
    return value.astimezone(VN_TZ) if value else None


def to_iso(text: str | None, guess: bool = True) -> str | None:
    """ISO 8601 with +07:00 ("2026-03-07T08:52:11+07:00") for the date in `text`, or None."""
    value = parse_datetime(text, guess)
    return value.isoformat() if value else None


_DATE_ONLY = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
# A zone written after a shown time: "(GMT+7)", "(GMT+07:00)", "GMT+7", "+07:00", "ICT", "EST".
_SHOWN_ZONE = re.compile(r"\s*\(?\s*(?:GMT|UTC)\s*(?:[+-]\s*\d{1,2}(?::?\d{2})?)?\s*\)?|\s*[+-]\d{2}:?\d{2}\b|"
                         r"\s*\b(?:" + "|".join(_ZONE_HOURS) + r")\b", re.I)
_LEADING_WEEKDAY = re.compile(r"(?:thứ\s*(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ\s*nhật|(?:mon|tues|wednes|thurs|fri|"
                              r"satur|sun)day)\s*[,-]?\s*$", re.I)
# How far apart a shown date and its time may be ("08/01/2026 - 18:21", "10:30 ngày 08/01/2026").
_TIME_REACH = 14
_BETWEEN = re.compile(r"^[\s,|–—-]*(?:(?:GMT|UTC)[+-]?\d{0,2}|[A-Z]{3,4})?[\s,|–—-]*(?:lúc|at|ngày|,)?[\s,|–—-]*$")


def datetime_span(text: str | None, need_time: bool = True) -> tuple[int, int] | None:
    """(start, end) of the date-and-time shown in a short line, with the weekday before it and the
    zone after it ("Nguyên Minh - Thứ bảy, 7/3/2026, 00:05 (GMT+7)" → the part from "Thứ"), in any
    of the Vietnamese forms of this module's docstring or an English one ("Nov 19, 2019 10:02 AM
    EST"); None without both a date and a time (a bare date is too weak a sign on a page full of
    dates), unless not `need_time`. `text` must be NFC."""
    if not text or not re.search(r"\d", text):
        return None
    m = _DMY.search(text) or _VERBAL.search(text) or _DATE_ONLY.search(text) or _EN_DATE.search(text)
    if not m:
        return None
    if m.re is _EN_DATE and not _MONTHS.get((m.group(2) or m.group(4) or "")[:3].lower()):
        return None
    start, end = m.span()
    after = _TIME.search(text, end, min(len(text), end + _TIME_REACH + 12))
    if after and _BETWEEN.match(text[end:after.start()]):
        end = after.end()
    else:
        before = None
        for t in _TIME.finditer(text, max(0, start - _TIME_REACH - 12), start):
            before = t
        if before is not None and _BETWEEN.match(text[before.end():start]):
            start = before.start()
        elif need_time:
            return None
    zone = _SHOWN_ZONE.match(text, end)
    if zone:
        end = zone.end()
    weekday = _LEADING_WEEKDAY.search(text, 0, start)
    if weekday and not text[weekday.end():start].strip():
        start = weekday.start()
    return start, end


def split_published_modified(text: str | None) -> tuple[str, str]:
    """One visible date element may show both: "07/03/2026 08:00 | Cập nhật: 07/03/2026 09:10".

    Returns (published part, modified part); either may be "".
    """
    text = nfc(text)
    m = _MODIFIED_LABEL.search(text)
    if not m:
        return text.strip(), ""
    before, after = text[:m.start()], text[m.end():]
    if not _DMY.search(before) and not _ISO.search(before):
        return "", after.strip(" :|-")
    return before.strip(" |-"), after.strip(" :|-")
