"""Ingest benchmark: how fast the archive stores articles with deduplication on, and how well
it finds planted near-duplicates.

    .venv/bin/python bench/ingest.py [--n 200000] [--db /tmp/ingest.db] [--batch 1000]

Articles are synthesised from real corpus text (vi-news gold bodies and the seed document):
each original recombines real sentences into new paragraphs, with a few words swapped for
other corpus syllables and numbers redrawn, so originals differ from each other as real
articles do. A share of the articles (20% by default) are planted near-duplicates of an
earlier original, as a wire story reprinted elsewhere: a paper's lead prefix "(ABC) -", a
byline line, other photo credits, one paragraph dropped and one edited. A few more are
re-submissions of an earlier article under a URL variant (www./m./AMP/tracking parameters),
which must come back "unchanged".

Reported: articles/s through the store: the first --single articles one `store_article` call per
transaction as the crawl does, the rest written to a JSON Lines file and loaded from it as
`tintinh import` does (`archive.load`: one stream through `store_many`, a transaction per
1,000 articles, the pure preparation in --processes worker processes), the same rows through a plain sqlite-utils insert_all (into
the same migrated schema, and into a bare table), peak memory (getrusage), database size,
and precision/recall of the near-duplicate links.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import sys
import time
from pathlib import Path

import sqlite_utils

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import search  # noqa: E402
from archive.load import load  # noqa: E402
from archive.store import Archive, prepare_article  # noqa: E402

SHARED = ROOT.parent / "shared"
FIXTURES = ROOT / "tests" / "fixtures" / "archive"
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[A-ZĐÀ-Ỹ\"“])")
_DIGITS = re.compile(r"\d+")
SITES = [f"site{i:02d}" for i in range(30)]
AGENCIES = ["(CTO)", "(PLO)", "(TTXVN)", "(BLC)", "(VOV)", "(NLĐO)", "(QĐND)", "(HNM)"]
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng", "Phạm Minh Châu", "Hà Thu", "Lê Sơn"]


def corpus_sentences() -> list[str]:
    gold = sorted((SHARED / "corpora" / "vi-news" / "pages").glob("*.gold.json")) or sorted(FIXTURES.glob("*.gold.json"))
    paragraphs = [line for path in gold for line in json.loads(path.read_text())["body"].splitlines()]
    seed = SHARED / "seed" / "000_94bc274a2e71f128.txt"
    if seed.exists():
        paragraphs += seed.read_text().splitlines()
    return [s for p in paragraphs for s in _SENTENCE.split(p) if len(s.split()) >= 6]


class Synth:
    """Deterministic article i from (seed, i), so nothing big is held in memory."""

    def __init__(self, seed: int, sentences: list[str]):
        self.seed, self.sentences = seed, sentences
        self.vocab = sorted({w for s in sentences for w in s.split() if w.isalpha()})

    def _sentence(self, rng: random.Random) -> str:
        words = rng.choice(self.sentences).split()
        for _ in range(3):  # swap a few words so reused sentences differ between articles
            words[rng.randrange(len(words))] = rng.choice(self.vocab)
        return _DIGITS.sub(lambda m: str(rng.randrange(1, 10 ** len(m.group()))), " ".join(words))

    def original(self, i: int) -> dict:
        rng = random.Random(self.seed * 1_000_003 + i)
        paragraphs = [" ".join(self._sentence(rng) for _ in range(rng.randint(1, 2)))
                      for _ in range(rng.randint(5, 10))]
        captions = [f"{self._sentence(rng)} Ảnh: {rng.choice(NAMES).upper()}" for _ in range(rng.randint(0, 2))]
        for caption in captions:
            paragraphs.insert(rng.randrange(1, len(paragraphs)), caption)
        site = SITES[i % len(SITES)]
        return {
            "url": f"https://{site}.vn/thoi-su/bai-viet-{i}.html", "site": site,
            "title": " ".join(self._sentence(rng).split()[:14]),
            "sapo": self._sentence(rng), "body": "\n".join(paragraphs),
            "authors": [rng.choice(NAMES)], "published_at": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00+07:00",
            "tags": ["tin tức"], "images": [{"src": f"https://{site}.vn/img/{i}-{k}.jpg", "caption": c}
                                            for k, c in enumerate(captions)],
            "extractor": "bench@1", "language": "vi", "fetched_at": "2026-01-01T00:00:00+00:00",
        }

    def near_duplicate(self, i: int, of: int) -> dict:
        """Article `of` reprinted as article i: new lead prefix, byline, credits, one paragraph dropped, one edited."""
        rng = random.Random(self.seed * 7_000_003 + i)
        art = self.original(of)
        site = SITES[(of + rng.randint(0, len(SITES) - 1)) % len(SITES)]
        paragraphs = [re.sub(r"Ảnh: .*$", f"Ảnh: {rng.choice(NAMES).upper()}", p) for p in art["body"].splitlines()]
        del paragraphs[rng.randrange(1, len(paragraphs))]
        k = rng.randrange(len(paragraphs))
        words = paragraphs[k].split()
        for _ in range(2):
            words[rng.randrange(len(words))] = rng.choice(self.vocab)
        paragraphs[k] = " ".join(words)
        paragraphs.append(rng.choice(NAMES))
        art.update(url=f"https://{site}.vn/xa-hoi/tin-{i}.html", site=site,
                   sapo=f"{rng.choice(AGENCIES)} - {art['sapo']}", body="\n".join(paragraphs),
                   authors=[rng.choice(NAMES)])
        return art

    def url_variant(self, i: int, of: int) -> dict:
        rng = random.Random(self.seed * 9_000_011 + i)
        art = self.original(of)
        host = art["url"].split("/")[2]
        art["url"] = rng.choice([
            art["url"].replace("https://", "http://www."),
            art["url"].replace(host, "m." + host),
            art["url"].replace(".html", ".amp.html"),
            art["url"] + "?utm_source=facebook&utm_medium=social&fbclid=IwAR0x",
            art["url"] + "?zarsrc=30&gidzl=abc#comments",
        ])
        return art


def plan(n: int, dup_share: float, variant_share: float, seed: int) -> list[tuple[str, int]]:
    """For each position: ("orig", -) or ("dup"/"variant", index of an earlier original)."""
    rng = random.Random(seed)
    out, originals = [], []
    for i in range(n):
        r = rng.random()
        if originals and r < dup_share:
            out.append(("dup", rng.choice(originals)))
        elif originals and r < dup_share + variant_share:
            out.append(("variant", rng.choice(originals)))
        else:
            out.append(("orig", i))
            originals.append(i)
    return out


def articles(synth: Synth, steps, start: int, stop: int):
    for i in range(start, stop):
        kind, of = steps[i]
        if kind == "orig":
            yield synth.original(i)
        elif kind == "dup":
            yield synth.near_duplicate(i, of)
        else:
            yield synth.url_variant(i, of)


def remove(path: Path) -> None:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=1000, help="articles made up at a time for the one-transaction-each part")
    ap.add_argument("--single", type=int, default=5000, help="articles stored one transaction each")
    ap.add_argument("--processes", type=int, default=None,
                    help="store_many worker processes (default: CPUs - 1; 0: prepare in the writer)")
    ap.add_argument("--dups", type=float, default=0.20)
    ap.add_argument("--variants", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", default="/tmp/tintinh-bench-ingest.db")
    args = ap.parse_args()
    db_path = Path(args.db)
    synth = Synth(args.seed, corpus_sentences())
    steps = plan(args.n, args.dups, args.variants, args.seed)
    print(f"{len(synth.sentences)} corpus sentences; {args.n} articles: "
          f"{sum(k == 'dup' for k, _ in steps)} planted near-duplicates, "
          f"{sum(k == 'variant' for k, _ in steps)} URL variants", flush=True)

    remove(db_path)
    archive = Archive(db_path, aliases={})
    statuses: dict[str, int] = {}
    ids: dict[int, int] = {}  # position of an original → its article id (via canonical URL)
    store_seconds, single_seconds, done = 0.0, 0.0, 0
    single_n = min(args.single, args.n)
    # the crawl path: one transaction per article
    for start in range(0, single_n, args.batch):
        chunk = list(articles(synth, steps, start, min(single_n, start + args.batch)))
        t0 = time.perf_counter()
        results = [archive.store_article(a) for a in chunk]
        single_seconds += time.perf_counter() - t0
        done += len(chunk)
        for r in results:
            statuses[r] = statuses.get(r, 0) + 1
    store_seconds = single_seconds
    # the bulk path, as `tintinh import` takes it: the rest of the articles written to a JSON Lines
    # file first (not timed), then loaded from it (archive.load: one stream through store_many, a
    # transaction per 1,000 articles, the preparation in worker processes, the lines read as they go)
    lines = db_path.with_suffix(".jsonl")
    with open(lines, "w", encoding="utf-8") as out:
        for article in articles(synth, steps, single_n, args.n):
            out.write(json.dumps(article, ensure_ascii=False) + "\n")
    archive.close()
    archive = Archive(db_path, aliases={})
    t0 = time.perf_counter()
    with open(lines, "rb") as stream:
        loaded = load(archive, stream, processes=args.processes)
    store_seconds += time.perf_counter() - t0
    lines.unlink()
    for r, n in loaded.statuses.items():
        statuses[r] = statuses.get(r, 0) + n
    done += loaded.loaded

    # ground truth: every planted duplicate must share its original's story, nothing else may
    story = dict(archive.conn.execute("SELECT canonical_url, story_id FROM articles"))
    dup_of = dict(archive.conn.execute("SELECT canonical_url, duplicate_of FROM articles"))
    tp = fp = fn = 0
    for i, (kind, of) in enumerate(steps):
        if kind == "variant":
            continue
        url = synth.original(i)["url"] if kind == "orig" else synth.near_duplicate(i, of)["url"]
        key = url  # synthetic URLs are already canonical
        if kind == "dup":
            if story.get(key) is not None and story.get(key) == story.get(synth.original(of)["url"]):
                tp += 1
            else:
                fn += 1
        elif dup_of.get(key) is not None:
            fp += 1
    archive.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest worker
    size_mb = sum(p.stat().st_size for p in (db_path, Path(f"{db_path}-wal")) if p.exists()) / 1e6

    # baselines: the same rows with a plain sqlite-utils insert_all, no dedup
    def rows():
        for start in range(0, args.n, args.batch):
            out = []
            for a in articles(synth, steps, start, min(args.n, start + args.batch)):
                row = {k: v for k, v in prepare_article(a, {}).items() if not k.startswith("_")}
                out.append(row)
            yield out
    baselines = {}
    # "same schema": every index and the FTS triggers; insert_all's multi-row INSERTs are
    # indexed by the trigger (a segment per statement), the archive indexes once per transaction.
    for label, schema in (("same schema (indexes + FTS triggers)", True), ("bare table", False)):
        base = db_path.with_suffix(".baseline.db")
        remove(base)
        if schema:
            Archive(base, aliases={}).close()
        plain = sqlite_utils.Database(base)
        search.register_functions(plain.conn)
        plain.conn.execute("PRAGMA journal_mode = WAL")
        plain.conn.execute("PRAGMA synchronous = NORMAL")
        seconds = 0.0
        for chunk in rows():
            t0 = time.perf_counter()
            plain["articles"].insert_all(chunk, ignore=True, batch_size=args.batch)
            seconds += time.perf_counter() - t0
        baselines[label] = args.n / seconds
        plain.close()
        remove(base)

    rate = args.n / store_seconds
    print(f"\nstatuses: {json.dumps(statuses)}")
    print(f"store with dedup: {rate:,.0f} articles/s overall "
          f"({single_n / single_seconds if single_seconds else 0:,.0f}/s one transaction each for the first "
          f"{single_n}, {(args.n - single_n) / (store_seconds - single_seconds) if args.n > single_n else 0:,.0f}/s through import"
          f" (`tintinh import`, a transaction per 1,000), processes={args.processes if args.processes is not None else 'default'})")
    for label, base_rate in baselines.items():
        print(f"plain sqlite-utils insert_all, {label}: {base_rate:,.0f} rows/s → archive is {base_rate / rate:.2f}× slower")
    print(f"peak memory (ru_maxrss): {peak_mb:,.0f} MB writer, {worker_mb:,.0f} MB largest worker")
    print(f"database size: {size_mb:,.0f} MB")
    print(f"load average at the end (other processes share the CPUs): {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"near-duplicates: {tp} found, {fn} missed, {fp} false → "
          f"precision {tp / (tp + fp) if tp + fp else 1:.4f}, recall {tp / (tp + fn) if tp + fn else 1:.4f}")
    if not os.environ.get("KEEP_BENCH_DB"):
        remove(db_path)


if __name__ == "__main__":
    main()
