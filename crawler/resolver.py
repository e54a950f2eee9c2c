"""A DNS resolver for offline crawls (tests, `tintinh demo`): it answers for loopback names
only and fails every other lookup at once, as a DNS failure, so an offline crawl never sends
a query off the machine. Enabled with `DNS_RESOLVER = "crawler.resolver.LoopbackOnlyResolver"`.
"""
from __future__ import annotations

import ipaddress

from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from scrapy.resolver import CachingThreadedResolver

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(name: str) -> bool:
    name = name.strip("[]").lower().rstrip(".")
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class LoopbackOnlyResolver(CachingThreadedResolver):
    def getHostByName(self, name: str, timeout=()):
        if not is_loopback(name):
            return defer.fail(DNSLookupError(f"{name}: offline crawl resolves loopback names only"))
        return super().getHostByName(name, timeout)
