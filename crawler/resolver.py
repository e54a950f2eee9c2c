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
    """Loopback names only; `*.localhost` names are 127.0.0.1 (RFC 6761 §6.3) even where the
    system resolver does not know them, so tests can give a local server several names.

    It only answers: whether a crawl may connect to the address is crawler.guard's decision."""

    def getHostByName(self, name: str, timeout=()):
        if not is_loopback(name):
            return defer.fail(DNSLookupError(f"{name}: offline crawl resolves loopback names only"))
        if name.lower().rstrip(".").endswith(".localhost"):
            return defer.succeed("127.0.0.1")
        return super().getHostByName(name, timeout)
