#!/usr/bin/env python3
"""How long each stored article waits for the archive while a crawl runs into a big archive, and
whether Scrapy's thread ever waits for the database.

    KEEP_BENCH_DB=1 .venv/bin/python bench/ingest.py --n 200000     # once: /tmp/tintinh-bench-ingest.db
    .venv/bin/python bench/store_latency.py [--archive /tmp/tintinh-bench-ingest.db] [--copies 100] [--code DIR]

The archive is copied (the copy is crawled into, the original kept for the next run). A crawl of
bench/crawl_compare.py's mirror (--copies distinct articles for each of 7 real pages, ~280 KB
each, no politeness delay) then stores into it, with the store pipeline timed:
- per stored article, the time from handing the page to the store pipeline until it is in the
  archive (committed): p50, p99, max;
- `Archive.store_fetch` calls made in Scrapy's own thread (the reactor's), and how long they took:
  each one is time no download, parse or extraction could run;
- with the writer thread (archive.writer): its transactions (fetches each, longest) and the
  search-index merge steps between them.
--code DIR runs the crawl with another checkout of tintinh (before/after figures).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))]


def instrument() -> dict:
    """Wrap the store pipeline, Archive.store_fetch and the writer's transactions with timers."""
    import inspect

    import archive.store as store
    from pipelines import stages

    timings = {"article": [], "reactor_stores": [], "writer_stores": 0, "transactions": [], "merges": [], "waits": [], "stored": []}
    main = threading.main_thread()
    store_fetch = store.Archive.store_fetch

    def timed_store_fetch(self, **kwargs):
        t0 = time.perf_counter()
        try:
            return store_fetch(self, **kwargs)
        finally:
            if threading.current_thread() is main:
                timings["reactor_stores"].append(time.perf_counter() - t0)
            else:
                timings["writer_stores"] += 1
    store.Archive.store_fetch = timed_store_fetch

    def timed_step(name, step):
        def timed(self, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return step(self, *args, **kwargs)
            finally:
                timings[name].append(time.perf_counter() - t0)
        return timed
    for name in ("fold_dedup_rows", "merge_search"):   # one upkeep step each
        if hasattr(store.Archive, name):
            timings[name] = []
            setattr(store.Archive, name, timed_step(name, getattr(store.Archive, name)))

    try:
        from archive import writer
    except ImportError:  # code from before the writer thread
        writer = None
    if writer is not None:
        batch, upkeep = writer.ArchiveWriter._store, writer.ArchiveWriter._upkeep_some

        def timed_batch(self, jobs):
            t0 = time.perf_counter()
            timings["waits"].extend(time.monotonic() - job.queued for job in jobs)
            try:
                return batch(self, jobs)
            finally:
                timings["transactions"].append((len(jobs), time.perf_counter() - t0))
                done = time.monotonic()   # committed (or failed): handed over → in the archive
                timings["stored"].extend(done - job.queued for job in jobs if job.payload.get("article"))

        def timed_upkeep(self):
            t0 = time.perf_counter()
            try:
                return upkeep(self)
            finally:
                timings["merges"].append(time.perf_counter() - t0)
        writer.ArchiveWriter._store, writer.ArchiveWriter._upkeep_some = timed_batch, timed_upkeep

    base = stages.StorePipeline
    if inspect.iscoroutinefunction(base.process_item):
        async def process_item(self, item):
            t0 = time.perf_counter()
            result = await base.process_item(self, item)
            timings["article"].append(time.perf_counter() - t0)
            return result
    else:
        def process_item(self, item):
            t0 = time.perf_counter()
            result = base.process_item(self, item)
            timings["article"].append(time.perf_counter() - t0)
            return result
    stages.StorePipeline = type("TimedStorePipeline", (base,), {"process_item": process_item})
    return timings


def crawl_child(payload: dict) -> dict:
    from crawl_compare import SETTINGS  # first: it puts the code to run (TINTINH_CODE) on the path
    timings = instrument()
    from crawler.run import crawl

    result = crawl(payload["slugs"], db=payload["db"], progress=lambda line: None, settings={
        **SETTINGS, "TINTINH_ORIGINS": payload["origins"], "TINTINH_DISCOVERY": ["feeds"],
        "DOWNLOAD_DELAY": payload["delay"]})
    rows = result["sites"].values()
    timings["statuses"] = {k: sum(row[k] for row in rows) for k in ("new", "updated", "unchanged", "duplicates", "failed")}
    timings["seconds"] = result["seconds"]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", default="/tmp/tintinh-bench-ingest.db", help="the big archive (copied)")
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.2,
                        help="DOWNLOAD_DELAY per site (7 sites; 0: as fast as the machine goes)")
    parser.add_argument("--code", type=Path, help="crawl with this checkout of tintinh")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:   # TINTINH_CODE (--code) is put first by crawl_compare's import
        sys.path.insert(0, str(BENCH))
        print(json.dumps(crawl_child(json.loads(Path(args.child).read_text()))))
        return

    sys.path[:0] = [str(ROOT), str(BENCH)]
    from crawl_compare import build_mirror
    from crawler.mirror import MirrorServer

    source = Path(args.archive)
    if not source.exists():
        raise SystemExit(f"no archive at {source}: build one with KEEP_BENCH_DB=1 bench/ingest.py --n 200000")
    routes, slugs, urls = build_mirror(args.copies)
    with tempfile.TemporaryDirectory(dir=source.parent) as tmp, MirrorServer(routes) as server:
        db = Path(tmp) / "archive.db"
        for suffix in ("", "-wal"):
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", f"{db}{suffix}")
        import sqlite3
        with sqlite3.connect(db) as conn:
            (articles,) = conn.execute("SELECT count(*) FROM articles").fetchone()
        payload = Path(tmp) / "payload.json"
        payload.write_text(json.dumps({"slugs": slugs, "origins": server.origins(), "db": str(db), "delay": args.delay}))
        command = [sys.executable, __file__, "--child", str(payload)]
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        if args.code:
            env["TINTINH_CODE"] = str(args.code)
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=7200)
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
        t = json.loads(done.stdout.strip().splitlines()[-1])

    # with the writer thread: handed to it → committed; before it: the store call in Scrapy's thread
    ms = [s * 1000 for s in (t["stored"] or t["article"])]
    resumed = [s * 1000 for s in t["article"]]
    print(f"crawl of {len(urls)} distinct articles (DOWNLOAD_DELAY {args.delay} s for each of {len(slugs)} sites)"
          f" into a copy of {source} ({articles:,} articles): "
          f"{t['statuses']} in {t['seconds']:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"per stored article, handed to the store → committed in the archive: p50 {statistics.median(ms):.1f} ms,"
          f" p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms ({len(ms)} articles)")
    print(f"  the store pipeline's process_item from call to return (incl. waiting for Scrapy's thread to resume it):"
          f" p50 {statistics.median(resumed):.1f} ms, p99 {percentile(resumed, 99):.1f} ms, max {max(resumed):.1f} ms")
    if t["transactions"]:
        sizes = [n for n, _ in t["transactions"]]
        tx = [s * 1000 for _, s in t["transactions"]]
        merges = [s * 1000 for s in t["merges"]]
        waits = [s * 1000 for s in t["waits"]]
        print(f"writer thread: a fetch waits for its transaction p50 {statistics.median(waits):.1f} ms, p99"
              f" {percentile(waits, 99):.1f} ms; {len(tx)} transactions of {statistics.mean(sizes):.1f} fetches on average"
              f" (most {max(sizes)}), p50 {statistics.median(tx):.1f} ms, p99 {percentile(tx, 99):.1f} ms, longest {max(tx):.1f} ms; upkeep between"
              f" them (dedup fold, index merging): {sum(merges) / 1000:.1f} s in all, longest {max(merges, default=0):.1f} ms")
        for name, label in (("fold_dedup_rows", "a dedup fold slice"), ("merge_search", "an index merge step")):
            steps = sorted(s * 1000 for s in t.get(name) or [])
            if steps:
                print(f"  {label}: {len(steps)}, p50 {statistics.median(steps):.1f} ms, p99 {percentile(steps, 99):.1f} ms,"
                      f" longest {steps[-1]:.1f} ms")
    reactor = [s * 1000 for s in t["reactor_stores"]]
    print(f"store_fetch calls in Scrapy's thread: {len(reactor)}" + (
        f", {sum(reactor) / 1000:.1f} s in all, longest {max(reactor):.1f} ms" if reactor else
        f" (all {t['writer_stores']} in the writer thread)"))


if __name__ == "__main__":
    main()
