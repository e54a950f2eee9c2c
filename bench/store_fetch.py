"""What a crawl pays to store a fetch whole, and what a writer pays to check the file at open.

    .venv/bin/python bench/store_fetch.py [--n 2000] [--check /tmp/tintinh-bench-ingest.db]

1. Per fetch: the raw page and its article stored as a crawl did before (`record_page`, then
   `store_article`: two transactions) and as it does now (`store_fetch`: one), into two fresh
   archives, alternating in slices so both see the same machine load. Pages are real saved
   article pages (tests/fixtures), articles are bench/ingest.py's synthetic originals.
2. With --check DB (e.g. the archive bench/ingest.py keeps with KEEP_BENCH_DB=1): its size, and
   the time of `PRAGMA quick_check` (what Archive() runs when it opens for writing), three times.
"""
from __future__ import annotations

import argparse
import gzip
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from archive.store import Archive, connect  # noqa: E402
from ingest import Synth, corpus_sentences  # noqa: E402

PAGES = sorted((ROOT / "tests" / "fixtures" / "pages").glob("*-[0-9]*.html.gz"))


def fetch(i: int, synth: Synth, bodies: list[bytes]) -> tuple[dict, dict]:
    article = synth.original(i)
    # a distinct body per fetch (a real crawl stores each page once): the saved page plus its number
    body = bodies[i % len(bodies)] + f"<!-- {i} -->".encode()
    page = {"url": article["url"], "final_url": article["url"], "status": 200,
            "headers": {"Content-Type": "text/html; charset=utf-8"}, "body": body,
            "fetched_at": article["fetched_at"], "site": article["site"]}
    return page, article


def two_transactions(archive: Archive, page: dict, article: dict) -> None:
    page_id = archive.record_page(**page, run_id=1)
    archive.store_article(article, page_id=page_id, run_id=1)


def one_transaction(archive: Archive, page: dict, article: dict) -> None:
    archive.store_fetch(page=page, article=article, run_id=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--slice", type=int, default=100)
    ap.add_argument("--check", help="an archive to time PRAGMA quick_check on")
    args = ap.parse_args()

    synth = Synth(1, corpus_sentences())
    bodies = [gzip.decompress(p.read_bytes()) for p in PAGES]
    with tempfile.TemporaryDirectory() as tmp:
        ways = {"record_page + store_article (2 transactions)": two_transactions,
                "store_fetch (1 transaction)": one_transaction}
        archives = {name: Archive(Path(tmp) / f"{k}.db", aliases={}) for k, name in enumerate(ways)}
        seconds = dict.fromkeys(ways, 0.0)
        for start in range(0, args.n, args.slice):
            work = [fetch(i, synth, bodies) for i in range(start, min(args.n, start + args.slice))]
            for name, way in ways.items():
                t0 = time.perf_counter()
                for page, article in work:
                    way(archives[name], page, article)
                seconds[name] += time.perf_counter() - t0
        for name in ways:
            archives[name].close()
            print(f"{name}: {seconds[name] / args.n * 1000:.2f} ms a fetch ({args.n / seconds[name]:,.0f}/s)")

    if args.check:
        path = Path(args.check)
        conn = connect(path)
        (articles,) = conn.execute("SELECT count(*) FROM articles").fetchone()
        (pages,) = conn.execute("SELECT count(*) FROM pages").fetchone()
        size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists()) / 1e6
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            result = conn.execute("PRAGMA quick_check").fetchall()
            times.append((time.perf_counter() - t0) * 1000)
        conn.close()
        print(f"quick_check on {path} ({articles:,} articles, {pages:,} pages, {size:,.0f} MB): "
              f"{', '.join(f'{t:,.0f}' for t in times)} ms ({result[0][0]})")
    print(f"load average (other processes share the CPUs): {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
