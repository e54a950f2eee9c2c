"""Generic main-content extraction: the fallback for pages whose layout no parser knows.

`extract_body(root, title)` returns the article's paragraph blocks in reading order and its
images. The steps, each driven by the data tables below:

1. work on a copy of the tree with boilerplate removed: tags that never hold article text,
   hidden elements, and subtrees whose class/id/role names a widget (nav, share, related…);
2. score every container by the text of the paragraphs it holds (length, commas, few links),
   boosted when its name says "article body";
3. take the best container plus the sibling blocks that score close to it;
4. flatten it into blocks: one per block-level element, `<br><br>` splits, inline tags glued
   as a browser renders them; drop link lists, the title line and widget labels.
"""
from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from pipelines import clean_dom


# ---------------------------------------------------------------------------------------------
# Heuristics as data
# ---------------------------------------------------------------------------------------------

# Tags that never hold article text.
DROP_TAGS = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "video", "audio", "map", "button", "input", "select", "textarea", "nav", "footer", "aside",
    "head", "link", "meta", "dialog", "menu",
)

# class/id/role names of widgets, matched on whole tokens of the attribute ("ad", "nav"…)…
BOILERPLATE_TOKENS = frozenset("""
    ad ads adv advert advertisement advertising adsbygoogle banner breadcrumb breadcrumbs
    comment comments disqus footer masthead menu nav navbar navigation newsletter outbrain
    pagination pager popup promo related share sharing sidebar social sponsor sponsored
    subscribe subscription tags taboola toolbar widget cookie cookies signup print rating
    recommended recirc byline dateline author-info modal overlay
    lienquan tinlienquan relate relates xemthem docthem tag-list
    date time timestamp published posted
""".split())
# …and on substrings, for the names sites glue together ("relatedPosts", "share-buttons").
BOILERPLATE_SUBSTRINGS = re.compile(
    r"comment|share|social|related|relate[_-]|newsletter|advert|sponsor|sidebar|footer|"
    r"breadcrumb|cookie|recommend|outbrain|taboola|disqus|popup|subscri|promo|"
    r"tin-?lien-?quan|cung-?chuyen-?muc|xem-?them|doc-?them|tin-?khac|other-?news|"
    r"more-?news|most-?popular|most-?read|trending|author-?bio|about-?author|byline|"
    r"newsletter|signup|sign-up|read-?more|readmore|next-?post|prev-?post|post-?nav|"
    r"tags?-?list|article-?tags|keywords?|social|sticky|rating|print",
)
# …unless the name also says it is the article itself.
ARTICLE_NAMES = re.compile(
    r"article[-_]?body|articlebody|article[-_]?content|article[-_]?text|post[-_]?body|"
    r"post[-_]?content|post[-_]?text|entry[-_]?content|story[-_]?body|story[-_]?content|"
    r"main[-_]?content|content[-_]?body|body[-_]?content|detail[-_]?content|article__body|"
    r"article__content|news[-_]?content|text[-_]?content|fck|maincontent|content-detail|"
    r"the-article-body|cms-body|body-text|bodytext|richtext|rich-text",
)
ARTICLE_HINT = re.compile(r"article|content|body|entry|story|post|text|main|detail|news")
NEGATIVE_HINT = re.compile(
    r"comment|meta|footer|footnote|sidebar|widget|related|share|social|promo|"
    r"sponsor|shoutbox|combx|masthead|media|tags|nav|menu|header|skyscraper|ad-|caption",
)
ROLES_TO_DROP = frozenset(("navigation", "banner", "contentinfo", "complementary", "menu",
                           "menubar", "search", "dialog", "alert", "toolbar"))
HIDDEN_CLASSES = frozenset(("hidden", "hide", "d-none", "invisible", "sr-only", "visually-hidden",
                            "screen-reader-text", "visuallyhidden"))
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

# Elements that start a new block of text.
BLOCK_TAGS = frozenset("""
    p div section article main header h1 h2 h3 h4 h5 h6 ul ol li dl dt dd blockquote pre
    figure figcaption table thead tbody tfoot tr td th caption address hr form fieldset
    center details summary body html
""".split())
# Inline elements named like widgets are dropped only when no sentence runs around them: a
# link named "cms-relate" inside a sentence is still part of the sentence.
INLINE_TAGS = frozenset(("a", "span"))
# Elements whose text scores their ancestors.
SCORED_TAGS = ("p", "pre", "td", "blockquote", "li", "div", "section", "article")
OWN_TEXT_TAGS = frozenset(("div", "section", "article", "li", "td"))

# Short lines that are widget labels, in any position.
LABEL_LINE = re.compile(
    r"^(advertisement|advertisements|sponsored|share( this)?( article| story)?|"
    r"tweet|email|print|caption|close|open|expand|enlarge|skip|menu|loading\.*|advert|"
    r"comments?|(image|photo|slide) \d+ of\s*/?\s*\d+|\d+ of \d+|\d+\s*/\s*\d+|back to (gallery|top)|\(?(image|photo) credit:.*|"
    r"this slideshow requires javascript\.?|tell us what you think.*|"
    r"related( articles| stories)?:?|read more:?|continue reading|"
    r"sign up.*newsletter.*|photo:.{0,40}|image:.{0,40}|"
    r"quảng cáo|chia sẻ|in bài|xem thêm:?|đọc thêm:?|tin liên quan:?|bình luận|"
    r"phiên bản di động|đọc tiếp|về trang chủ đề|từ khóa:.*|từ khoá:.*|tags?:.*|"
    r"subscribe|you may also like\W*|trending( news| now)?|popular on .{1,30}|"
    r"related news|don'?t miss|more:|text size|topics|filed under:.*|"
    r"media playback is unsupported.*|like this story\?.*|iklan|"
    r"(image|photo) copyright .{1,40}|getty images|getty)$",
    re.I,
)
# Headings that open a list of links to other articles: the heading and the list go.
RELATED_HEADING = re.compile(
    r"^(more .{0,30}(stories|news|articles|from .{1,30})|related( stories| articles| news| posts| links)?|"
    r"read (more|next|also)|recommended( for you| stories| reading)?|"
    r"most (read|popular|viewed|shared)( (in|on|from) .{1,40})?|you may (also )?like( these posts)?|"
    r"explore further|trending( now| stories)?|"
    r"tin liên quan|tin cùng chuyên mục|cùng chuyên mục|xem thêm|đọc thêm|tham khảo thêm|"
    r"có thể bạn quan tâm|bạn có thể quan tâm|tin khác|tin mới|đọc nhiều|xem nhiều|"
    r"bài liên quan|tin nổi bật|tin xem nhiều|tin đọc nhiều|bài đọc nhiều|tin mới nhất|bài viết liên quan|"
    r"tin cùng chủ đề|bài cùng chủ đề|chủ đề liên quan)\W*$",
    re.I,
)

CAPTION_NAMES = re.compile(r"caption|image-?desc|photo-?desc")

_ATTR_SPLIT = re.compile(r"[\s_-]+")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_COMMA = re.compile(r"[,،、，]")


# ---------------------------------------------------------------------------------------------
# 1. cleaning
# ---------------------------------------------------------------------------------------------

def _names(el) -> str:
    """class and id, lower-cased: the name patterns are matched case-sensitively on this
    (an alternation with re.I is several times slower)."""
    return f"{el.get('class', '')} {el.get('id', '')}".lower()


HIDDEN, WIDGET = "hidden", "widget"


@lru_cache(maxsize=8192)
def _named_verdict(classes: str | None, ident: str | None, role: str | None) -> str | None:
    """HIDDEN when a class hides the element, WIDGET when class, id or role name a widget
    (and not the article), else None. Cached: a page repeats the same class strings on many
    elements, and the patterns are the costly part."""
    if classes and not HIDDEN_CLASSES.isdisjoint(classes.split()):
        return HIDDEN
    if role and role.lower() in ROLES_TO_DROP:
        return WIDGET
    names = f"{classes or ''} {ident or ''}".lower()
    if len(names) < 3:
        return None
    if BOILERPLATE_TOKENS.isdisjoint(_ATTR_SPLIT.split(names)) and \
            not BOILERPLATE_SUBSTRINGS.search(names):
        return None
    return None if ARTICLE_NAMES.search(names) else WIDGET


# Only elements with one of these attributes can be hidden or named like a widget; selecting
# them in XPath spares a Python proxy for every other element.
_NAMED = etree.XPath(".//*[@class or @id or @role or @style or @hidden or @aria-hidden]")
CLEANED_TAGS = frozenset(("div", "section", "span", "ul", "ol", "li", "p", "table", "header",
                          "figure", "a", "dl", "form", "aside", "h2", "h3", "h4", "h5", "h6"))
WRAPPER_TAGS = frozenset(("div", "section", "form", "header", "table"))


# Links that lead nowhere and say "more" or "less": buttons that open or close a text (a caption's
# "… more", "less"), not words of it.
_DEAD_LINKS = etree.XPath(".//a[not(@href) or @href='#' or starts-with(@href, 'javascript:')]")
TOGGLE = re.compile(r"^\W*(?:(?:show|read|see|view)\s+)?(?:more|less)\W*$|^\W*(?:xem thêm|thu gọn)\W*$", re.I)


def _clean_tree(root) -> None:
    etree.strip_elements(root, *DROP_TAGS, etree.Comment, etree.ProcessingInstruction,
                         with_tail=False)
    for a in _DEAD_LINKS(root):
        if len(a) == 0 and a.text and len(a.text) < 20 and TOGGLE.match(a.text):
            _drop(a)
    _drop_comment_sections(root)
    doomed = []
    total = _paragraph_chars(root)
    hidden = []
    for el in _NAMED(root):
        tag = el.tag
        if tag not in CLEANED_TAGS:
            continue
        get = el.get            # one lookup per element instead of one per attribute read
        verdict = _named_verdict(get("class"), get("id"), get("role"))
        style = get("style")
        if verdict is HIDDEN or get("hidden") is not None or get("aria-hidden") == "true" \
                or style and HIDDEN_STYLE.search(style):
            hidden.append(el)
        elif verdict is WIDGET and (tag not in INLINE_TAGS or _stands_alone(el)) and not (
                tag == "figure" and el.find(".//figcaption") is not None):
            # (a picture with its caption named for how it opens, "popup-gallery", stays a picture)
            doomed.append(el)
    for el in hidden:
        _drop(el)
    for el in doomed:
        parent = el.getparent()
        if parent is None:
            continue
        # Never cut a subtree that holds most of the page's paragraphs: a widget name on the
        # article wrapper ("has-sidebar") is more likely than a 20-paragraph widget.
        if el.tag in WRAPPER_TAGS and _holds_article(el, total):
            continue
        _drop(el)


# Readers' comments, known by their heading whatever the section is called: "Comments", "34 responses
# to “…”", "10 thoughts on “…”", "Top Rated Comments", "Leave a Reply", "Bình luận", "Ý kiến bạn đọc".
COMMENT_HEADING = re.compile(r"""^(?:
    (?:\d+\s+)?(?:top\s+rated\s+|recent\s+|reader\s+|readers'?\s+|latest\s+)?
        (?:comments?|responses?|replies|thoughts|reactions)(?:\s+(?:on|to)\s+\S.*)?
  | (?:leave|post|add|write)\s+an?\s+(?:reply|comment|response)\b.*
  | join\s+the\s+(?:conversation|discussion)\b.*
  | comments\s+are\s+closed\W*
  | (?:\d+\s+)?(?:bình\s+luận|ý\s+kiến(?:\s+bạn\s+đọc)?|gửi\s+bình\s+luận)(?:\s*\(\d+\))?
  | (?:\d+\s+)?coment[aá]rios?|deixe\s+(?:uma|um)\s+(?:resposta|comentário).*|tinggalkan\s+balasan.*
  | (?:\d+\s+)?комментари\w*
)\W*$""", re.I | re.X)
_HEADINGS = etree.XPath(".//h2|.//h3|.//h4|.//h5|.//h6")
# What readers' comments show: "… said:", "Reply", "2 days ago", "Trả lời", "… at 6:34 am".
COMMENT_META = re.compile(r"\b(?:says|said|wrote)\s*:|\breply\b|\btrả lời\b|\bresponder\b|"
                          r"\b\d+\s+(?:minutes?|hours?|days?|weeks?|months?|years?|phút|giờ|ngày)\s+(?:ago|trước)\b|"
                          r"\bat\s+\d{1,2}:\d{2}\s*(?:am|pm)\b", re.I)


def _drop_comment_sections(root) -> None:
    """Drop readers' comment sections: from a heading (h2…h6) that says what they are, the largest
    box that starts with that heading (and does not hold the page's headline)."""
    for heading in _HEADINGS(root):
        if heading.getparent() is None:
            continue
        text = _one_line(heading.text_content())
        if len(text) > 150 or not COMMENT_HEADING.match(text):
            continue
        section = heading
        for anc in heading.iterancestors():
            if anc.tag in ("body", "html") or anc.find(".//h1") is not None \
                    or not _one_line(anc.text_content()).startswith(text):
                break
            section = anc
        if section is not heading and _paragraph_chars(section) > 0.5 * _paragraph_chars(root) \
                and len(COMMENT_META.findall(section.text_content())) < 2:
            section = heading          # most of the page's text under a "Bình luận" kicker: no comments
        _drop(section)


def _stands_alone(el) -> bool:
    """Whether an inline element has no text of a sentence around it (a lone date <span>)."""
    if (el.tail or "").strip():
        return False
    prev = el.getprevious()
    before = prev.tail if prev is not None else el.getparent().text
    return not (before or "").strip()


def _paragraph_chars(el) -> int:
    """Characters of text outside links: a rough measure of how much prose `el` holds."""
    return len(el.text_content()) - _link_chars(el)


def _holds_article(el, total: int) -> bool:
    """Whether a subtree named like a widget holds the article itself: most of the page's
    prose, or a descendant named like an article body with real prose in it."""
    if len(el.text_content()) < 500:   # C speed, before the link text is measured
        return False
    chars = _paragraph_chars(el)
    if chars < 500:
        return False
    if chars > 0.5 * total:
        return True
    return any(_paragraph_chars(d) > 500 for d in el.iter("div", "section", "article")
               if d.get("itemprop") == "articleBody" or ARTICLE_NAMES.search(_names(d)))


def _drop(el) -> None:
    """Remove `el` but keep its tail text in the tree."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


# ---------------------------------------------------------------------------------------------
# 2. scoring
# ---------------------------------------------------------------------------------------------

def _class_weight(el) -> float:
    names = _names(el)
    if not names.strip():
        return 0.0
    weight = 0.0
    if ARTICLE_NAMES.search(names):
        weight += 40
    elif ARTICLE_HINT.search(names):
        weight += 10
    if NEGATIVE_HINT.search(names):
        weight -= 25
    if el.get("itemprop") == "articleBody":
        weight += 60
    return weight


_LINK_TEXT = etree.XPath(".//a//text()", smart_strings=False)  # no parent links: far fewer objects


def _link_chars(el) -> int:
    return sum(map(len, _LINK_TEXT(el)))


def _own_text(el) -> str:
    """The text directly in `el` and in its inline children (not in nested blocks)."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in BLOCK_TAGS:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts).strip()


def _score_candidates(root) -> dict:
    scores: dict = {}

    def init(node) -> float:
        if node not in scores:
            base = {"div": 5, "article": 10, "main": 5, "section": 3, "pre": 3, "td": 3,
                    "blockquote": 3, "form": -3, "ul": -3, "ol": -3, "li": -3, "dl": -3,
                    "header": -5, "th": -5}.get(node.tag, 0)
            scores[node] = base + _class_weight(node)
        return scores[node]

    for el in root.iter(*SCORED_TAGS):
        # Containers score their own text only (lines of a div separated by <br>), blocks
        # such as <p> all of theirs.
        text = _own_text(el) if el.tag in OWN_TEXT_TAGS else el.text_content().strip()
        n = len(text)
        if n < 25:
            continue
        parent = el.getparent()
        if parent is None:
            continue
        score = 1 + len(_COMMA.findall(text)) + min(n / 100, 3)
        # A block's own text counts for itself (div of text lines) and its ancestors.
        targets = [(el, 1.0)] if el.tag in ("div", "section", "article", "td") else []
        node, level = parent, 0
        while node is not None and level < 3:
            targets.append((node, 1.0 if level == 0 else 0.5 if level == 1 else 1 / (level * 3)))
            node = node.getparent()
            level += 1
        for node, share in targets:
            if not isinstance(node.tag, str) or node.tag in ("html", "body"):
                continue
            init(node)
            scores[node] += score * share
    return scores


class _FinalScores:
    """Container scores weighed down by their link density. The density costs a walk of the
    node's subtree, so it is computed only for the nodes asked about: the top-scoring ones,
    the best one's siblings and its namesakes."""

    def __init__(self, scores: dict):
        self.scores = scores
        self._known: dict = {}

    def get(self, node, default=None):
        value = self._known.get(node)
        if value is None:
            raw = self.scores.get(node)
            if raw is None:
                return default
            text_len = len(node.text_content())
            density = _link_chars(node) / text_len if text_len else 1.0
            value = self._known[node] = raw * (1 - density)
        return value

    def best(self):
        """The highest final score; the first scored node among equals. A node whose raw score
        is below the best final score so far cannot beat it (density only lowers a score)."""
        rank = {node: i for i, node in enumerate(self.scores)}
        best, best_value = None, None
        for node, raw in sorted(self.scores.items(), key=lambda item: -item[1]):
            if best_value is not None and best_value > 0 and raw < best_value:
                break
            value = self.get(node)
            if best is None or value > best_value or value == best_value and rank[node] < rank[best]:
                best, best_value = node, value
        return best


def _pick_container(root):
    scores = _score_candidates(root)
    if not scores:
        return None, scores
    final = _FinalScores(scores)
    best = final.best()
    # A lone paragraph wins only when nothing holds more text: climb to its parent.
    while best.tag in ("p", "li", "td", "blockquote", "pre") and best.getparent() is not None:
        best = best.getparent()
    return best, final


def _with_siblings(best, final) -> list:
    parent = best.getparent()
    if parent is None:
        return [best]
    threshold = max(10.0, final.get(best, 0) * 0.35)
    best_names = best.get("class")
    kept, dressed_only = [], []
    for sib in parent:
        if sib is best:
            kept.append(sib)
            continue
        if not isinstance(sib.tag, str):
            continue
        bonus = final.get(best, 0) * 0.2 if best_names and sib.get("class") == best_names else 0
        if final.get(sib, -1e9) + bonus >= threshold:
            kept.append(sib)
            continue
        para = _lone_paragraph(sib)
        if para is None:
            continue
        # a paragraph, or a div holding one ("div.zn-body__paragraph" by the article box)
        text = para.text_content().strip()
        density = _link_chars(para) / len(text) if text else 1
        sentence = 0 < len(text) <= 80 and density == 0 and re.search(r"\.( |$)", text)
        # prose as anywhere else: long, and less than PROSE_MAX_LINK_SHARE of it link text
        if not (len(text) > 80 and density < PROSE_MAX_LINK_SHARE or sentence) or _repeats_caption(sib, text):
            continue
        if para is not sib or para.tag == "div" and len(text.split()) < 8:
            # a paragraph wrapped in a box, or a few words (a URL, a date or a credit line?):
            # text only when dressed as the paragraphs kept by it are
            if para.get("class"):
                dressed_only.append((sib, para.get("class")))
            continue
        kept.append(sib)
    if dressed_only:
        dressed = {p.get("class") for k in kept if (p := _lone_paragraph(k)) is not None and p is k}
        kept = [sib for sib in parent if any(sib is k for k in kept) or
                any(sib is s and names in dressed for s, names in dressed_only)]
    return kept


def _repeats_caption(el, text: str) -> bool:
    """Whether `el` says again the caption of the picture just before it (its alt, title or
    figcaption): that picture's caption, which goes where the picture goes."""
    prev = el.getprevious()
    while prev is not None and not isinstance(prev.tag, str):
        prev = prev.getprevious()
    if prev is None or len(text) < CAPTION_REPEAT_CHARS or prev.find(".//img") is None and prev.tag != "img":
        return False
    said = [prev] if prev.tag == "img" else prev.findall(".//img")
    texts = {_one_line(t) for img in said for t in (img.get("alt"), img.get("title")) if t}
    texts |= {_one_line(f.text_content()) for f in prev.iter("figcaption")}
    line = _one_line(text)
    return any(t and (line == t or line.startswith(t) and len(line) - len(t) <= CREDIT_CHARS) for t in texts)


def _lone_paragraph(el):
    """The paragraph `el` is (a <p>, or a div with no block inside), or wraps alone ("div > p"), else None."""
    while el.tag == "div" and len(el) == 1 and isinstance(el[0].tag, str) and el[0].tag in ("p", "div") \
            and not (el.text or "").strip() and not (el[0].tail or "").strip():
        el = el[0]
    if el.tag == "p" or el.tag == "div" and not any(c.tag in BLOCK_TAGS for c in el):
        return el
    return None


def _chunks(best, final) -> list:
    """Other scored containers named like `best`: articles split into several "article-body"
    chunks around ads and embeds. Same class, or the same first class when that one names
    the article ("article-body-text component version-2"); never layout classes ("grid-x")."""
    names = best.get("class", "").split()
    if not names:
        return []
    first = names[0] if ARTICLE_HINT.search(names[0].lower()) else None
    inside = set(best.iter())
    ancestors = set(best.iterancestors())
    chunks = []
    for node in final.scores:
        if node.tag != best.tag or node in inside or node in ancestors:
            continue
        other = node.get("class", "").split()
        if (other == names or first and other[:1] == [first]) and final.get(node) > 0:
            chunks.append(node)
    return chunks


def _in_document_order(root, nodes) -> list:
    wanted = set(nodes)
    ordered = []
    for el in root.iter():
        if el in wanted:
            ordered.append(el)
            wanted.discard(el)
            if not wanted:
                break
    # Drop nodes nested in an earlier kept node.
    result = []
    for el in ordered:
        if not any(anc in nodes for anc in el.iterancestors()):
            result.append(el)
    return result


# ---------------------------------------------------------------------------------------------
# 3. flattening into blocks
# ---------------------------------------------------------------------------------------------

class _Blocks:
    """Collects the text of a subtree block by block, as a browser lays it out."""

    def __init__(self, teasers=()) -> None:
        self.teasers = teasers         # boxes showing another article: their blocks are marked
        self.in_teaser: set[int] = set()               # indexes of blocks inside one
        self.in_gallery: set[int] = set()              # indexes of the captions of a gallery's pictures
        self.after_image: set[int] = set()             # indexes of blocks right after an image
        self.image_texts: set[str] = set()             # the alt and title texts of the images
        self._image_before = False
        self._last_image = None        # (index in images, its alt and title) of a picture just walked
        self._teaser_depth = 0         # inside a teaser box: no caption is looked for
        self._gallery_depth = 0        # inside a box being looked at as a gallery
        self.blocks: list[tuple[str, str, int]] = []   # (tag, text, link chars)
        self.items: list = []          # per block: the child of the walked box it lies in
        self.images: list[dict] = []
        self._item = None
        self._pieces: list[str] = []
        self._links = 0
        self._tag = "p"

    def flush(self) -> None:
        text = _one_line("".join(self._pieces))
        if text:
            if self._image_before:
                self.after_image.add(len(self.blocks))
                self._image_before = False
                if self._last_image is not None:
                    self._caption_by_position(text)
            self.blocks.append((self._tag, text, min(self._links, len(text))))
            self.items.append(self._item)
        self._pieces, self._links = [], 0

    def add(self, text: str | None, in_link: bool) -> None:
        if text:
            self._pieces.append(text)
            if in_link:
                self._links += len(text.strip())

    def walk(self, el, in_link: bool = False, block: str = "p", item=None) -> None:
        tag = el.tag
        if tag == "img":
            self._image(el)
            return
        if tag == "br":
            nxt = el.getnext()
            if nxt is not None and nxt.tag == "br" and not (el.tail or "").strip():
                self.flush()
            else:
                self._pieces.append(" ")
            return
        if el in self.teasers:
            self.flush()
            start = len(self.blocks)
            self.teasers = [t for t in self.teasers if t is not el]
            self._teaser_depth += 1        # a teaser's headline under its picture is no caption
            self.walk(el, in_link, block, item)
            self.flush()
            self._teaser_depth -= 1
            self.in_teaser.update(range(start, len(self.blocks)))
            return
        is_block = tag in BLOCK_TAGS
        pictured = is_block and item is not None and not in_link and el.tag in FIGURE_TAGS \
            and el.find(".//img") is not None
        if pictured and _figure_box(el):
            self._figure(el, item)
            return
        if pictured and not self._gallery_depth and _gallery_shaped(el):
            self.flush()               # pictures each with its caption, and nothing else to read
            start = len(self.blocks)
            self._gallery_depth += 1
            self.walk(el, in_link, block, item)
            self._gallery_depth -= 1
            self.flush()
            if _gallery_lines(self.blocks[start:]):
                self.in_gallery.update(range(start, len(self.blocks)))
            return
        if pictured and _card(el):
            self.flush()               # a picture linking to another article, with its headline
            start = len(self.blocks)
            self._teaser_depth += 1
            self.walk(el, True, block, item)
            self.flush()
            self._teaser_depth -= 1
            self.in_teaser.update(range(start, len(self.blocks)))
            return
        if is_block:
            self.flush()
            # Captions outside <figcaption> ("p.Image", "div.caption", "td.pCaption").
            block = "figcaption" if CAPTION_NAMES.search(el.get("class", "").lower()) else tag
            self._tag = block
            self._item = item
        in_link = in_link or tag == "a"
        self.add(el.text, in_link)
        for child in el:
            if isinstance(child.tag, str):
                self.walk(child, in_link, block, child if item is None else item)
                if child.tag in BLOCK_TAGS:
                    self._tag = block          # text after a nested block belongs to this one
                    self._item = item
            self.add(child.tail, in_link)
        if is_block:
            self.flush()

    def _figure(self, box, item) -> None:
        """A picture with its caption, however it is marked up: its lines (each once, labels
        such as "Image 1 of 5" out) are one caption line, and the caption of its pictures."""
        self.flush()
        inner = _Blocks()
        inner.walk(box)
        inner.flush()
        # a bare number by a picture is a gallery's count ("6"), not its caption
        lines = list(dict.fromkeys(text for tag, text, links in inner.blocks
                                   if _keep_block(tag, text, links) and not text.isdigit()))
        caption = " ".join(lines)
        start = len(self.images)
        for image in inner.images:
            self.images.append({"src": image["src"], "caption": caption or image["caption"]})
        self.image_texts |= inner.image_texts
        self._image_before = not caption
        self._last_image = None
        if not caption and inner._last_image is not None and not self._teaser_depth:   # its caption may come next
            self._last_image = (start + inner._last_image[0], inner._last_image[1])
        if caption:
            links = sum(links for tag, text, links in inner.blocks if text in lines)
            self.blocks.append(("figcaption", caption, min(links, len(caption))))
            self.items.append(item)

    def _image(self, el, caption: str | None = None) -> None:
        self._image_before = True
        said = [_one_line(el.get(attr) or "") for attr in ("alt", "title")]
        said = [text for text in said if len(text) >= 20]
        self.image_texts.update(said)
        src = _image_src(el)
        self._last_image = None
        if src:
            self.images.append({"src": src, "caption": _caption_of(el) if caption is None else caption})
            if said and not self.images[-1]["caption"] and not self._teaser_depth:
                self._last_image = (len(self.images) - 1, said)

    def _caption_by_position(self, text: str) -> None:
        """The line right after a picture that says what its alt or title says is its caption."""
        index, said = self._last_image
        self._last_image = None
        if len(text) >= CAPTION_REPEAT_CHARS and any(s.startswith(text) or text.startswith(s) for s in said) \
                and not _headline_case(text):     # a title in Title Case names the video it opens
            self.images[index]["caption"] = text


def _headline_case(text: str) -> bool:
    """Whether the words of `text` are capitalised as a headline's are ("Video Shows Dramatic Rescue")."""
    words = [w for w in text.split() if len(w) >= 4 and w[0].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


# A picture box found by its shape: one picture and a short text (its caption and credit); in a
# box that is no <figure>, at most one paragraph long.
FIGURE_TEXT_CHARS = 400
FIGURE_TAGS = frozenset(("figure", "div", "table", "td", "center"))


def _figure_box(el) -> bool:
    """Whether `el` is a picture with its caption: a <figure>, or a box holding exactly one
    picture and at most a short text with no headline link (a teaser is not a figure)."""
    if el.tag not in FIGURE_TAGS or el.find(".//img") is None:
        return False
    if el.tag != "figure" and len(el.findall(".//img")) != 1:
        return False
    text = el.text_content()
    if len(text) > 3 * FIGURE_TEXT_CHARS or len(_one_line(text)) > FIGURE_TEXT_CHARS:
        return False
    if el.tag != "figure" and len({line for line in (_one_line(p.text_content()) for p in el.iter("p", "div")
                                                     if not any(c.tag in BLOCK_TAGS for c in p))
                                   if len(line) >= PROSE_CHARS}) > 1:
        return False                   # two paragraphs by a picture: text, not its caption
    # a picture that links to another page (not to its own larger file) is a teaser's
    return not any(len(a.text_content().split()) >= 4 or _links_away(a) for a in el.iter("a"))


# A gallery (a slideshow, a lightbox strip): at least this many pictures, each with its caption.
GALLERY_PICTURES = 3


def _gallery_shaped(el) -> bool:
    """Whether `el` may be a gallery, at a cheap look: a box of several pictures and so little
    text that it can be their captions only."""
    if el.tag == "figure":
        return False
    pictures = len(el.findall(".//img"))
    return pictures >= GALLERY_PICTURES and len(el.text_content()) <= pictures * FIGURE_TEXT_CHARS


def _gallery_lines(blocks: list) -> bool:
    """Whether the blocks of a box are a gallery's: the captions of its pictures (a figure box
    each), at least GALLERY_PICTURES of them, and no other line to read but these captions again
    (a count such as "1 of 6" or a button is a label)."""
    captions: list[str] = []
    for tag, text, links in blocks:
        if tag == "figcaption":
            captions.append(text)
        elif _keep_block(tag, text, links) and not any(   # a caption said again (an italic line under it)
                c.startswith(text) or text.startswith(c) and len(text) - len(c) <= CREDIT_CHARS for c in captions):
            return False
    return len(captions) >= GALLERY_PICTURES


def _card(el) -> bool:
    """A teaser card: a picture that links to another page, with a short text (its headline and
    summary) and nothing else."""
    if el.tag not in FIGURE_TAGS or len(el.findall(".//img")) != 1:
        return False
    text = el.text_content()
    if len(text) > 3 * FIGURE_TEXT_CHARS or len(_one_line(text)) > FIGURE_TEXT_CHARS:
        return False
    if _PHOTO_CREDIT.search(text):
        return False                   # a caption credits its photo; a teaser does not
    img = el.find(".//img")
    return any(anc.tag == "a" and _links_away(anc) for anc in img.iterancestors()
               if anc is el or _inside_of(anc, el))


_PHOTO_CREDIT = re.compile(r"\b(?:ảnh|photo|image|credit|nguồn|đồ họa)\s*:", re.I)


def _inside_of(node, box) -> bool:
    return any(a is box for a in node.iterancestors())


_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|bmp|tiff?)(?:[?#].*)?$", re.I)


def _links_away(a) -> bool:
    href = (a.get("href") or "").strip()
    return bool(href) and not href.startswith(("#", "javascript:")) and not _IMAGE_FILE.search(href)


def _caption_of(img) -> str:
    """The caption of the figure (or picture table, "td.pCaption") holding `img`, or of the
    group of figures it sits in ("div.layout-image-2 > figure × 2 + figcaption"), else ""."""
    node = img.getparent()
    for _ in range(5):
        if node is None or node.tag in ("body", "article", "main", "section"):
            return ""
        if node.tag == "table" and len(node.text_content()) > 600:
            return ""                      # a layout table, not a picture box
        inside = node.iter() if node.tag in ("figure", "table") else iter(node)
        for cap in inside:
            if cap.tag == "figcaption" or cap.tag in ("td", "div", "p", "span") and \
                    CAPTION_NAMES.search(cap.get("class", "").lower()):
                return _one_line(cap.text_content())
        node = node.getparent()
    return ""


def _one_line(text: str) -> str:
    """Source line breaks are layout, not text: one block is one line, spaces folded, NFC,
    zero-width characters out (text.fold_spaces with line breaks too, without its regexes:
    this runs for every block of every page)."""
    if _ZERO_WIDTH.search(text):
        text = _ZERO_WIDTH.sub("", text)
    return " ".join(unicodedata.normalize("NFC", text).split())


def _image_src(el) -> str:
    for attr in ("data-src", "data-original", "data-lazy-src", "src"):
        src = (el.get(attr) or "").strip()
        if src and not src.startswith("data:"):
            return src
    srcset = el.get("data-srcset") or el.get("srcset") or ""
    return srcset.split(",")[0].split(" ")[0].strip() if srcset else ""


def _same_text(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _keep_block(tag: str, text: str, links: int) -> bool:
    if len(text) < 120 and LABEL_LINE.match(text):
        return False
    if tag == "li" or len(text) < 200:
        # Link lists and "Read: <headline>" lines.
        if links / len(text) > 0.5:
            return False
    elif links / len(text) > 0.7:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# the entry point
# ---------------------------------------------------------------------------------------------

def _is_prose(text: str, links: int) -> bool:
    return len(text) >= PROSE_CHARS and links < PROSE_MAX_LINK_SHARE * len(text)


def _is_headline_link(text: str, links: int) -> bool:
    return len(text) >= 20 and links >= 0.8 * len(text)


def _untitled_prose(blocks: list, items: list) -> tuple[int, int]:
    """(paragraphs, characters) of prose in a box, except teasers: the one paragraph of an item
    (a child of the box: li, article, div) that also holds a headline link; and in a flat list
    (h3, p, h3, p…), where nearly all paragraphs sit right under a headline link, those paragraphs
    (an article with headlines of other stories between its paragraphs keeps most without)."""
    prose: dict = {}
    titled = set()
    under_headline = False
    flat_teasers: list = []     # (item, characters) of paragraphs right under a headline link
    paragraphs = 0
    for (_, text, links), item in zip(blocks, items):
        if _is_prose(text, links):
            paragraphs += 1
            if under_headline:
                flat_teasers.append((id(item), len(text)))
            n, chars = prose.get(id(item), (0, 0))
            prose[id(item)] = (n + 1, chars + len(text))
            under_headline = False
        elif _is_headline_link(text, links):
            under_headline = True      # a date or category line may stand between
            if item is not None:
                titled.add(id(item))
    if len(flat_teasers) >= 3 and 4 * len(flat_teasers) >= 3 * paragraphs:
        for item, length in flat_teasers:
            n, chars = prose[item]
            prose[item] = (n - 1, chars - length)
    kept = [counts for item, counts in prose.items() if not (item in titled and counts[0] == 1)]
    return sum(n for n, _ in kept), sum(chars for _, chars in kept)


@dataclass
class MainContent:
    """What the fallback found, with the shape of the text: a listing and an article differ
    there even when the page says nothing about itself."""
    paragraphs: list[str]
    images: list[dict]
    boxes: int = 0         # separate containers the text was taken from
    prose_run: int = 0     # most long prose paragraphs in one of them, or in sibling ones
    prose_chars: int = 0   # the characters of that run

    @property
    def teaser_shaped(self) -> bool:
        """Text from many boxes of at most one paragraph each: the teasers of a listing."""
        return self.boxes >= 3 and self.prose_run <= 1

    @property
    def article_shaped(self) -> bool:
        """A run of long prose paragraphs in one container, as an article's body is."""
        return self.prose_run >= 2 and not self.teaser_shaped


# A line at least this long right after an image, or said in an image's alt or title, is a caption
# when it shows up twice (a gallery repeating the figure, an italic line under a figcaption): once.
CAPTION_REPEAT_CHARS = 30
# What a caption said again may add to it: a photo credit.
CREDIT_CHARS = 40
# A paragraph of prose, not a headline or a label: long, and mostly not link text.
PROSE_CHARS = 80
PROSE_MAX_LINK_SHARE = 0.3


def extract_body(root: lxml.html.HtmlElement, title: str | None = None
                 ) -> tuple[list[str], list[dict]]:
    """(paragraph blocks in reading order, images [{"src", "caption"}]) of the main content.

    `root` is not modified. `title`, when given, is dropped where the body repeats it."""
    found = extract_main(root, title)
    return found.paragraphs, found.images


def extract_main(root: lxml.html.HtmlElement, title: str | None = None, *, in_place: bool = False,
                 url: str = "") -> MainContent:
    """extract_body with the shape of the text. With `in_place` the page tree itself is cleaned
    (faster, for a caller that reads nothing more from it); otherwise a copy is. `url`, when
    known, is the page's own address (links to it are no teasers)."""
    tree = root if in_place else copy.deepcopy(root)
    body = tree.find("body")
    if body is None:
        body = tree
    hosts = clean_dom.own_hosts(tree, url)
    _clean_tree(body)
    best, final = _pick_container(body)
    if best is None:
        return MainContent([], [])
    nodes = _with_siblings(best, final)
    nodes += [c for c in _chunks(best, final) if c not in nodes]
    boxes = _in_document_order(body, nodes)
    # boxes inside the text that show other articles or tags: their lines are left out
    teasers = [box for node in boxes for box, _, _ in clean_dom.teaser_boxes(node, url, hosts)]
    teasers += [box for node in boxes for box in clean_dom.link_lists(node)
                if not any(box is t or clean_dom._inside(box, t) for t in teasers)]
    teasers += [box for node in boxes for box in clean_dom.appeal_boxes(node)]
    collector = _Blocks(teasers)
    # Prose paragraphs per parent of the boxes: an article cut into sibling boxes (around ads,
    # or one wrapper per paragraph) is still one run; a listing's teasers sit one per item.
    # A paragraph that shares its item with a headline link is a teaser and adds to no run.
    prose_by_parent: dict = {}
    for node in boxes:
        start = len(collector.blocks)
        collector.walk(node)
        n, chars = _untitled_prose(collector.blocks[start:], collector.items[start:])
        parent = node.getparent()
        before = prose_by_parent.get(parent, (0, 0))
        prose_by_parent[parent] = (before[0] + n, before[1] + chars)
    prose_run, prose_chars = max(prose_by_parent.values(), default=(0, 0))
    title_text = _one_line(title) if title else ""
    paragraphs: list[str] = []
    seen: set[str] = set()       # captions kept: said again anywhere, they go
    kept: set[str] = set()
    seen_heading_one = False
    in_related_list = False
    list_was_teasers = False     # the list under a related heading was a teaser box: it ended there
    for index, (tag, text, links) in enumerate(collector.blocks):
        if index in collector.in_teaser:
            list_was_teasers = in_related_list
            continue
        if index in collector.in_gallery and prose_run >= 2:
            continue                       # a gallery by the article's text: its captions stay with its pictures
        if in_related_list:
            # its items: list items and headline links ("Read More" over a sentence with a link
            # in it was a button, not the heading of a list)
            if not list_was_teasers and (tag == "li" or len(text) < 200 and links >= 0.5 * len(text)):
                continue
            in_related_list = False
        if len(text) <= 60 and RELATED_HEADING.match(text):
            in_related_list, list_was_teasers = True, False
            continue
        if title_text and _same_text(text[:len(title_text)], title_text):
            rest = text[len(title_text):].strip(" -–|:")
            if len(rest) <= 80 and not rest.endswith("."):
                continue                   # the title, alone or with its date/byline line
            text = rest                    # "Title<br>First paragraph…"
        if tag == "h1" and not paragraphs and not seen_heading_one:
            seen_heading_one = True        # the headline, when no title was given
            continue
        if not _keep_block(tag, text, links):
            continue
        captionish = tag == "figcaption" or len(text) >= CAPTION_REPEAT_CHARS and (
            index in collector.after_image or text in collector.image_texts)
        if paragraphs and paragraphs[-1] == text or text in seen or captionish and text in kept:
            continue                       # a line twice in a row, a caption again (galleries)
        if paragraphs and len(text) >= CAPTION_REPEAT_CHARS and paragraphs[-1].startswith(text.rstrip(" .…")):
            continue                       # the line before it again, cut short (a caption's "… more")
        if captionish and any(text.startswith(c) and len(text) - len(c) <= CREDIT_CHARS for c in seen):
            continue                       # a caption again, with its credit glued on ("…Getty")
        if captionish:
            seen.add(text)
        kept.add(text)
        paragraphs.append(text)
    return MainContent(paragraphs, collector.images, len(boxes), prose_run, prose_chars)


# A teaser's headline: a link of a few words, not a whole paragraph.
TEASER_WORDS = 4
TEASER_CHARS = (20, 200)
# A link with more text than this around it in its paragraph is a few words of a sentence.
INLINE_LINK_CONTEXT = 80


def teaser_headlines(root: lxml.html.HtmlElement, base_url: str, is_other_article
                     ) -> dict[str, str]:
    """{URL: headline} of the teasers on a page: links whose text is a headline of a few words
    and whose URL `is_other_article` (absolute URL → bool: another article of the same site).
    A link inside a sentence of prose ("as we reported last week") is no teaser."""
    found: dict[str, str] = {}
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        text = _one_line(a.text_content())
        if not TEASER_CHARS[0] <= len(text) <= TEASER_CHARS[1] or len(text.split()) < TEASER_WORDS:
            continue
        try:
            target = urljoin(base_url, href).split("#")[0]
        except ValueError:
            continue
        if target in found or target == base_url.split("#")[0] or not is_other_article(target):
            continue
        block = next((b for b in a.iterancestors() if b.tag in BLOCK_TAGS), None)
        if block is not None and block.tag == "p" and \
                len(block.text_content()) - len(a.text_content()) > INLINE_LINK_CONTEXT:
            continue
        found[target] = text
    return found


def page_title(root: lxml.html.HtmlElement) -> str:
    """The headline as the page announces it: og:title, else the first <h1>, else <title>."""
    for xpath in ('//meta[@property="og:title"]/@content', "//h1", "//title"):
        found = root.xpath(xpath)
        if found:
            value = found[0] if isinstance(found[0], str) else found[0].text_content()
            value = _one_line(value)
            if value:
                return value
    return ""
