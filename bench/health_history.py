#!/usr/bin/env python3
"""Site health on a simulated 10-run history: real `tintinh crawl` runs of a local copy of
baolaocai.vn (tests/test_health.py DriftingSite: the real article page with new text each run, 4
new articles a run, found through its feed), whose layout is redesigned in runs 5-6 (classes
renamed, body moved, dates in another format and gone from the metadata), restored in run 7, whose
article URLs serve a listing page in run 8, whose feed is gone (HTTP 404) in run 9, and which is
back in run 10. Prints each run's signals and the site's
health as judged at the end of that run (crawl_runs), then `tintinh health`.

    .venv/bin/python bench/health_history.py
"""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import gzip  # noqa: E402

from hostile import NOT_FOUND, page  # noqa: E402
from hostile import HostileServer  # noqa: E402
from mockserver import TINTINH, run_crawl  # noqa: E402
from test_health import DriftingSite  # noqa: E402

PLAN = ["old"] * 4 + ["new", "new", "old", "listings", "feed gone", "old"]
LISTING = gzip.decompress((ROOT / "tests" / "fixtures" / "site" / "tuoitre-list.html.gz").read_bytes())


def main() -> None:
    site = DriftingSite()
    with tempfile.TemporaryDirectory() as tmp, HostileServer(site.routes) as server:
        db = Path(tmp) / "archive.db"
        for layout in PLAN:
            paths = site.publish("new" if layout == "new" else "old")
            if layout == "listings":
                for path in paths:
                    site.routes[path] = page(LISTING)
            if layout == "feed gone":
                site.routes["/rss/home.rss"] = page(NOT_FOUND, status=404)
            done, seconds = run_crawl(["baolaocai"], db, {"baolaocai": server.origin}, TINTINH_DISCOVERY="feeds")
            if done.returncode not in (0, 1):
                sys.exit(done.stdout + done.stderr)
        columns = ("run_id", "new", "failed", "dated", "with_authors", "with_sapo", "median_body", "generic",
                   "junk", "refused", "status", "signals")
        with sqlite3.connect(db) as conn:
            rows = conn.execute(f"SELECT {', '.join(columns)} FROM crawl_runs ORDER BY run_id").fetchall()
        header = ["run", "site served", *columns[1:]]
        table = [[str(r[0]), layout, *("" if v is None else str(v) for v in r[1:])] for r, layout in zip(rows, PLAN)]
        widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(header)]
        print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for row in table:
            print("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths)) + " |")
        with sqlite3.connect(db) as conn:
            for run_id, alarm in conn.execute("SELECT run_id, alarm FROM crawl_runs WHERE alarm != '' ORDER BY run_id"):
                print(f"run {run_id}: {alarm}")
        print()
        health = subprocess.run([str(TINTINH), "health", "--db", str(db)], capture_output=True, text=True)
        print(f"$ tintinh health   (exit {health.returncode})")
        print(health.stdout + health.stderr, end="")


if __name__ == "__main__":
    main()
