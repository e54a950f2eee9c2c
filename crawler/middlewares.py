"""Fetch a registered site from a mirror origin while the crawl keeps seeing the real URLs.

`TINTINH_ORIGINS = {"baolaocai": "http://127.0.0.1:8000"}` sends every request for baolaocai.vn
(any of its current or old domains) to the mirror. The swap happens in the download handler, the
last step before the network, so robots.txt, redirects, duplicate filtering, the spider and the
archive all work on https://baolaocai.vn/… and never see 127.0.0.1.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

from crawler.sites import bare_host, load_sites


def origin_map(origins: dict[str, str]) -> dict[str, str]:
    """{slug or host: base URL} → {bare host: base URL without trailing slash}."""
    sites = load_sites()
    hosts: dict[str, str] = {}
    for key, base in origins.items():
        base = base.rstrip("/")
        if key in sites:
            for host in sites[key].domains + sites[key].old_domains:
                hosts[host] = base
        else:
            hosts[bare_host(key)] = base
    return hosts


def mirror_url(url: str, base: str) -> str:
    """https://host/a/b?q → <base>/a/b?q"""
    parts = urlsplit(url)
    return base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def real_url(url: str, base: str, real_origin: str) -> str:
    """A mirror URL (e.g. in a Location header) back to the real site; other URLs unchanged."""
    if url == base or url.startswith(base + "/"):
        return real_origin + (url[len(base):] or "/")
    return url


class MirrorDownloadHandler:
    """HTTP(S) download handler that routes mapped hosts to their mirror origin."""

    lazy = False

    def __init__(self, crawler):
        self._http = HTTP11DownloadHandler(crawler)
        self._hosts = origin_map(crawler.settings.getdict("TINTINH_ORIGINS"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def download_request(self, request):
        parts = urlsplit(request.url)
        base = self._hosts.get(bare_host(parts.hostname or ""))
        if base is None:
            return await self._http.download_request(request)
        mirrored = mirror_url(request.url, base)
        try:
            response = await self._http.download_request(request.replace(url=mirrored))
        except Exception as e:
            # error messages name the URL: keep naming the real one
            text = str(e)
            if mirrored not in text:
                raise
            try:
                clone = type(e)(text.replace(mirrored, request.url))
            except Exception:
                raise e from None
            raise clone from e
        origin = f"{parts.scheme}://{parts.netloc}"
        location = response.headers.get(b"Location")
        headers = response.headers.copy()
        if location:
            headers[b"Location"] = real_url(location.decode("latin-1"), base, origin).encode("latin-1")
        return response.replace(url=request.url, headers=headers)

    async def close(self):
        await self._http.close()
