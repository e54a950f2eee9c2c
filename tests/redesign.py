"""A site redesign, simulated on a real saved page: what a new template does to the markup while the
article stays the same. Used by tests/test_redesign.py and `bench/generic_score.py --redesign`.

`redesign(html, url, paragraphs, captions)` returns a Redesign: the page as a new template would
serve it, at an unknown address, and what was put into it. Every change is deterministic (seeded
by the page's URL), so a failure can be replayed:

* every class and id name (or, with INNER_STEPS, only those inside the article's box), and template attributes (`type` on boxes, `data-role`, `data-module`…),
  renamed to random tokens (each name to one token, so elements that shared a name still do);
* `<article>`, `<section>`, `<main>` and `<header>` turned into `<div>`;
* the domain unknown: the page's host replaced, in its URL and in every attribute and JSON-LD block;
* a run-together box of headlines of other articles of the site (linked from the page, no space
  between them) injected in the text, and the page's own box of headline links, if it has one
  outside the text, moved into the text further down;
* every caption said again: in its image's `alt` and `title`, and in an italic paragraph after
  the figure;
* a share bar, a tag list and a comment box, nameless, put after the text (in the page's language):
  known only by their words.

The body's place and the captions are found from the gold text (`paragraphs`, `captions`), never
from class names, so the simulation works on any page with a gold extraction.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import lxml.html
from lxml import etree

STEPS = ("names", "tags", "host", "boxes", "captions", "widgets")   # all of them, unless a caller picks some
# A lighter redesign: the article's box keeps its name (the layout is still recognised), every box
# inside it is renamed, boxes are moved into the text and captions repeated; same address.
INNER_STEPS = ("inner-names", "boxes", "captions", "widgets")
SEMANTIC_TAGS = ("article", "section", "main", "header")
# Attributes whose values are template names (tried by layout selectors): renamed like classes.
TEMPLATE_ATTRIBUTES = ("data-role", "data-module", "data-field", "data-type", "data-component", "data-box")
# `type` names a box on these (tuoitre's <div type="RelatedOneNews">); elsewhere it is HTML's own.
_TYPE_IS_HTML = frozenset(("script", "style", "link", "input", "button", "ol", "li", "source", "embed",
                           "object", "select", "param", "menu", "a", "ul"))
_WORDS = re.compile(r"\w+")


@dataclass
class Redesign:
    html: str
    url: str
    injected: list[str] = field(default_factory=list)   # headlines put into the text: junk
    moved: list[str] = field(default_factory=list)      # headlines of the box moved into the text
    captions_repeated: int = 0
    widgets: list[str] = field(default_factory=list)    # the widgets' texts: junk

    @property
    def junk(self) -> list[str]:
        return self.injected + self.moved + self.widgets


def token(seed: str, name: str) -> str:
    return "r" + hashlib.sha1(f"{seed}\0{name}".encode()).hexdigest()[:7]


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def redesign(html: bytes | str, url: str, paragraphs: list[str], captions: list[str] = (),
             *, new_host: str | None = None, steps=STEPS) -> Redesign:
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    root = lxml.html.document_fromstring(text)
    seed = url
    old_host = (urlsplit(url).hostname or "").lower()
    old_base = old_host[4:] if old_host.startswith("www.") else old_host
    new_base = new_host or f"{token(seed, 'host')}.{old_base.rsplit('.', 1)[-1] or 'com'}"

    body = _body_container(root, paragraphs)
    # The boxes are chosen on the original page (link targets still name the old host).
    headlines = _headline_links(root, url, body, paragraphs)
    box = _headline_box(root, body, headlines)
    result = Redesign("", "")
    if body is not None and "widgets" in steps:
        result.widgets = _add_widgets(body, url, paragraphs)
    if body is not None:
        blocks = _text_blocks(body, paragraphs)
        if "captions" in steps:
            result.captions_repeated = _repeat_captions(root, body, captions)
        if "boxes" not in steps:
            headlines, box = [], None
        if headlines and blocks:
            injected = [a for a in headlines if box is None or not _inside(a, box)][:4]
            if len(injected) >= 2:
                glued = etree.Element("div")
                for a in injected:
                    link = etree.SubElement(glued, "a", href=a.get("href"))
                    link.text = _one_line(a.text_content())
                result.injected = [_one_line(a.text_content()) for a in injected]
                blocks[min(1, len(blocks) - 1)].addnext(glued)
        if box is not None and len(blocks) >= 3:
            result.moved = [_one_line(a.text_content()) for a in headlines if _inside(a, box)]
            parent = box.getparent()
            tail = box.tail
            parent.remove(box)        # its tail text stays where it was
            if tail:
                prev = box.getprevious()
                box.tail = None
                if prev is not None:
                    prev.tail = (prev.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
            blocks[(2 * len(blocks)) // 3].addnext(box)

    if "names" in steps:
        _rename(root.iter(), seed)
    elif "inner-names" in steps and body is not None:    # the layout kept, its boxes renamed
        _rename((el for el in body.iterdescendants()), seed)
    if "tags" in steps:
        for el in root.iter(*SEMANTIC_TAGS):
            el.tag = "div"
    parts = urlsplit(url)
    host = parts.hostname or ""
    if "host" in steps:
        _move_host(root, old_base, new_base)
        host = host.replace(old_base, new_base)
    result.url = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    result.html = "<!DOCTYPE html>\n" + lxml.html.tostring(root, encoding="unicode")
    return result


# ---- the gold's place on the page -----------------------------------------------------------

def _one_line(text: str) -> str:
    return " ".join(text.split())


def _needles(paragraph: str) -> list[str]:
    words = paragraph.split()
    return [" ".join(words[i:i + 5]) for i in range(0, min(len(words), 25), 5) if len(words[i:i + 5]) == 5]


def _holder(root, paragraph: str, where: str = "//body//*"):
    """The deepest element (of `where`) whose text holds a few words of `paragraph`."""
    for needle in _needles(paragraph):
        found = root.xpath(where + "[contains(normalize-space(.), $n)]", n=needle)
        found = [el for el in found if el.tag not in ("script", "style", "noscript", "title")]
        if found:
            return min(found, key=lambda el: len(el.text_content()))
    return None


def _body_container(root, paragraphs: list[str]):
    """The smallest element that holds the gold body's paragraphs (a sample of them)."""
    long = [p for p in paragraphs if len(p.split()) >= 8]
    if len(long) < 2:
        return None
    step = max(1, len(long) // 8)
    holders = [h for h in (_holder(root, p) for p in long[::step]) if h is not None]
    if len(holders) < 2:
        return None
    common = [holders[0], *holders[0].iterancestors()]
    for h in holders[1:]:
        chain = {id(a) for a in (h, *h.iterancestors())}
        common = [a for a in common if id(a) in chain]
    return common[0] if common and common[0].tag not in ("html", "body") else None


def _text_blocks(body, paragraphs: list[str]) -> list:
    """The children of the body container that hold gold paragraphs, in page order: places
    between paragraphs where a box can go."""
    keys = [_norm(" ".join(p.split()[:6])) for p in paragraphs if len(p.split()) >= 8]
    blocks = []
    for child in body:
        if not isinstance(child.tag, str):
            continue
        text = _norm(child.text_content())
        if any(k in text for k in keys):
            blocks.append(child)
    return blocks


# ---- headline links and boxes ---------------------------------------------------------------

def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c))


def _slug_headline(text: str, path: str) -> bool:
    """A link whose words are the words of its URL's slug: the headline of that article."""
    words = _WORDS.findall(_fold(text))
    slug = set(_WORDS.findall(_fold(path.replace("-", " ").replace("_", " "))))
    return len(words) >= 4 and sum(w in slug for w in words) >= 0.6 * len(words)


def _headline_links(root, url: str, body, paragraphs: list[str]) -> list:
    """Links to other articles of the site whose text is the article's headline (the words of
    its URL's slug), outside the article's text."""
    host = urlsplit(url).hostname or ""
    base = host[4:] if host.startswith("www.") else host
    gold = _norm(" ".join(paragraphs))
    found, seen = [], {urlsplit(url).path}
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        try:
            parts = urlsplit(href)
        except ValueError:
            continue
        if parts.scheme not in ("", "http", "https") or parts.hostname and not parts.hostname.endswith(base):
            continue
        text = _one_line(a.text_content())
        if parts.path in seen or not 20 <= len(text) <= 180 or not _slug_headline(text, parts.path) \
                or _norm(text) in gold:
            continue
        if body is not None and (_inside(a, body) or a is body):
            continue
        if any(anc.tag in ("nav", "footer", "head") for anc in a.iterancestors()):
            continue
        seen.add(parts.path)
        found.append(a)
    return found


def _inside(el, box) -> bool:
    return any(anc is box for anc in el.iterancestors())


def _headline_box(root, body, links: list):
    """The smallest box outside the text holding three or more of the headline links and little
    else (a related or most-read list), or None."""
    best = None
    for a in links:
        for anc in a.iterancestors():
            if anc.tag in ("body", "html") or body is not None and (anc is body or _inside(body, anc)
                                                                    or _inside(anc, body)):
                break
            inside = [x for x in links if _inside(x, anc)]
            if len(inside) >= 3:
                text = len(_one_line(anc.text_content()))
                linked = sum(len(_one_line(x.text_content())) for x in inside)
                if text <= 2000 and linked >= 0.5 * text and (best is None or text < best[0]):
                    best = (text, anc)
                break
    return best[1] if best else None


# ---- widgets --------------------------------------------------------------------------------

WIDGETS = {
    "vi": ('<div><span>Chia sẻ</span> <a href="https://www.facebook.com/sharer/sharer.php?u={url}">Facebook</a> '
           '<a href="https://zalo.me/share?u={url}">Zalo</a> <a href="javascript:window.print()">In bài</a></div>'
           '<div><span>Từ khóa:</span> <a href="/tag/kinh-te-xa-hoi.html">#kinh tế xã hội</a> '
           '<a href="/tag/thoi-su-trong-tinh.html">#thời sự trong tỉnh</a></div>'
           '<div><div>Bình luận (0)</div><div>Gửi bình luận</div></div>'),
    "en": ('<div><span>Share this article</span> <a href="https://twitter.com/intent/tweet?url={url}">Tweet</a> '
           '<a href="mailto:?body={url}">Email</a> <a href="javascript:window.print()">Print</a></div>'
           '<div><span>Tags:</span> <a href="/tag/local-news">#local news</a> <a href="/tag/city-hall">#city hall</a></div>'),
}
WIDGET_TEXTS = {"vi": ["Chia sẻ Facebook Zalo", "#kinh tế xã hội", "#thời sự trong tỉnh", "Bình luận (0)",
                       "Gửi bình luận"],
                "en": ["Share this article Tweet", "#local news", "#city hall"]}


def _add_widgets(body, url: str, paragraphs: list[str]) -> list[str]:
    """A share bar, a tag list (and a comment box) with no names, after the text's last paragraph."""
    lang = "vi" if re.search("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", " ".join(paragraphs)) else "en"
    blocks = _text_blocks(body, paragraphs)
    if not blocks:
        return []
    box = lxml.html.fragment_fromstring(WIDGETS[lang].format(url=url), create_parent="div")
    box.tail, blocks[-1].tail = blocks[-1].tail, None
    blocks[-1].addnext(box)
    return WIDGET_TEXTS[lang]


# ---- captions -------------------------------------------------------------------------------

def _repeat_captions(root, body, captions) -> int:
    """Each gold caption (or, without gold captions, each <figcaption> of the text) said again: in
    its image's alt and title, and as an italic paragraph after the figure."""
    holders = []
    if captions:
        wanted = {_norm(c): _one_line(c) for c in captions if len(c.split()) >= 5}
        for el in body.iter():       # the deepest element showing exactly the caption
            if isinstance(el.tag, str) and _norm(el.text_content()) in wanted and \
                    not any(_norm(c.text_content()) == _norm(el.text_content()) for c in el):
                holders.append((el, wanted[_norm(el.text_content())]))
    else:
        holders = [(f, _one_line(f.text_content())) for f in body.iter("figcaption")
                   if len(f.text_content().split()) >= 5]
    done = 0
    for holder, caption in holders:
        figure, img = _figure_of(holder)
        if img is None:
            continue
        img.set("alt", caption)
        img.set("title", caption)
        p = etree.Element("p")
        em = etree.SubElement(p, "em")
        em.text = caption
        p.tail = figure.tail
        figure.tail = None
        figure.addnext(p)
        done += 1
    return done


def _figure_of(caption_el):
    """(the element holding the caption and its image, the image), looking a few levels up,
    else the image just before the caption."""
    node = caption_el
    for _ in range(4):
        node = node.getparent()
        if node is None or node.tag in ("body", "html"):
            break
        imgs = node.findall(".//img")
        if len(imgs) == 1:
            return node, imgs[0]
        if imgs:
            break
    prev = caption_el.getprevious()
    if prev is not None:
        img = prev if prev.tag == "img" else prev.find(".//img")
        if img is not None:
            return caption_el, img
    return caption_el, None


# ---- names and hosts ------------------------------------------------------------------------

def _rename(elements, seed: str) -> None:
    for el in elements:
        if not isinstance(el.tag, str):
            continue
        cls = el.get("class")
        if cls is not None:
            el.set("class", " ".join(token(seed, c) for c in cls.split()))
        if el.get("id"):
            el.set("id", token(seed, el.get("id")))
        for attr in TEMPLATE_ATTRIBUTES:
            if el.get(attr):
                el.set(attr, token(seed, el.get(attr)))
        if el.get("type") and el.tag not in _TYPE_IS_HTML:
            el.set("type", token(seed, el.get("type")))


def _move_host(root, old: str, new: str) -> None:
    if not old:
        return
    pattern = re.compile(re.escape(old), re.I)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            if old in value.lower():
                el.set(name, pattern.sub(new, value))
        if el.tag == "script" and "ld+json" in (el.get("type") or "") and el.text:
            el.text = pattern.sub(new, el.text)


def load_json(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
