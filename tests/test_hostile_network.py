"""No request leaves the crawl target, no connection reaches an internal address, robots.txt is
read as RFC 9309 says.

The crawls run `tintinh crawl` (real Scrapy engine, subprocess) against tests/hostile.py servers:
the site on 127.0.0.1, and an "internal service" on 127.0.0.2 that must never be asked anything.
The address checks are also tested directly: a table of addresses, and the resolver wrapper fed
by a resolver whose answers the test chooses (DNS rebinding).
"""
import gzip
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.exceptions import CannotResolveHostError
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.python.failure import Failure

from crawler.guard import AddressGuard, CrawlScope, Refused, check_literal, forbidden_kind, named_origins
from crawler.robots import PARSE_LIMIT, RobotsUnavailable, robots_body
from crawler.sites import get_site
from crawler.spiders.news import failure_reason
from hostile import HostileServer, chunked, page, redirect
from mockserver import run_crawl

ARTICLE = gzip.decompress((Path(__file__).parent / "fixtures/site/baolaocai-404649.html.gz").read_bytes())


def links(*urls: str, head: str = "") -> str:
    return (f"<html><head>{head}</head><body>"
            + " ".join(f'<a href="{u}">tin</a>' for u in urls) + "</body></html>")


def failures(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT url, reason FROM failures"))


def archived(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [url for (url,) in conn.execute("SELECT url FROM articles ORDER BY url")]


@pytest.fixture
def internal():
    """The internal service a hostile site points at: it must stay unasked."""
    with HostileServer({"/secret-123456.html": page(ARTICLE), "/feed.rss": page("<rss/>"),
                        "/sitemap.xml": page("<urlset/>")}, host="127.0.0.2") as server:
        yield server


# -- which addresses are forbidden -------------------------------------------------------------------

@pytest.mark.parametrize("address, kind", [
    ("93.184.216.34", ""), ("8.8.8.8", ""), ("100.128.0.1", ""), ("172.32.0.1", ""),
    ("2606:4700:4700::1111", ""), ("::ffff:8.8.8.8", ""), ("64:ff9b::808:808", ""),
    ("127.0.0.1", "loopback"), ("127.255.0.2", "loopback"), ("::1", "loopback"), ("[::1]", "loopback"),
    ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("172.31.255.255", "private"),
    ("192.168.1.1", "private"), ("fd12:3456::1", "unique local"), ("fc00::1", "unique local"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"),
    ("100.64.0.1", "shared address space"), ("100.127.255.254", "shared address space"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"),
    ("192.0.2.7", "documentation"), ("2001:db8::1", "documentation"), ("198.18.0.1", "benchmarking"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.1.2.3", "private"),
    ("::ffff:169.254.169.254", "link-local"), ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 of metadata
    ("64:ff9b::a00:1", "private"), ("::127.0.0.1", "IPv4-compatible"), ("fec0::1", "site-local"),
    ("metadata.google.internal", "not an IP address"),
])
def test_address_classifier_names_every_non_public_address(address, kind):
    got = forbidden_kind(address)
    assert got.startswith(kind) if kind else got == ""


def test_ip_literal_host_is_checked_without_any_lookup():
    with pytest.raises(Refused) as refused:
        check_literal("http://169.254.169.254/latest/meta-data/", frozenset())
    assert refused.value.reason == "forbidden_address" and "link-local" in refused.value.detail
    with pytest.raises(Refused):
        check_literal("http://[::ffff:7f00:1]:8000/", frozenset())
    check_literal("http://127.0.0.1:8000/", frozenset({("127.0.0.1", 8000)}))   # named by the user
    check_literal("https://93.184.216.34/", frozenset())
    check_literal("https://baolaocai.vn/", frozenset())                          # a name: checked when resolved


# -- the address guard around whatever resolver is installed ----------------------------------------

class AnsweringResolver:
    """An IHostnameResolver whose answers the test sets (a DNS server that rebinds)."""

    def __init__(self, answers: dict[str, list[str]]):
        self.answers = answers

    def resolveHostName(self, receiver, hostName, portNumber=0, addressTypes=None, transportSemantics="TCP"):
        receiver.resolutionBegan(None)
        for address in self.answers[hostName]:
            kind = IPv6Address if ":" in address else IPv4Address
            receiver.addressResolved(kind("TCP", address, portNumber))
        receiver.resolutionComplete()


class Collected:
    def __init__(self):
        self.addresses, self.complete = [], False

    def resolutionBegan(self, resolution):
        pass

    def addressResolved(self, address):
        self.addresses.append(address.host)

    def resolutionComplete(self):
        self.complete = True


def resolve(guard: AddressGuard, name: str, port: int = 443) -> list[str]:
    got = Collected()
    guard.resolveHostName(got, name, port)
    assert got.complete
    return got.addresses


def test_a_public_name_rebound_to_an_internal_address_gets_no_address():
    answers = {"tin.example": ["93.184.216.34"]}
    guard = AddressGuard(AnsweringResolver(answers), frozenset())
    assert resolve(guard, "tin.example") == ["93.184.216.34"]
    answers["tin.example"] = ["169.254.169.254"]              # the next lookup answers the metadata IP
    assert resolve(guard, "tin.example") == []
    assert "169.254.169.254 (link-local" in guard.refusal("tin.example")
    answers["tin.example"] = ["93.184.216.34"]
    assert resolve(guard, "tin.example") == ["93.184.216.34"] and guard.refusal("tin.example") == ""


def test_only_public_addresses_of_a_mixed_answer_are_connected_to():
    guard = AddressGuard(AnsweringResolver({"tin.example": ["10.0.0.5", "93.184.216.34", "::1", "fd00::1"]}),
                         frozenset())
    assert resolve(guard, "tin.example") == ["93.184.216.34"]
    assert guard.refusal("tin.example") == ""


def test_origins_the_user_named_may_be_local_on_their_port_only():
    spider = SimpleNamespace(start_url="http://localhost:8000/", sites=[])
    named = named_origins(spider, {"baolaocai": "http://127.0.0.1:9000/baolaocai.vn"})
    assert named == {("localhost", 8000), ("127.0.0.1", 9000)}
    guard = AddressGuard(AnsweringResolver({"localhost": ["127.0.0.1"], "127.0.0.1": ["127.0.0.1"]}), named)
    assert resolve(guard, "localhost", 8000) == ["127.0.0.1"]
    assert resolve(guard, "127.0.0.1", 9000) == ["127.0.0.1"]
    assert resolve(guard, "localhost", 8001) == []
    assert resolve(guard, "127.0.0.1", 8000) == []


class Reactor:
    """Just the pluggable-resolver part of a reactor."""

    def __init__(self, resolver):
        self.nameResolver = resolver

    def installNameResolver(self, resolver):
        self.nameResolver = resolver


def test_guard_wraps_the_resolver_installed_and_any_installed_after_it():
    first, later = AnsweringResolver({"a.example": ["10.0.0.1"]}), AnsweringResolver({"a.example": ["127.0.0.1"]})
    reactor = Reactor(first)
    guard = AddressGuard(first, frozenset())
    guard.install(reactor)
    assert reactor.nameResolver is guard and guard.resolver is first
    reactor.installNameResolver(later)       # e.g. a DNS_RESOLVER installed after the guard
    guard.install(reactor)                   # the handler does this before every download
    assert reactor.nameResolver is guard and guard.resolver is later
    assert resolve(guard, "a.example") == []


def test_guards_of_two_download_handlers_take_turns_without_nesting():
    original = AnsweringResolver({"a.example": ["93.184.216.34"]})
    reactor = Reactor(original)
    http, https = AddressGuard(original, frozenset()), AddressGuard(original, frozenset())
    for guard in (http, https, http, https):
        guard.install(reactor)
        assert reactor.nameResolver is guard and guard.resolver is original
    assert resolve(https, "a.example") == ["93.184.216.34"]


# -- the crawl target ---------------------------------------------------------------------------------

@pytest.mark.parametrize("url, allowed", [
    ("http://127.0.0.1:8000/tin-a-123456.html", True),
    ("https://127.0.0.1:8000/", True),
    ("http://127.0.0.1:8001/tin-a-123456.html", False),
    ("http://127.0.0.2:8000/", False),
    ("http://localhost:8000/", False),
    ("http://[::1]:8000/", False),
    ("ftp://127.0.0.1:8000/", False),
    ("http://127.0.0.1:bad/", False),
])
def test_url_crawl_stays_on_that_host_and_port(url, allowed):
    scope = CrawlScope.for_spider(SimpleNamespace(start_url="http://127.0.0.1:8000/", sites=[]))
    assert scope.allows(url) is allowed


@pytest.mark.parametrize("url, allowed", [
    ("https://baolaocai.vn/a-post1.html", True),
    ("http://www.baolaocai.vn/a-post1.html", True),
    ("https://m.baolaocai.vn/", True),
    *[(f"https://{host}/x", True) for host in get_site("baolaocai").old_domains],
    ("https://baolaocai.vn:8443/", False),
    ("https://baolaocai.vn.evil.example/", False),
    ("https://plo.vn/", False),
    ("http://169.254.169.254/latest/meta-data/", False),
])
def test_registered_site_crawl_stays_on_its_registry_domains(url, allowed):
    scope = CrawlScope.for_spider(SimpleNamespace(start_url="", sites=[get_site("baolaocai")]))
    assert scope.allows(url) is allowed


def test_url_crawl_of_a_named_host_keeps_its_www_form_and_http_https():
    scope = CrawlScope.for_spider(SimpleNamespace(start_url="https://tinh.example/kinh-doanh", sites=[]))
    assert scope.allows("http://www.tinh.example/a") and scope.allows("https://tinh.example/b")
    assert not scope.allows("https://tinh.example:8443/") and not scope.allows("https://khac.example/")


# -- reasons -----------------------------------------------------------------------------------------

def test_refusals_and_unreadable_robots_get_their_own_reasons():
    assert failure_reason(Failure(Refused("off_site_redirect", "x led to y"))) == ("off_site_redirect", "x led to y")
    assert failure_reason(Failure(RobotsUnavailable("https://a.vn/robots.txt", "answered HTTP 503")))[0] == \
        "robots_unavailable"
    unresolvable = RobotsUnavailable("https://a.vn/robots.txt", "could not be fetched",
                                     CannotResolveHostError("no such host"))
    assert failure_reason(Failure(unresolvable)) == ("dns_error", "robots.txt: no such host")


@pytest.mark.parametrize("status, parsed", [
    (200, b"Disallow: /"), (206, b"Disallow: /"), (301, b""), (404, b""), (410, b""), (401, b""),
    (429, None), (500, None), (503, None),
])
def test_robots_answer_to_rules(status, parsed):
    assert robots_body(status, b"Disallow: /") == parsed


def test_only_the_first_500_kib_of_robots_are_parsed():
    assert len(robots_body(200, b"#" * (3 * PARSE_LIMIT))) == PARSE_LIMIT == 500 * 1024


# -- crawls: requests stay on the site ---------------------------------------------------------------

def test_redirect_to_another_host_is_a_failure_row_and_never_fetched(tmp_path, internal):
    routes = {"/": page(links("/tin-a-123456.html", "/tin-b-654321.html")),
              "/tin-a-123456.html": page(ARTICLE),
              "/tin-b-654321.html": redirect(internal.url("/secret-123456.html"))}
    with HostileServer(routes) as site:
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db")
    assert done.returncode == 0, done.stderr
    assert internal.served == []          # not even its robots.txt: refused before RobotsTxtMiddleware
    # off_site_redirect (the name check), not forbidden_address (the address check of a robots.txt
    # fetch for 127.0.0.2): the middleware runs before robots.txt is asked for
    assert failures(tmp_path / "a.db") == {site.url("/tin-b-654321.html"): "off_site_redirect"}
    assert archived(tmp_path / "a.db") == [site.url("/tin-a-123456.html")]   # --url 127.0.0.1:PORT still crawls


def test_meta_refresh_to_another_host_is_a_failure_row_and_never_fetched(tmp_path, internal):
    refresh = f'<meta http-equiv="refresh" content="0; url={internal.url("/secret-123456.html")}">'
    routes = {"/": page(links("/tin-b-654321.html")),
              "/tin-b-654321.html": page(f"<html><head>{refresh}</head><body></body></html>")}
    with HostileServer(routes) as site:
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db")
    assert internal.served == []
    assert failures(tmp_path / "a.db") == {site.url("/tin-b-654321.html"): "off_site_redirect"}
    assert archived(tmp_path / "a.db") == []


def test_same_host_on_another_port_is_another_site(tmp_path):
    with HostileServer({"/tin-c-111111.html": page(ARTICLE), "/tin-d-222222.html": page(ARTICLE)}) as other:
        routes = {"/": page(links(other.url("/tin-c-111111.html"), "/tin-d-222222.html")),
                  "/tin-d-222222.html": redirect(other.url("/tin-d-222222.html"), status=302)}
        with HostileServer(routes) as site:
            done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db")
    assert other.served == []
    assert failures(tmp_path / "a.db") == {other.url("/tin-c-111111.html"): "off_site",
                                          site.url("/tin-d-222222.html"): "off_site_redirect"}


def test_feed_and_sitemap_entries_on_another_host_are_never_fetched(tmp_path, internal):
    index = (f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
             f'<loc>{internal.url("/sitemap.xml")}</loc></sitemap></sitemapindex>')
    with HostileServer({}) as site:
        site.routes.update({
            "/": page(links(head=f'<link rel="alternate" type="application/rss+xml" href="{internal.url("/feed.rss")}">')),
            "/robots.txt": page(f"User-agent: *\nAllow: /\nSitemap: {site.url('/sitemap.xml')}\n"
                                f"Sitemap: {internal.url('/sitemap.xml')}\n", content_type="text/plain"),
            "/sitemap.xml": page(index, content_type="application/xml"),
        })
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db")
    assert "/sitemap.xml" in site.served          # the site's own sitemap index was read…
    assert internal.served == []                  # …and nothing it or the page named elsewhere
    assert set(failures(tmp_path / "a.db").values()) <= {"off_site"}


# -- crawls: addresses are checked when connecting ---------------------------------------------------

def test_a_name_resolving_to_loopback_is_refused_unless_the_user_named_it(tmp_path):
    # tinh.localhost is the same site as the www. form the user named, so the name check lets it
    # through; the resolver (DNS_RESOLVER = LoopbackOnlyResolver, as in every test) answers
    # 127.0.0.1 for it, and only the origin the user named may be loopback.
    with HostileServer({"/tin-a-123456.html": page(ARTICLE)}) as site:
        named = f"http://www.tinh.localhost:{site.port}/"
        other = f"http://tinh.localhost:{site.port}/tin-a-123456.html"
        site.routes["/"] = page(links(other))
        done, _ = run_crawl(["--url", named], tmp_path / "a.db", ROBOTSTXT_OBEY="False")
    assert "/" in site.served and "/tin-a-123456.html" not in site.served
    with sqlite3.connect(tmp_path / "a.db") as conn:
        [(url, reason, detail)] = conn.execute("SELECT url, reason, detail FROM failures").fetchall()
    assert (url, reason) == (other, "forbidden_address")
    assert "127.0.0.1 (loopback)" in detail


# -- crawls: robots.txt per RFC 9309 -----------------------------------------------------------------

BIG_ROBOTS = b"User-agent: *\nDisallow: /tin-tuc/\n" + b"# " + b"x" * 98 + b"\n"


@pytest.mark.parametrize("robots", [
    page(BIG_ROBOTS[:34] + BIG_ROBOTS[34:] * 30_000, content_type="text/plain"),    # 3 MB, Content-Length
    chunked(lambda: [BIG_ROBOTS] + [BIG_ROBOTS[34:] * 100] * 5_000, content_type="text/plain"),  # 50 MB, streamed
], ids=["3MB", "streamed"])
def test_huge_robots_txt_is_obeyed_from_its_first_500_kib(tmp_path, robots):
    routes = {"/": page(links("/tin-tuc/bai-a-123456.html", "/khac/bai-b-654321.html")),
              "/robots.txt": robots,
              "/tin-tuc/bai-a-123456.html": page(ARTICLE), "/khac/bai-b-654321.html": page(ARTICLE)}
    with HostileServer(routes) as site:
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db")   # DOWNLOAD_MAXSIZE is 2 MB
    assert done.returncode == 0, done.stderr
    assert "/tin-tuc/bai-a-123456.html" not in site.served
    assert failures(tmp_path / "a.db") == {site.url("/tin-tuc/bai-a-123456.html"): "robots_forbidden"}
    assert archived(tmp_path / "a.db") == [site.url("/khac/bai-b-654321.html")]


def test_robots_txt_answering_503_keeps_the_crawl_off_that_host(tmp_path):
    routes = {"/": page(links("/tin-a-123456.html")), "/tin-a-123456.html": page(ARTICLE),
              "/robots.txt": page("busy", status=503, content_type="text/plain")}
    with HostileServer(routes) as site:
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db")
    assert done.returncode == 1 and "nothing could be fetched" in done.stderr
    assert set(site.served) == {"/robots.txt"}
    assert failures(tmp_path / "a.db")[site.url("/")] == "robots_unavailable"


def test_robots_txt_answering_404_allows_everything(tmp_path):
    routes = {"/": page(links("/tin-a-123456.html")), "/tin-a-123456.html": page(ARTICLE)}
    with HostileServer(routes) as site:
        done, _ = run_crawl(["--url", site.url("/")], tmp_path / "a.db")
    assert done.returncode == 0, done.stderr
    assert archived(tmp_path / "a.db") == [site.url("/tin-a-123456.html")]


def test_requests_waiting_for_robots_txt_all_obey_it(tmp_path):
    # A registered site starts with many requests at once (feeds, sitemaps, sections); all of them
    # wait for the one robots.txt fetch. Scrapy 2.19 hands its answer to the first waiter only.
    def slow_disallow_all(handler):
        import time
        time.sleep(0.3)
        page("User-agent: *\nDisallow: /\n", content_type="text/plain")(handler)

    site_ = get_site("baolaocai")
    assert len(site_.feeds + site_.sitemaps + site_.sections) >= 3
    with HostileServer({"/robots.txt": slow_disallow_all}) as site:
        done, _ = run_crawl(["baolaocai"], tmp_path / "a.db", {"baolaocai": site.origin})
    assert set(site.served) == {"/robots.txt"}
    assert set(failures(tmp_path / "a.db").values()) == {"robots_forbidden"}
