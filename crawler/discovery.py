"""Finding article URLs: feeds, sitemaps, robots.txt, section pages, and URL shapes.

Listings (`read_listing`: a homepage or section page, parsed once) give their links, feeds, the
sections of their navigation (`section_links`), their next page (`next_page`: rel=next, "Trang
sau", ?page=2, /trang-2.html, /p2…) and the dates they show (`listing_dates`, for a backfill
walking back). Article URLs are known by the usual shapes (`looks_like_article_url`), a site's
pattern, or a shape many of the site's own links share (`ArticleShapes`: short ids included).
Month archives of sitemaps are known by name (`sitemap_month`), read newest first.

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
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
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


class FeedEntry(NamedTuple):
    """One item of a feed: its link, and its date as written (see dated_before())."""
    url: str
    date: str | None         # RSS <pubDate> (RFC 822), Atom <updated>/<published>, <dc:date>


_FEED_DATES = ("updated", "pubdate", "published", "date", "modified", "issued")


def iter_feed_entries(body: bytes | str, base_url: str) -> Iterator[FeedEntry]:
    """The items of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, in feed order, as they are read.

    RSS items use <link>, or a permalink <guid> when <link> is missing; Atom entries use their
    alternate <link href>. Relative links resolve against ``base_url``. Repeats are not removed.
    """
    chunks, head, encoding = _open_stream(body, "feed", MAX_SITEMAP_BYTES)
    for item in _xml_entries(chunks, head, encoding, "feed", _FEED_ROOTS, ("item", "entry"), False):
        link = _rss_item_link(item) if _local(item.tag) == "item" else _atom_entry_link(item)
        url = _clean_url(link, base_url)
        if url:
            dates = {_local(c.tag): _text(c) for c in item if _local(c.tag) in _FEED_DATES}
            yield FeedEntry(url, next((dates[k] for k in _FEED_DATES if dates.get(k)), None))


def iter_feed(body: bytes | str, base_url: str) -> Iterator[str]:
    """The links of `iter_feed_entries`."""
    for entry in iter_feed_entries(body, base_url):
        yield entry.url


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
    """Whether a sitemap <lastmod> (W3C datetime) or a feed item's date (W3C or RFC 822, as in
    RSS <pubDate>) is certainly before `since` (aware).

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
        when = _rfc822(text)
        if when is None:
            return False
    return when < since


def _rfc822(text: str) -> datetime | None:
    """An RSS date ("Thu, 07 Mar 2024 08:47:00 +0700"), aware (no zone: UTC), or None."""
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


_MONTH_IN_NAME = re.compile(r"(?<![0-9])(20\d{2})[-_/]?(0[1-9]|1[0-2])(?:[-_/]?(?:0[1-9]|[12]\d|3[01]))?(?![0-9])")
_MONTH_IN_QUERY = re.compile(r"year=(20\d{2}).*?month=(0?[1-9]|1[0-2])(?![0-9])", re.I)


def sitemap_month(url: str) -> tuple[int, int] | None:
    """(year, month) a child sitemap's name says it holds (archives by month or by day:
    sitemap-2024-01.xml, sitemaps/2024/01.xml, post-sitemap-202401.xml, …?year=2024&month=1),
    or None."""
    parts = _web_url(url)
    if parts is None:
        return None
    found = _MONTH_IN_NAME.findall(parts.path) or _MONTH_IN_QUERY.findall(parts.query)
    if not found:
        return None
    year, month = found[-1]
    return int(year), int(month)


def month_end(year: int, month: int) -> datetime:
    """The first moment after a month (UTC, later than the month ends in Vietnam)."""
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=timezone.utc)


def sitemap_before(entry: SitemapEntry, since: datetime) -> bool:
    """Whether everything a sitemap entry stands for is certainly before `since`: its lastmod, or
    for a child sitemap the month its name says it holds."""
    if modified_before(entry.lastmod, since):
        return True
    month = sitemap_month(entry.url) if entry.child else None
    return month is not None and month_end(*month) <= since


def newest_months_first(children: Iterable[str]) -> list[str]:
    """Child sitemaps in the order to read them: news sitemaps (the latest articles), then
    archives by month from the newest back, then the others in document order."""
    def key(item):
        position, url = item
        month = sitemap_month(url)
        if "news" in url.lower():
            return (0, 0, position)
        if month is not None:
            return (1, -(month[0] * 12 + month[1]), position)
        return (2, 0, position)
    return [url for _, url in sorted(enumerate(children), key=key)]


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
    return _feeds(root, _page_base(root, base_url))


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


def is_article_url(url: str, site: Site | None, shapes: "ArticleShapes | None" = None) -> bool:
    """Whether ``url`` is an article page: by the site's pattern, or by URL shape without one
    (the usual shapes, or those `shapes` learned from the site's own links).

    A URL on another host than the site's is not that site's article. Listing, tag, author,
    search, pagination and static-file URLs are rejected even where a loose pattern matches.
    """
    parts = _web_url(url)
    if parts is None:
        return False
    if site is not None and bare_host(parts.hostname) not in site.domains + site.old_domains:
        return False
    if site is None or not site.article_pattern:
        return looks_like_article_url(url) or (shapes is not None and url in shapes)
    if _is_listing(parts.path, parts.query):
        return False
    return re.search(site.article_pattern, parts.path) is not None


# ---------------------------------------------------------------- listings: sections and next pages

class Listing(NamedTuple):
    """What a section page (or a homepage) offers discovery, read from one parse of it."""
    links: list[str]          # every <a href>, as links_from_page
    feeds: list[str]          # as feeds_from_html
    sections: list[str]       # navigation links to other listings of the same host (section_links)
    next_page: str | None     # the listing's next page (next_page)
    dates: list[date]         # dates shown on the page (listing_dates)


def read_listing(html: bytes | str, base_url: str) -> Listing:
    """Links, feeds, section links, next page and shown dates of a listing page, parsed once."""
    root = _html_root(html)
    if root is None:
        return Listing([], [], [], None, [])
    base = _page_base(root, base_url)
    anchors = [(a, _clean_url(a.get("href"), base)) for a in root.iter("a")]
    anchors = [(a, url) for a, url in anchors if url]
    links = _unique(url for _, url in anchors)
    return Listing(links, _feeds(root, base), _sections(anchors, base_url),
                   _next_page(root, anchors, base, base_url), _shown_dates(root))


# Path segments of pages that are no listing of articles (accounts, search, static, ads…).
_NOT_SECTIONS = frozenset("""
    tag tags tu-khoa tukhoa keyword keywords tac-gia author authors user users profile account
    search tim-kiem timkiem login logout dang-nhap dang-xuat dang-ky register signup lien-he
    contact gioi-thieu about about-us rss feed feeds static assets images image img css js
    epaper e-paper print in-bai amp sitemap cdn-cgi wp-admin wp-login cart gio-hang quang-cao
    advertising advertise subscribe dieu-khoan privacy chinh-sach-bao-mat
""".split())
_NAV_HINT = re.compile(r"nav|menu|categor|danh-?muc|chuyen-?muc|header|topbar", re.I)
_MAX_SECTION_SEGMENTS = 3


def section_links(html: bytes | str, base_url: str) -> list[str]:
    """Links of a page that look like its sections: listings of the same host in its navigation
    (<nav>, <header>, or a box whose class or id says menu/nav/category/chuyên mục), in document
    order. A page without any navigation gives its short listing-like links instead.

    Not articles by URL shape, not the page itself or its home page, no accounts, search, tags,
    authors, feeds or static files, at most three path segments, not a page 2 of something."""
    root = _html_root(html)
    if root is None:
        return []
    base = _page_base(root, base_url)
    anchors = [(a, _clean_url(a.get("href"), base)) for a in root.iter("a")]
    return _sections([(a, url) for a, url in anchors if url], base_url)


def _sections(anchors, page_url: str) -> list[str]:
    host = bare_host(urlsplit(page_url).hostname or "")
    here = _listing_key(page_url)
    in_nav, elsewhere = [], []
    for a, url in anchors:
        parts = _web_url(url)
        if parts is None or bare_host(parts.hostname) != host or not _section_shaped(parts):
            continue
        if _listing_key(url) == here or looks_like_article_url(url):
            continue
        (in_nav if _in_navigation(a) else elsewhere).append(url)
    if in_nav:
        return _unique(in_nav)
    # no navigation box: short links without an id (an id usually makes an article)
    return _unique(u for u in elsewhere
                   if len(_segments(urlsplit(u).path)) <= 2 and not re.search(r"\d{3,}", urlsplit(u).path))


def _segments(path: str) -> list[str]:
    return [s for s in path.lower().split("/") if s]


def _section_shaped(parts) -> bool:
    segments = _segments(parts.path)
    if not segments or len(segments) > _MAX_SECTION_SEGMENTS:
        return False
    last = segments[-1]
    ext = last.rsplit(".", 1)[1] if "." in last else ""
    if ext in _STATIC_EXTENSIONS or (ext and not re.fullmatch(_PAGE_EXTENSIONS, ext)):
        return False
    if any(s.split(".")[0] in _NOT_SECTIONS for s in segments):
        return False
    if re.search(r"(?:^|&)(?:q|keyword|keywords|query|s|search)=", parts.query.lower()):
        return False
    return page_number(urlunsplit(parts))[1] == 1


def _in_navigation(a) -> bool:
    for el in a.iterancestors():
        if el.tag in ("nav", "header"):
            return True
        if el.tag in ("body", "html", "main", "article"):
            return False
        if _NAV_HINT.search(f"{el.get('class') or ''} {el.get('id') or ''} {el.get('role') or ''}"):
            return True
    return False


# Page numbers of listings: ?page=2, ?p=2, ?trang=2; /trang-2.html, /page-2, /p2, /page/2, /trang/2;
# a suffix of the listing's own name: /thoi-su-trang-2.html, /thoi-su-p2.html.
_PAGE_PARAM = re.compile(r"^(?:page|p|trang|pg|paged|pageindex|pagenum|page_no)$", re.I)
_PAGE_SEGMENT = re.compile(r"^(?:trang|page|p)-?(\d{1,5})(?:\.[a-z]+)?$")
_PAGE_WORD = frozenset({"trang", "page", "p"})
_PAGE_SUFFIX = re.compile(r"^(?P<stem>.+?)-(?:trang|page|p)-?(?P<n>\d{1,5})(?P<ext>\.[a-z]+)?$")
_PAGE_EXT = re.compile(rf"\.{_PAGE_EXTENSIONS}$")


def page_number(url: str) -> tuple[str, int]:
    """(the listing a URL is a page of, its page number): /thoi-su.html, /thoi-su/trang-2.html and
    /thoi-su?page=3 are pages 1, 2 and 3 of the same listing. Page 1 when no number is shown."""
    parts = _web_url(url)
    if parts is None:
        return url, 1
    number = 1
    query = []
    for pair in parts.query.split("&") if parts.query else []:
        key, _, value = pair.partition("=")
        if _PAGE_PARAM.match(key) and value.isdigit():
            number = int(value)
        elif pair:
            query.append(pair)
    segments = _segments(parts.path)
    if segments and (m := _PAGE_SEGMENT.match(segments[-1])):
        number, segments = int(m[1]), segments[:-1]
    elif len(segments) >= 2 and segments[-1].isdigit() and segments[-2] in _PAGE_WORD:
        number, segments = int(segments[-1]), segments[:-2]
    elif segments and (m := _PAGE_SUFFIX.match(segments[-1])) and not looks_like_article_url(url):
        number, segments = int(m["n"]), segments[:-1] + [m["stem"]]
    if segments:
        segments[-1] = _PAGE_EXT.sub("", segments[-1])
    if segments and segments[-1] in ("index", "default", "trang-chu", "home"):
        segments = segments[:-1]
    key = f"{bare_host(parts.hostname)}/{'/'.join(segments)}?{'&'.join(sorted(query))}"
    return key, number


def _listing_key(url: str) -> str:
    return page_number(url)[0]


_NEXT_WORDS = frozenset({"trang sau", "trang tiếp", "trang tiếp theo", "tiếp", "tiếp theo", "sau",
                         "next", "next page", "older", "older posts", "»", "›", ">", ">>", "→"})


def next_page(html: bytes | str, base_url: str) -> str | None:
    """The next page of a listing: <link rel=next> or <a rel=next>, a link saying "Trang sau",
    "Tiếp", "»"… to a later page of the same listing, or the link to page N+1 of it."""
    root = _html_root(html)
    if root is None:
        return None
    base = _page_base(root, base_url)
    anchors = [(a, _clean_url(a.get("href"), base)) for a in root.iter("a")]
    return _next_page(root, [(a, url) for a, url in anchors if url], base, base_url)


def _next_page(root, anchors, base: str, page_url: str) -> str | None:
    for link in root.iter("link"):
        if "next" in (link.get("rel") or "").lower().split():
            url = _clean_url(link.get("href"), base)
            if url:
                return url
    key, number = page_number(page_url)
    later = None
    for a, url in anchors:
        if "next" in (a.get("rel") or "").lower().split():
            return url
        link_key, link_number = page_number(url)
        if link_key != key or link_number <= number:
            continue
        said = (a.text_content(), a.get("title") or "", a.get("aria-label") or "")
        if any(" ".join(words.split()).lower() in _NEXT_WORDS for words in said):
            return url
        if link_number == number + 1 and later is None:
            later = url
    return later


_DMY = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](20\d{2})(?!\d)")
_YMD = re.compile(r"(?<!\d)(20\d{2})-(\d{2})-(\d{2})(?!\d)")


def listing_dates(html: bytes | str) -> list[date]:
    """The dates a listing shows (dd/mm/yyyy as Vietnamese papers write them, yyyy-mm-dd,
    <time datetime>), in document order."""
    root = _html_root(html)
    return [] if root is None else _shown_dates(root)


def _shown_dates(root) -> list[date]:
    found = []
    body = root.find("body")
    text = " ".join(body.itertext()) if body is not None else ""   # "12/03/2024" then "2" stay apart
    for el in root.iter("time"):
        text += " " + (el.get("datetime") or "")
    for day, month, year in _DMY.findall(text):
        found.append((int(year), int(month), int(day)))
    for year, month, day in _YMD.findall(text):
        found.append((int(year), int(month), int(day)))
    dates = []
    for year, month, day in found:
        try:
            dates.append(date(year, month, day))
        except ValueError:
            continue
    return dates


def past_window(dates: list[date], since: date) -> bool:
    """Whether a listing page shows mostly dates before `since` (its articles are older: a backfill
    walking a section back stops there). Fewer than three dates say nothing."""
    if len(dates) < 3:
        return False
    return sum(d < since for d in dates) * 2 > len(dates)


def _feeds(root, base: str) -> list[str]:
    found = []
    for link in root.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in _FEED_TYPES:
            found.append(_clean_url(link.get("href"), base))
    return _unique(found)


# ---------------------------------------------------------------- article shapes learned from a site

# The id-bearing last segment of an article URL: a title slug of three words or more, then an id
# with an optional letter prefix (-12.html, -a123.html, -post45): ids of any length, so a site
# whose ids are short is recognised once it shows enough links of one shape.
_ID_SEGMENT = re.compile(rf"(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)-(?P<prefix>[a-z]{{0,6}})\d+(?P<ext>\.{_PAGE_EXTENSIONS})?")
_TITLE_SEGMENT = re.compile(rf"[a-z0-9]+(?:-[a-z0-9]+){{{_SLUG_WORDS - 1},}}(?:\.{_PAGE_EXTENSIONS})?")
LEARN_AFTER = 5          # links of one shape that make it an article shape of the site
_MAX_PENDING_SHAPES = 1000


def url_shape(url: str) -> tuple[str, ...] | None:
    """The shape of a URL that may be an article's: one item per path segment, "N" for a number,
    "S-<prefix>N<.ext>" for a title slug ending in an id, "S" for a long title slug, "*" for
    anything else (section names). None for shapes that carry no id and title (an article needs
    both), listings, static files and URLs with a query."""
    parts = _web_url(url)
    if parts is None or parts.query or _is_listing(parts.path, ""):
        return None
    shape, has_id, has_title = [], False, False
    for segment in _segments(parts.path):
        if segment.isdigit():
            shape.append("N")
            has_id = True
        elif (m := _ID_SEGMENT.fullmatch(segment)) and len(m["slug"].split("-")) >= 3:
            shape.append(f"S-{m['prefix']}N{m['ext'] or ''}")
            has_id = has_title = True
        elif _TITLE_SEGMENT.fullmatch(segment):
            shape.append("S")
            has_title = True
        else:
            shape.append("*")
    if not (has_id and has_title):
        return None
    if any(item.startswith("S-") for item in shape):   # the id is in the title: other slugs are sections
        shape = ["*" if item == "S" else item for item in shape]
    return tuple(shape)


class ArticleShapes:
    """Article URL shapes learned from one site's own links: a shape (`url_shape`) shared by
    LEARN_AFTER distinct links is the site's article shape, whatever its id length.

    `offer(url)` gives the URLs that are articles by a learned shape now: [url] when its shape is
    known, or every link of its shape seen so far when this one makes it known; links of shapes
    not (yet) known wait, a few per shape, for their shape to be learned."""

    def __init__(self, learn_after: int = LEARN_AFTER):
        self.learn_after = learn_after
        self.known: set[tuple[str, ...]] = set()
        self._waiting: dict[tuple[str, ...], dict[str, None]] = {}

    def offer(self, url: str) -> list[str]:
        shape = url_shape(url)
        if shape is None:
            return []
        if shape in self.known:
            return [url]
        waiting = self._waiting.get(shape)
        if waiting is None:
            if len(self._waiting) >= _MAX_PENDING_SHAPES:
                return []
            waiting = self._waiting[shape] = {}
        waiting[url] = None
        if len(waiting) < self.learn_after:
            return []
        self.known.add(shape)
        return list(self._waiting.pop(shape))

    def __contains__(self, url: str) -> bool:
        return url_shape(url) in self.known

    def waiting(self, url: str) -> bool:
        """Whether `url` waits for its shape to be learned (may well be an article)."""
        return url_shape(url) in self._waiting


# ---------------------------------------------------------------- why a site gave nothing

def nothing_found(*, start_failure: str = "", pages: int = 0, links: int = 0, examples: list[str] = (),
                  feeds: int = 0, sitemaps: int = 0, unchanged: int = 0, failed_sources: int = 0) -> str:
    """One line saying why discovery found no article on a site, and what to try next.

    `pages` HTML pages read (start and sections) with `links` links to the site on them (a few
    as `examples`), `feeds` and `sitemaps` read, `unchanged` discovery pages answered 304 Not
    Modified, `failed_sources` discovery pages that failed, `start_failure` the start page's."""
    if start_failure:
        return (f"nothing found: the start page failed ({start_failure}); check the URL, or give"
                " --url a section page, feed or sitemap of the site")
    if unchanged and not (pages or feeds or sitemaps):
        return f"nothing new: {unchanged} discovery page{'s' * (unchanged != 1)} unchanged since the last run (304 Not Modified)"
    if not (pages or feeds or sitemaps):
        if failed_sources:
            return (f"nothing found: its {failed_sources} feed/sitemap/section page{'s' * (failed_sources != 1)}"
                    " failed (see the failures table); check them in the registry (tintinh sites)")
        return "nothing found: no feed, sitemap or section page was read; give --url a page of the site"
    if pages and not links:
        return (f"nothing found: {pages} page{'s' * (pages != 1)} read with no link to the site (built by"
                " JavaScript?); give --url its RSS feed or sitemap")
    sample = f" (e.g. {urlsplit(examples[0]).path})" if examples else ""
    return (f"nothing found: none of {links} links on {pages} page{'s' * (pages != 1)}"
            f"{f', {feeds} feeds' if feeds else ''}{f', {sitemaps} sitemaps' if sitemaps else ''}"
            f" looks like an article{sample}; give --url a section page, or register the site with"
            " an article_pattern (crawler/sites/sites.toml)")
