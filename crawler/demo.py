"""`tintinh demo`: crawl a bundled miniature mirror of a few news sites, with no network.

The mirror (crawler/demo_site/) holds real saved article pages and the feeds that list them;
it is served on 127.0.0.1 from a thread and crawled with the origin override, so the archive
gets the sites' real URLs, exactly as a crawl of the live sites would.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from crawler.mirror import MirrorServer, load_routes
from crawler.run import crawl
from crawler.sites import site_for_url

DEMO_SITE = Path(__file__).with_name("demo_site")


def run_demo(db: str = "demo.db", progress: Callable[[str], None] = print) -> dict:
    """Serve the miniature mirror, crawl it into `db`, return the crawl summary."""
    with MirrorServer(load_routes(DEMO_SITE)) as server:
        slugs = sorted({site_for_url(f"https://{host}/").slug for host in server.hosts()})
        progress(f"serving the miniature mirror of {', '.join(slugs)} on 127.0.0.1:{server.port}")
        return crawl(slugs, db=db, progress=progress, settings={
            "TINTINH_ORIGINS": server.origins(),
            "TINTINH_DISCOVERY": ["feeds"],   # the mirror holds the feeds, not whole sections
            # our own server on localhost: no need to be slow
            "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
            "DNS_RESOLVER": "crawler.resolver.LoopbackOnlyResolver",  # offline: nothing leaves 127.0.0.1
        })
