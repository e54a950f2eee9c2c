"""`tintinh demo`: crawl a bundled miniature mirror of Vietnamese news sites, with no network.

The mirror (crawler/demo_site/) is built from saved real pages:
- site.toml: real article pages served as they are, and pages that fail on purpose (a page in
  a legacy encoding, a listing page where an article was expected, an error, an off-site redirect);
- articles.toml: articles written for the demo, each put into a real page of its paper's CMS
  family (demo_site/variants.py) under a URL of the paper's real shape; wire stories and reprints
  go to several papers; one article is corrected after publication;
- one RSS feed per paper, made here, listing everything above.

It is served on 127.0.0.1 from a thread and crawled with the origin override, so the archive gets
the sites' real URLs, as a crawl of the live sites would. Two runs: the first crawls every paper;
the second re-fetches the paper whose article was corrected, which keeps the first text as an
earlier version. Each crawl runs in a child process (a Twisted reactor runs once per process).
"""
from __future__ import annotations

import gzip
import multiprocessing
import re
import tomllib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from functools import cache
from html import escape
from pathlib import Path
from typing import Callable

from common.text import fold_accents
from crawler.demo_site.variants import LAYOUTS, article_page
from crawler.mirror import MirrorServer, Route, load_routes, route_key
from crawler.run import crawl
from crawler.sites import get_site, site_for_url

DEMO_SITE = Path(__file__).with_name("demo_site")
ARTICLES = DEMO_SITE / "articles.toml"
HTML = "text/html; charset=utf-8"

# Each paper's CMS family page (variants.LAYOUTS) and the shape of its article URLs: {slug},
# {n} a six-digit id, {stamp} the publication time as digits (yyMMddHHmmss) and three more.
PAPERS = {
    "baolaocai": ("cms", "https://baolaocai.vn/{slug}-post{n}.html"),
    "baothanhhoa": ("cms", "https://baothanhhoa.vn/{slug}-{n}.htm"),
    "baohatinh": ("cms", "https://baohatinh.vn/{slug}-post{n}.html"),
    "baogialai": ("cms", "https://baogialai.com.vn/{slug}-post{n}.html"),
    "sggp": ("cms", "https://sggp.org.vn/{slug}-post{n}.html"),
    "baohaiphong": ("cms", "https://baohaiphong.vn/{slug}-{n}.html"),
    "nhandan": ("cms", "https://nhandan.vn/{slug}-post{n}.html"),
    "vietnamplus": ("cms", "https://vietnamplus.vn/{slug}-post{n}.vnp"),
    "plo": ("cms", "https://plo.vn/{slug}-post{n}.html"),
    "tuoitre": ("afcbc", "https://tuoitre.vn/{slug}-20{stamp}.htm"),
    "nld": ("afcbc", "https://nld.com.vn/{slug}-196{stamp}.htm"),
    "cafef": ("afcbc", "https://cafef.vn/{slug}-188{stamp}.chn"),
    "baochinhphu": ("afcbc", "https://baochinhphu.vn/{slug}-102{stamp}.htm"),
}
_VN = timezone(timedelta(hours=7))


@dataclass
class DemoPage:
    """One article page of the mirror: where it is served and what its feed says of it."""
    site: str
    url: str
    title: str
    published: datetime
    html: str
    edited_html: str | None = None   # served on the second crawl


@dataclass
class Mirror:
    routes: dict[str, Route]
    pages: list[DemoPage] = field(default_factory=list)
    edited: list[DemoPage] = field(default_factory=list)

    def sites(self) -> list[str]:
        return sorted({site_for_url(f"https://{host}/").slug for host in
                       {key.split("/", 1)[0] for key in self.routes}})


def slugify(title: str, limit: int = 70) -> str:
    """A URL slug of a Vietnamese title, the way the papers make theirs: no accents, đ → d."""
    words = re.sub(r"[^a-z0-9]+", "-", fold_accents(title)).strip("-")
    return words[:limit].rsplit("-", 1)[0] if len(words) > limit else words


def _blocks(text: str, images_base: str) -> list[tuple[str, str]]:
    blocks, pictures = [], 0
    for line in (text or "").strip().splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("[ảnh]"):
            pictures += 1
            blocks.append(("img", f"{images_base}-{pictures}.jpg|{line.removeprefix('[ảnh]').strip()}"))
        else:
            blocks.append(("p", line))
    return blocks


@cache
def _real_article(name: str) -> dict:
    """A saved real page's article as the crawl's extraction sees it (for reprints)."""
    from pipelines.extract import extract_article
    url = next(r["url"] for r in tomllib.loads((DEMO_SITE / "site.toml").read_text(encoding="utf-8"))["route"]
               if r.get("file") == f"{name}.html.gz")
    data = gzip.decompress((DEMO_SITE / f"{name}.html.gz").read_bytes())
    site = site_for_url(url)
    return extract_article(data, url, site.profile(), HTML)


def _texts(entry: dict) -> tuple[str, str, str]:
    """(title, sapo, body lines) of an articles.toml entry: written there, or a reprinted real article."""
    if "reprint" not in entry:
        return entry["title"], entry["sapo"], entry["body"]
    real = _real_article(entry["reprint"])
    captions = {img.get("caption") for img in real.get("images") or [] if img.get("caption")}
    lines = [f"[ảnh] {line}" if line in captions else line for line in real["body"].splitlines()]
    return real["title"], real["sapo"], "\n".join(lines + [f"{entry['authors'][0]}."])


def demo_pages(path: Path = ARTICLES) -> list[DemoPage]:
    """Every page articles.toml asks for: one per article and paper carrying it."""
    pages, number = [], 900100
    for entry in tomllib.loads(path.read_text(encoding="utf-8"))["article"]:
        title, sapo, body = _texts(entry)
        first = datetime.fromisoformat(f"{entry['day']}T{entry.get('time', '08:00')}")
        titles = [title] + list(entry.get("titles", []))
        for i, paper in enumerate(entry["papers"]):
            number += 7
            layout, url_format = PAPERS[paper]
            published = first + timedelta(hours=i, minutes=13 * i)
            headline = titles[i] if i < len(titles) else title
            url = url_format.format(slug=slugify(headline), n=number,
                                    stamp=published.strftime("%y%m%d%H%M%S") + f"{number % 1000:03d}")
            domain = get_site(paper).domain
            images = f"https://cdn.{domain}/{published:%Y/%m/%d}/{entry['key']}"

            def page(text: str) -> str:
                return article_page(LAYOUTS[layout], url=url, title=headline, sapo=sapo,
                                    blocks=_blocks(text, images), authors=entry["authors"],
                                    published=published, category=entry.get("category"))

            pages.append(DemoPage(site=paper, url=url, title=headline, published=published, html=page(body),
                                  edited_html=page(entry["edited"]) if "edited" in entry else None))
    return pages


def feed(site: str, items: list[tuple[str, str, datetime]]) -> str:
    """An RSS 2.0 feed of (title, url, published) items, newest first."""
    rows = "\n".join(
        f"<item><title>{escape(title)}</title><link>{escape(url)}</link>"
        f"<pubDate>{format_datetime(when.replace(tzinfo=_VN))}</pubDate></item>"
        for title, url, when in sorted(items, key=lambda item: item[2], reverse=True))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
            f"<title>{escape(site)}</title><link>https://{get_site(site).domain}</link>"
            f"<description>Tin mới</description>\n{rows}\n</channel></rss>\n")


def build_mirror() -> Mirror:
    """The demo mirror's routes: site.toml's real and failing pages, the made-up articles, feeds."""
    routes = load_routes(DEMO_SITE)
    manifest = tomllib.loads((DEMO_SITE / "site.toml").read_text(encoding="utf-8"))
    listed: dict[str, list[tuple[str, str, datetime]]] = {}
    for entry in manifest["route"]:
        if "url" in entry and entry.get("listed", True):
            site = site_for_url(entry["url"]).slug
            when = datetime.fromisoformat(entry["published"]) if "published" in entry else datetime(2026, 3, 7, 8)
            listed.setdefault(site, []).append((entry.get("title", entry["url"]), entry["url"], when))
    mirror = Mirror(routes=routes)
    for page in demo_pages():
        routes[route_key(page.url)] = Route(body=page.html.encode("utf-8"), content_type=HTML)
        listed.setdefault(page.site, []).append((page.title, page.url, page.published))
        mirror.pages.append(page)
        if page.edited_html:
            mirror.edited.append(page)
    for site, items in listed.items():
        body = feed(site, items).encode("utf-8")
        for url in get_site(site).feeds:
            routes[route_key(url)] = Route(body=body, content_type="application/rss+xml; charset=utf-8")
    return mirror


def _settings(server: MirrorServer) -> dict:
    return {
        "TINTINH_ORIGINS": server.origins(),
        "TINTINH_DISCOVERY": ["feeds"],   # the mirror holds the feeds, not whole sections
        # our own server on localhost: no need to be slow
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
        "TWISTED_DNS_RESOLVER": "crawler.resolver.LoopbackOnlyResolver",  # offline: nothing leaves 127.0.0.1
    }


def _crawl_in_child(slugs: list[str], **kwargs) -> dict:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(crawl, slugs, **kwargs).result()


def run_demo(db: str = "demo.db", progress: Callable[[str], None] = print) -> dict:
    """Serve the miniature mirror, crawl it into `db` (then re-fetch the paper of the corrected
    article), return the first crawl's summary."""
    mirror = build_mirror()
    with MirrorServer(mirror.routes) as server:
        slugs = mirror.sites()
        progress(f"serving the miniature mirror of {len(slugs)} papers ({len(mirror.pages)} made-up "
                 f"articles in real pages) on 127.0.0.1:{server.port}")
        result = _crawl_in_child(slugs, db=db, progress=progress, settings=_settings(server))
        if mirror.edited:
            for page in mirror.edited:
                mirror.routes[route_key(page.url)] = Route(body=page.edited_html.encode("utf-8"), content_type=HTML)
            again = sorted({page.site for page in mirror.edited})
            progress(f"second crawl: {', '.join(again)} again, where an article was corrected since")
            second = _crawl_in_child(again, db=db, progress=progress, refresh=True, settings=_settings(server))
            updated = sum(counts.get("updated", 0) for counts in second.get("sites", {}).values())
            progress(f"second crawl: {updated} article{'s' if updated != 1 else ''} updated "
                     f"(the earlier text is kept as a version)")
    return result
