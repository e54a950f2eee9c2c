"""Write every response of a crawl to WARC as it comes, for people who keep WARC as their
archive of record: `-s TINTINH_WARC_DIR=warc/` (files rotate past TINTINH_WARC_MAX_BYTES).

A downloader middleware next to the downloader: every response (articles, feeds, sitemaps,
robots.txt, redirects, error pages) becomes a request, a response and a metadata record
(archive.warc.WarcOut) before any other middleware sees it, so the payload is the bytes as sent
(still gzip when the server sent Content-Encoding: gzip; de-chunked by the HTTP client).
"""
from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.warc import WarcOut
from crawler.robots import KEPT_FLAG


def _headers(scrapy_headers) -> dict[str, str]:
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in scrapy_headers.items()}


class WarcRecorder:
    def __init__(self, directory: str, max_bytes: int, info: dict):
        self.out = WarcOut(directory, max_bytes=max_bytes, info=info)

    @classmethod
    def from_crawler(cls, crawler):
        directory = crawler.settings.get("TINTINH_WARC_DIR")
        if not directory:
            raise NotConfigured
        recorder = cls(directory, crawler.settings.getint("TINTINH_WARC_MAX_BYTES"),
                       {"operator": crawler.settings.get("USER_AGENT", "")})
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def process_response(self, request, response):
        if KEPT_FLAG in response.flags:   # robots.txt handed to discovery: recorded when it was fetched
            return response
        self.out.write_fetch(
            url=response.url, status=response.status, decoded=False,
            headers=_headers(response.headers), body=response.body, fetched_at=None,
            request_headers=_headers(request.headers),
            metadata={"tintinh-kind": request.meta.get("kind"), "tintinh-site": request.meta.get("site")})
        return response

    def spider_closed(self, spider):
        self.out.close()
