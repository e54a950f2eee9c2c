"""Finding article URLs: feeds, sitemaps, robots.txt, section pages, and URL shapes.

Pure functions over bytes/str (lxml for parsing, no Scrapy), so the spider, the CLI and the
tests share them. Every returned URL is absolute, NFC, without a fragment. Input that is not
what it claims to be (an HTML error page served as a feed, a truncated gzip) raises
``DiscoveryError`` with the reason instead of yielding nothing.

Feeds and sitemaps are read as streams (`iter_feed`, `iter_sitemap`): gzip is inflated and the
XML parsed 64 KiB at a time, each entry is handed out as soon as it is complete and then
dropped from the tree, so a sitemap of a million URLs never exists as a tree or a list, and
the caller can stop early. The parser resolves no entities, loads no DTD or network resource
and keeps libxml2's size limits (no huge_tree): an entity bomb or XXE expands to nothing.
`parse_feed` and `parse_sitemap` are the same as lists, de-duplicated in first-seen order.
"""

from __future__ import annotations

import codecs
import re
import zlib
from datetime import datetime, timedelta, timezone
from itertools import chain
from typing import Iterable, Iterator, NamedTuple
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html

from crawler.sites import Site, bare_host, site_for_url
from common.text import nfc

# Uncompressed size at which a gzipped sitemap is refused (a bomb). sitemaps.org allows 50 MB;
# a sitemap of a million URLs (seen in the wild) is ~130 MB, so the default is about three times
# the protocol's limit. The spider passes its TINTINH_SITEMAP_MAXSIZE setting instead.
MAX_SITEMAP_BYTES = 160 * 1024 * 1024
_CHUNK = 64 * 1024
_NOT_PAGES = ("javascript:", "mailto:", "tel:", "data:", "sms:", "viber:", "zalo:", "#")
# XML feeds only: parse_feed reads RSS/RDF/Atom, so a JSON Feed link would only produce errors.
_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_CONTROL_SPACE = re.compile(r"[\n\r\t]")


class DiscoveryError(ValueError):
    """A body that should be a feed or sitemap is not one."""


class SitemapEntry(NamedTuple):
    """One <url> or <sitemap> of a sitemap (or one line of a text sitemap)."""
    url: str
    lastmod: str | None      # as written, W3C datetime; see modified_before()
    child: bool              # a child sitemap of a sitemap index, not a page


# ---------------------------------------------------------------- shared helpers

def _clean_url(href: str | None, base: str) -> str | None:
    """Absolute http(s) URL without fragment, or None for anything else."""
    if not href:
        return None
    if not href.isascii():   # NFC changes nothing in ASCII; most sitemap and feed URLs are
        href = nfc(href)
    href = href.strip()
    if _CONTROL_SPACE.search(href):
        href = _CONTROL_SPACE.sub("", href)
    if not href or href.lower().startswith(_NOT_PAGES):
        return None
    try:
        # absolute links (every sitemap loc, most feed links) need no join: 2x faster on big sitemaps
        url = href if href.startswith(("https://", "http://")) else urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:  # e.g. a broken IPv6 host "http://[x"
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if not parts.fragment and parts.path and parts.netloc == parts.netloc.lower() and "#" not in url:
        return url
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def _unique(urls) -> list[str]:
    return list(dict.fromkeys(u for u in urls if u))


def _local(tag) -> str:
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def _text(el) -> str:
    if el is None:
        return ""
    if len(el) == 0:   # the usual <loc>: text or CDATA, no child elements
        return (el.text or "").strip()
    return "".join(el.itertext()).strip()


# ---------------------------------------------------------------- streams of bytes

def _slices(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(view), _CHUNK):
        yield bytes(view[start:start + _CHUNK])


def _inflate(body: bytes, max_bytes: int) -> Iterator[bytes]:
    """A gzip body inflated chunk by chunk; DiscoveryError past max_bytes, on corruption or a cut."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    total = 0
    try:
        for piece in _slices(body):
            while piece:
                data = inflater.decompress(piece, _CHUNK)
                piece = inflater.unconsumed_tail
                total += len(data)
                if total > max_bytes:
                    raise DiscoveryError(f"sitemap is larger than {max_bytes} bytes uncompressed")
                if data:
                    yield data
                if inflater.eof:
                    break
            if inflater.eof:
                break
        data = inflater.flush()
    except zlib.error as e:
        raise DiscoveryError(f"sitemap gzip is corrupt: {e}") from None
    if data:
        yield data
    if not inflater.eof:
        raise DiscoveryError("sitemap gzip is truncated")


def _utf8_text(text: str) -> bytes:
    # lxml refuses str input that carries an encoding declaration: parse it as UTF-8 bytes
    return _XML_DECLARATION.sub("", text.lstrip("\ufeff")).strip().encode("utf-8")


def _open_stream(body: bytes | str, what: str, max_bytes: int) -> tuple[Iterator[bytes], bytes, str | None]:
    """(chunks from the first non-blank byte, that first chunk, encoding to force or None).

    Handles gzip, a UTF-8 BOM and blank lines before the XML declaration, UTF-16 (decoded
    whole: rare and small), and str input (re-encoded as UTF-8)."""
    if isinstance(body, str):
        data = _utf8_text(body)
        return _slices(data), data[:_CHUNK], "utf-8"
    chunks = _inflate(body, max_bytes) if body[:2] == b"\x1f\x8b" else _slices(body)
    head = b""
    for chunk in chunks:
        head += chunk
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            data = _utf8_text(b"".join(chain([head], chunks)).decode("utf-16", "replace"))
            return _slices(data), data[:_CHUNK], "utf-8"
        if len(head) < 3 and codecs.BOM_UTF8.startswith(head):
            continue  # a BOM cut between two inflated chunks
        head = head.removeprefix(codecs.BOM_UTF8).lstrip()
        if head:
            break
    if not head:
        raise DiscoveryError(f"empty {what}")
    return chain([head], chunks), head, None


def _xml_entries(chunks: Iterable[bytes], head: bytes, encoding: str | None, what: str,
                 roots: tuple[str, ...], entries: tuple[str, ...], top_level: bool) -> Iterator:
    """Each complete entry element (tag local name in `entries`), parsed incrementally and
    leniently (broken tails, stray entities), then cleared with the entries before it.

    The root element must be one of `roots`; `top_level` keeps only the root's own children."""
    parser = lxml.etree.XMLPullParser(
        events=("end",), tag=[f"{{*}}{name}" for name in entries], encoding=encoding,
        recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        remove_comments=True, remove_pis=True)
    root = None

    def checked(el):
        nonlocal root
        if root is None:
            root = el.getroottree().getroot()
            if _local(root.tag) not in roots:
                raise DiscoveryError(f"not a {what}: root element <{_local(root.tag)}>")
        return el

    def drained():
        for _, el in parser.read_events():
            checked(el)
            parent = el.getparent()
            if not top_level or parent is root:
                yield el
            el.clear(keep_tail=False)
            # forget the entries already handed out: the tree stays one entry long
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]

    try:
        for chunk in chunks:
            parser.feed(chunk)
            yield from drained()
        closed = parser.close()
        yield from drained()
    except lxml.etree.XMLSyntaxError as e:
        if root is not None:
            return  # a broken tail: the entries before it stand
        raise DiscoveryError(f"{what} is not XML: {e}") from None
    if root is None:
        if closed is None:
            raise DiscoveryError(f"{what} is not XML: {head[:60]!r}")
        checked(closed)


# ---------------------------------------------------------------- feeds

_FEED_ROOTS = ("rss", "rdf", "feed", "channel")


def iter_feed(body: bytes | str, base_url: str) -> Iterator[str]:
    """Article links of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, in feed order, as they are read.

    RSS items use <link>, or a permalink <guid> when <link> is missing; Atom entries use their
    alternate <link href>. Relative links resolve against ``base_url``. Repeats are not removed.
    """
    chunks, head, encoding = _open_stream(body, "feed", MAX_SITEMAP_BYTES)
    for item in _xml_entries(chunks, head, encoding, "feed", _FEED_ROOTS, ("item", "entry"), False):
        link = _rss_item_link(item) if _local(item.tag) == "item" else _atom_entry_link(item)
        url = _clean_url(link, base_url)
        if url:
            yield url


def parse_feed(body: bytes | str, base_url: str) -> list[str]:
    """`iter_feed` as a list, de-duplicated in feed order."""
    return _unique(iter_feed(body, base_url))


def _rss_item_link(item) -> str | None:
    children = [c for c in item if isinstance(c.tag, str)]
    for child in children:
        if _local(child.tag) == "link":
            # RSS <link>text</link>; Atom-style <atom:link href> inside RSS also occurs
            link = _text(child) or child.get("href")
            if link:
                return link
    for child in children:
        if _local(child.tag) == "guid" and child.get("isPermaLink", "true").lower() != "false":
            return _text(child)
    # RSS 1.0 items name their URL in rdf:about
    return item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")


def _atom_entry_link(entry) -> str | None:
    # rel defaults to "alternate" (RFC 4287); enclosures (images) and self/edit links are not the page
    links = [c for c in entry if _local(c.tag) == "link" and c.get("href")]
    for link in links:
        if link.get("rel", "alternate") == "alternate":
            return link.get("href")
    for link in links:
        if link.get("rel") not in ("enclosure", "self", "edit", "replies", "license"):
            return link.get("href")
    return None


# ---------------------------------------------------------------- sitemaps

_URL_LINE = re.compile(rb"https?://\S+")


def iter_sitemap(body: bytes | str, base_url: str, max_bytes: int | None = None) -> Iterator[SitemapEntry]:
    """The entries of a sitemap index, urlset or Google news sitemap, in document order, as read.

    Gzip bodies are inflated as they are read (DiscoveryError past ``max_bytes``, by default
    MAX_SITEMAP_BYTES). Only each
    <sitemap>/<url> entry's own <loc> counts (not image or video <loc>s nested inside it). A
    plain-text sitemap (one URL a line) is accepted too. Repeats are not removed.
    """
    chunks, head, encoding = _open_stream(body, "sitemap", max_bytes or MAX_SITEMAP_BYTES)
    if not head.startswith(b"<"):
        yield from _text_sitemap(chunks, head, base_url)
        return
    for entry in _xml_entries(chunks, head, encoding, "sitemap", ("sitemapindex", "urlset"),
                              ("url", "sitemap"), True):
        loc = lastmod = None
        for child in entry:
            name = _local(child.tag)
            if name == "loc" and loc is None:
                loc = _text(child)
            elif name == "lastmod":
                lastmod = _text(child)
        url = _clean_url(loc, base_url)
        if url:
            yield SitemapEntry(url, lastmod, _local(entry.tag) == "sitemap")


def _text_sitemap(chunks: Iterator[bytes], head: bytes, base_url: str) -> Iterator[SitemapEntry]:
    if not _URL_LINE.match(head):
        raise DiscoveryError(f"not a sitemap: {head[:60].decode('utf-8', 'replace')!r}")
    rest = b""
    for chunk in chunks:
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            yield from _text_line(line, base_url)
    yield from _text_line(rest, base_url)


def _text_line(line: bytes, base_url: str) -> Iterator[SitemapEntry]:
    line = line.strip()
    if not line:
        return
    if not _URL_LINE.fullmatch(line):
        raise DiscoveryError(f"not a sitemap: a line is no URL: {line[:60].decode('utf-8', 'replace')!r}")
    url = _clean_url(line.decode("utf-8", "replace"), base_url)
    if url:
        yield SitemapEntry(url, None, False)


def parse_sitemap(body: bytes | str, base_url: str) -> tuple[list[str], list[str]]:
    """(child sitemaps, page URLs) of `iter_sitemap`, each de-duplicated in document order."""
    children, pages = [], []
    for entry in iter_sitemap(body, base_url):
        (children if entry.child else pages).append(entry.url)
    return _unique(children), _unique(pages)


def modified_before(lastmod: str | None, since: datetime) -> bool:
    """Whether a sitemap <lastmod> (W3C datetime) is certainly before `since` (aware).

    Read so as to never skip a page that may be newer: a date alone stands for the end of that
    day (UTC), a time without zone for UTC (later than the +07:00 Vietnamese sites mean), and a
    value that is no date for "unknown" (False)."""
    if not lastmod:
        return False
    text = lastmod.strip()
    try:
        if len(text) == 10:
            when = datetime.fromisoformat(text).replace(tzinfo=timezone.utc) + timedelta(days=1)
        else:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
    except ValueError:
        return False
    return when < since


def sitemaps_from_robots(text: str | bytes, base_url: str) -> list[str]:
    """URLs of the ``Sitemap:`` lines of a robots.txt (any case, comments ignored)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    found = []
    for line in text.lstrip("\ufeff").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "sitemap":
            value = re.split(r"\s#", value, maxsplit=1)[0].strip()
            found.append(_clean_url(value, base_url))
    return _unique(found)


# ---------------------------------------------------------------- HTML pages

def _html_root(html: bytes | str):
    """lxml root of an HTML page, decoded as UTF-8 unless it clearly declares another charset."""
    if isinstance(html, bytes):
        html = _decode_html(html)
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html.lstrip("\ufeff"))
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)


def _decode_html(body: bytes) -> str:
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace")
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", "replace")
    declared = _CHARSET.search(body[:4096])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        try:
            if codecs.lookup(name).name != "utf-8":
                return body.decode(name, "replace")
        except LookupError:
            pass
    return body.decode("utf-8", "replace")


def _page_base(root, base_url: str) -> str:
    base = root.xpath("//base/@href")
    return urljoin(base_url, base[0].strip()) if base and base[0].strip() else base_url


def feeds_from_html(html: bytes | str, base_url: str) -> list[str]:
    """Feeds a page advertises with <link rel="alternate" type="application/rss+xml|atom+xml">."""
    root = _html_root(html)
    if root is None:
        return []
    base = _page_base(root, base_url)
    found = []
    for link in root.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in _FEED_TYPES:
            found.append(_clean_url(link.get("href"), base))
    return _unique(found)


def links_from_page(html: bytes | str, base_url: str, *, same_site: bool = False) -> list[str]:
    """Absolute <a href> links of a page in document order, de-duplicated, fragments dropped.

    With ``same_site`` only links to the page's own site are kept: the same host, any
    www./m./amp. form of it, or another domain the registry gives the same site.
    """
    root = _html_root(html)
    if root is None:
        return []
    base = _page_base(root, base_url)
    links = _unique(_clean_url(a.get("href"), base) for a in root.iter("a"))
    if same_site:
        home = _site_key(base_url)
        links = [url for url in links if _site_key(url) == home]
    return links


def _site_key(url: str) -> str:
    site = site_for_url(url)
    return site.slug if site else bare_host(urlsplit(url).hostname or "")


# ---------------------------------------------------------------- article URLs

# Path segments that name a listing, not an article (tags, authors, topics, media hubs, search).
_LISTING_SEGMENTS = frozenset("""
    tag tags tu-khoa tukhoa keyword keywords chu-de chude topic topics su-kien-noi-bat event events
    collection tac-gia author authors user profile search tim-kiem timkiem video videos clip clips
    podcast podcasts rss feed feeds static assets images image login
    dang-nhap dang-ky register lien-he contact gioi-thieu about epaper e-paper bao-in page trang
    category chuyen-muc danh-muc amp-stories print in-bai
""".split())
_STATIC_EXTENSIONS = frozenset("""
    jpg jpeg png gif webp svg ico bmp avif css js json xml rss atom txt pdf doc docx xls xlsx ppt
    pptx zip rar gz mp3 mp4 m4a wav webm ogg mov avi flv woff woff2 ttf eot apk exe
""".split())
# Page suffixes used by Vietnamese news CMSs: .chn cafef, .tpo tienphong, .vov vov,
# .bbg baobacninhtv, .ldo laodong, .vnp vietnamplus; .aspx/.php on older provincial portals.
_PAGE_EXTENSIONS = r"(?:html?|chn|tpo|vov|bbg|ldo|vnp|aspx|php)"
_LISTING_LAST = re.compile(
    r"(?:^|-)(?:tag|tags|event|topic|chu-de)-?\d*(?:\.[a-z]+)?$"   # …-tag123.html, -event456.html
    r"|(?:^|-)(?:page|p|trang)-?\d{1,3}(?:\.[a-z]+)?$"             # pagination: -p2, -page3, trang-4
    r"|-e\d{2,5}\.htm$"                                                     # tuoitre event pages
    r"|^(?:index|default|home|trang-chu)\.[a-z]+$"
)
_ARTICLE_SHAPES = [
    # CMS id suffixes: -post123.html, -postid123.bbg, -a123.html, -ar123.html, -d123.html, -i123
    re.compile(rf"-(?:post|postid|ar|a|d|i)\d{{3,}}(?:\.{_PAGE_EXTENSIONS})?/?$"),
    # slug + numeric id: -1234567.html, 15–18-digit VCCorp/dantri ids, .chn/.tpo/.vov/.ldo
    re.compile(rf"[a-z0-9]-\d{{5,18}}\.{_PAGE_EXTENSIONS}$"),
    # slug + id without suffix (qdnd, baolaichau): long slug required below
    re.compile(r"[a-z0-9]-\d{5,18}/?$"),
]
_DATE_FOLDER = re.compile(r"/(?:20\d{2}/\d{1,2}(?:/\d{1,2})?|20\d{2}(?:0[1-9]|1[0-2])(?:\d{2})?)/[a-z0-9-]+")
_SLUG_WORDS = 4


def _slug_words(segment: str) -> int:
    stem = re.sub(rf"\.{_PAGE_EXTENSIONS}$", "", segment)
    return len([w for w in stem.split("-") if w])


def _is_listing(path: str, query: str) -> bool:
    segments = [s for s in path.lower().split("/") if s]
    if not segments:
        return True
    last = segments[-1]
    ext = last.rsplit(".", 1)[1] if "." in last else ""
    if ext in _STATIC_EXTENSIONS:
        return True
    if any(s in _LISTING_SEGMENTS for s in segments[:-1]) or last.split(".")[0] in _LISTING_SEGMENTS:
        return True
    if _LISTING_LAST.search(last) and not re.search(r"-(?:post|postid|ar|a|d)\d{3,}", last):
        return True
    if re.search(r"(?:^|&)(?:q|keyword|keywords|query|s|page|trang)=", query.lower()):
        return True
    return False


def _web_url(url: str):
    """urlsplit of an http(s) URL with a host, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts if parts.scheme in ("http", "https") and parts.hostname else None


def looks_like_article_url(url: str) -> bool:
    """URL-shape heuristic for Vietnamese news sites when no site pattern is known."""
    parts = _web_url(url)
    if parts is None or _is_listing(parts.path, parts.query):
        return False
    lower = parts.path.lower()
    last = [s for s in lower.split("/") if s][-1]
    if _ARTICLE_SHAPES[0].search(lower) or _ARTICLE_SHAPES[1].search(lower):
        return _slug_words(last) >= 2
    if _ARTICLE_SHAPES[2].search(lower):
        return _slug_words(last) >= _SLUG_WORDS
    # A title slug alone (/mot-tieu-de-dai.htm) is no evidence: VCCorp sections look the same
    # (dantri /noi-vu/sap-xep-cac-don-vi-hanh-chinh.htm), so only a date folder makes it one.
    return bool(_DATE_FOLDER.search(lower)) and _slug_words(last) >= _SLUG_WORDS


def is_article_url(url: str, site: Site | None) -> bool:
    """Whether ``url`` is an article page: by the site's pattern, or by URL shape without one.

    A URL on another host than the site's is not that site's article. Listing, tag, author,
    search, pagination and static-file URLs are rejected even where a loose pattern matches.
    """
    parts = _web_url(url)
    if parts is None:
        return False
    if site is not None and bare_host(parts.hostname) not in site.domains + site.old_domains:
        return False
    if site is None or not site.article_pattern:
        return looks_like_article_url(url)
    if _is_listing(parts.path, parts.query):
        return False
    return re.search(site.article_pattern, parts.path) is not None
