"""A local mirror of news sites: saved pages served on 127.0.0.1 under their real URLs.

A mirror directory holds the saved files and a `site.toml` manifest of routes:

    [[route]]                       # one real URL → one saved file
    url = "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html"
    file = "baolaocai-404649.html.gz"        # .gz files are served decompressed

    [[route]]                       # served at every feed URL the registry lists for the site
    site = "baolaocai"
    role = "feeds"                  # feeds | sitemaps | sections
    file = "baolaocai-home.rss"

    # other keys: status = 500, redirect = "https://…" (301), delay = 5 (seconds before
    # answering), size = 3000000 (an HTML body that big), content_type, body = "literal text"

Every host is served under a path prefix: https://baolaocai.vn/x is http://127.0.0.1:PORT/baolaocai.vn/x,
and `MirrorServer.origins()` is the TINTINH_ORIGINS setting that makes a crawl use it.
Anything not in the manifest answers 404. Used by `tintinh demo` and by the crawl tests.
"""
from __future__ import annotations

import gzip
import threading
import time
import tomllib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from crawler.sites import bare_host, get_site

CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
                 ".rss": "application/rss+xml; charset=utf-8", ".xml": "application/xml; charset=utf-8",
                 ".txt": "text/plain; charset=utf-8"}


@dataclass(frozen=True)
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    redirect: str = ""
    delay: float = 0.0


def route_key(url: str) -> str:
    """host/path?query, the host without www./m. — how routes are looked up."""
    parts = urlsplit(url)
    return bare_host(parts.hostname or "") + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _route(entry: dict, directory: Path) -> Route:
    content_type = entry.get("content_type")
    body = entry.get("body", "").encode("utf-8")
    if "file" in entry:
        path = directory / entry["file"]
        body = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        stem = path.name.removesuffix(".gz")
        content_type = content_type or CONTENT_TYPES.get(Path(stem).suffix, "application/octet-stream")
    if "size" in entry:
        body = b"<!doctype html><html><head><title>big</title></head><body>"
        body += b" " * (int(entry["size"]) - len(body))
    return Route(status=int(entry.get("status", 301 if "redirect" in entry else 200)), body=body,
                 content_type=content_type or "text/html; charset=utf-8",
                 redirect=entry.get("redirect", ""), delay=float(entry.get("delay", 0)))


def load_routes(directory: str | Path) -> dict[str, Route]:
    """The routes of a mirror directory (its site.toml), keyed by route_key()."""
    directory = Path(directory)
    manifest = tomllib.loads((directory / "site.toml").read_text(encoding="utf-8"))
    routes: dict[str, Route] = {}
    for entry in manifest.get("route", []):
        route = _route(entry, directory)
        urls = [entry["url"]] if "url" in entry else getattr(get_site(entry["site"]), entry["role"])
        for url in urls:
            routes[route_key(url)] = route
    return routes


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, Route] = {}
    served: list[str] = []

    def do_GET(self):
        key = self.path.lstrip("/")
        self.served.append(key)
        # Like a real server, unknown query parameters (utm_* …) do not change the page.
        route = self.routes.get(key) or self.routes.get(key.split("?", 1)[0])
        if route is None:
            route = Route(status=404, body=b"<!doctype html><title>404</title><h1>Not found</h1>")
        if route.delay:
            time.sleep(route.delay)
        try:
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            if route.redirect:
                self.send_header("Location", route.redirect)
            self.end_headers()
            self.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout, an oversized body): that is the point

    def log_message(self, format, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128   # the default 5 drops connections when a crawl opens many at once


class MirrorServer:
    """The routes served on 127.0.0.1 (a free port) from a thread; use as a context manager."""

    def __init__(self, routes: dict[str, Route]):
        self.routes = routes
        self.served: list[str] = []   # route keys asked for, in order (tests check what was fetched)
        handler = type("Handler", (_Handler,), {"routes": routes, "served": self.served})
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "MirrorServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, real_url: str) -> str:
        """Where the mirror serves a real URL."""
        return f"http://127.0.0.1:{self.port}/{route_key(real_url)}"

    def hosts(self) -> list[str]:
        return sorted({key.split("/", 1)[0] for key in self.routes})

    def origins(self) -> dict[str, str]:
        """The TINTINH_ORIGINS setting that crawls every mirrored host from this server."""
        return {host: f"http://127.0.0.1:{self.port}/{host}" for host in self.hosts()}
