"""Every request of a crawl stays on the crawl target, and no connection reaches a private address.

Two checks, both before a byte of the request is sent:

- By name, in `StayOnSiteMiddleware` (a downloader middleware placed before robots.txt): the URL's
  host must be one of the crawl target's — the registry domains of the sites crawled (current and
  old, in their www./m./amp. forms, ports 80/443), or for `crawl --url URL` that URL's host and
  port. Redirects and meta refreshes come back through the middlewares as new requests, so they
  are checked too. Refused as `off_site_redirect` when a redirect led there, else `off_site`.
- By address, in `AddressGuard`: it wraps whatever name resolver the reactor uses (DNS_RESOLVER,
  TWISTED_DNS_RESOLVER) and drops, at connection time, every address that is private, loopback,
  link-local, shared (CGNAT), multicast, reserved…, so a public name that resolves to an internal
  address (DNS rebinding) is refused. The origins the user named exactly (`--url`'s host and port,
  TINTINH_ORIGINS mirrors) may be local. Refused as `forbidden_address`.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer

from crawler.sites import bare_host

DEFAULT_PORTS = {"http": 80, "https": 443}


class Refused(IgnoreRequest):
    """A request tintinh will not send; `reason` is the failure reason recorded for it."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


# -- addresses ------------------------------------------------------------------------------------

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network
# Not reachable on the public internet, or not a single host: a crawl has no business there.
FORBIDDEN_NETWORKS = [
    (_V4("0.0.0.0/8"), "unspecified"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "shared address space (CGNAT)"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local (cloud metadata)"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "IETF protocol assignments"),
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("192.88.99.0/24"), "6to4 relay anycast"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "benchmarking"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("240.0.0.0/4"), "reserved"),               # includes 255.255.255.255 broadcast
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("::/96"), "IPv4-compatible (deprecated)"),
    (_V6("64:ff9b:1::/48"), "local-use NAT64"),
    (_V6("100::/64"), "discard-only"),
    (_V6("2001::/23"), "IETF protocol assignments"),  # includes Teredo 2001::/32
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("fc00::/7"), "unique local (private)"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local (deprecated)"),
    (_V6("ff00::/8"), "multicast"),
]
_NAT64 = _V6("64:ff9b::/96")


def forbidden_kind(address: str) -> str:
    """What kind of non-public address `address` is ("loopback", "private"…), "" for a public one.

    IPv6 addresses that carry an IPv4 one (::ffff:10.0.0.1, 6to4 2002:a00:1::, NAT64
    64:ff9b::a00:1) are judged by the IPv4 address they lead to. Not an IP address: "not an IP
    address" (refused too).
    """
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if embedded is not None:
            kind = forbidden_kind(str(embedded))
            return f"{kind} ({embedded} inside IPv6)" if kind else ""
    for network, kind in FORBIDDEN_NETWORKS:
        if ip.version == network.version and ip in network:
            return kind
    return "" if ip.is_global else "reserved"


def host_key(host: str) -> str:
    """A host as named in a URL → how origins are compared: IP addresses normalised, names
    lower-case in their ASCII (punycode) form."""
    host = (host or "").strip("[]").lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def origin_of(url: str) -> tuple[str, int] | None:
    """(host key, port) of an http(s) URL, the port defaulted by scheme; None when it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return host_key(parts.hostname), port or DEFAULT_PORTS[parts.scheme]


def check_literal(url: str, named: frozenset[tuple[str, int]]) -> None:
    """Raise Refused("forbidden_address") when the URL's host is a forbidden IP literal."""
    origin = origin_of(url)
    if origin is None or origin in named:
        return
    host, port = origin
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return   # a name: checked when it is resolved
    if kind := forbidden_kind(host):
        raise Refused("forbidden_address", f"{host} is a {kind} address, not fetched ({url})")


@implementer(IHostnameResolver)
class AddressGuard:
    """An IHostnameResolver around another one that passes on public addresses only.

    `named` origins ((host key, port)) are passed through unchecked: the user named them. When
    every address of a name is refused, the connection fails as a DNS failure with no address;
    `refusal(host)` then says why, so the download handler can report `forbidden_address`.
    """

    def __init__(self, resolver, named: frozenset[tuple[str, int]]):
        self.resolver = resolver
        self.named = named
        self._refused: dict[str, str] = {}   # host key → why its latest lookup gave nothing usable

    def install(self, reactor) -> None:
        """Wrap the reactor's current name resolver (again, if something replaced this guard).

        Another guard found there (Scrapy builds one download handler per scheme) is unwrapped,
        not wrapped: guards never nest, whichever installed itself last checks the lookup."""
        current = reactor.nameResolver
        if current is self:
            return
        while isinstance(current, AddressGuard):
            current = current.resolver
        self.resolver = current
        reactor.installNameResolver(self)

    def refusal(self, host: str) -> str:
        return self._refused.get(host_key(host), "")

    def resolveHostName(self, resolutionReceiver, hostName, portNumber=0, addressTypes=None,
                        transportSemantics="TCP"):
        if (host_key(hostName), portNumber) in self.named:
            receiver = resolutionReceiver
        else:
            receiver = _PublicOnly(resolutionReceiver, self, host_key(hostName))
        return self.resolver.resolveHostName(receiver, hostName, portNumber, addressTypes,
                                             transportSemantics)


@implementer(IResolutionReceiver)
class _PublicOnly:
    """Passes the public addresses of one lookup on; remembers the refused ones."""

    def __init__(self, receiver, guard: AddressGuard, host: str):
        self.receiver, self.guard, self.host = receiver, guard, host
        self.passed, self.refused = 0, []

    def resolutionBegan(self, resolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address) -> None:
        if kind := forbidden_kind(address.host):
            self.refused.append(f"{address.host} ({kind})")
        else:
            self.passed += 1
            self.receiver.addressResolved(address)

    def resolutionComplete(self) -> None:
        if self.refused and not self.passed:
            self.guard._refused[self.host] = (f"{self.host} resolves to a forbidden address: "
                                              + ", ".join(self.refused))
        else:
            self.guard._refused.pop(self.host, None)
        self.receiver.resolutionComplete()


# -- the crawl target -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CrawlScope:
    """The hosts a crawl may send requests to.

    `hosts`: bare hosts (no www./m./amp.) reachable on the default ports 80 and 443, for the
    registered sites crawled. `origins`: (bare host or IP, port) pairs for `--url`.
    """
    hosts: frozenset[str] = frozenset()
    origins: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def for_spider(cls, spider) -> "CrawlScope | None":
        """The scope of a NewsSpider (its registered sites and start URL); None for a spider
        that declares neither (then only the address check applies)."""
        sites = getattr(spider, "sites", None)
        start_url = getattr(spider, "start_url", "")
        if sites is None and not start_url:
            return None
        hosts = {bare_host(h) for site in sites or () for h in site.domains + site.old_domains}
        origins = set()
        if start_url and (origin := origin_of(start_url)):
            host, port = origin
            host = _site_host(host)
            if port in DEFAULT_PORTS.values():
                origins |= {(host, p) for p in DEFAULT_PORTS.values()}   # http ↔ https is one site
            else:
                origins.add((host, port))
        return cls(frozenset(hosts), frozenset(origins))

    def allows(self, url: str) -> bool:
        origin = origin_of(url)
        if origin is None:
            return False
        host, port = _site_host(origin[0]), origin[1]
        return (host in self.hosts and port in DEFAULT_PORTS.values()) or (host, port) in self.origins


def _site_host(key: str) -> str:
    """A host key without the www./m./amp. prefix (IP addresses unchanged)."""
    try:
        ipaddress.ip_address(key)
        return key
    except ValueError:
        return bare_host(key)


def named_origins(spider, origins: dict[str, str]) -> frozenset[tuple[str, int]]:
    """The origins the user named exactly, which may be local: `--url`'s and the mirrors'."""
    urls = [getattr(spider, "start_url", "") or "", *origins.values()]
    return frozenset(o for url in urls if (o := origin_of(url)) is not None)


class StayOnSiteMiddleware:
    """Downloader middleware: refuses any request outside the crawl target before it is sent.

    It must come before RobotsTxtMiddleware (100), or robots.txt would be fetched from the other
    host first; redirects (RedirectMiddleware, MetaRefreshMiddleware) are new requests that pass
    here again.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self._scope: CrawlScope | None = None
        self._scoped = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def scope(self) -> CrawlScope | None:
        if not self._scoped:
            self._scope, self._scoped = CrawlScope.for_spider(self.crawler.spider), True
        return self._scope

    def process_request(self, request):
        scope = self.scope
        if scope is None or scope.allows(request.url):
            return None
        self.crawler.stats.inc_value("tintinh/off_site")
        origin = origin_of(request.url)
        where = f"{origin[0]}:{origin[1]}" if origin else request.url
        redirects = request.meta.get("redirect_urls")
        if redirects:
            how = (request.meta.get("redirect_reasons") or ["redirect"])[-1]
            how = f"HTTP {how}" if isinstance(how, int) else how
            raise Refused("off_site_redirect", f"{redirects[-1]} led to {request.url} ({how}):"
                                               f" {where} is not a host of this crawl")
        raise Refused("off_site", f"{request.url}: {where} is not a host of this crawl")
