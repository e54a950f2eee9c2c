"""The article: the one shape every stage passes on (see DESIGN.md, "The article").

An article is a plain dict; `new_article()` gives one with every field present, so a stage
never has to guess whether a key exists.
"""
from __future__ import annotations

FIELDS = (
    "url",            # the URL fetched (real site URL, even when crawled from a mirror)
    "canonical_url",  # one form per article (common.urls.canonical_url)
    "site",           # registry slug, or the host for unregistered sites
    "province",       # the paper's province after the 1 July 2025 merger, "" for national outlets
    "provinces",      # every province the article is about, today's names, the paper's first
                      # (common.provinces); [] national coverage; None: the archive tags it
    "title", "sapo", "body",          # body: clean text, one paragraph a line, sapo not repeated
    "authors",                        # list of people; agencies such as "TTXVN" kept as named
    "published_at", "modified_at",    # ISO 8601 with offset (+07:00) or None
    "published_raw", "modified_raw",  # the strings they were read from
    "category", "tags",
    "categories",     # the category as a list ("Thời sự,Chính trị" → two); None: split by the archive
    "images",         # [{"src": ..., "caption": ...}]
    "related",        # [{"url": ..., "title": ...}]: related headlines kept as links
    "language",
    "extractor",      # which parser and version produced it, e.g. "cms@1", "generic@1"
    "extraction",     # how sure it is, for a site-health drift alarm (see EXTRACTION), or None
    "fetched_at",
    "content_hash",
)

_LIST_FIELDS = {"authors", "tags", "images", "related"}

# `extraction`: which path produced each field, so a drift alarm can count what a redesign moves:
# the archive counts it per crawl run and site (crawl_runs: `generic`, and the completeness
# shares extraction_visible_date / extraction_position_authors), which archive.health compares.
EXTRACTION = {
    "body": "family: the layout's body box (families.toml) | generic: the main-content fallback",
    "published": "metadata | visible: a date shown on the page (the layout's date box, or a line "
                 "that is a date by its shape) | None",
    "authors": "selector: the layout's byline | metadata | position: a line that is a byline by its "
               "shape and place (last lines, the line of the shown date) | None",
    "boxes_by_content": "junk boxes the layout's names missed, removed by what they hold (teasers of "
                        "other articles, link lists)",
}


def new_article(**values) -> dict:
    """An article dict with every field present ("" / [] / None), updated with `values`."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise KeyError(f"not article fields: {sorted(unknown)}")
    article = {f: [] if f in _LIST_FIELDS else None for f in FIELDS}
    article.update(values)
    return article
