"""A hostile site for the crawl tests: a server on 127.0.0.1 whose routes are small functions
free to misbehave (redirect elsewhere, lie about sizes and charsets, stream forever, bomb).

    routes = {"/": page(HOME), "/tin-a-123456.html": redirect("http://127.0.0.2:9/secret")}
    with HostileServer(routes) as site:
        run_crawl(["--url", site.url("/")], db)
        assert "/tin-a-123456.html" in site.served

A route is `fn(handler)` where handler is the http.server request handler: it writes the status,
headers and body itself, so it can send anything a broken or hostile server would. The helpers
below cover the usual answers. Only 127.0.0.x is ever bound.
"""
from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

Route = Callable[[BaseHTTPRequestHandler], None]

NOT_FOUND = b"<!doctype html><title>404</title><h1>Not found</h1>"


def respond(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"",
            headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
    if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
        headers["Content-Length"] = str(len(body))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    if body:
        handler.wfile.write(body)


def page(body: bytes | str, status: int = 200, content_type: str = "text/html; charset=utf-8",
         **headers: str) -> Route:
    """A plain answer."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return lambda h: respond(h, status, data, {"Content-Type": content_type, **headers})


def redirect(location: str, status: int = 301) -> Route:
    return lambda h: respond(h, status, b"", {"Location": location})


def gzipped(body: bytes, content_type: str = "text/html; charset=utf-8") -> Route:
    """The body sent with Content-Encoding: gzip (a bomb when the body is large and repetitive)."""
    data = gzip.compress(body, compresslevel=9)
    return lambda h: respond(h, 200, data, {"Content-Type": content_type, "Content-Encoding": "gzip"})


def chunked(chunks, content_type: str = "text/html; charset=utf-8", pause: float = 0.0) -> Route:
    """The body sent chunked, with no Content-Length (its size is known only when it ends)."""
    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for chunk in chunks() if callable(chunks) else chunks:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if pause:
                time.sleep(pause)
        h.wfile.write(b"0\r\n\r\n")
    return route


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    routes: dict[str, Route] = {}
    served: list[str] = []

    def do_GET(self):
        self.served.append(self.path)
        route = self.routes.get(self.path) or self.routes.get(self.path.split("?", 1)[0])
        try:
            if route is None:
                respond(self, 404, NOT_FOUND)
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler hung up (a size limit, a timeout): that is the point
        self.close_connection = True

    def log_message(self, format, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class HostileServer:
    """`routes` ({path: route}) served from a thread on `host` (a 127.0.0.x address), free port."""

    def __init__(self, routes: dict[str, Route], host: str = "127.0.0.1"):
        assert host.startswith("127."), "the tests only ever serve on loopback"
        self.routes = routes
        self.served: list[str] = []   # paths asked for, in order
        handler = type("Handler", (_Handler,), {"routes": routes, "served": self.served})
        self.httpd = _Server((host, 0), handler)
        self.host, self.port = host, self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "HostileServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.origin + path


_WORDS = ("nông dân lúa gạo mưa lũ đường sá trường học bệnh viện chợ phiên du lịch rừng núi biên giới "
          "cửa khẩu hàng hóa giá cả thời tiết giao thông cầu cống điện lưới nước sạch văn hóa lễ hội "
          "dân tộc thanh niên công nhân doanh nghiệp ngân hàng bảo hiểm xã hội hợp tác xã").split()


def article_page(n: int) -> bytes:
    """A distinct article page that extracts as one: its words are drawn with `n` as the seed, so
    no two numbers give near-duplicates (the archive would keep only one of them)."""
    import random
    rng = random.Random(n)
    paragraphs = "".join("<p>" + " ".join(rng.choice(_WORDS) for _ in range(40)) + ".</p>" for _ in range(4))
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Bài số {n}</title></head>'
            f'<body><article><h1>Bài báo số {n}: {" ".join(rng.choice(_WORDS) for _ in range(5))}</h1>'
            f'{paragraphs}</article></body></html>').encode("utf-8")


def conditional(body: bytes | str, etag: str | None = None, last_modified: str | None = None,
                content_type: str = "text/html; charset=utf-8", log: list | None = None) -> Route:
    """A page with validators (ETag and/or Last-Modified) that answers 304 Not Modified to a
    request whose If-None-Match or If-Modified-Since matches them. `log` gets each request's
    (path, If-None-Match, If-Modified-Since, status answered)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    validators = {k: v for k, v in (("ETag", etag), ("Last-Modified", last_modified)) if v}

    def route(h: BaseHTTPRequestHandler) -> None:
        asked_etag, asked_since = h.headers.get("If-None-Match"), h.headers.get("If-Modified-Since")
        unchanged = (etag and asked_etag == etag) or (not etag and last_modified and asked_since == last_modified)
        if log is not None:
            log.append((h.path, asked_etag, asked_since, 304 if unchanged else 200))
        if unchanged:
            respond(h, 304, b"", {**validators, "Content-Length": "0"})
        else:
            respond(h, 200, data, {"Content-Type": content_type, **validators})
    return route
