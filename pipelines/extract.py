"""Page HTML → clean article dict (pipelines.article), for Vietnamese news pages.

The cascade, for every page:
1. decode the bytes (pipelines.decode: BOM, the HTTP header's charset, the page's own <meta>,
   then detection) and parse once with lxml; text typed in the TCVN3 or VNI fonts is converted
   to Unicode (pipelines.legacy_vietnamese), or the page refused as LegacyEncoding;
2. metadata from the head (pipelines.metadata): dates, authors, headline, tags, section;
3. the layout: the registered site's CMS family (pipelines/families.toml, with the site's own
   selector overrides first), else the first family whose DOM signature matches the page, else the
   generic main-content fallback (pipelines.generic), where the shape of the text tells an article
   (a run of prose paragraphs in one container) from a listing (teasers in separate boxes, or
   teasers whose headlines outweigh the prose found, when no metadata vouches for an article);
4. junk removal on the article container only (pipelines.clean_dom), blocks, bylines → authors;
5. the text pass again (pipelines.clean_text.clean_paragraphs), whatever path produced the text;
6. the language (pipelines.language): a visible meta description is the sapo only on Vietnamese
   pages, where the lead belongs to the article text.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from common.provinces import article_provinces
from common.urls import BadURL, article_canonical, host_aliases
from pipelines import clean_dom, legacy_vietnamese
from pipelines.article import new_article
from pipelines.author_names import title_case_name
from pipelines.clean_dom import first, text_of
from pipelines.dates import split_published_modified, to_iso
from pipelines.decode import CharsetMismatch, decode_page
from pipelines.language import declared_language, page_language
from pipelines.metadata import read_metadata
from common.text import fold_accents, fold_spaces, nfc, split_categories

FAMILIES_TOML = files("pipelines") / "families.toml"  # read from the package: also inside a zipped egg (Scrapyd)
GENERIC_EXTRACTOR = "generic@1"
MIN_ARTICLE_CHARS = 150


class ExtractionError(Exception):
    """The page could not be made into an article; the reason is str(e)."""


class NotAnArticle(ExtractionError):
    """A listing page, an empty or broken page, or a page with no article body."""


class BadCharset(ExtractionError):
    """The page's bytes are not in the charset it declares (pipelines.decode); str(e) says how."""


class LegacyEncoding(ExtractionError):
    """Text in a legacy font encoding (TCVN3, VNI) that cannot be converted with certainty."""


@dataclass(frozen=True)
class Family:
    name: str
    version: int
    signature: tuple[str, ...] = ()
    title: tuple[str, ...] = ()
    sapo: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    junk: tuple[str, ...] = ()
    related: tuple[str, ...] = ()

    @property
    def extractor(self) -> str:
        return f"{self.name}@{self.version}"

    def with_overrides(self, selectors: dict) -> "Family":
        """The family with a site's own selectors tried first (sites.toml `selectors`)."""
        if not selectors:
            return self
        values = {}
        for key in ("title", "sapo", "body", "authors", "date", "junk", "related"):
            extra = selectors.get(key) or ()
            extra = (extra,) if isinstance(extra, str) else tuple(extra)
            values[key] = extra + getattr(self, key)
        return Family(self.name, self.version, self.signature, **values)


@lru_cache(maxsize=1)
def load_families() -> tuple[tuple[Family, ...], dict]:
    """(families in detection order, common selectors) from families.toml."""
    data = tomllib.loads(FAMILIES_TOML.read_text(encoding="utf-8"))
    fields = Family.__dataclass_fields__
    families = tuple(Family(**{k: tuple(v) if isinstance(v, list) else v for k, v in entry.items() if k in fields})
                     for entry in data.get("family", []))
    common = {k: tuple(v) for k, v in data.get("common", {}).items()}
    return families, common


def family_named(name: str) -> Family | None:
    """The newest version of a family (a redesign adds a version; the newest is tried first)."""
    candidates = [f for f in load_families()[0] if f.name == name]
    return max(candidates, key=lambda f: f.version) if candidates else None


# ---- decoding and parsing -------------------------------------------------------------------

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
# Pages are parsed from their decoded text, encoded again as UTF-8: libxml2 reads UTF-8 bytes a
# fifth faster than a str (which it converts from UTF-16/32 first), and the parser is told the
# encoding, so a page's own charset declaration cannot change how the bytes read.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, default_doctype=False, encoding="utf-8")
# lxml.html's own parser picks each element's class in a Python callback, once per element object
# made; every element is an HtmlElement here (no Form/Input classes needed), chosen in C.
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity))


def decode_html(data: bytes | str, content_type: str | None = None) -> str:
    """Page bytes → str by pipelines.decode's rule: BOM, then the HTTP header's charset
    (`content_type`, when known), then the page's own declaration, then detection."""
    try:
        return decode_page(data, content_type).text
    except CharsetMismatch as e:
        raise BadCharset(str(e)) from None


def parse_html(data: bytes | str, content_type: str | None = None):
    return _parse_text(_XML_DECL.sub("", decode_html(data, content_type), count=1))


def _parse_text(text: str):
    if not text.strip():
        raise NotAnArticle("empty page")
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise NotAnArticle(f"unparseable page: {exc}") from None
    if root is None or root.find(".//body") is None and len(root) == 0:
        raise NotAnArticle("empty page")
    return root


# ---- legacy font encodings ------------------------------------------------------------------

_NOT_TEXT = frozenset({"script", "style", "noscript", "template"})
_TEXT_ATTRIBUTES = ("content", "alt", "title")


def _text_pieces(root):
    """(element, "text"|"tail"|attribute, value, in an upper-case font) for every piece of text."""
    stack = [(root, False, False)]
    while stack:
        el, upper, parent_upper = stack.pop()
        if el.tail and el is not root:
            yield el, "tail", el.tail, parent_upper
        if not isinstance(el.tag, str):
            continue
        font = el.get("face") or el.get("style")
        if font and legacy_vietnamese.upper_case_font(font):
            upper = True
        if el.text and (el.tag not in _NOT_TEXT or el.get("type") == "application/ld+json"):
            yield el, "text", el.text, upper
        for name in _TEXT_ATTRIBUTES:
            value = el.get(name)
            if value and not value.isascii():
                yield el, name, value, upper
        stack.extend((child, upper, upper) for child in reversed(el))


def legacy_verdict(root_or_pieces) -> legacy_vietnamese.Verdict:
    """Whether the page's text (its pieces holding no Unicode-only letter) is TCVN3 or VNI."""
    pieces = _text_pieces(root_or_pieces) if hasattr(root_or_pieces, "iter") else root_or_pieces
    return legacy_vietnamese.detect(value for _, _, value, _ in pieces
                                    if not legacy_vietnamese.has_unicode_vietnamese(value))


def convert_legacy_text(root) -> str | None:
    """Text typed in a legacy font encoding (TCVN3, VNI) converted to Unicode in place; returns
    the encoding, or None when the page has no such text. Raises LegacyEncoding when the page
    looks legacy but which encoding, or whether at all, is not certain (the page is kept)."""
    pieces = list(_text_pieces(root))
    verdict = legacy_verdict(pieces)
    if verdict.encoding is None:
        return None
    if not verdict.certain:
        raise LegacyEncoding(f"text in a legacy font encoding, not converted with certainty ({verdict})")
    for el, where, value, upper in pieces:
        converted = legacy_vietnamese.convert_piece(value, verdict.encoding, upper)
        if converted == value:
            continue
        if where == "text":
            el.text = converted
        elif where == "tail":
            el.tail = converted
        else:
            el.set(where, converted)
    return verdict.encoding


# ---- layout detection -----------------------------------------------------------------------

def detect_family(root, site: dict | None = None, index: clean_dom.DocIndex | None = None) -> Family | None:
    """The registered site's family (if its body is on the page), else the first matching DOM signature."""
    families, _ = load_families()
    if index is None:
        index = clean_dom.DocIndex(root)
    overrides = (site.get("selectors") or {}) if site is not None else {}
    if site is not None:
        fam = family_named(site["slug"] if site.get("cms") == "own" else site.get("cms", ""))
        if fam is not None:
            fam = fam.with_overrides(overrides)
            if first(root, fam.body, index=index) is not None:
                return fam
    for fam in families:
        if fam.signature and first(root, fam.signature, with_text=False, index=index) is not None \
                and first(root, fam.body, index=index) is not None:
            return fam.with_overrides(overrides)
    if overrides.get("body"):  # an outlet known only by its own selectors
        fam = Family(site["slug"], 1).with_overrides(overrides)
        if first(root, fam.body, index=index) is not None:
            return fam
    return None


# ---- fields ---------------------------------------------------------------------------------

_SUFFIX_SPLIT = re.compile(r"\s+[|–—-]\s+|\s+[|]\s*")
_OUTLET_WORDS = re.compile(r"^(báo|tạp chí|tin tức|trang tin|cổng thông tin|đài|truyền hình)\b|"
                           r"\.(vn|net|com|org)\b|online$|điện tử$", re.I)


def strip_site_suffix(title: str, names=()) -> str:
    """'Headline - Báo Lào Cai' → 'Headline' (only when the last part is the outlet's name)."""
    parts = _SUFFIX_SPLIT.split(title)
    if len(parts) < 2:
        return title
    last = fold_accents(parts[-1]).strip()
    outlet = {fold_accents(n).strip() for n in names if n}
    # "VTC News" for vtcnews.vn, "Dân trí" for dantri.com.vn: the host's name without spaces
    hosts = {re.sub(r"^(www|m)\.", "", o).split(".")[0] for o in outlet if "." in o and " " not in o}
    if (last in outlet or _OUTLET_WORDS.search(parts[-1]) or any(o and (o in last or last in o) for o in outlet)
            or last.replace(" ", "") in hosts):
        return title[:title.rfind(parts[-1])].rstrip(" |–—-")
    return title


_BREADCRUMB = re.compile(r"\s[>»/›]\s|^\W*trang chủ\b", re.I)


def _looks_like_breadcrumb(text: str) -> bool:
    return bool(_BREADCRUMB.search(text)) or (text.isupper() and len(text.split()) <= 4)


def _pick_title(root, fam: Family | None, meta: dict, names):
    """(title, its element or None): the layout's headline element, never a breadcrumb h1."""
    reference = meta["headline"] or strip_site_suffix(meta["og_title"], names)
    ref = fold_accents(reference)
    for sel in (fam.title if fam else ()):
        found = [(el, text_of(el)) for el in clean_dom.css(sel)(root)]
        found = [(el, t) for el, t in found if t and not _looks_like_breadcrumb(t)]
        if found:
            # a bare selector ("h1") may also match a logo or a teaser: prefer the headline
            same = [pair for pair in found if fold_accents(pair[1]) == ref] or \
                [pair for pair in found if ref and (fold_accents(pair[1]) in ref or ref in fold_accents(pair[1]))]
            el, text = (same or found)[0]
            return text, el
    h1s = [(h, text_of(h)) for h in root.iter("h1")]
    h1s = [(h, t) for h, t in h1s if t and not _looks_like_breadcrumb(t)]
    if reference:
        for h, t in h1s:
            if fold_accents(t) == ref:
                return t, h
        # the shown headline often differs a little from the metadata one (SEO wording): take the
        # h1 that shares most of its words, as shown
        words = set(ref.split())
        scored = [(len(words & set(fold_accents(t).split())) / len(words | set(fold_accents(t).split())), t, h)
                  for h, t in h1s]
        best = max(scored, default=None, key=lambda x: x[0])
        if best and best[0] >= 0.5:
            return best[1], best[2]
        return reference, None
    if h1s:
        return max(h1s, key=lambda pair: len(pair[1]))[::-1]
    title_el = root.find(".//title")
    return (strip_site_suffix(text_of(title_el), names) if title_el is not None else ""), None


def article_scope(title_el, container):
    """The smallest element holding both the headline and the body (the article's own area),
    so bylines, dates and tags are not taken from sidebars; None when that is the whole page."""
    if title_el is None or container is None:
        return None
    # the elements themselves, not id()s: lxml makes a proxy per access, and the id of a proxy
    # already thrown away is reused by the next one (an unrelated <section> passed for an ancestor)
    above = [title_el, *title_el.iterancestors()]
    for el in [container, *container.iterancestors()]:
        if any(el is a for a in above):
            return None if el.tag in ("body", "html") else el
    return None


def _leaf_texts(el) -> list[str]:
    if el.tag == "meta":
        return [text_of(el)]
    leaves = []
    for node in el.iter():
        if not isinstance(node.tag, str) or node.tag in clean_dom.SKIP_TAGS:
            continue
        if node.text and node.text.strip() or any(c.tail and c.tail.strip() for c in node):
            has_text_child = any(isinstance(c.tag, str) and text_of(c) for c in node)
            leaves.append(text_of(node) if not has_text_child else fold_spaces(
                " ".join([node.text or ""] + [c.tail or "" for c in node])))
    return [t for t in leaves if t]


def _visible_authors(root, fam: Family, orgs, scope=None, index=None, *, only_first=False
                     ) -> tuple[list[str], list, bool]:
    """(names, the elements they came from, whether the byline said "và N tác giả khác").

    Within the article's scope when known; otherwise only the first match counts (a selector
    such as ".author" also matches every teaser in a sidebar)."""
    for sel in fam.authors:
        if index is not None and not index.may_match(sel):
            continue
        els = clean_dom.css(sel)(root)
        if scope is not None:
            els = [el for el in els if el is scope or _inside(el, scope)] or els
        if len(els) > 6 or only_first and scope is None:
            els = els[:1]
        names, more = [], False
        for el in els:
            for text in _leaf_texts(el):
                more = more or bool(clean_dom._MORE_AUTHORS.search(text))
                names += [n for n in clean_dom.split_authors(text, orgs) if n not in names]
        if names:
            return names, els, more
    return [], [], False


def _meta_authors(meta: dict, orgs) -> list[str]:
    names: list[str] = []
    for text in meta["authors"]:
        names += [n for n in clean_dom.split_authors(text, orgs) if n not in names]
    return names


def _is_bold_block(el) -> bool:
    """A paragraph whose whole text is bold: the sapo of layouts that put it first in the body."""
    text = text_of(el)
    bold = "".join(text_of(b) for b in el.iter("strong", "b"))
    return len(text) >= 60 and fold_spaces(bold) == text


_DATE_PATH = re.compile(r"/(?:19|20)\d\d/\d{1,2}/")
_ID_QUERY = re.compile(r"[?&](?:id|idx|newsid|article_?id|p)=\d+", re.I)


def looks_like_article_url(url: str, site: dict | None = None) -> bool:
    """The registered site's article pattern, else the usual shapes: a long numeric id, a date path,
    an id parameter, or a long slug ("-argentina-wins-davis-cup-opener"). Section pages
    ("/kinh-doanh", "/thi-truong-chung-khoan.chn") have none of these."""
    parts = urlsplit(url)
    path = parts.path
    if site is not None and site.get("article_pattern"):
        try:
            if re.search(site["article_pattern"], path):
                return True
        except re.error:
            pass
    return bool(re.search(r"\d{5,}", _last_segment(path)) or _DATE_PATH.search(path) or _ID_QUERY.search("?" + parts.query)
                or re.search(r"/(?:article|articles|story|news|post|bai-viet|tin-tuc)/\d+", path)
                or _slug_words(path) >= 5)


def _last_segment(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _slug_words(path: str) -> int:
    return len(re.split(r"[-_]", re.sub(r"\.\w+$", "", _last_segment(path))))


def vouched_by_metadata(root, meta: dict) -> bool:
    """Whether the page's own metadata says it is one article: an Article in JSON-LD,
    article:published_time, a publication date, an articleBody (a URL or og:type alone does not:
    listing pages have article-shaped URLs and og:type=article too)."""
    return bool(meta["is_article"] or meta["published_raw"]
                or root.xpath("boolean(//*[@itemprop='articleBody'])"))


_LISTING_LD = re.compile(r'"@type"\s*:\s*\[?\s*"(?:ItemList|CollectionPage|SearchResultsPage)"')


def says_listing(root, meta: dict) -> bool:
    """Whether the page calls itself a list: og:type=website, an ItemList or CollectionPage in its
    JSON-LD, or a link to a next/previous page of itself."""
    return bool(meta["og_type"] == "website" or root.xpath("boolean(//link[@rel='next' or @rel='prev'])")
                or any(_LISTING_LD.search(s.text or "") for s in root.iter("script")
                       if "ld+json" in (s.get("type") or "")))


# A listing shows a page of teasers; an article's related and most-read boxes, fewer or not alone.
LISTING_MIN_TEASERS = 8
# How many times the teasers' headline characters an article's prose must weigh at least, and on a
# page that calls itself a list. Measured: a listing's fallback text weighs at most 0.82 times its
# headlines (a promo box), an article without metadata at least 2.0 (English benchmark, vi-news).
TEXT_OVER_HEADLINES = 1.0
TEXT_OVER_HEADLINES_ON_A_LIST = 1.5
# A run of prose this long is an article's body whatever surrounds it (the longest seen on a listing
# page, a members' promo box, has 1,052).
ARTICLE_RUN_CHARS = 2000


def teasers_outweigh_text(found, teasers: dict, listing_said: bool) -> bool:
    """Whether the teasers of a page (pipelines.generic.teaser_headlines) outweigh the run of prose
    found as its body: a listing, whose fallback text is then a footer, a form or a promo box.
    An article's text outweighs the headlines of its related boxes, by more on a page that calls
    itself a list."""
    if len(teasers) < LISTING_MIN_TEASERS or found.prose_chars >= ARTICLE_RUN_CHARS:
        return False
    factor = TEXT_OVER_HEADLINES_ON_A_LIST if listing_said else TEXT_OVER_HEADLINES
    return found.prose_chars < factor * sum(map(len, teasers.values()))


def has_article_evidence(root, meta: dict, url: str, site: dict | None = None) -> bool:
    """Whether a page of unknown layout says it is one article (listing pages say none of this)."""
    return bool(meta["is_article"] or meta["published_raw"] or looks_like_article_url(url, site)
                or meta["og_type"] == "article" and _slug_words(urlsplit(url).path) >= 4
                or root.xpath("boolean(//*[@itemprop='articleBody'])"))


# ---- the cascade ----------------------------------------------------------------------------

def extract_article(html: bytes | str, url: str, site: dict | None = None,
                    content_type: str | None = None) -> dict:
    """One page → one article dict (see pipelines.article). Raises NotAnArticle / ExtractionError
    (LegacyEncoding for TCVN3/VNI text that cannot be converted with certainty).

    `site` is what the registry knows of the page's site (crawler.sites.Site.profile(): slug, name,
    province, cms, selectors, article_pattern, domains, old_domains); None for an unknown site,
    whose layout is recognised from the page. `content_type` is the HTTP Content-Type header the
    page came with, whose charset outranks the page's own declaration.

    Text typed in a legacy font encoding (TCVN3, VNI) is converted: when the article read as is
    holds such text (or, refused, its page does), the page is parsed again, its text converted
    (convert_legacy_text) and the article read from that."""
    text = _XML_DECL.sub("", decode_html(html, content_type), count=1)
    try:
        article = _extract_from_tree(_parse_text(text), text, url, site)
    except NotAnArticle as e:
        if not legacy_vietnamese.may_be_legacy(text):
            raise
        refused, article = e, None
    if article is not None and not legacy_vietnamese.may_be_legacy(
            "\n".join([article["title"], article["sapo"], article["body"]] + article["authors"])):
        return article
    root = _parse_text(text)
    if not convert_legacy_text(root):
        if article is None:
            raise refused
        return article
    return _extract_from_tree(root, None, url, site)   # the source no longer spells the text


def _extract_from_tree(root, text: str | None, url: str, site: dict | None) -> dict:
    """extract_article on the parsed page (`text`: its source, None if it no longer matches)."""
    meta = read_metadata(root)
    _, common = load_families()
    site_name = site.get("name", "") if site else ""
    names = [n for n in (meta["site_name"], site_name, urlsplit(url).hostname or "") if n]
    orgs = list(dict.fromkeys(meta["organizations"] + names))

    index = clean_dom.DocIndex(root)
    fam = detect_family(root, site, index)
    title, title_el = _pick_title(root, fam, meta, names)
    container = first(root, fam.body) if fam else None
    scope = article_scope(title_el, container)
    area = scope if scope is not None else root
    sapo_el = _first_in(area, root, fam.sapo) if fam else None
    sapo = text_of(sapo_el) if sapo_el is not None else ""
    date_el = _first_in(area, root, fam.date) if fam else None
    found_dateline: list = []

    def dateline():
        """The date (and byline) shown by the headline, known by what it says, when the layout's
        date box is missing here or no layout is known; looked for only when needed."""
        if not found_dateline:
            line = None
            if date_el is None:
                anchor = title_el if title_el is not None else clean_dom.element_showing(root, title)
                line = clean_dom.find_dateline(anchor) or (
                    None if meta["published_raw"] else clean_dom.find_dateline(anchor, need_time=False))
            found_dateline.append(line)
        return found_dateline[0]
    tags = [text_of(a) for a in clean_dom.select(area, common.get("tags", ())) if a.tag != "meta"] \
        if scope is not None else []
    tags = list(dict.fromkeys(meta["tags"] + [t.lstrip("#").strip() for t in tags if t and len(t) < 80]))

    authors, related, images, more_authors = [], [], [], False
    boxes_by_content = 0
    author_source = "selector"   # see below
    if fam is not None:
        authors, author_els, more_authors = _visible_authors(root, fam, orgs, scope, index)
        shown = [el for el in (sapo_el, title_el, date_el) if el is not None]
        for el in author_els + shown:  # header parts a wide body selector also holds
            if el is not container and _inside(el, container):
                clean_dom.drop(el)
        related = clean_dom.take_related(container, fam.related + common.get("related", ()), url, index)
        if scope is not None:  # "Đọc thêm" boxes below the text but inside the article's area (baocantho)
            related += [r for r in clean_dom.take_related(scope, fam.related, url, index)
                        if r["url"] not in {x["url"] for x in related}]
        related += clean_dom.take_inline_related(container, url, lambda u: looks_like_article_url(u, site))
        # boxes the layout's selectors missed (renamed in a redesign), known by what they hold
        named = len(related)
        related += clean_dom.take_teaser_boxes(container, url, _own_hosts(root, url, meta))
        related += clean_dom.take_link_lists(container, url)
        boxes_by_content = len(related) - named + clean_dom.take_appeal_boxes(container)
        clean_dom.remove_junk(container, fam.junk + common.get("junk", ()), index)
        if not sapo:
            lead = next((p for p in container.iter("p", "h2") if text_of(p)), None)
            if lead is not None and _is_bold_block(lead):
                sapo = text_of(lead)
                clean_dom.drop(lead)
        images = clean_dom.images_of(container, url)
        blocks = clean_dom.blocks_of(container)
        extractor = fam.extractor
        if sum(len(t) for _, t in blocks) + len(sapo) < MIN_ARTICLE_CHARS:
            fam = None  # the layout's box is (nearly) empty here: a redesign or another page type
    declared = declared_language(root)
    if fam is None:
        said = has_article_evidence(root, meta, url, site)
        vouched = vouched_by_metadata(root, meta)
        listing_said = says_listing(root, meta)
        own_hosts = _own_hosts(root, url, meta)
        found = _generic_body(root, title, url)
        # The text's own shape decides; metadata only vouches for a page whose shape says neither.
        if found.teaser_shaped:
            raise NotAnArticle(f"a listing page: teasers in {found.boxes} separate boxes, no run of prose")
        if not vouched:
            teasers = _teasers(root, url, own_hosts, site)
            if teasers_outweigh_text(found, teasers, listing_said):
                raise NotAnArticle(f"a listing page: {len(teasers)} teasers outweigh its "
                                   f"{found.prose_chars} characters of prose")
        if not (found.article_shaped or said):
            raise NotAnArticle("not an article page (no run of prose paragraphs, no article metadata)")
        images = found.images
        blocks = [("p", nfc(p)) for p in found.paragraphs if p and p.strip()]
        extractor = GENERIC_EXTRACTOR

    language = page_language(" ".join([title] + [t for _, t in blocks]), declared)
    if not sapo and language == "vi":
        # A Vietnamese lead is the article's first paragraph (and the Vietnamese gold counts it); an
        # English standfirst or dek is a summary outside the article text.
        sapo = shown_description(root, meta["description"], title, text)
    blocks, byline_authors = clean_dom.take_bylines(blocks, orgs)
    paragraphs = [text for _, text in blocks]
    if sapo:  # the lead is shown once, as the sapo (a fallback may also hold it near the top)
        key = fold_accents(sapo)
        paragraphs = [p for i, p in enumerate(paragraphs) if i > 2 or fold_accents(p) != key]
    if title and paragraphs and fold_accents(paragraphs[0]) == fold_accents(title):
        paragraphs.pop(0)
    paragraphs, text_authors, text_related = _clean_text_pass(paragraphs, title)

    meta_names = _meta_authors(meta, orgs)
    if more_authors and len(meta_names) > len(authors):
        authors, author_source = meta_names, "metadata"
    if not (authors or byline_authors or meta_names):
        anywhere = Family("common", 1, authors=common.get("authors", ()))
        authors = _visible_authors(root, anywhere, orgs, scope, index, only_first=True)[0][:4]
    # where the names came from: the layout's byline ("selector"), the page's metadata, or a line
    # that is a byline by its shape and place ("position": last lines, by the shown date)
    for names, source in ((authors, author_source), (byline_authors, "position"), (meta_names, "metadata"),
                          (text_authors, "position")):
        if names:
            authors, author_source = names, source
            break
    if not authors and dateline():
        authors, author_source = clean_dom.dateline_byline(*dateline(), orgs), "position"
    related += [r for r in text_related if r.get("title")]

    body = "\n".join(paragraphs)
    if len(body) + len(sapo) < MIN_ARTICLE_CHARS:
        raise NotAnArticle("no article body found")
    if extractor == GENERIC_EXTRACTOR and len(body) < 400 and sum(len(p) >= 80 for p in paragraphs) < 2:
        raise NotAnArticle("no article body found (only short lines where no layout is known)")

    shown_date = None
    if not (_HAS_ZONE.search(meta["published_raw"]) and _HAS_TIME.search(meta["published_raw"])) and dateline():
        line, text, (start, end) = dateline()
        shown_date = text[start:end]
    published_raw, published_at, modified_raw, modified_at, date_source = _dates(meta, date_el, shown_date)
    return new_article(
        url=url, canonical_url=_canonical(url, meta["canonical"], site),
        site=(site or {}).get("slug") or _host(url), province=(site or {}).get("province") or "",
        provinces=article_provinces((site or {}).get("province"), title, sapo, body),
        title=nfc(title), sapo=nfc(sapo), body=nfc(body), authors=[title_case_name(a) for a in authors],
        published_at=published_at, modified_at=modified_at,
        published_raw=nfc(published_raw) or None, modified_raw=nfc(modified_raw) or None,
        category=nfc(meta["section"]) or None, categories=split_categories(meta["section"]),
        tags=tags, images=images, related=related,
        language=language, extractor=extractor,
        extraction={"body": "generic" if extractor == GENERIC_EXTRACTOR else "family",
                    "published": date_source, "authors": author_source if authors else None,
                    "boxes_by_content": boxes_by_content},
    )


def _canonical(url: str, declared: str, site: dict | None) -> str | None:
    """The article's one URL: its rel=canonical when that is on the same site (never og:url,
    which is a share short-link on some sites), else its own URL, in canonical form (the site's
    old domains count as the site)."""
    aliases = host_aliases([(site["domains"], site.get("old_domains", ()))]) if site and site.get("domains") else None
    try:
        return article_canonical(url, urljoin(url, declared) if declared else None, aliases)
    except BadURL:
        return None


_HAS_ZONE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})\s*$|GMT|UTC", re.I)
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")


def _dates(meta: dict, date_el, shown_date: str | None = None) -> tuple:
    """(published_raw, published_at, modified_raw, modified_at, where the publication date came
    from: "metadata", "visible" or None). Metadata first; the date shown on the page (the layout's
    date element, else `shown_date`, a date line found by its shape) when metadata has none, or has
    no time or no zone and disagrees with the page."""
    published_raw, modified_raw = meta["published_raw"], meta["modified_raw"]
    published_at, modified_at = to_iso(published_raw), to_iso(modified_raw)
    source = "metadata" if published_at else None
    if date_el is None and not shown_date:
        return published_raw, published_at, modified_raw, modified_at, source
    shown = text_of(date_el) if date_el is not None else shown_date
    if date_el is not None and not to_iso(shown):  # <time datetime="…">Hôm qua</time>, <meta content=…>
        shown = date_el.get("datetime") or date_el.get("content") or shown
    shown_pub, shown_mod = split_published_modified(shown)
    guess = date_el is not None     # a line found by its shape was read by dates' own patterns
    shown_at = to_iso(shown_pub, guess) if _HAS_TIME.search(shown_pub) or published_at is None else None
    vague = published_raw and not (_HAS_ZONE.search(published_raw) and _HAS_TIME.search(published_raw))
    if shown_at and (published_at is None or vague and shown_at[:16] != published_at[:16]):
        published_raw, published_at, source = shown_pub, shown_at, "visible"
    if modified_at is None and shown_mod and to_iso(shown_mod, guess):
        modified_raw, modified_at = shown_mod, to_iso(shown_mod, guess)
    return published_raw, published_at, modified_raw, modified_at, source


def shown_description(root, description: str, title: str = "", source: str | None = None) -> str:
    """The lead as shown on the page when the meta description is visible text, else "".

    The shown element's own text is returned, so prefixes such as "(PLO)-" that the description
    lacks are kept as shown."""
    if len(description) < 40 or fold_accents(description) == fold_accents(title):
        return ""
    # Inline tags split the shown text into several text nodes: try a few short pieces of it.
    words = description.replace("'", " ").split()
    pieces = [" ".join(words[i:i + 4]) for i in range(0, min(len(words), 24), 6)]
    wanted = fold_accents(description[:60])
    pieces = [p for p in pieces if len(p) >= 12]
    if source is not None and source.count("&#") < 50:  # text not written as entities: look in the source
        # in the body's source only: the <head> holds the description itself, so a piece the body
        # splits with inline tags ("<strong>(CTO)</strong> - Ngày") would always be found there
        start = source.find("<body")
        shown_src = source[start:] if start >= 0 else source
        pieces = [p for p in pieces if p in shown_src][:1]
    if not pieces:
        return ""
    test = " or ".join(f"contains(., '{p}')" for p in pieces)
    for node in root.xpath(f"//body//text()[{test}]"):
        el = node.getparent()
        while el is not None and el.tag not in clean_dom.BLOCK_TAGS:
            el = el.getparent()
        if el is None or el.tag in ("body", "html"):
            continue
        text = text_of(el)
        if wanted in fold_accents(text) and len(text) <= len(description) + 40:
            return text
    return ""


def _first_in(area, root, selectors):
    el = first(area, selectors)
    return el if el is not None or area is root else first(root, selectors)


def _inside(el, container) -> bool:
    return any(anc is container for anc in el.iterancestors())


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


# Dropped before the fallback runs: never article text, and the fallback drops them on its own copy
# anyway (metadata and the title are read before this).
_NEVER_TEXT = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "object", "embed",
               "video", "audio", "button", "select", "textarea", "input", "nav", "footer", "aside", "menu",
               "dialog", "head", "link", "meta")


def _generic_body(root, title: str, url: str = ""):
    try:
        from pipelines.generic import extract_main
    except ImportError:
        raise NotAnArticle("no known layout and no generic extractor available") from None
    # Metadata is read already: strip what never holds text (C speed) so the fallback, which
    # copies and walks the whole tree in Python, has less to do.
    etree.strip_elements(root, *_NEVER_TEXT, with_tail=False)
    try:
        return extract_main(root, title, url=url)
    except Exception as exc:  # the fallback failing is the page's failure, named
        raise NotAnArticle(f"generic extraction failed: {exc}") from None


def _own_hosts(root, url: str, meta: dict) -> set[str]:
    """The hosts of the page's own site: its URL's, and its canonical's and og:url's (a page saved
    or served elsewhere still links to the site it comes from)."""
    declared = [meta["canonical"], *root.xpath("//meta[@property='og:url']/@content")[:1]]
    return {_host(url)} | {_host(urljoin(url, d.strip())) for d in declared if d and d.strip()} - {""}


def _teasers(root, url: str, hosts: set[str], site) -> dict:
    """The teasers of the page: headline links to other article-shaped URLs of its own site (one of
    `hosts` or a subdomain of one: "kinhdoanh.example.vn" on "example.vn")."""
    from pipelines.generic import teaser_headlines

    def own_article(link: str) -> bool:
        host = _host(link)
        return any(host == h or host.endswith("." + h) or h.endswith("." + host) for h in hosts) \
            and looks_like_article_url(link, site)
    return teaser_headlines(root, url, own_article)


def _clean_text_pass(paragraphs: list[str], title: str):
    try:
        from pipelines.clean_text import clean_paragraphs
    except ImportError:
        return paragraphs, [], []
    return clean_paragraphs(paragraphs, title)
