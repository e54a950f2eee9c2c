import pytest

from crawler.resolver import is_loopback


@pytest.mark.parametrize("name, loopback", [
    ("127.0.0.1", True), ("127.3.4.5", True), ("localhost", True), ("LOCALHOST.", True),
    ("mirror.localhost", True), ("::1", True), ("[::1]", True),
    ("baolaocai.vn", False), ("10.255.255.53", False), ("192.168.1.1", False),
    ("khong-ton-tai.invalid", False), ("localhost.vn", False),
])
def test_offline_resolver_answers_for_loopback_names_only(name, loopback):
    assert is_loopback(name) is loopback


def test_offline_resolver_answers_localhost_subdomains_itself():
    from twisted.internet.error import DNSLookupError

    from crawler.resolver import LoopbackOnlyResolver

    resolver = LoopbackOnlyResolver(reactor=None, cache_size=10000, timeout=1)
    answered, failed = [], []
    resolver.getHostByName("www.tinh.localhost").addCallback(answered.append)
    resolver.getHostByName("baolaocai.vn").addErrback(failed.append)
    assert answered == ["127.0.0.1"]
    assert failed[0].check(DNSLookupError)
