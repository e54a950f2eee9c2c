"""robots.txt as RFC 9309 reads it, in place of Scrapy's RobotsTxtMiddleware.

- Only the first 500 KiB of a robots.txt are read and parsed (§2.5): the download stops there and
  keeps what it has, so a huge robots.txt is obeyed instead of being cut off by DOWNLOAD_MAXSIZE
  (which Scrapy then took as "no robots.txt": everything allowed).
- A robots.txt answered 4xx is unavailable: everything is allowed (§2.3.1.3).
- One answered 5xx or 429, or that cannot be fetched at all (timeout, refused connection,
  forbidden address, a redirect off the site), is unreachable: the whole host is disallowed for
  this run (§2.3.1.4). Its pages fail as `robots_unavailable`, or with the reason the host could
  not be reached (dns_error, connection_refused, timeout, forbidden_address).
- Its answer is kept (first 500 KiB) for discovery: the spider's own request for a robots.txt
  (meta ROBOTS_META, for its Sitemap: lines) gets a copy of it instead of asking the site again.
  It passes the same checks first: an unreachable host fails it, the rules may forbid it.
"""
from __future__ import annotations

import logging

from scrapy import Request, signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import StopDownload
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from crawler.guard import Refused

logger = logging.getLogger(__name__)

PARSE_LIMIT = 500 * 1024      # RFC 9309 §2.5: parse at least the first 500 kibibytes
ROBOTS_META = "tintinh_robots"
KEPT_FLAG = "robots.txt already read"   # a response's flag: a copy of the answer read for the rules


class RobotsUnavailable(Refused):
    """robots.txt could not be read, so its host is disallowed; `cause` is the fetch error, if any."""

    def __init__(self, robots_url: str, why: str, cause: Exception | None = None):
        super().__init__("robots_unavailable", f"{robots_url} {why}: the host is disallowed for this run")
        self.cause = cause


class _Unreachable:
    """What a host's rules are when its robots.txt could not be read: disallow everything."""

    def __init__(self, robots_url: str, why: str, cause: Exception | None = None):
        self.robots_url, self.why, self.cause = robots_url, why, cause


def robots_body(status: int, body: bytes) -> bytes | None:
    """What to parse of a robots.txt answer: its first PARSE_LIMIT bytes when 2xx, nothing (allow
    all) when 3xx/4xx, None (disallow all) when 429 or 5xx."""
    if status == 429 or status >= 500:
        return None
    if status >= 300:
        return b""
    return body[:PARSE_LIMIT]


class RobotsMiddleware(RobotsTxtMiddleware):
    """RobotsTxtMiddleware with RFC 9309's size limit and its rules for unreachable files."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._answers: dict[str, Response] = {}   # netloc → its robots.txt answer, for discovery
        crawler.signals.connect(self._lift_size_limit, signal=signals.headers_received)
        crawler.signals.connect(self._stop_at_limit, signal=signals.bytes_received)

    async def process_request(self, request):
        if request.meta.get("dont_obey_robotstxt") or request.url.startswith(("data:", "file:")):
            return
        rules = await self.robot_parser(request)
        if isinstance(rules, _Unreachable):
            self._stats.inc_value("robotstxt/unreachable_forbidden")
            raise RobotsUnavailable(rules.robots_url, rules.why, rules.cause)
        self.process_request_2(rules, request)
        if request.meta.get(ROBOTS_META):
            return self._kept_answer(request)

    def _kept_answer(self, request) -> Response | None:
        """A copy of the robots.txt answer read for the rules, for a request for that robots.txt."""
        url = urlparse_cached(request)
        answer = self._answers.get(url.netloc)
        if answer is None or url.path != "/robots.txt" or url.query:
            return None
        self._stats.inc_value("robotstxt/kept_answer_count")
        return answer.replace(request=request, flags=[*answer.flags, KEPT_FLAG])

    async def robot_parser(self, request):
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robots = Request(f"{url.scheme}://{netloc}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                             meta={"dont_obey_robotstxt": True, ROBOTS_META: True},
                             callback=NO_CALLBACK)
            try:
                response = await self.crawler.engine.download_async(robots)
                rules = await self._rules(response, request)
            except Exception as e:
                rules = _Unreachable(robots.url, f"could not be fetched ({e})", e)
                self._stats.inc_value(f"robotstxt/exception_count/{type(e)}")
            if isinstance(rules, _Unreachable):
                logger.warning("%s %s: not crawling %s in this run", rules.robots_url, rules.why, netloc)
            self._stats.inc_value("robotstxt/request_count")
            waiting = self._parsers[netloc]
            self._parsers[netloc] = rules
            waiting.callback(rules)
        rules = self._parsers[netloc]
        if isinstance(rules, Deferred):
            # One Deferred per waiter: awaiting the shared one directly (as Scrapy 2.19 does) hands
            # its result to the first waiter only, and every later one gets None = allowed.
            mine: Deferred = Deferred()

            def pass_on(result):
                mine.callback(result)
                return result

            rules.addCallback(pass_on)
            return await maybe_deferred_to_future(mine)
        return rules

    async def _rules(self, response, request):
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        body = robots_body(response.status, response.body)
        if body is None:
            return _Unreachable(response.url, f"answered HTTP {response.status}")
        # what is parsed, decoded already (HttpCompressionMiddleware took its Content-Encoding off)
        self._answers[urlparse_cached(request).netloc] = response.replace(body=body)
        rules = build_from_crawler(self._parserimpl, self.crawler, body)
        await self.crawler.signals.send_catch_log_async(signal=signals.robots_parsed,
                                                        robotparser=rules, request=request)
        return rules

    # -- reading at most PARSE_LIMIT bytes ------------------------------------------------------

    @staticmethod
    def _lift_size_limit(headers, body_length, request, spider):
        """An uncompressed robots.txt is read up to PARSE_LIMIT whatever its size, so
        DOWNLOAD_MAXSIZE must not cancel it first; a compressed one keeps the limit, which also
        bounds its decompression."""
        if request.meta.get(ROBOTS_META) and headers.get(b"Content-Encoding", b"identity") == b"identity":
            request.meta["download_maxsize"] = 0
            request.meta["download_warnsize"] = 0

    @staticmethod
    def _stop_at_limit(data, request, spider):
        if request.meta.get(ROBOTS_META):
            received = request.meta["tintinh_robots_bytes"] = request.meta.get("tintinh_robots_bytes", 0) + len(data)
            if received >= PARSE_LIMIT:
                raise StopDownload(fail=False)   # keep what arrived: the first PARSE_LIMIT bytes
