"""Article metadata from the page head: JSON-LD (NewsArticle …), OpenGraph, article:* and other meta.

These are usually more reliable than the visible text for dates and more complete for authors,
but Vietnamese sites often ship broken JSON-LD (HTML entities inside JSON, double-escaped
"&amp;#7871;", trailing commas, raw newlines), so it is parsed leniently.
"""
from __future__ import annotations

import html
import json
import re

from lxml import etree

from common.text import fold_spaces

_ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
                  "opinionnewsarticle", "backgroundnewsarticle", "liveblogposting", "report"}
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_META = etree.XPath("//meta[@content]")
_LD = etree.XPath("//script[@type='application/ld+json']/text()")
_CANONICAL = etree.XPath("//link[@rel='canonical']/@href")
_TIME_ITEMPROP = etree.XPath("//time[@itemprop='datePublished' or @itemprop='dateModified']")


def unescape(text) -> str:
    """Undo HTML entities, twice escaped ones too ("&amp;#7871;" → "ế"), then NFC and fold spaces."""
    if not isinstance(text, str):
        return ""
    for _ in range(2):
        if "&" not in text:
            break
        text = html.unescape(text)
    return fold_spaces(text)


def _load_json(text: str):
    text = text.strip().rstrip(";")
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(candidate, strict=False)
        except ValueError:
            continue
    return None


def _objects(data):
    """Every dict in a JSON-LD document (lists and @graph flattened)."""
    if isinstance(data, list):
        for item in data:
            yield from _objects(item)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity"):
            if key in data:
                yield from _objects(data[key])


def _types(obj: dict) -> set[str]:
    t = obj.get("@type", "")
    return {str(x).lower() for x in (t if isinstance(t, list) else [t])}


def _names(value) -> tuple[list[str], list[str]]:
    """(person names, organisation names) from a JSON-LD author/publisher value."""
    people, orgs = [], []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            people.append(unescape(item))
        elif isinstance(item, dict):
            name = unescape(item.get("name"))
            if not name:
                continue
            (orgs if _types(item) & {"organization", "newsmediaorganization"} else people).append(name)
    return [p for p in people if p], orgs


def read_metadata(root) -> dict:
    """Everything the head says about the article. Missing values are "" / []."""
    meta: dict[str, str] = {}
    for el in _META(root):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key and key not in meta:
            meta[key] = el.get("content") or ""
        elif key == "article:tag":
            meta[key] += "," + (el.get("content") or "")
    for el in _TIME_ITEMPROP(root):
        key = el.get("itemprop").lower()
        meta.setdefault(key.lower(), el.get("datetime") or el.text_content())

    info = {
        "og_title": unescape(meta.get("og:title")),
        "og_type": meta.get("og:type", "").strip().lower(),
        "description": unescape(meta.get("og:description") or meta.get("description")),
        "site_name": unescape(meta.get("og:site_name")),
        "canonical": (_CANONICAL(root) or [""])[0].strip(),
        "headline": "",
        "section": unescape(meta.get("article:section")),
        "tags": [t for t in (unescape(x) for x in re.split(r"[,;]", meta.get("article:tag", ""))) if t],
        "authors": [],          # people named by metadata, most trusted source first
        "organizations": [],    # names that are outlets, never authors
        "published_raw": "", "modified_raw": "",
        "image": meta.get("og:image", ""),
        "is_article": False,
    }
    ld_people: list[str] = []
    ld_published = ld_modified = ""
    for block in _LD(root):
        for obj in _objects(_load_json(block) or {}):
            types = _types(obj)
            if types & {"organization", "newsmediaorganization", "website"}:
                name = unescape(obj.get("name"))
                if name and types & {"organization", "newsmediaorganization"}:
                    info["organizations"].append(name)
                continue
            if not types & _ARTICLE_TYPES:
                continue
            info["is_article"] = True
            info["headline"] = info["headline"] or unescape(obj.get("headline") or obj.get("name"))
            ld_published = ld_published or unescape(obj.get("datePublished"))
            ld_modified = ld_modified or unescape(obj.get("dateModified"))
            people, orgs = _names(obj.get("author"))
            ld_people += people
            info["organizations"] += orgs + _names(obj.get("publisher"))[1]
            section = obj.get("articleSection")
            if not info["section"] and section:
                info["section"] = unescape(section[0] if isinstance(section, list) else section).split(",")[0]
            keywords = obj.get("keywords")
            if not info["tags"] and keywords:
                kws = keywords if isinstance(keywords, list) else str(keywords).split(",")
                info["tags"] = [k for k in (unescape(x) for x in kws) if k]

    info["published_raw"] = (meta.get("article:published_time") or ld_published or meta.get("pubdate")
                             or meta.get("datepublished") or meta.get("dc.date.issued")
                             or meta.get("publishdate") or meta.get("og:article:published_time")
                             or meta.get("article:published") or meta.get("publish-date")
                             or meta.get("parsely-pub-date") or meta.get("date") or "").strip()
    info["modified_raw"] = (meta.get("article:modified_time") or ld_modified or meta.get("lastmod")
                            or meta.get("datemodified") or meta.get("og:updated_time") or "").strip()
    if meta.get("article:published_time") or info["og_type"] == "article" and info["published_raw"]:
        info["is_article"] = True

    dable = unescape(meta.get("dable:author"))
    article_author = unescape(meta.get("article:author"))
    if dable:
        info["authors"] = [dable]
    elif ld_people:
        info["authors"] = ld_people
    elif article_author and not re.match(r"https?:|www\.", article_author):
        info["authors"] = [article_author]
    info["organizations"] += [n for n in (info["site_name"], unescape(meta.get("author"))) if n]
    return info
