"""Scrapy settings for tintinh: polite by default, every failure recorded, pipeline order fixed.

`scrapy crawl news -a site=SLUG` and `tintinh crawl` both read this module (scrapy.cfg points here);
any value can be overridden per run with `-s KEY=VALUE`.
"""
import os

BOT_NAME = "tintinh"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# An honest user agent: who we are and where to complain.
USER_AGENT = "tintinh/0.1 (+https://github.com/tintinh/tintinh; Vietnamese provincial news archive)"

# Politeness: obey robots.txt, at most 2 requests at a time per host, AutoThrottle adapts the
# delay to how fast each site answers.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy starts this many tasks for every response's output (100 by default): an article page
# gives one item, a feed or sitemap a stream of requests, so 8 is plenty, and the ~100 tasks a
# page no longer cost Scrapy's thread ~1 ms of every page.
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5        # each delay varies ±50%
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Bounds: a news page is well under 2 MB; anything past DOWNLOAD_MAXSIZE is cancelled and recorded
# as a failure ("too_large") instead of filling memory.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# Sitemaps get more (meta download_maxsize, also the limit for inflating a .xml.gz): a million
# URLs make 100-160 MB, about three times the 50 MB sitemaps.org allows. It is parsed as a stream
# (crawler/discovery.py), so only its bytes are held. Scrapy stops fetching new responses while
# those being parsed pass SCRAPER_SLOT_MAX_ACTIVE_SIZE (5 MB by default): it must hold the
# biggest sitemap, whose articles are fetched while it is still being read (crawler/queues.py).
TINTINH_SITEMAP_MAXSIZE = 160 * 1024 * 1024
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 2 * TINTINH_SITEMAP_MAXSIZE
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False

HTTPCACHE_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False      # no control port listening during a crawl either
LOG_LEVEL = "INFO"
# Every dropped page is recorded in the archive's failures table; the log needs only a line.
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"

# Mirror origins: crawl a registered site from another origin (a local mirror) while every URL in
# the crawl and in the archive stays the site's real one. Keys are slugs or hosts, values a base
# URL, e.g. {"baolaocai": "http://127.0.0.1:8000"} or {"baolaocai.vn": "http://127.0.0.1:8000/baolaocai.vn"}.
DOWNLOAD_HANDLERS = {
    "http": "crawler.middlewares.MirrorDownloadHandler",
    "https": "crawler.middlewares.MirrorDownloadHandler",
}
TINTINH_ORIGINS = {}

# No request leaves the crawl target (crawler/guard.py): another host, or another port of a
# `--url` host, is refused before robots.txt is asked for it (so before RobotsTxtMiddleware at 100),
# and redirects come back here as new requests. The download handler above refuses connections to
# private/loopback/link-local… addresses except the origins named with --url or TINTINH_ORIGINS.
# robots.txt is read as RFC 9309 says (crawler/robots.py): first 500 KiB, 5xx = disallow all.
DOWNLOADER_MIDDLEWARES = {
    "crawler.guard.StayOnSiteMiddleware": 60,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsMiddleware": 100,
}

# page → article → checked → archived; normalisation and cleaning happen inside extraction.
ITEM_PIPELINES = {
    "pipelines.stages.ExtractPipeline": 100,
    "pipelines.stages.ValidatePipeline": 200,
    "pipelines.stages.StorePipeline": 300,
}

TINTINH_DB = "archive.db"
# Extraction runs in worker processes beside Scrapy (pipelines.extract_pool), one per core by
# default (0: in Scrapy's process). A page whose extraction runs past the timeout, or kills its
# worker, is a failure of its own; each worker may use TINTINH_EXTRACT_MEMORY_MB of memory at most.
TINTINH_EXTRACT_PROCESSES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
TINTINH_EXTRACT_TIMEOUT = 120.0
TINTINH_EXTRACT_MEMORY_MB = 2048
TINTINH_STORE_QUEUE = 256         # pages waiting for the archive's writer thread at most
TINTINH_STORE_TIMEOUT = 600.0     # seconds a page may wait for the archive's writer; then the crawl stops and says so (0: no limit)
TINTINH_DISCOVERY = ["feeds", "sitemaps", "sections"]  # where registered sites' article URLs come from
TINTINH_REFRESH = False           # True: fetch article URLs already archived again (new versions)
TINTINH_SITEMAP_CHILDREN = 20     # child sitemaps followed per sitemap index, news sitemaps first
TINTINH_MIN_BODY_CHARS = 80       # shorter bodies are dropped as "short_body"
TINTINH_SKIP_OLD_LASTMOD = True   # sitemap and feed entries dated before the site's last complete
                                  # crawl started are not followed (not in a --refresh crawl)
TINTINH_CONDITIONAL_GET = True    # feeds, sitemaps, sections asked for with the last complete run's
                                  # ETag / Last-Modified; a 304 is read as unchanged
# A site by --url is explored from its start page: its navigation's sections (this many link hops),
# at most TINTINH_SECTION_PAGES section pages a run, each listing's next pages while they bring new
# articles (at most TINTINH_SECTION_NEXT_PAGES); a --backfill walks next pages back to its date.
TINTINH_SECTION_DEPTH = 1
TINTINH_SECTION_PAGES = 40
TINTINH_SECTION_NEXT_PAGES = 2
TINTINH_BACKFILL_PAGES = 5000     # section pages a --backfill reads per site at most

# Discovery feeds the scheduler as it drains: at most TINTINH_QUEUE_AHEAD article requests per site
# wait for the downloader, the rest unread inside their sitemap or feed (crawler/queues.py). The
# scheduler also makes a JOBDIR left by a killed crawl start over instead of failing on its torn
# queue files.
SCHEDULER = "crawler.queues.Scheduler"
TINTINH_QUEUE_AHEAD = 16
# Scrapy's UrlLengthMiddleware drops a request over URLLENGTH_LIMIT (2083) with no trace; the
# spider checks the length itself and records the URL as a failure ("url_too_long").
SPIDER_MIDDLEWARES = {
    "crawler.queues.PaceArticleRequests": 10,    # nearest the engine: the last to see requests
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
}

FEED_EXPORT_ENCODING = "utf-8"

# WARC as the crawl goes (crawler.warc_recorder): every response into <dir>/tintinh-*.warc.gz,
# a new file past the size limit. Off unless a directory is given.
DOWNLOADER_MIDDLEWARES["crawler.warc_recorder.WarcRecorder"] = 950   # next to the downloader
TINTINH_WARC_DIR = ""
TINTINH_WARC_MAX_BYTES = 1024 * 1024 * 1024
