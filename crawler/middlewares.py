"""Fetch a registered site from a mirror origin while the crawl keeps seeing the real URLs.

`TINTINH_ORIGINS = {"baolaocai": "http://127.0.0.1:8000"}` sends every request for baolaocai.vn
(any of its current or old domains) to the mirror. The swap happens in the download handler, the
last step before the network, so robots.txt, redirects, duplicate filtering, the spider and the
archive all work on https://baolaocai.vn/… and never see 127.0.0.1.

The same handler is where every connection's address is checked (crawler.guard.AddressGuard):
only the origins the user named (`--url`, the mirrors) may be private or loopback addresses.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import CannotResolveHostError

from crawler.guard import AddressGuard, Refused, check_literal, named_origins
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
    """HTTP(S) download handler that routes mapped hosts to their mirror origin and refuses
    connections to forbidden addresses (see crawler.guard)."""

    lazy = False

    def __init__(self, crawler):
        self._crawler = crawler
        self._http = HTTP11DownloadHandler(crawler)
        self._origins = crawler.settings.getdict("TINTINH_ORIGINS")
        self._hosts = origin_map(self._origins)
        self._guard: AddressGuard | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _address_guard(self) -> AddressGuard:
        from twisted.internet import reactor

        if self._guard is None:   # the spider (its --url) is known once requests flow
            self._guard = AddressGuard(reactor.nameResolver, named_origins(self._crawler.spider, self._origins))
        # Installed at every download: it wraps whatever resolver DNS_RESOLVER put on the reactor,
        # and a resolver installed later cannot get around it.
        self._guard.install(reactor)
        return self._guard

    async def download_request(self, request):
        guard = self._address_guard()
        parts = urlsplit(request.url)
        base = self._hosts.get(bare_host(parts.hostname or ""))
        if base is None:
            check_literal(request.url, guard.named)
            return await self._fetch(request, guard)
        mirrored = mirror_url(request.url, base)
        check_literal(mirrored, guard.named)
        try:
            response = await self._fetch(request.replace(url=mirrored), guard)
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

    async def _fetch(self, request, guard: AddressGuard):
        try:
            return await self._http.download_request(request)
        except CannotResolveHostError as e:
            # a name whose every address was refused has "no address": say why
            if why := guard.refusal(urlsplit(request.url).hostname or ""):
                raise Refused("forbidden_address", f"{why}, not fetched ({request.url})") from e
            raise

    async def close(self):
        await self._http.close()
