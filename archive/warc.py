"""WARC (ISO 28500) in and out: raw pages as the web-archiving world keeps them.

`WarcOut` writes fetches as request/response/metadata records, gzip per record, so `warcio
index`/`check` read them and pywb replays them; with `max_bytes` it rotates to a new file when one
grows past that size (a crawl writing WARC as it goes). `export_warc` writes an archive's stored
raw pages. `read_fetches` streams the HTML responses of a WARC/ARC file one record at a time:
records that are not wanted are skipped without reading or decoding their payload, and a broken
record is reported with its offset and the reading goes on where it can.

The bodies the archive keeps are the decoded payload (no Content-Encoding, no chunking), so the
response records carry those bytes with a Content-Length to match.
"""
from __future__ import annotations

import io
import json
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.export import site_since

SOFTWARE = "tintinh/0.1 (https://github.com/tintinh/tintinh)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Headers that describe the transfer, not the payload we keep: dropped, Content-Length rewritten.
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
MAX_RECORD_BYTES = 8 * 1024 * 1024   # a larger payload is a failure, never read into memory


def warc_date(iso: str | None) -> str:
    """An ISO 8601 time (any offset) as WARC-Date: UTC, second precision, trailing Z."""
    moment = datetime.fromisoformat(iso) if iso else datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_from_warc_date(value: str) -> str:
    """WARC-Date (2026-11-30T06:24:30Z, maybe with fractions) → the archive's ISO form (+00:00)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


class WarcOut:
    """Writes fetches to `path` (a .warc.gz file), or to numbered files `<prefix>-00001.warc.gz`
    in a directory when `max_bytes` is given, starting a new one past that size."""

    def __init__(self, path: str | Path, *, max_bytes: int | None = None, info: dict | None = None):
        self.path, self.max_bytes, self.info = Path(path), max_bytes, dict(info or {})
        self.files: list[Path] = []
        self.records = 0
        self._out: BinaryIO | None = None
        self._writer: WARCWriter | None = None
        if max_bytes is None:
            self._open(self.path)

    def _open(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._out = open(path, "wb")
        self.files.append(path)
        self._writer = WARCWriter(self._out, gzip=True)
        fields = {"software": SOFTWARE, "format": "WARC File Format 1.1", **self.info}
        self._writer.write_record(self._writer.create_warcinfo_record(path.name, fields))

    def _next_file(self) -> Path:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        return self.path / f"tintinh-{stamp}-{len(self.files) + 1:05d}.warc.gz"

    def write_fetch(self, *, url: str, status: int, headers: dict, body: bytes, fetched_at: str | None,
                    request_headers: dict | None = None, metadata: dict | None = None,
                    decoded: bool = True) -> None:
        """One fetch as a request, a response and (with `metadata`) a metadata record. `decoded`:
        the body is the payload after Content-Encoding was undone (the header is then dropped)."""
        if self._out is None or self.max_bytes and self._out.tell() >= self.max_bytes:
            self.close()
            self._open(self._next_file())
        writer, date = self._writer, warc_date(fetched_at)
        response_id = f"<urn:uuid:{uuid.uuid4()}>"
        dropped = _TRANSFER_HEADERS if decoded else _TRANSFER_HEADERS - {"content-encoding"}
        kept = [(k, v) for k, v in headers.items() if k.lower() not in dropped]
        kept.append(("Content-Length", str(len(body))))
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Unknown"
        response = writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders(f"{status} {reason}", kept, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": response_id})
        writer.write_record(response)
        host = url.split("/", 3)[2] if "//" in url else ""
        path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
        request = writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders(f"GET {path} HTTP/1.1",
                                          [("Host", host), *(request_headers or {}).items()],
                                          is_http_request=True),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id})
        writer.write_record(request)
        self.records += 2
        if metadata:
            fields = "".join(f"{k}: {v}\r\n" for k, v in metadata.items() if v is not None).encode("utf-8")
            record = writer.create_warc_record(
                url, "metadata", payload=io.BytesIO(fields), length=len(fields),
                warc_content_type="application/warc-fields",
                warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id})
            writer.write_record(record)
            self.records += 1

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = self._writer = None

    def __enter__(self) -> "WarcOut":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def export_warc(archive, path: str | Path, *, site: str | None = None, since: str | None = None) -> int:
    """Write the archive's raw pages (successful fetches with a body) to one .warc.gz; return how
    many pages. `since` compares with the fetch date."""
    where, params = site_since(site, since, "p.fetched_at")
    where += ["p.status BETWEEN 200 AND 299", "p.body_sha1 IS NOT NULL"]
    sql = ("SELECT p.id, coalesce(p.final_url, p.url), p.url, p.status, p.headers, p.fetched_at, p.site,"
           " p.run_id, p.failure, a.extractor, a.id FROM pages AS p"
           " LEFT JOIN articles AS a ON a.page_id = p.id"
           f" WHERE {' AND '.join(where)} ORDER BY p.id")
    n = 0
    with WarcOut(path, info={"description": f"tintinh archive {archive.path.name}"}) as out:
        for pid, url, asked, status, headers, fetched_at, slug, run_id, failure, extractor, article_id \
                in archive.conn.execute(sql, params).fetchall():
            body = archive.page_body(pid)
            if body is None:
                continue
            out.write_fetch(url=url, status=status, headers=json.loads(headers or "{}"), body=body,
                            fetched_at=fetched_at, metadata={
                                "tintinh-site": slug, "tintinh-crawl-run": run_id,
                                "tintinh-page-id": pid, "tintinh-requested-url": asked if asked != url else None,
                                "tintinh-extractor": extractor, "tintinh-article-id": article_id,
                                "tintinh-failure": failure})
            n += 1
    return n


@dataclass
class WarcFetch:
    """One HTML response of a WARC file, or (with `problem`) a record that could not be read."""
    source: str                 # file name
    offset: int
    url: str = ""
    fetched_at: str = ""
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: bytes = field(default=b"", repr=False)
    problem: str = ""           # a failure reason: warc_corrupt, too_large, …
    detail: str = ""


def _read_at_most(stream, limit: int) -> bytes | None:
    """The whole stream if it holds at most `limit` bytes, else None (the rest read and dropped)."""
    chunks, size = [], 0
    while chunk := stream.read(1 << 16):
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif chunks:
            chunks = []
    return b"".join(chunks) if size <= limit else None


def read_fetches(stream: BinaryIO, source: str, wanted: Callable[[str], bool] = lambda url: True,
                 max_bytes: int = MAX_RECORD_BYTES) -> Iterator[WarcFetch]:
    """The HTML `response` records of a WARC/ARC stream whose URL is `wanted`, one at a time.

    Other records (requests, metadata, revisits, non-HTML, unwanted hosts) are skipped without
    reading their payload. A corrupt or truncated record gives a WarcFetch with `problem` and
    the reading stops there (a gzip member cannot be resynchronised reliably), having yielded
    everything before it."""
    records = ArchiveIterator(stream, arc2warc=True, ensure_http_headers=False)
    try:
        for record in records:
            offset = records.offset   # get_record_offset() would read the record to its end
            if record.rec_type != "response" or record.http_headers is None:
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            content_type = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
            if content_type not in HTML_TYPES or not wanted(url):
                continue
            try:
                status = int(record.http_headers.get_statuscode() or 0)
            except ValueError:
                status = 0
            fetch = WarcFetch(source=source, offset=offset, url=url, status=status,
                              fetched_at=iso_from_warc_date(record.rec_headers.get_header("WARC-Date")
                                                            or warc_date(None)),
                              headers={k.lower(): v for k, v in record.http_headers.headers})
            body = _read_at_most(record.content_stream(), max_bytes)
            missing = getattr(record.raw_stream, "limit", 0)
            if missing:   # the file ended inside the record
                fetch.problem, fetch.detail = "warc_truncated", f"record ends {missing:,} bytes short"
                fetch.body = b""
                yield fetch
                return
            if body is None:
                fetch.problem, fetch.detail = "too_large", f"payload over {max_bytes:,} bytes"
            else:
                fetch.body = body
            yield fetch
    except (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error) as e:
        offset = records.offset if hasattr(records, "offset") else 0
        yield WarcFetch(source=source, offset=offset, problem="warc_corrupt",
                        detail=f"{type(e).__name__}: {e}"[:500])
