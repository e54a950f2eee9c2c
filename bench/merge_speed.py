"""Merge benchmark: `tintinh merge` of two machines' archives, articles/s, against loading the same
articles into one archive.

    .venv/bin/python bench/merge_speed.py [--n 40000] [--dir /tmp] [--processes N]

Synthesises --n articles from real corpus text (bench/ingest.py: originals, 20% near-duplicate
reprints on other sites, 5% URL variants) and splits them by site between two archives, as two
machines would crawl them: sites site00-site14 on one, site15-site29 on the other, so a reprint
lands on the other machine about half the time. Each article gets its raw page (its text as HTML)
and one in twenty sites' URLs a failure, so pages and failures are merged too. Then times
`tintinh merge A.db B.db --into merged.db` (a subprocess, as a user runs it) and, for comparison,
the same articles stored into one archive with `store_many` (what a single machine's dedup costs);
compares their stories.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from archive.store import Archive  # noqa: E402
from ingest import SITES, Synth, articles, corpus_sentences, plan  # noqa: E402

MACHINE = {site: ("a" if i < len(SITES) // 2 else "b") for i, site in enumerate(SITES)}


def build(path: Path, batch: list[dict], processes: int | None) -> None:
    with Archive(path, aliases={}) as archive:
        run = archive.start_run(sorted({a["site"] for a in batch}))
        with archive.batch():
            for n, article in enumerate(batch):
                html = f"<html><h1>{article['title']}</h1><p>{article['body']}</p></html>".encode()
                archive.record_page(url=article["url"], final_url=None, status=200, headers={}, body=html,
                                    fetched_at=article["fetched_at"], site=article["site"], run_id=run)
                if n % 20 == 0:
                    archive.record_failure(url=article["url"].replace(".html", "-gone.html"), reason="http_404",
                                           site=article["site"], run_id=run, fetched_at=article["fetched_at"])
        for _ in archive.store_many(batch, processes=processes):
            pass
        archive.finish_run(run, {})


def stories(path: Path) -> set[frozenset]:
    with sqlite3.connect(path) as conn:
        return {frozenset(g.split(" ")) for (g,) in conn.execute(
            "SELECT group_concat(canonical_url, ' ') FROM articles GROUP BY story_id")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=40000)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--processes", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the archives (printed at the end)")
    opts = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="merge-bench-", dir=opts.dir))
    synth = Synth(1, corpus_sentences())
    everything = list(articles(synth, plan(opts.n, 0.20, 0.05, 1), 0, opts.n))
    shares = {m: [a for a in everything if MACHINE[a["site"]] == m] for m in ("a", "b")}
    started = time.monotonic()
    for m, batch in shares.items():
        build(work / f"{m}.db", batch, opts.processes)
    print(f"built two archives of {len(shares['a'])} and {len(shares['b'])} articles (with a page each)"
          f" in {time.monotonic() - started:.1f} s")

    merged = work / "merged.db"
    command = [str(Path(sys.executable).with_name("tintinh")), "merge", str(work / "a.db"), str(work / "b.db"),
               "--into", str(merged)] + (["--processes", str(opts.processes)] if opts.processes is not None else [])
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode:
        sys.exit(done.stderr)
    print(done.stdout.rstrip())
    with sqlite3.connect(work / "a.db") as a, sqlite3.connect(work / "b.db") as b:
        total = sum(conn.execute("SELECT count(*) FROM articles").fetchone()[0] for conn in (a, b))
    print(f"tintinh merge: {seconds:.1f} s for {total} articles = {total / seconds:.0f} articles/s"
          f" (merged archive {merged.stat().st_size / 1e6:.0f} MB)")

    # One machine storing the same articles: in the crawl's order, and machine A's sites then B's
    # (the order the merge stores them in). Greedy clustering depends on the order a little.
    single = {}
    for name, order in (("crawl order", everything), ("A's sites, then B's", shares["a"] + shares["b"])):
        single[name] = work / f"single-{len(single)}.db"
        started = time.monotonic()
        with Archive(single[name], aliases={}) as archive:
            for _ in archive.store_many(order, processes=opts.processes):
                pass
        seconds = time.monotonic() - started
        print(f"one archive, store_many in {name} (no pages): {seconds:.1f} s = {len(order) / seconds:.0f} articles/s")
    merged_stories = stories(merged)
    for name, path in single.items():
        other = stories(path)
        print(f"stories of the merge vs one archive in {name}: {len(merged_stories)} vs {len(other)},"
              f" {len(merged_stories ^ other)} differ")
    with sqlite3.connect(merged) as conn:
        crossing = conn.execute("SELECT count(*) FROM (SELECT story_id FROM articles GROUP BY story_id"
                                " HAVING count(DISTINCT site) > 1)").fetchone()[0]
    print(f"stories carried by more than one site after the merge: {crossing}")
    if opts.keep:
        print(f"kept in {work}")
        return
    for path in work.iterdir():
        os.remove(path)
    work.rmdir()


if __name__ == "__main__":
    main()
