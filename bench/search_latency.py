"""Search latency through datasette over HTTP: p50/p95 of full-text queries on a large archive.

    .venv/bin/python bench/search_latency.py [--db archive.db] [--n 200000] [--rounds 5] [--code DIR]

With --db pointing at an existing archive (e.g. the one bench/ingest.py keeps with KEEP_BENCH_DB=1,
190,000 articles) it is used as is; otherwise an archive of --n synthetic articles is built at
--build-db (kept for later runs): real sentences from the vi-news corpus recombined into articles
of 8–30 sentences, with province names (old and new tone placement, with and without đ) mixed
in, published over a year. Rows go straight into `articles` through SQL (the search triggers
keep the indexes), not through Archive.store_article: dedup speed is bench/ingest.py's subject.

Then `tintinh serve` runs on a free port (--code DIR: tintinh from another checkout, for
before/after figures) and a fixed set of queries (accented and not, rare and common, one to three
syllables) is sent --rounds times to each of the README's search URLs:
  json search          /DB/articles.json?_search=…       datasette's JSON API: row count, facets, a page of rows
  html search          /DB/articles?_search=…            the same as the HTML table page
  json search, lean    the JSON with _nocount=1&_nofacet=1
  search page          /-/tintinh/search?q=…             newest first, copies of a story folded
  canned search json   /DB/search.json?q=…               the canned query
  exact json           /DB/search_exact.json?q=…         the exact-accent index
and then the browsing pages (articles table, stories on two or more papers, latest by province…).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.search import fts_query, register_functions  # noqa: E402
from archive.store import Archive  # noqa: E402

CORPUS = [ROOT.parent / "shared" / "corpora" / "vi-news" / "pages", ROOT / "tests" / "fixtures" / "search" / "gold"]
PLACES = ["Đà Nẵng", "Hoà Bình", "Hòa Bình", "Lào Cai", "Phú Thọ", "Thanh Hóa", "Nghệ An",
          "Quảng Ninh", "Cần Thơ", "Gia Lai", "Khánh Hòa", "Khánh Hoà", "Hà Tĩnh", "Bắc Ninh"]
PHRASES = ["nhà máy thủy điện", "nhà máy thuỷ điện", "giá vàng", "du lịch", "giao thông",
           "chính sách mới", "cổ phiếu", "bệnh viện"]
QUERIES = ["da nang", "Đà Nẵng", "hoa binh", "Hòa Bình", "thuy dien", "thuỷ điện", "lao cai",
           "gia vang", "chinh sach moi", "co phieu", "benh vien", "du lich", "giao thong",
           "ung thu", "nha may thuy dien hoa binh", "khanh hoa", "Thanh Hóa", "dau tu",
           "\"thuy dien\"", "tăng"]
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[A-ZĐÀ-Ỹ\"“])")


def corpus_sentences() -> list[str]:
    folder = next((f for f in CORPUS if any(f.glob("*.gold.json"))), None)
    if folder is None:
        raise SystemExit("no vi-news corpus found")
    lines = [line for p in sorted(folder.glob("*.gold.json"))
             for line in json.loads(p.read_text(encoding="utf-8"))["body"].splitlines()]
    return [s for line in lines for s in _SENTENCE.split(line) if len(s.split()) >= 5]


def synthetic_rows(n: int, seed: int = 1):
    rng = random.Random(seed)
    sentences = corpus_sentences()
    provinces = ["Đà Nẵng", "Lào Cai", "Phú Thọ", "Thanh Hóa", "Nghệ An", "Quảng Ninh", "Cần Thơ",
                 "Gia Lai", "Khánh Hòa", "Hà Tĩnh"]  # as the registry spells them
    for i in range(n):
        place = rng.choice(PLACES)
        picked = rng.sample(sentences, rng.randint(8, 30))
        picked.insert(rng.randrange(len(picked)), f"Tại {place}, {rng.choice(PHRASES)} được quan tâm.")
        paragraphs = ["\n".join(picked[k:k + 3]) for k in range(1, len(picked), 3)]
        day = 1 + i * 365 // max(1, n)
        yield {
            "canonical_url": f"https://bench{i % 30}.vn/bai-{i}.html", "url": f"https://bench{i % 30}.vn/bai-{i}.html",
            "site": f"bench{i % 30}", "province": provinces[i % 30 % len(provinces)],
            "title": f"{place}: {picked[0][:80]}", "sapo": picked[0], "body": "\n".join(paragraphs),
            "published_at": time.strftime("%Y-%m-%dT%H:%M:00+07:00", time.gmtime(1735689600 + day * 86400 + i % 86400)),
            "category": rng.choice(["Thời sự", "Kinh tế", "Xã hội", "Du lịch", "Giao thông"]),
        }


def build(path: Path, n: int) -> None:
    t0 = time.monotonic()
    with Archive(path) as archive:
        conn = archive.conn
        fields = ["canonical_url", "url", "site", "province", "title", "sapo", "body", "published_at", "category"]
        sql = f"INSERT INTO articles ({', '.join(fields)}) VALUES ({', '.join(':' + f for f in fields)})"
        batch = []
        for row in synthetic_rows(n):
            batch.append(row)
            if len(batch) == 5000:
                conn.execute("BEGIN"); conn.executemany(sql, batch); conn.execute("COMMIT")
                batch.clear()
        if batch:
            conn.execute("BEGIN"); conn.executemany(sql, batch); conn.execute("COMMIT")
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
        conn.execute("INSERT INTO articles_fts_exact(articles_fts_exact) VALUES ('optimize')")
    took = time.monotonic() - t0
    print(f"built {n} articles in {took:.0f} s ({n / took:.0f} articles/s with both indexes), "
          f"{path.stat().st_size / 1e6:.0f} MB")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed_get(url: str) -> tuple[float, bool]:
    """(milliseconds, ok): a query datasette interrupts at its time limit answers 400, not ok."""
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
        ok = True
    except urllib.error.HTTPError as e:
        e.read()
        ok = False
    return (time.perf_counter() - t0) * 1000, ok


def failed_note(failed: int, total: int) -> str:
    return f", {failed}/{total} over datasette's time limit" if failed else ""


def faceted_note(base: str, make) -> str:
    """How many of the queries' JSON pages had a row count and facets (a search matching too many
    articles has its facets listed as timed out, not computed)."""
    counted = faceted = 0
    for q in QUERIES:
        with urllib.request.urlopen(base + make(q), timeout=60) as response:
            data = json.loads(response.read())
        counted += data.get("filtered_table_rows_count") is not None
        faceted += bool(data.get("facet_results"))
        if not data.get("facet_results"):
            print(f"{'':19s} no facets for {q!r} ({data.get('filtered_table_rows_count')} hits)")
    return f"{counted} of {len(QUERIES)} queries with a row count, {faceted} with facets"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="an existing archive to query (default: build one)")
    ap.add_argument("--n", type=int, default=200_000, help="synthetic articles when building")
    ap.add_argument("--build-db", default="/tmp/tintinh-bench-search.db")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--code", type=Path, help="serve with tintinh from this checkout (before/after figures)")
    args = ap.parse_args()

    path = Path(args.db or args.build_db)
    if args.db is None and not path.exists():
        build(path, args.n)
    conn = sqlite3.connect(path)
    register_functions(conn)
    count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    shares = sorted(conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?",
                                 [fts_query(q)]).fetchone()[0] / max(1, count) for q in QUERIES)
    conn.close()
    name = path.stem
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, **({"PYTHONPATH": str(args.code)} if args.code else {}))
    proc = subprocess.Popen([str(Path(sys.executable).with_name("tintinh")), "serve", "--db", str(path),
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                timed_get(base + "/-/versions.json")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("datasette did not start")
                time.sleep(0.2)
        endpoints = {
            "json search": lambda q: f"/{name}/articles.json?" + urllib.parse.urlencode({"_search": q}),
            "html search": lambda q: f"/{name}/articles?" + urllib.parse.urlencode({"_search": q}),
            "json search, lean": lambda q: f"/{name}/articles.json?" + urllib.parse.urlencode(
                {"_search": q, "_nocount": 1, "_nofacet": 1}),
            "search page": lambda q: "/-/tintinh/search?" + urllib.parse.urlencode({"q": q}),
            "canned search json": lambda q: f"/{name}/search.json?" + urllib.parse.urlencode({"q": q}),
            "exact json": lambda q: f"/{name}/search_exact.json?" + urllib.parse.urlencode({"q": q}),
        }
        print(f"{count} articles in {path} ({path.stat().st_size / 1e6:.0f} MB), "
              f"{len(QUERIES)} queries x {args.rounds} rounds per endpoint, sequential; each query "
              f"matches {shares[0]:.0%}–{shares[-1]:.0%} of the articles (median {statistics.median(shares):.0%})")
        for label, make in endpoints.items():
            for q in QUERIES:  # warm-up: first touch of each index page
                timed_get(base + make(q))
            times, worst, failed = [], (0.0, ""), 0
            for _ in range(args.rounds):
                for q in QUERIES:
                    ms, ok = timed_get(base + make(q))
                    times.append(ms)
                    failed += not ok
                    worst = max(worst, (ms, q))
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(f"{label:19s} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   "
                  f"max {times[-1]:7.1f} ms (slowest query: {worst[1]!r}){failed_note(failed, len(times))}")
            if label == "json search":
                print(f"{'':19s} {faceted_note(base, make)}")
        # Browsing pages, each on its own: their cost is the archive's size, not a query's.
        for label, path in [("articles table page", f"/{name}/articles"),
                            ("articles table json", f"/{name}/articles.json"),
                            ("stories on 2+ papers", f"/{name}/stories?papers__gte=2"),
                            ("multi_paper_stories", f"/{name}/multi_paper_stories.json"),
                            ("latest by province", f"/{name}/latest_by_province.json?province=%C4%90%C3%A0+N%E1%BA%B5ng"),
                            ("per day per province", f"/{name}/articles_per_day_per_province.json")]:
            timed_get(base + path)
            times = sorted(ms for ms, _ in (timed_get(base + path) for _ in range(args.rounds)))
            print(f"{label:21s} p50 {statistics.median(times):7.1f} ms   max {times[-1]:7.1f} ms")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other processes share them)")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
