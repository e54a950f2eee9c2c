"""The crawl tests' local server and a helper to run `tintinh crawl` against it in a subprocess.

The server is crawler.mirror.MirrorServer over tests/fixtures/site (real saved pages plus the
failure cases, see its site.toml), listening on 127.0.0.1 on a free port in a thread of the
test process. Crawls run in a subprocess because Scrapy's reactor starts once per process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from crawler.mirror import MirrorServer, load_routes

FIXTURE_SITE = Path(__file__).parent / "fixtures" / "site"
TINTINH = Path(sys.executable).with_name("tintinh")

# Fast and deterministic for a local server: no politeness delays, no retries, short timeout.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "RETRY_ENABLED": "0",
    "DOWNLOAD_TIMEOUT": "2",
    "DOWNLOAD_MAXSIZE": "2000000",
    "REDIRECT_MAX_TIMES": "3",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
    # nothing but 127.0.0.1 is ever looked up: other names fail at once as DNS failures
    "TWISTED_DNS_RESOLVER": "crawler.resolver.LoopbackOnlyResolver",
}


def mock_site() -> MirrorServer:
    """The fixture mirror, not yet started (use `with mock_site() as server:`)."""
    return MirrorServer(load_routes(FIXTURE_SITE))


def crawl_command(args: list[str], db: Path, origins: dict | None = None, **settings: str) -> list[str]:
    """The `tintinh crawl ARGS --db DB` command line, fast settings and origin override included."""
    command = [str(TINTINH), "crawl", *args, "--db", str(db)]
    for key, value in {**FAST, **settings}.items():
        command += ["-s", f"{key}={value}"]
    if origins is not None:
        command += ["-s", "TINTINH_ORIGINS=" + json.dumps(origins)]
    return command


def run_crawl(args: list[str], db: Path, origins: dict | None = None, timeout: float = 60,
              **settings: str) -> tuple[subprocess.CompletedProcess, float]:
    """`tintinh crawl ARGS --db DB` with the origin override; (completed process, seconds)."""
    command = crawl_command(args, db, origins, **settings)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return done, time.monotonic() - started
