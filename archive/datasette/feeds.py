"""The Atom feed of a search: /<database>/search_feed.atom?q=… (datasette-atom over the
`search_feed` canned query of metadata.yml, whose columns follow its conventions: atom_id,
atom_title, atom_updated, atom_link, atom_author_name, atom_content).

Two things datasette-atom cannot do for a canned query are done around it, in the plugin's ASGI
wrapper: the feed is titled after the search ("lao cai — tintinh") rather than after the query,
whose configured title wins over everything in datasette-atom, so that feeds of several topics
can be told apart in a reader; and a search that finds nothing is an empty feed, not the
HTTP 500 of datasette-atom's max() over no rows.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from xml.sax.saxutils import escape

from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
FEED_QUERY = "search_feed"
FEED_PATH = re.compile(rf"^/(?P<route>[^/]+)/{FEED_QUERY}\.atom$")
FILTERS = (("paper", "paper"), ("province", "province"))
# datasette-atom 0.9 takes max(atom_updated) over the rows, which fails on none
EMPTY_RESULT_ERROR = b"max() arg is an empty sequence"


def feed_title(args: dict[str, list[str]]) -> str:
    """"lao cai — tintinh", with the filters: "lao cai · paper baolaocai · province Lào Cai — tintinh"."""
    words = (args.get("q") or [""])[0].strip()
    parts = [words or "(no words)"] + [f"{label} {args[name][0].strip()}" for name, label in FILTERS
                                       if (args.get(name) or [""])[0].strip()]
    return " · ".join(parts) + " — tintinh"


def retitled(body: bytes, title: str) -> bytes:
    """The Atom document `body` with its feed title replaced by `title`."""
    root = etree.fromstring(body)
    element = root.find(f"{{{ATOM}}}title")
    if element is None:
        element = etree.SubElement(root, f"{{{ATOM}}}title")
    element.text = title
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def empty_feed(url: str, title: str) -> bytes:
    """A valid Atom feed without entries (nothing matches the search yet)."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="{ATOM}">\n'
            f"  <id>{escape(url)}</id>\n  <title>{escape(title)}</title>\n  <updated>{now}</updated>\n"
            f'  <link href="{escape(url, {chr(34): "&quot;"})}" rel="self"/>\n'
            f'  <generator uri="https://github.com/simonw/datasette">Datasette</generator>\n</feed>\n'
            ).encode("utf-8")


def _url(scope) -> str:
    host = dict(scope.get("headers") or []).get(b"host", b"localhost").decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('path', '')}" + (f"?{query}" if query else "")


async def with_feed_title(app, scope, receive, send, args: dict[str, list[str]]) -> None:
    """Run datasette (`app`) on a search_feed.atom request and send its feed retitled after the
    search; an HTTP 500 from an empty result becomes an empty feed."""
    start: dict = {}
    chunks: list[bytes] = []

    async def capture(message):
        if message["type"] == "http.response.start":
            start.update(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body, status, headers = b"".join(chunks), start["status"], list(start.get("headers", []))
        title = feed_title(args)
        if status == 200:
            body = retitled(body, title)
        elif status == 500 and EMPTY_RESULT_ERROR in body:
            body, status = empty_feed(_url(scope), title), 200
            headers = [(b"content-type", b"application/xml; charset=utf-8")]
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    await app(scope, receive, capture)
