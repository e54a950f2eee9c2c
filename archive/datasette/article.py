"""What the article page shows: one article read from the archive with everything around it.

`load_article(db, article_id)` runs a handful of small queries (the article, its paper, images,
the other copies of its story, earlier versions, URL spellings, related links, the fetch it came
from) and returns plain values for the template; `versions_with_diffs` pairs consecutive
versions with a word diff. The template escapes every value; links go through `safe_url`.
"""
from __future__ import annotations

from archive.datasette.diff import changed, word_diff
from archive.datasette.display import json_list, paragraphs, safe_url, vietnam_time

ARTICLE_SQL = "SELECT * FROM articles WHERE id = :id"
SITE_SQL = "SELECT slug, name, province, province_before, domains FROM sites WHERE slug = :slug"
IMAGES_SQL = "SELECT position, src, caption FROM images WHERE article_id = :id ORDER BY position"
COPIES_SQL = """
SELECT a.id, a.site, s.name AS paper, a.province, a.title, a.published_at, a.url,
       a.duplicate_of IS NULL AS original
FROM articles a LEFT JOIN sites s ON s.slug = a.site
WHERE a.story_id = :story AND a.id != :id
ORDER BY a.published_at IS NULL, a.published_at, a.id
LIMIT 200
"""
VERSIONS_SQL = """
SELECT id, title, sapo, body, content_hash, fetched_at, replaced_at
FROM article_versions WHERE article_id = :id ORDER BY replaced_at, id
"""
ALIASES_SQL = "SELECT url FROM url_aliases WHERE article_id = :id ORDER BY url LIMIT 50"
RELATED_SQL = "SELECT position, url, title FROM related_links WHERE article_id = :id ORDER BY position"
PAGE_SQL = """
SELECT id, url, final_url, status, fetched_at, site, run_id, body_size, body_sha1, failure,
       json_extract(headers, '$."content-type"') AS content_type
FROM pages WHERE id = :id
"""


async def _rows(db, sql: str, params: dict) -> list[dict]:
    try:
        result = await db.execute(sql, params)
    except Exception:  # an archive from before a table existed: show the article without it
        return []
    return [dict(row) for row in result.rows]


def _time(value) -> dict:
    """A stored time for the template: Vietnam time text, the stored value, and whether known."""
    return {"text": vietnam_time(value) or value, "stored": value}


async def load_article(db, article_id) -> dict | None:
    """Everything the article page shows for `article_id`, or None when there is no such article."""
    found = await _rows(db, ARTICLE_SQL, {"id": article_id})
    if not found:
        return None
    a = found[0]
    aid = a["id"]
    site = (await _rows(db, SITE_SQL, {"slug": a.get("site")}) or [{}])[0]
    images = [dict(img, src=safe_url(img["src"])) for img in await _rows(db, IMAGES_SQL, {"id": aid})]
    copies = []
    if a.get("story_id") is not None:
        for c in await _rows(db, COPIES_SQL, {"story": a["story_id"], "id": aid}):
            copies.append(dict(c, published=_time(c["published_at"]), url=safe_url(c["url"])))
    page = None
    if a.get("page_id") is not None:
        pages = await _rows(db, PAGE_SQL, {"id": a["page_id"]})
        page = dict(pages[0], fetched=_time(pages[0]["fetched_at"])) if pages else None
    return {
        "id": aid,
        "title": a.get("title") or "(no title)",
        "has_title": bool(a.get("title")),
        "sapo": a.get("sapo"),
        "paragraphs": paragraphs(a.get("body")),
        "blocks": body_blocks(paragraphs(a.get("body")), images),
        "site": a.get("site"),
        "paper": site.get("name") or a.get("site"),
        "province": a.get("province"),
        "province_before": site.get("province_before"),
        "published": _time(a.get("published_at")),
        "modified": (_time(a["modified_at"]) if a.get("modified_at") and a["modified_at"] != a.get("published_at")
                     else None),
        "published_raw": a.get("published_raw"),
        "first_seen": _time(a.get("first_seen")),
        "last_seen": _time(a.get("last_seen")),
        "fetched": _time(a.get("fetched_at")),
        "authors": json_list(a.get("authors")) or [],
        "tags": json_list(a.get("tags")) or [],
        "category": a.get("category"),
        "url": a.get("url"),
        "url_href": safe_url(a.get("url")),
        "canonical_url": a.get("canonical_url"),
        "extractor": a.get("extractor"),
        "language": a.get("language"),
        "story_id": a.get("story_id"),
        "duplicate_of": a.get("duplicate_of"),
        "is_original": a.get("duplicate_of") is None,
        "images": images,
        "copies": copies,
        "versions": versions_with_diffs(a, await _rows(db, VERSIONS_SQL, {"id": aid})),
        "aliases": [r["url"] for r in await _rows(db, ALIASES_SQL, {"id": aid})],
        "related": [dict(r, href=safe_url(r["url"])) for r in await _rows(db, RELATED_SQL, {"id": aid})],
        "page": page,
        "page_id": a.get("page_id"),
    }


def body_blocks(paras: list[str], images: list[dict]) -> list[dict]:
    """The body as blocks in reading order: {"paragraph": text} or {"figure": image}. Many papers'
    bodies keep each caption as a line where the picture stood: the picture goes there, in place
    of that line; the other pictures follow the text, in their order."""
    def key(text):
        return " ".join((text or "").split()).casefold()

    waiting = {}
    for img in images:
        if img.get("caption"):
            waiting.setdefault(key(img["caption"]), []).append(img)
    blocks, placed = [], set()
    for para in paras:
        matches = waiting.get(key(para))
        if matches:
            img = matches.pop(0)
            placed.add(id(img))
            blocks.append({"figure": img})
        else:
            blocks.append({"paragraph": para})
    blocks += [{"figure": img} for img in images if id(img) not in placed]
    return blocks


def versions_with_diffs(current: dict, earlier: list[dict]) -> list[dict]:
    """Every version, oldest first, each after the first with its word diff against the one
    before: title, sapo and body. The current text is the last version."""
    chain = [dict(v, current=False, seen=_time(v["fetched_at"]), replaced=_time(v["replaced_at"]))
             for v in earlier]
    if not chain:
        return []
    chain.append({"title": current.get("title"), "sapo": current.get("sapo"), "body": current.get("body"),
                  "content_hash": current.get("content_hash"), "fetched_at": current.get("fetched_at"),
                  "replaced_at": None, "current": True, "seen": _time(current.get("fetched_at")),
                  "replaced": None})
    for number, (before, version) in enumerate(zip([None] + chain, chain), start=1):
        version["number"] = number
        if before is None:
            version["diff"] = None
            continue
        version["diff"] = {field: word_diff(before.get(field), version.get(field))
                           for field in ("title", "sapo", "body")
                           if changed(before.get(field), version.get(field))}
    return chain
