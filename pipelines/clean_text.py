"""Text-level cleaning: the junk that survives into a list of paragraphs.

`clean_paragraphs` works on paragraphs only (no DOM), so it serves both the HTML extractors
(after they pick the body) and plain text saved by other scrapers (`clean_text_article`,
`tintinh clean-text`). It removes, without ever rewording a kept paragraph:

* related-headline boxes saved as one line, headlines glued together with no separator
  ("…Iphone 14 PromaxVĩnh Phúc: Khánh thành…PhúcYênVĩnh Phúc: Tuyên truyền…") → `related`;
* "Xem thêm: <headline>" / "Tin liên quan: <headline>" lines → `related`;
* a caption saved twice in a row (image alt/title, then the caption);
* the title repeated in the body;
* byline lines at the end ("Lê Sơn", "Tin, ảnh: P.Y", "Theo TTXVN", "Nguồn: …") → `authors`;
* widget and footer labels ("Phiên bản di động", "Đọc tiếp", "Từ khóa: …", "Chia sẻ"…);
* date/time stamp lines ("Thứ bảy, 07/03/2026 - 08:07").

Real prose is never touched: a line is dropped only when one of these patterns holds for the
whole line, and the glued-headline test needs several independent signs at once.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator

from common.provinces import provinces_named
from pipelines.article import new_article
from pipelines.author_names import title_case_name
from pipelines.clean_dom import is_place
from pipelines.dates import datetime_span, to_iso
from pipelines.language import page_language
from common.text import content_key, fold_accents, fold_spaces, nfc

EXTRACTOR = "clean-text@1"

# ---------------------------------------------------------------------------------------------
# Data: labels, prefixes, byline forms
# ---------------------------------------------------------------------------------------------

# Whole lines that are widget, navigation or footer labels (one or several in a row).
WIDGET_LABELS = (
    "phiên bản di động", "phiên bản máy tính", "đọc tiếp", "về trang chủ đề", "xem thêm",
    "xem tiếp", "đọc thêm", "tham khảo thêm", "tin liên quan", "bài liên quan",
    "tin cùng chuyên mục", "cùng chuyên mục", "tin khác", "tin mới", "tin mới nhất",
    "đọc nhiều", "xem nhiều", "có thể bạn quan tâm", "bạn có thể quan tâm", "chia sẻ",
    "chia sẻ bài viết", "in bài", "bản in", "gửi bài", "lưu bài", "lưu", "bình luận",
    "gửi bình luận", "ý kiến bạn đọc", "quay lại", "trở về", "trở lại", "lên đầu trang",
    "về đầu trang", "trang chủ", "copy link", "copy link thành công", "sao chép liên kết",
    "theo dõi", "theo dõi chúng tôi", "facebook", "zalo", "twitter", "email", "tweet", "share",
    "print", "quảng cáo", "advertisement", "nghe bài viết", "nghe đọc bài", "tải ứng dụng",
    "thích", "like", "top",
)
# Lines that are a tag list or a masthead/copyright footer (short lines only).
FOOTER_LINE = re.compile(
    r"^(?:từ khóa|từ khoá|tags?|chủ đề|keywords?|giấy phép|tổng biên tập|cơ quan chủ quản|"
    r"phó tổng biên tập|tòa soạn|toà soạn|đường dây nóng|hotline)\s*[:：#]|"
    r"^[©ⓒ]|^copyright\s*(?:[©ⓒ:：]|\(c\)|\d{4}|by\b)", re.I)     # not "Copyright lawyers said…"
# Copyright notices say so somewhere in a short line.
COPYRIGHT = re.compile(r"bản quyền thuộc|all rights reserved|ghi rõ nguồn")   # on line.lower()
# …or in a longer one that is only that: "This document is subject to copyright. Apart from any fair
# dealing…", "This material may not be published, broadcast, rewritten or redistributed."
COPYRIGHT_NOTICE = re.compile(r"^(?:this (?:document|article|story|material|content) (?:is subject to copyright|"
                              r"(?:may|must) not be (?:re)?published))", re.I)
# How to cite the page ("Citation: <headline> (2019, November 18) retrieved 20 November 2019 from https://…").
CITE_THIS = re.compile(r"^(?:citation|cite this(?: article| page)?)\s*:.{0,300}\bretrieved\b.{0,60}https?://\S+$", re.I)
# "Xem thêm: <headline>": the label goes, the headline becomes a related link.
RELATED_PREFIXES = re.compile(
    r"^(?:xem thêm về|mời xem thêm|xem thêm|đọc thêm|tham khảo thêm|tin liên quan|"
    r"bài liên quan|>>>|>>|►|▶)(?:\s*[:：>»\-–]+\s*|\s*(?=[^\W\d_]))(?=\S)", re.I)

# Bylines: prefixes that credit people or agencies.
BYLINE_PREFIX = re.compile(
    r"^(?:tin và ảnh|tin, ảnh|tin - ảnh|tin/ảnh|bài và ảnh|bài, ảnh|bài - ảnh|bài/ảnh|"
    r"bài|tin|nhóm phóng viên|nhóm pv|tác giả|người viết|thực hiện|ghi chép|"
    r"video|clip|nguồn|theo)\s*[:：]?\s+(?=\S)", re.I)
_AGENCY = re.compile(r"^(?:TTXVN|TTXVN/Vietnam\+|Vietnam\+|VNA|AFP|Reuters|AP|Xinhua|TTO|VOV|VTV|"
                     r"BNEWS|VTC News|Vietnamplus)$", re.I)
_NAME_WORD = re.compile(r"^(?:[^\W\d_]\.)+[^\W\d_]*\.?$|^[^\W\d_][^\W\d_'’]*$")
_AUTHOR_SEPARATORS = re.compile(r"\s+(?:-|–|—|và|&)\s+|\s*[,;/]\s*")
_AUTHOR_NOTE = re.compile(r"\s*\((?:tổng hợp|theo [^)]*|lược dịch|dịch|ctv|biên dịch|th)\)\s*$", re.I)

SENTENCE_END = frozenset(".!?…:;”\"»)]")

# Letters by case (Latin + Vietnamese), for glued-headline junctions "PromaxVĩnh".
_LATIN = [chr(c) for c in list(range(0x41, 0x250)) + list(range(0x1E00, 0x1F00))]
_UPPER = "".join(c for c in _LATIN if c.isalpha() and c.isupper())
_LOWER = "".join(c for c in _LATIN if c.isalpha() and c.islower())
_JUNCTION = re.compile(f"(?<=[{re.escape(_LOWER)}0-9)”\"’»?!…])(?=[{re.escape(_UPPER)}])")
# A Vietnamese syllable (accents folded): the word after a junction must be one, so brand
# names glued in real prose ("VinFast", "TikTok", "TPBank", "iPhone") are not junctions.
_SYLLABLE = re.compile(r"^(?:ngh|ng|nh|ch|tr|th|kh|ph|gh|gi|qu|[bcdghklmnprstvx])?"
                       r"[aeiouy]{1,3}(?:ch|nh|ng|[cmnpt])?$")
_WORD = re.compile(r"[^\W\d_]+")
_PREFIX = re.compile(r"^([^:：]{2,30})[:：]\s")

_LABELS_RE = re.compile(
    r"^(?:(?:" + "|".join(re.escape(label).replace(r"\ ", r"\s*") for label in
                          sorted(WIDGET_LABELS, key=len, reverse=True)) +
    r")\s*[:|•·/\-–]*\s*)+$", re.I)

# Searched in the lower-cased line: an alternation with re.I is ten times slower.
_LABEL_INSIDE = re.compile("|".join(re.escape(label) for label in WIDGET_LABELS if " " in label))


# A line that is only a date/time stamp: "Thứ bảy, 07/03/2026 - 08:07", "07/03/2026 08:06
# GMT+7", "Cập nhật: 10:30 ngày 08/01/2026". What is left after removing these pieces must be
# punctuation only.
_MONTH_NAMES = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
                r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE_ANCHOR = re.compile(r"\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}|\d{4}-\d{2}-\d{2}|"
                          r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}", re.I)
_DATE_PIECES = re.compile(
    r"thứ\s*(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ\s*nhật|cập\s*nhật|ngày\s*đăng|đăng\s*lúc|"
    r"đăng\s*ngày|xuất\s*bản|thời\s*gian|ngày|tháng|năm|lúc|giờ|gmt|utc|am|pm|sa|ch|"
    r"\b(?:published|updated|posted|last\s+updated|on|at|a\.m\.|p\.m\.|est|edt|cst|cdt|pst|pdt|ict|bst|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b|\b" + _MONTH_NAMES + r"|[tz]|[\d\W_]+", re.I)


def is_dateline(line: str) -> bool:
    """Whether `line` is only a publication date/time stamp."""
    return len(line) <= 80 and bool(_DATE_ANCHOR.search(line)) and not _DATE_PIECES.sub("", line)


# What may stand with a shown date in a header line: a label, and separators.
_DATE_LABEL = re.compile(r"\b(?:cập\s*nhật|ngày\s*đăng|đăng\s*lúc|đăng\s*ngày|xuất\s*bản|published|updated|posted|"
                         r"last\s+updated)\b\s*:?", re.I)
_CONNECTORS = frozenset(("và", "and", "of", "&", "-", "–", "|", "by", "bởi", "/"))


def byline_dateline(line: str) -> list[str] | None:
    """A header line that is a shown date with at most a byline or an outlet before or after it
    ("Nguyên Minh - 07/03/2026 08:47", "Tri Túc Thứ bảy, 07/03/2026 - 08:07", "The Associated
    Press Published Monday, November 18, 2019 8:22AM EST") → the names it credits ([] for an
    outlet or none); None for any other line."""
    if len(line) > 120 or line.startswith(("—", "–", "(")) or "@" in line:
        return None                    # "— Name (@handle) October 9, 2018" signs a quoted post
    span = datetime_span(line, need_time=False)
    if not span:
        return None
    rest = _DATE_LABEL.sub(" ", line[:span[0]] + " " + line[span[1]:]).strip(" -–—|·•,:")
    if not rest:
        return []
    if _title_case_line(rest):
        return [] if is_place(rest) else byline_authors(rest) or []
    if datetime_span(line) and len(rest.split()) <= 5 and not re.search(r"[.!?;:,\"“”]", rest):
        return []                      # "07-03-2026 - 09:40 AM | Thị trường chứng khoán": its section
    return None


def _title_case_line(text: str) -> bool:
    """A short line of capitalised words (names, an outlet) with no sentence and no number in it."""
    words = text.split()
    return 0 < len(words) <= 8 and not re.search(r"[.!?;:,]\s|[\"“”\d]", text + " ") and \
        all(w[0].isupper() or w.casefold() in _CONNECTORS or not w[0].isalpha() for w in words)


# A call to subscribe, sign up or follow: a promo box, not the article ("Want more science? Get a
# subscription…", "Đăng ký ngay để nhận gói tin tức mới", "Theo dõi Báo Lào Cai trên Google News").
PROMO_LINE = re.compile(r"^(?:subscribe|sign up|get|want|need|join|let|download|don'?t miss)\b.{0,200}"
                        r"\b(?:newsletters?|subscribe|subscription|inbox|sign up)\b", re.I)
PROMO_LINE_VI = re.compile(r"^(?:đăng ký|theo dõi|tải)\b[^,.;!?]{0,60}\b(?:nhận|bản tin|kênh|trên|ứng dụng|app|"
                           r"google news|fanpage|zalo|youtube|facebook|tiktok)\b[^,.;!?]{0,30}$", re.I)


def _is_widget_line(line: str) -> bool:
    if len(line) <= 80 and _LABELS_RE.match(line):
        return True
    if len(line) <= 220 and PROMO_LINE.match(line) or len(line) <= 90 and PROMO_LINE_VI.match(line):
        return True
    if len(line) <= 160 and COPYRIGHT.search(line.lower()) or len(line) <= 400 and COPYRIGHT_NOTICE.match(line):
        return True
    if len(line) <= 500 and CITE_THIS.match(line):
        return True
    return len(line) <= 300 and bool(FOOTER_LINE.match(line))


# ---------------------------------------------------------------------------------------------
# Glued related headlines
# ---------------------------------------------------------------------------------------------

def split_glued_headlines(line: str) -> list[str] | None:
    """The headlines of a line made of several headlines glued together, else None.

    Signs required: junctions where a lower-case letter/digit runs into an upper-case
    Vietnamese word; every piece headline-sized (4+ words, ≤ 250 chars); and either a
    repeated "Province: " prefix, or no sentence ending on the line and 3+ pieces, or a
    widget label among the pieces ("Tham khảo thêm<title>")."""
    if line[-1] in SENTENCE_END and line.count(":") < 2 and not _LABEL_INSIDE.search(line.lower()):
        return None                    # cheap exit for ordinary sentences
    cuts = [m.start() for m in _JUNCTION.finditer(line)
            if _starts_with_syllable(line, m.start())]
    if not cuts:
        return _split_on_repeated_prefix(line)
    pieces = [line[a:b].strip() for a, b in zip([0] + cuts, cuts + [len(line)])]
    labels = [p for p in pieces if _LABELS_RE.match(p)]
    headlines = [p for p in pieces if not _LABELS_RE.match(p)]
    if labels:
        return headlines if headlines and all(_headline_sized(h, 3) for h in headlines) else None
    if not all(_headline_sized(p, 4) for p in pieces):
        return None
    prefixes = [m.group(1) for p in pieces if (m := _PREFIX.match(p))]
    if len(prefixes) >= 2 and len(set(prefixes)) < len(prefixes):
        return pieces
    if line[-1] in SENTENCE_END:
        return None
    # Two pieces could be one caption with a brand glued in it ("Tập đoàn HòaPhát …").
    return pieces if len(pieces) >= 3 else None


def _split_on_repeated_prefix(line: str) -> list[str] | None:
    """Headlines that kept a space between them but all start with the same "Province: "
    ("Vĩnh Phúc: A … Vĩnh Phúc: B …"); the line must not end as a sentence does."""
    m = _PREFIX.match(line)
    if not m or line[-1] in SENTENCE_END or not m.group(1)[0].isupper():
        return None
    marker = m.group(0).rstrip()
    starts = [i.start() for i in re.finditer(re.escape(marker), line)]
    if len(starts) < 2:
        return None
    pieces = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [len(line)])]
    return pieces if all(_headline_sized(p, 4) for p in pieces) else None


def _starts_with_syllable(line: str, at: int) -> bool:
    m = _WORD.match(line, at)
    if not m or len(m.group()) < 2 or line[m.end():m.end() + 1].isdigit():   # "UA-50AU7700"
        return False
    return bool(_SYLLABLE.match(fold_accents(m.group())))


def _headline_sized(piece: str, min_words: int) -> bool:
    return len(piece.split()) >= min_words and len(piece) <= 250


# ---------------------------------------------------------------------------------------------
# Bylines
# ---------------------------------------------------------------------------------------------

def byline_authors(line: str) -> list[str] | None:
    """The people/agencies a byline line credits ("Tin, ảnh: P.Y" → ["P.Y"]), else None."""
    if len(line) > 80 or line[-1] in SENTENCE_END and line[-1] != ")":    # "(tổng hợp)" is fine
        return None
    rest = line
    m = BYLINE_PREFIX.match(rest)
    prefixed = bool(m)
    if m:
        rest = rest[m.end():]
    rest = _AUTHOR_NOTE.sub("", rest).strip()
    if not rest:
        return None
    names = [n.strip(" .") for n in _AUTHOR_SEPARATORS.split(rest) if n and n.strip(" .")]
    if not names or len(names) > 4:
        return None
    for name in names:
        if _AGENCY.match(name):
            continue
        words = name.split()
        if not 1 <= len(words) <= 5 or not all(_NAME_WORD.match(w) and w[0].isupper() for w in words):
            return None
        # A bare one-word line is too weak a sign unless it is initials ("P.Y").
        if len(words) == 1 and not prefixed and "." not in name and len(names) == 1:
            return None
    return names


# ---------------------------------------------------------------------------------------------
# The cleaner
# ---------------------------------------------------------------------------------------------

def clean_paragraphs(paragraphs: list[str], title: str = ""
                     ) -> tuple[list[str], list[str], list[dict]]:
    """(kept paragraphs, authors found in byline lines, related headlines [{"url", "title"}])."""
    title_key = content_key(title) if title else ""
    related: list[dict] = []
    kept: list[str] = []
    for raw in paragraphs:
        line = _cut_glued_footer(_fold(raw))
        if not line:
            continue
        if title_key and abs(len(line) - len(title)) <= 8 and content_key(line) == title_key:
            continue
        if _is_widget_line(line) or is_dateline(line):
            continue
        m = _related_prefix(line)
        if m:
            related.extend(_related(h) for h in (split_glued_headlines(line[m.end():])
                                                 or [line[m.end():]]))
            continue
        headlines = split_glued_headlines(line)
        if headlines is not None:
            related.extend(_related(h) for h in headlines)
            continue
        if kept and _same_caption(kept[-1], line):
            if len(line) > len(kept[-1]):
                kept[-1] = line            # keep the fuller one ("… Ảnh: X") in place
            continue
        kept.append(line)
    kept, authors = _header_lines(kept)
    while kept:
        found = byline_authors(kept[-1])
        if found is None:
            break
        authors[:0] = found
        kept.pop()
        while kept and _is_widget_line(kept[-1]):
            kept.pop()
    return kept, _unique(authors), related


# The header lines (byline, date) a page shows before its text, and again after it, are looked for
# among this many first and last lines.
EDGE_LINES = 3


def _header_lines(kept: list[str]) -> tuple[list[str], list[str]]:
    """The date stamp lines at the text's start and end, with the byline line next to them
    (above or in the same line) → out, their names → authors."""
    authors: list[str] = []
    doomed: set[int] = set()
    edges = list(range(min(EDGE_LINES, len(kept)))) + list(range(max(EDGE_LINES, len(kept) - EDGE_LINES), len(kept)))
    for i in edges:
        names = byline_dateline(kept[i])
        if names is None:
            continue
        doomed.add(i)
        authors += names
        before = i - 1
        if not names and before >= 0 and before not in doomed and before in edges and \
                len(kept[before]) <= 80 and _title_case_line(kept[before]):
            doomed.add(before)         # "Lisa Kaczke and Trevor J. Mitchell", then "Published …"
            authors += byline_authors(kept[before]) or []
    if len(doomed) == len(kept):
        return kept, []
    return [line for i, line in enumerate(kept) if i not in doomed], authors


# Anything fold_spaces would change: odd spaces, zero-width characters, doubled spaces.
_UNFOLDED = re.compile("[\t\u00a0\u2000-\u200d\u202f\u205f\u2060\u3000\ufeff\u00ad]|  ")


def _fold(raw: str) -> str:
    """fold_spaces(raw), skipped for the common line that is already clean (it is the
    slowest step of cleaning a plain-text dump)."""
    if raw and raw.strip() == raw and not _UNFOLDED.search(raw) and \
            unicodedata.is_normalized("NFC", raw):
        return raw
    return fold_spaces(raw)


def _related_prefix(line: str):
    """The "Xem thêm: " label of a line that points at one headline, else None. Without a
    colon or arrow the label must run into an upper-case word and the line must not read as
    a sentence ("Xem thêm các quy định …" is prose)."""
    m = RELATED_PREFIXES.match(line)
    if not m or len(line) - m.end() > 250 or not line[m.end()].isupper() and \
            not re.search(r"[:：>»\-–]", line[:m.end()]):
        return None
    if not re.search(r"[:：>»\-–]", line[:m.end()]) and line.endswith("."):
        return None
    return m


def _related(title: str) -> dict:
    return {"url": None, "title": title.strip(" -–:")}


# What a caption may add to its alt-text copy: a full stop, a photo credit.
_CREDIT_TAIL = re.compile(r"^\s*[(\-–.]*\s*(?:(?:ảnh|photo|nguồn)\b.*)?$")
# Footer labels a scraper glued to the end of the last line ("Lê SơnPhiên bản di động").
GLUED_FOOTERS = ("Phiên bản di động", "Về trang Chủ đề")


def _cut_glued_footer(line: str) -> str:
    if line.endswith(GLUED_FOOTERS):
        for footer in GLUED_FOOTERS:
            if line.endswith(footer) and len(line) > len(footer) and not line[-len(footer) - 1].isspace():
                return line[:-len(footer)]
    return line


def _same_caption(previous: str, line: str) -> bool:
    """The same text twice in a row, or once without and once with its photo credit."""
    if previous == line:
        return True
    short, long_ = sorted((previous.casefold(), line.casefold()), key=len)
    return len(short) >= 20 and long_.startswith(short) and \
        bool(_CREDIT_TAIL.match(long_[len(short):]))


def _unique(items: list[str]) -> list[str]:
    seen, out = set(), []
    for item in items:
        if item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return out


# ---------------------------------------------------------------------------------------------
# Plain-text articles
# ---------------------------------------------------------------------------------------------

def text_lines(text: str) -> list[str]:
    """The paragraphs of a plain-text article: one per line, blank lines skipped, and a
    hard-wrapped line joined to the next when the sentence plainly goes on (no sentence end
    here, a lower-case word there)."""
    lines: list[str] = []
    joinable = False
    for raw in nfc(text).splitlines():
        line = raw.strip()
        if not line:
            joinable = False
            continue
        if joinable and line[0].islower():
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
        joinable = lines[-1][-1] not in SENTENCE_END
    return lines


def clean_text_article(text: str) -> dict:
    """A plain-text article (first line the headline, then the lead, then the body, one
    paragraph a line; blank lines do not matter) → the article dict."""
    lines = text_lines(text)
    if not lines:
        raise ValueError("empty article: no headline line")
    title, rest = fold_spaces(lines[0]), lines[1:]
    published_raw = next((fold_spaces(line) for line in rest[:3] if is_dateline(fold_spaces(line))), None)
    kept, authors, related = clean_paragraphs(rest, title)
    sapo, body = (kept[0], kept[1:]) if kept else ("", [])
    return new_article(
        title=title,
        published_raw=published_raw,
        published_at=to_iso(published_raw),
        sapo=sapo,
        body="\n".join(body),
        authors=[title_case_name(a) for a in authors],
        provinces=provinces_named(title, sapo, "\n".join(body)),
        related=related,
        language=page_language(text),      # plain text declares nothing: "vi" or unknown
        extractor=EXTRACTOR,
    )


# ---------------------------------------------------------------------------------------------
# Many articles: plain-text dumps and JSON Lines
# ---------------------------------------------------------------------------------------------

class RecordError(ValueError):
    """One input record could not be read; str(e) says which and why."""


def split_dump(lines: Iterable[str], separator: str) -> Iterator[str]:
    """The articles of a plain-text dump, separated by lines equal to `separator` (after
    stripping spaces): paragraphs inside an article are blank-line separated, so a blank line
    cannot separate articles. Chunks with no text are skipped."""
    chunk: list[str] = []
    for line in lines:
        parts = line.split("\f") if separator == "\f" else [line]
        for i, part in enumerate(parts):
            if i:                              # a form feed inside the line ends an article
                yield from _nonblank("".join(chunk))
                chunk = []
            if separator != "\f" and part.strip() == separator:
                yield from _nonblank("".join(chunk))
                chunk = []
            else:
                chunk.append(part)
    yield from _nonblank("".join(chunk))


def _nonblank(text: str) -> Iterator[str]:
    if text.strip():
        yield text


def clean_jsonl_record(line: str, number: int = 1) -> dict | None:
    """The article of one JSON Lines record {"text", optional "url", "id"} (None for a blank
    line): `url` fills the article's url, `id` is passed through as an extra first key.
    A bad record raises RecordError naming its line number."""
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise RecordError(f"line {number}: not JSON ({e.msg})") from None
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise RecordError(f'line {number}: no "text" string in the record')
    try:
        article = clean_text_article(record["text"])
    except ValueError as e:
        raise RecordError(f"line {number}: {e}") from None
    if record.get("url"):
        article["url"] = record["url"]
    if "id" in record:
        article = {"id": record["id"], **article}
    return article
