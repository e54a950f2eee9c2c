"""Junk removal on the article's own DOM, and the article's text as blocks.

Works on the narrowed article container (never the whole page): drops widgets named by the
layout's junk selectors, turns related-headline boxes into `related` links, skips hidden boxes
(`d-none`, display:none) and inline script/style, then reads the container as blocks the way a
browser shows them (inline tags add no space, <br> is a space), one block per paragraph, heading,
list item or caption, each caption once. Bylines found in the text become authors.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.cssselect import CSSSelector

from common.text import fold_accents, fold_spaces

BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd figure figcaption blockquote table tbody thead tfoot tr td th "
    "section article header footer aside pre address center main nav hr caption details summary".split())
SKIP_TAGS = frozenset(
    "script style noscript iframe template svg button input select textarea form object embed video audio "
    "canvas map head title link meta".split())
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_HIDDEN_CLASSES = frozenset({"d-none", "hidden", "hide", "visually-hidden", "sr-only", "display-none"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_CAPTION_CLASS = re.compile(r"caption|^image$|^fig$|img_chu_thich|image_desc|desc_image|photo-desc|alt_imgeditor",
                            re.I)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def _shown(raw: str) -> str:
    """Joined text nodes → shown text: zero-width characters out, NFC, every whitespace run
    (NBSP and newlines too) one space. The same result as text.fold_spaces, without regexes:
    this runs for every block of every page."""
    if _ZERO_WIDTH.search(raw):
        raw = _ZERO_WIDTH.sub("", raw)
    return " ".join(unicodedata.normalize("NFC", raw).split())
# Labels of related boxes and widgets: never a headline, never a block of the article.
_BOX_LABELS = re.compile(r"^(?:tin liên quan|xem thêm|đọc thêm|tham khảo thêm|bài liên quan|tin cùng chuyên mục|"
                         r"có thể bạn quan tâm|đọc tiếp|về trang chủ đề|tin mới|cùng chuyên mục)\s*:?\s*",
                         re.I)


@lru_cache(maxsize=None)
def css(selector: str) -> etree.XPath:
    """A CSS selector compiled to XPath once per process."""
    return CSSSelector(selector)


_SIMPLE_TOKENS = re.compile(r"([.#])([A-Za-z_][\w-]*)")
_CLASS_VALUES = etree.XPath("//@class", smart_strings=False)
_ID_VALUES = etree.XPath("//@id", smart_strings=False)


class DocIndex:
    """Every class and id of a page, read once (two XPath queries, at C speed, with no element
    objects made), so most selectors of most layouts are ruled out without scanning the tree:
    layout detection tries many selectors on every page. Elements removed later only leave
    extra names, which can only make a selector "maybe"."""

    def __init__(self, root):
        self.classes = set(" ".join(_CLASS_VALUES(root)).split())
        self.ids = set(_ID_VALUES(root))

    def may_match(self, selector: str) -> bool:
        """False when the selector names a class or id the page does not have (for every part of a
        comma list); True when it might match."""
        return any(classes <= self.classes and ids <= self.ids for classes, ids in _needs(selector))


@lru_cache(maxsize=None)
def _needs(selector: str) -> tuple[tuple[frozenset, frozenset], ...]:
    """Per comma-separated part of a selector: (classes, ids) an element of the page must carry."""
    needs = []
    for part in selector.split(","):
        part = re.sub(r"\[[^\]]*\]|:[\w-]+(\([^)]*\))?", "", part)  # attribute tests and pseudo-classes
        tokens = _SIMPLE_TOKENS.findall(part)
        needs.append((frozenset(n for k, n in tokens if k == "."), frozenset(n for k, n in tokens if k == "#")))
    return tuple(needs)


def select(root, selectors, index: DocIndex | None = None) -> list:
    """All elements matched by any of `selectors`, each once, in selector order."""
    seen, found = set(), []
    for sel in selectors:
        if index is not None and not index.may_match(sel):
            continue
        for el in css(sel)(root):
            if id(el) not in seen:
                seen.add(id(el))
                found.append(el)
    return found


def first(root, selectors, *, with_text: bool = True, index: DocIndex | None = None):
    """The first element of the first selector that matches (one with text when `with_text`)."""
    for sel in selectors:
        if index is not None and not index.may_match(sel):
            continue
        for el in css(sel)(root):
            if not with_text or el.tag == "meta" or text_of(el):
                return el
    return None


def text_of(el) -> str:
    """An element's text as shown: inline tags joined without spaces, whitespace folded, NFC."""
    if el is None:
        return ""
    if el.tag == "meta":
        return fold_spaces(el.get("content"))
    parts: list[str] = []
    _inline_text(el, parts)
    return _shown("".join(parts))


def _inline_text(el, parts: list[str]) -> None:
    if el.text:
        parts.append(el.text)
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in SKIP_TAGS or (tag and is_hidden(child)):
            pass
        elif tag == "br":
            parts.append(" ")
        elif tag in BLOCK_TAGS:
            parts.append(" ")
            _inline_text(child, parts)
            parts.append(" ")
        elif tag:
            _inline_text(child, parts)
        if child.tail:
            parts.append(child.tail)


def is_hidden(el) -> bool:
    cls = el.get("class")
    if cls and _HIDDEN_CLASSES.intersection(cls.split()):
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style)) or el.get("hidden") is not None


def is_caption(el) -> bool:
    if el.tag == "figcaption":
        return True
    cls = el.get("class")  # "noCaption" on a figure says the opposite
    return bool(cls) and any(_CAPTION_CLASS.search(c) and not c.lower().startswith("no") for c in cls.split())


def drop(el) -> None:
    """Remove an element but keep the text that follows it (its tail)."""
    if el.getparent() is not None:
        el.drop_tree()


def in_running_text(el) -> bool:
    """An inline element (a keyword link, a bold word) inside a sentence: removing it would cut the
    sentence, so box selectors never apply to it."""
    if el.tag in BLOCK_TAGS:
        return False
    parent = el.getparent()
    while parent is not None and parent.tag not in BLOCK_TAGS:
        parent = parent.getparent()
    return parent is not None and len(text_of(parent)) > len(text_of(el)) + 20


_TAG_ONLY = re.compile(r"^[a-z][a-z0-9]*$")


def remove_junk(container, selectors, index: DocIndex | None = None) -> None:
    tags = [sel for sel in selectors if _TAG_ONLY.match(sel)]
    if tags:  # plain tag names ("script", "iframe") go in one pass at C speed
        etree.strip_elements(container, *tags, with_tail=False)
    for el in select(container, [sel for sel in selectors if not _TAG_ONLY.match(sel)], index):
        if el is not container and not in_running_text(el):
            drop(el)


def take_related(container, selectors, base_url: str, index: DocIndex | None = None) -> list[dict]:
    """Drop related-headline boxes from the container; their links become [{url, title}]."""
    related, seen = [], set()
    for box in select(container, selectors, index):
        if box is container or in_running_text(box):
            continue
        for a in box.iter("a"):
            href = (a.get("href") or "").strip()
            # a teaser link holds a headline, a summary and a time (znews): the headline is the title
            heading = next((h for h in a.iter("h1", "h2", "h3", "h4", "h5", "h6") if text_of(h)), None)
            title = fold_spaces(a.get("title")) or text_of(heading if heading is not None else a)
            title = _BOX_LABELS.sub("", title).strip()
            if not href or href.startswith(("#", "javascript:")) or len(title) < 12:
                continue
            url = urljoin(base_url, href)
            if url not in seen:
                seen.add(url)
                related.append({"url": url, "title": title})
        drop(box)
    return related


_RELATED_LEAD = re.compile(r"^\s*(?:>>+|»|xem thêm|đọc thêm|tin liên quan|bài liên quan|tham khảo thêm|"
                           r"mời (?:bạn|quý vị) (?:đọc|xem)|video đang được quan tâm)\s*[:>»-]*", re.I)
_LINE_LABEL = re.compile(r"^(?:quảng cáo|advertisement|chia sẻ|bình luận|in bài|lưu bài|theo dõi|"
                         r"xem thêm|đọc thêm|tin liên quan|bài liên quan|tham khảo thêm)\s*:?$", re.I)


def take_inline_related(container, base_url: str, is_article_url=lambda url: False) -> list[dict]:
    """Related headlines written as paragraphs inside the text: "Xem thêm: <a>…</a>", ">> <a>…</a>",
    or a paragraph that is nothing but a link to another article. Dropped; kept as links."""
    related, doomed = [], []
    for a in container.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        block = a.getparent()
        while block is not None and block.tag not in BLOCK_TAGS:
            block = block.getparent()
        if block is None or block is container or block.tag not in ("p", "div", "li", "h3", "h4", "h5", "h6"):
            continue
        if is_caption(block) or any(id(block) == id(d) for d in doomed):
            continue
        block_text, link_text = text_of(block), text_of(a)
        if len(link_text) < 15 or len(block_text) > 300:
            continue
        url = urljoin(base_url, href)
        rest = block_text.replace(link_text, "", 1)
        labelled = _RELATED_LEAD.match(block_text) and len(_RELATED_LEAD.sub("", rest).strip(" :>»-")) <= 3
        link_only = (block_text == link_text and url != base_url and is_article_url(url)
                     and _host(url) == _host(base_url))
        if labelled or link_only:
            related.append({"url": url, "title": fold_spaces(a.get("title")) or link_text})
            doomed.append(block)
    for block in doomed:
        drop(block)
    return related


def _host(url: str) -> str:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


# ---- boxes that show another article, whatever their class names ---------------------------

_WORD = re.compile(r"[^\W_]+")
# A teaser box: another article's headline link, with at most a picture, a date or category line
# and a summary of this many characters (a sapo is one or two sentences).
TEASER_SUMMARY_CHARS = 400
# More boxes than this, or boxes holding more than this share of the text, are the text itself
# (a round-up of links with a paragraph each), not boxes put into it.
TEASER_MAX_BOXES = 3
TEASER_MAX_SHARE = 0.25


def slug_headline(text: str, href: str) -> bool:
    """Whether a link's text is the headline of the article it points to: news sites build an
    article's URL from its headline, so most of the link's words are the words of the URL's slug
    ("Xung đột ở Trung Đông khiến…" → /xung-dot-o-trung-dong-khien-…-20260306231657525.htm)."""
    words = _WORD.findall(fold_accents(text))
    if len(words) < 4:
        return False
    try:
        path = urlsplit(href).path
    except ValueError:
        return False
    slug = set(_WORD.findall(fold_accents(path)))
    hits = sum(w in slug for w in words)
    return hits >= 3 and hits >= 0.6 * len(words)


_DECLARED_URLS = etree.XPath("/html/head/link[@rel='canonical']/@href | /html/head/meta[@property='og:url']/@content")


def own_hosts(root, url: str = "") -> set[str]:
    """The hosts of the page's own site: its URL's, its canonical's and og:url's."""
    hosts = {_host(url)} if url else set()
    for value in _DECLARED_URLS(root)[:2]:
        hosts.add(_host(urljoin(url, value.strip())) if url else _host(value.strip()))
    return hosts - {""}


def _same_site(link_host: str, hosts: set[str]) -> bool:
    return not link_host or not hosts or any(
        link_host == h or link_host.endswith("." + h) or h.endswith("." + link_host) for h in hosts)


_HEADLINE_SIZED_LINKS = etree.XPath(".//a[@href and string-length(normalize-space()) >= 20]")


def teaser_boxes(container, url: str = "", hosts: set[str] | None = None) -> list[tuple]:
    """[(box, link URL, headline)] for the boxes inside `container` that show another article of
    the site: its headline as a link (the link's words are its URL's slug) standing alone in its
    line, with a picture, a date or a summary around it, and nothing else. Found by what they hold,
    not by their class names; none when they are the text itself (see TEASER_MAX_BOXES)."""
    hosts = hosts if hosts is not None else set()
    here = url.split("#")[0]
    found, seen_boxes = [], set()
    for a in _HEADLINE_SIZED_LINKS(container):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        if len(a.text_content().split()) < 4:
            continue
        headline = text_of(a)
        if not 20 <= len(headline) <= 200:
            continue
        # the headline of the article it points to: by its URL's words, or by a picture linking there too
        slugged = slug_headline(headline, href)
        target = urljoin(url, href) if url else href
        if target.split("#")[0] == here or not _same_site(_host(target), hosts):
            continue
        line = a
        while line is not None and line.tag not in BLOCK_TAGS:
            line = line.getparent()
        if line is None or line is container or len(_inline_run(line)) > len(headline) + 20:
            continue                   # a link inside a sentence
        box, node = None, line
        while node is not None and node is not container:
            text = text_of(node)
            if len(text) - len(headline) * max(1, text.count(headline)) > TEASER_SUMMARY_CHARS \
                    or _other_headline(node, a, target, url):
                break
            if slugged and (node.find(".//img") is not None or len(text) > len(headline) + 10) \
                    or not slugged and _pictured_link(node, href):
                box = node
            node = node.getparent()
        if box is not None and id(box) not in seen_boxes and not in_running_text(box):
            seen_boxes.add(id(box))
            found.append((box, target, headline))
    found = [(b, u, h) for b, u, h in found if not any(_inside(b, other) for other, _, _ in found)]
    if not found:
        return []
    found = _as_lists(found, container)
    total = len(text_of(container))
    boxed = sum(len(text_of(b)) for b, _, _ in found)
    if len(found) > TEASER_MAX_BOXES or boxed > TEASER_MAX_SHARE * total:
        return []
    return found


def _pictured_link(node, href: str) -> bool:
    """Whether `node` holds a picture that links to `href` (a teaser card's picture and headline)."""
    return any((a.get("href") or "").strip() == href and a.find(".//img") is not None for a in node.iter("a"))


def _as_lists(found: list[tuple], container) -> list[tuple]:
    """Teasers side by side in a wrapper that holds little else are one box: a list of them
    (with its label, "Tin liên quan"), counted once."""
    by_parent: dict = {}
    for entry in found:
        parent = entry[0].getparent()
        by_parent.setdefault(id(parent), (parent, []))[1].append(entry)
    out = []
    for parent, entries in by_parent.values():
        if parent is None or parent is container or len(entries) < 2:
            out += entries
            continue
        text = len(text_of(parent))
        if sum(len(text_of(b)) for b, _, _ in entries) < 0.7 * text:
            out += entries
            continue
        box = parent           # the list, then the wrapper that only adds a label to it
        while box.getparent() is not None and box.getparent() is not container \
                and len(text_of(box.getparent())) <= len(text_of(box)) + 60:
            box = box.getparent()
        out.append((box, entries[0][1], entries[0][2]))
    return out


def _inline_run(block) -> str:
    """The text of a block outside its nested blocks: the line a link stands in."""
    parts = [block.text or ""]
    for child in block:
        if isinstance(child.tag, str) and child.tag not in BLOCK_TAGS and child.tag not in SKIP_TAGS:
            parts.append(text_of(child))
        parts.append(child.tail or "")
    return _shown("".join(parts))


def _other_headline(node, a, target: str, url: str) -> bool:
    """Whether `node` also holds a headline link to another URL than `target` (a list, not one teaser)."""
    for other in node.iter("a"):
        if other is a:
            continue
        href = (other.get("href") or "").strip()
        if href and (urljoin(url, href) if url else href) != target and len(text_of(other)) >= 20:
            return True
    return False


def _inside(el, box) -> bool:
    return any(anc is box for anc in el.iterancestors())


# A box whose text is mostly links, with at least this many headline-shaped ones (a few words each),
# is a list of other articles (related, most read, run-together headlines) or of tags.
LINK_LIST_SHARE = 0.7
LINK_LIST_HEADLINES = 2
_BOX_TAGS = frozenset(("div", "ul", "ol", "section", "aside", "nav", "table", "p", "dl", "header", "footer",
                       "figure", "article", "blockquote", "center", "span"))
_TAG_LINK = re.compile(r"^\s*#\S")
_TAG_LABEL = re.compile(r"^\s*(?:từ khóa|từ khoá|tags?|chủ đề|keywords?|topics?)\s*[:：]?", re.I)


# Chinese and Japanese write no spaces between words: two of their characters count as a word.
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def words_in(text: str) -> int:
    """The words of `text`: its space-separated pieces, and one for every two CJK characters."""
    n = len(text.split())
    return n + len(_CJK.findall(text)) // 2 if not text.isascii() else n


def link_lists(container) -> list:
    """The boxes inside `container` that are lists of links, whatever their names: text mostly
    link text, with two or more headlines of other articles (4+ words) or tag links ("#thủy
    điện", a "Từ khóa:" label). The largest such box, never the container; a link inside a
    sentence never makes one."""
    found: list = []
    if _MAY_HAVE_LISTS(container):
        _measure(container, container, found)
    return [_with_label(box, container) for box in found]


# A list's label ("Related", "関連記事", "Most read in News"): a short line that is no sentence.
LIST_LABEL_CHARS = 60


def _with_label(box, container):
    """The list with the wrappers that only add a label to it."""
    shown = len(text_of(box))
    while True:
        parent = box.getparent()
        if parent is None or parent is container or parent.tag not in _BOX_TAGS:
            return box
        text = text_of(parent)
        if len(text) > shown + LIST_LABEL_CHARS or text.rstrip().endswith((".", "!", "?", "。")):
            return box
        extra = text.replace(text_of(box), "", 1)
        if re.search(r"[.!?。](?:\s|$)", extra):
            return box
        box, shown = parent, len(text)


# A cheap first look, at C speed: two links of a headline's length, or a tag link.
_VISIBLE_TEXT = etree.XPath(".//text()[not(ancestor::script or ancestor::style)]", smart_strings=False)
_MAY_HAVE_LISTS = etree.XPath("count(.//a[string-length(normalize-space()) >= 20]) >= 2 or "
                              "boolean(.//a[starts-with(normalize-space(), '#')])")


def _measure(el, container, found: list) -> tuple[int, int, int, int]:
    """(text chars, link chars, headline links, tag links) of `el`; boxes found are appended,
    a box's inner boxes are not."""
    if el.tag == "a" and (el.get("href") or "").strip() not in ("", "#"):
        shown = el.text_content().strip()
        return len(shown), len(shown), int(len(shown) >= 20 and words_in(shown) >= 4), \
            int(bool(_TAG_LINK.match(shown)))
    if el.find(".//a") is None:        # no link below: only its length counts (C speed)
        return len("".join(_VISIBLE_TEXT(el)).strip()), 0, 0, 0
    text, links, headlines, tags = len((el.text or "").strip()), 0, 0, 0
    start = len(found)
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag and tag not in SKIP_TAGS and not is_hidden(child):
            t, l, h, g = _measure(child, container, found)
            text, links, headlines, tags = text + t, links + l, headlines + h, tags + g
        if child.tail:
            text += len(child.tail.strip())
    if el is not container and el.tag in _BOX_TAGS and text >= 20 and (
            links >= LINK_LIST_SHARE * text and headlines >= LINK_LIST_HEADLINES
            or tags and links >= 0.5 * text and (tags >= 2 or _TAG_LABEL.match(text_of(el)) is not None)) \
            and not in_running_text(el) and (el.tag not in ("p", "span") or not _words_between_links(el)):
        del found[start:]               # the inner boxes are part of this one
        found.append(el)
    return text, links, headlines, tags


def _words_between_links(el) -> bool:
    """Whether a line has words of its own between its links ("Theo <a>…</a> và <a>…</a>."): a
    sentence that cites, not a list."""
    parts: list[str] = []
    _outside_links(el, parts)
    rest = _RELATED_LEAD.sub("", _TAG_LABEL.sub("", " ".join(parts)))
    return any(ch.isalpha() for ch in rest)


def _outside_links(el, parts: list[str]) -> None:
    if el.tag == "a":
        return
    parts.append(el.text or "")
    for child in el:
        if isinstance(child.tag, str) and child.tag not in SKIP_TAGS:
            _outside_links(child, parts)
        parts.append(child.tail or "")


# A call for the reader's money or membership ("Support Snopes so we continue…", "We need your
# financial support", "Become a member"): the box after the text that makes it is no article text.
APPEAL = re.compile(r"(?i:\bsupport\s+(?:us|our\s+(?:work|journalism|reporting|newsroom)|independent\s+journalism)\b|"
                    r"\bwe\s+need\s+your\s+(?:financial\s+)?support\b|\bdonate\s+(?:now|today|to\s+us)\b|"
                    r"\bmake\s+a\s+(?:donation|contribution)\b|\bbecome\s+a\s+(?:member|supporter|patron)\b|"
                    r"\bủng\s+hộ\s+(?:chúng\s+tôi|tòa\s+soạn)\b)|"
                    r"\b(?i:support)\s+[A-Z][\w.]*\s+(?:and|so|to|today)\b")
APPEAL_MAX_SHARE = 0.34


def appeal_boxes(container) -> list:
    """The boxes at the end of `container`, after its last paragraph, that ask the reader for
    support (see APPEAL), whatever their names; never more than a third of its text."""
    total = None
    found = []
    for child in reversed(container):
        if not isinstance(child.tag, str) or child.tag in SKIP_TAGS:
            continue
        text = child.text_content()      # C speed: most pages end with a paragraph, no appeal
        if not text.strip():
            continue
        if child.tag in ("p", "blockquote", "pre") or child.tag in HEADING_TAGS or not APPEAL.search(text):
            break
        total = total or _chars(container.text_content())
        if _chars(text) > APPEAL_MAX_SHARE * total:
            break
        found.append(child)
    return found[::-1]


def _chars(text: str) -> int:
    """The characters of a text as shown: its source's spaces and line breaks do not count."""
    return len(text) - sum(map(text.count, (" ", "\n", "\t", "\r")))


def take_appeal_boxes(container) -> int:
    """Drop the appeal boxes of `container` (see appeal_boxes); how many there were."""
    boxes = appeal_boxes(container)
    for box in boxes:
        drop(box)
    return len(boxes)


def take_link_lists(container, base_url: str) -> list[dict]:
    """Drop the link lists of `container` (see link_lists); the headline links become related."""
    related, seen = [], set()
    for box in link_lists(container):
        for a in box.iter("a"):
            title = text_of(a)
            href = (a.get("href") or "").strip()
            if words_in(title) >= 4 and href and not href.startswith(("#", "javascript:")) \
                    and not _TAG_LINK.match(title):
                url = urljoin(base_url, href)
                if url not in seen:
                    seen.add(url)
                    related.append({"url": url, "title": title})
        drop(box)
    return related


def take_teaser_boxes(container, url: str, hosts: set[str] | None = None) -> list[dict]:
    """Drop the teaser boxes of `container` (see teaser_boxes); their links become [{url, title}]."""
    related = []
    for box, target, headline in teaser_boxes(container, url, hosts):
        related.append({"url": target, "title": headline})
        drop(box)
    return related


def blocks_of(container) -> list[tuple[str, str]]:
    """The container's text as (kind, text) blocks in page order; kind is p, heading, item (list
    item or table cell: never a byline) or caption."""
    out: list[tuple[str, str]] = []
    _collect(container, out, [], "p")
    return dedupe_blocks(out)


def _flush(buf: list[str], out: list, kind: str) -> None:
    if buf:
        text = _shown("".join(buf))
        buf.clear()
        if text:
            out.append((kind, text))


def _collect(el, out: list, buf: list[str], kind: str) -> None:
    if el.text:
        buf.append(el.text)
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if not tag or tag in SKIP_TAGS or is_hidden(child):
            pass
        elif tag == "br":
            buf.append(" ")
        elif tag in BLOCK_TAGS or is_caption(child):
            _flush(buf, out, kind)
            child_kind = ("caption" if kind == "caption" or is_caption(child) or _image_box(child)
                          else "heading" if tag in HEADING_TAGS
                          else "item" if tag in ("li", "td", "th", "dd", "dt") else kind)
            child_buf: list[str] = []
            _collect(child, out, child_buf, child_kind)
            _flush(child_buf, out, child_kind)
        else:
            _collect(child, out, buf, kind)
        if child.tail:
            buf.append(child.tail)


def _image_box(el) -> bool:
    """A figure or a layout table holding an image and a short text: that text is its caption."""
    return (el.tag in ("figure", "table") and el.find(".//img") is not None
            and len(text_of(el)) < 400)


def dedupe_blocks(blocks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each caption once, wherever else its text shows up (a second caption element, the caption
    repeated as a paragraph); any block identical to the one before it once; label-only lines out."""
    kept, captions, texts = [], set(), set()
    for kind, text in blocks:
        key = text.casefold()
        if kind != "caption" and len(text) < 30 and _LINE_LABEL.match(text):
            continue
        if (kept and kept[-1][1].casefold() == key or key in captions
                or kind == "caption" and key in texts):
            continue
        (captions if kind == "caption" else texts).add(key)
        kept.append((kind, text))
    return kept


_SRC_ATTRS = ("data-src", "data-original", "data-lazy-src", "data-srcset", "src")


def images_of(container, base_url: str) -> list[dict]:
    """[{src, caption}] for the images of the article; the caption is its figure's caption element."""
    images, seen = [], set()
    for img in container.iter("img"):
        src = next((img.get(a) for a in _SRC_ATTRS if img.get(a) and not img.get(a).startswith("data:")), "")
        src = src.strip().split(" ")[0]
        if not src or src in seen:
            continue
        seen.add(src)
        caption = ""
        holder = img.getparent()
        for _ in range(4):  # figure > (a) > img, or a layout group holding several figures and one caption
            if holder is None:
                break
            cap = next((c for c in holder.iter() if isinstance(c.tag, str) and c is not img and is_caption(c)
                        and not is_hidden(c) and text_of(c)), None)
            if cap is not None:
                caption = text_of(cap)
                break
            if holder is container or holder.tag in ("p", "article", "section", "body"):
                break
            holder = holder.getparent()
        images.append({"src": urljoin(base_url, src), "caption": caption})
    return images


# ---- the date and byline shown by the headline ------------------------------------------------

# A shown date line is short; the header area ends where the text begins (a line this long) or
# after this many elements past the headline; a date above the headline is among the few before it.
DATELINE_CHARS = 120
TEXT_STARTS_CHARS = 150
HEADER_REACH = 50
ABOVE_REACH = 12
_DIGIT = re.compile(r"\d")
_DATE_LABELS = re.compile(r"(?:cập\s*nhật|ngày\s*đăng|đăng\s*lúc|đăng\s*ngày|xuất\s*bản|thời\s*gian|published|"
                          r"updated|posted|last\s+updated|on)\s*:?\s*$", re.I)


_LAST_DESCENDANTS = etree.XPath(f"descendant::*[position() > last() - {ABOVE_REACH}]")


def _following(anchor):
    """The elements after `anchor` in page order (not inside it)."""
    node = anchor
    while node is not None:
        for sib in node.itersiblings():
            yield sib
            yield from sib.iterdescendants()
        node = node.getparent()


def _preceding(anchor):
    """The elements before `anchor`, nearest first (its ancestors excluded)."""
    node = anchor
    while node is not None:
        for sib in node.itersiblings(preceding=True):
            yield from reversed(_LAST_DESCENDANTS(sib))
            yield sib
        node = node.getparent()


def element_showing(root, text: str):
    """The block that shows `text` as its whole text (a headline in a <div>), or None."""
    if not text or len(text) < 10:
        return None
    words = text.split()
    piece = " ".join(words[:4]) if len(words) >= 4 else text
    if "'" in piece:
        piece = piece.split("'")[0]
    for node in root.xpath("//body//text()[contains(., $p)]", p=piece)[:20]:
        el = node.getparent()
        while el is not None and el.tag not in BLOCK_TAGS:
            el = el.getparent()
        if el is not None and el.tag not in ("body", "html") and text_of(el).rstrip() == text.rstrip():
            return el
    return None


def find_dateline(anchor, need_time: bool = True):
    """(line element, shown date text) of the publication date shown by the headline `anchor`:
    the first short line after it that holds a date and a time ("08/01/2026 - 18:21", "Thứ bảy,
    7/3/2026, 00:05 (GMT+7)", "Nguyên Minh - 07/03/2026 08:47"), before the text begins; else one
    of the few lines just above it. Found by what the line says, whatever its class. None if none."""
    from pipelines.dates import datetime_span
    if anchor is None:
        return None
    for candidates, reach in ((_following(anchor), HEADER_REACH), (_preceding(anchor), ABOVE_REACH)):
        for seen, el in enumerate(candidates):
            if seen >= reach:
                break
            if not isinstance(el.tag, str) or el.tag in SKIP_TAGS:
                continue
            raw = el.text_content()
            if len(raw) >= TEXT_STARTS_CHARS and len(_inline_run(el)) >= TEXT_STARTS_CHARS:
                break                   # the text has begun (or, above, a paragraph of something else)
            if len(raw) > 3 * DATELINE_CHARS or not _DIGIT.search(raw):
                continue
            text = text_of(el)
            if len(text) > DATELINE_CHARS or is_hidden(el):
                continue
            span = datetime_span(text, need_time)
            if span:
                return el, text, span
    return None


def dateline_byline(line, text: str, span: tuple[int, int], organizations=()) -> list[str]:
    """Authors shown with the date: the rest of its line ("Nguyên Minh - 07/03/2026 08:47"), or
    a short line of names right before it."""
    rest = (text[:span[0]] + " " + text[span[1]:]).strip(" -–—|·•,")
    rest = _DATE_LABELS.sub("", rest).strip(" -–—|·•,:")
    if rest:
        return [] if is_place(rest) else byline_names(rest, organizations) or []
    prev = line.getprevious()
    if prev is not None and isinstance(prev.tag, str) and prev.tag not in SKIP_TAGS:
        shown = text_of(prev)
        if shown and len(shown) <= 60 and not is_place(shown):
            return byline_names(shown, organizations) or []
    return []


# Cities and provinces (the 34 after the 1 July 2025 merger, and the older ones still written in
# datelines): "Hà Nội, 07/03/2026 08:47" says where, not who.
PLACES = frozenset(fold_accents(p) for p in """
    Hà Nội|TP.HCM|TPHCM|TP HCM|TP. HCM|TP Hồ Chí Minh|TP. Hồ Chí Minh|Thành phố Hồ Chí Minh|Sài Gòn|Hải Phòng|
    Đà Nẵng|Cần Thơ|Huế|Thừa Thiên Huế|Lai Châu|Điện Biên|Sơn La|Lạng Sơn|Quảng Ninh|Thanh Hóa|Thanh Hoá|Nghệ An|
    Hà Tĩnh|Cao Bằng|Tuyên Quang|Lào Cai|Thái Nguyên|Phú Thọ|Bắc Ninh|Hưng Yên|Ninh Bình|Quảng Trị|Quảng Ngãi|
    Gia Lai|Khánh Hòa|Khánh Hoà|Lâm Đồng|Đắk Lắk|Đồng Nai|Tây Ninh|Vĩnh Long|Đồng Tháp|Cà Mau|An Giang|Hà Giang|
    Yên Bái|Bắc Kạn|Vĩnh Phúc|Hòa Bình|Bắc Giang|Thái Bình|Hải Dương|Hà Nam|Nam Định|Quảng Bình|Quảng Nam|Kon Tum|
    Bình Định|Ninh Thuận|Đắk Nông|Bình Thuận|Phú Yên|Bình Dương|Bà Rịa - Vũng Tàu|Vũng Tàu|Bình Phước|Long An|
    Sóc Trăng|Hậu Giang|Bến Tre|Trà Vinh|Tiền Giang|Bạc Liêu|Kiên Giang|Washington|Bắc Kinh|Moscow|Tokyo|Seoul|
    London|Paris|Bangkok|Singapore""".replace("\n", "").split("|"))


def is_place(text: str) -> bool:
    """Whether a short line names a city or province (a dateline's place), not people."""
    return fold_accents(text.strip(" ,.-")).strip() in {p.strip() for p in PLACES}


# ---- bylines and author names ---------------------------------------------------------------

AGENCIES = ("TTXVN/Vietnam+", "TTXVN", "Vietnam+", "VNA", "AFP", "Reuters", "AP", "Xinhua", "Tân Hoa Xã",
            "Bloomberg", "Yonhap", "Kyodo", "Sputnik", "TASS", "CNN", "BBC", "VOV", "VTV", "TTXVN/VNA")
_AGENCY_KEYS = {a.casefold(): a for a in AGENCIES}
_GLUED_AGENCY = re.compile(r"^(.*[a-zà-ỹđ.])(" + "|".join(re.escape(a) for a in AGENCIES if a.isupper()) + r")$")
_LABEL = re.compile(r"^\s*(?:(?:bài|tin|ảnh|video|clip|đồ họa|thiết kế|trình bày|thực hiện|nhóm phóng viên|"
                    r"nhóm pv|tác giả|phóng viên|pv|ctv|biên tập|nội dung)(?:\s*(?:,|và|/|-)\s*"
                    r"(?:bài|tin|ảnh|video|clip|đồ họa|thiết kế))*\s*[:：]\s*)", re.I)
_THEO = re.compile(r"^\s*(?:theo|nguồn\s*:)\s*", re.I)
# "Ảnh: X" / "Video: X" alone credit a photo or a clip, not the article.
_MEDIA_ONLY = re.compile(r"^\s*(?:ảnh|video|clip|đồ họa|đồ hoạ|infographic)\s*[:：]", re.I)
_SLASH_AGENCY = re.compile(r"^(.+?)\s*/\s*([A-ZĐ][A-ZĐ0-9.+]+)$")
_MORE_AUTHORS = re.compile(r"\s*và\s+\d+\s+tác\s+giả\s+khác\s*$", re.I)
_AUTHOR_NOISE = re.compile(r"^\s*(?:bởi|by)\s+|\s*(?:xem (?:tất cả )?(?:các )?bài viết(?: của tác giả)?|theo dõi(?: tác giả)?)\s*", re.I)
_NOT_NAMES = re.compile(r"^(?:internet|st|sưu tầm|tư liệu|nguồn|ảnh|video|clip)$|xem các bài viết|theo dõi|tác giả khác|^tác giả$|bình luận|chia sẻ|http|www\.|@",
                        re.I)
_SPLIT = re.compile(r"\s+[-–—]\s+|\s*[,;]\s*|\s+và\s+|\s+&\s+", re.I)
_PAREN = re.compile(r"\s*\(([^)]*)\)\s*$")


def split_authors(text: str, organizations=()) -> list[str]:
    """Names in a byline: "A - B", "A và B", "A, B", "Tin, ảnh: P.Y", "Minh Anh (TTXVN)", "Tâm HằngTTXVN".

    Agencies shown with a name become their own entry; notes such as "(tổng hợp)" are dropped;
    names of the outlet itself (`organizations`) are never authors.
    """
    text = _MORE_AUTHORS.sub("", _AUTHOR_NOISE.sub(" ", fold_spaces(text)).strip())
    if _MEDIA_ONLY.match(text):
        return []
    text = _LABEL.sub("", text)
    theo = bool(_THEO.match(text))
    text = _THEO.sub("", text)
    orgs = {fold_accents(o) for o in organizations if o}
    names: list[str] = []
    for part in _SPLIT.split(text):
        part = _LABEL.sub("", part).strip(" .:-–")  # "Bài: A - Ảnh: B": both are credited
        extra = []
        m = _PAREN.search(part)
        if m:
            inside = m.group(1).strip()
            part = part[:m.start()].strip()
            if inside.casefold() in _AGENCY_KEYS:
                extra.append(_AGENCY_KEYS[inside.casefold()])
        g = _GLUED_AGENCY.match(part)
        if g and part not in AGENCIES:
            part, extra = g.group(1).strip(), [g.group(2)] + extra
        slash = _SLASH_AGENCY.match(part)
        if slash and part not in AGENCIES:  # "Thu Hằng/VOV.VN", "Minh Anh/TTXVN"
            part, extra = slash.group(1).strip(), [_AGENCY_KEYS.get(slash.group(2).casefold(), slash.group(2))] + extra
        for name in [part] + extra:
            if (name and len(name) <= 60 and not _NOT_NAMES.search(name) and not re.search(r"\d", name)
                    and fold_accents(name) not in orgs and name.casefold() not in {n.casefold() for n in names}):
                names.append(name)
    if theo:  # "Theo X" names a source; only a news agency counts as a credit
        names = [_AGENCY_KEYS[n.casefold()] for n in names if n.casefold() in _AGENCY_KEYS]
    return names


def _name_like(text: str) -> bool:
    core = _PAREN.sub("", text).strip(" .")
    words = core.split()
    if not words or len(words) > 8 or len(core) > 60 or re.search(r"[\d:!?\"“”]", core):
        return False
    if len(words) == 1 and not core.isupper():  # one plain word ("All", "Kết") is no byline; "PV", "P.Y" are
        return False
    for w in words:
        if w.casefold() in ("và", "-", "–", "&", ",") or w in AGENCIES:
            continue
        if not w[0].isupper():
            return False
    return True


def byline_names(text: str, organizations=()) -> list[str] | None:
    """Author names when the block is a byline line, else None."""
    text = fold_spaces(text)
    if len(text) > 80:
        return None
    if _MEDIA_ONLY.match(text):
        return []  # a photo credit line: dropped, no author
    if _LABEL.match(text):
        return split_authors(text, organizations) or None
    if _THEO.match(text):
        rest = _THEO.sub("", text).strip(" .")
        if rest.casefold() in _AGENCY_KEYS or (len(rest.split()) <= 6 and not re.search(r"[,;:!?\"“”]", rest)):
            return split_authors(text, organizations)  # [] for a non-agency source: the line is still dropped
        return None
    if _name_like(text):
        return split_authors(text, organizations) or None
    return None


def take_bylines(blocks: list[tuple[str, str]], organizations=()) -> tuple[list[tuple[str, str]], list[str]]:
    """Byline lines at the end of the body (up to three) and a labelled one at its start → authors."""
    authors: list[str] = []
    blocks = list(blocks)
    bare_names = 0  # an unlabelled Title Case line is a byline once; a second one is likely text
    for _ in range(3):
        if len(blocks) < 2 or blocks[-1][0] != "p":
            break
        text = blocks[-1][1]
        names = byline_names(text, organizations)
        labelled = bool(_LABEL.match(text) or _THEO.match(text) or _MEDIA_ONLY.match(text))
        if names is None or (not labelled and bare_names):
            break
        bare_names += not labelled
        authors = names + [a for a in authors if a not in names]
        blocks.pop()
    if len(blocks) > 1 and blocks[0][0] == "p" and _LABEL.match(blocks[0][1]) and len(blocks[0][1]) <= 80:
        authors += [a for a in split_authors(blocks.pop(0)[1], organizations) if a not in authors]
    return blocks, authors
