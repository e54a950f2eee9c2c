#!/usr/bin/env python3
"""What keeping a raw page costs: zlib levels 1/3/6 (6 is what archives stored before) and
Zstandard levels 1-3, with and without a dictionary trained on news pages.

    .venv/bin/python bench/page_compression.py [--rounds 5]

Pages: every real saved page (vi-news corpus and the test fixtures, one copy each). The
dictionary is trained on half of them; every option is measured on the other half (for the
dictionary, pages it has not seen, as a new paper's would be).
Each figure is the best of --rounds (the machine is shared: the best is the least disturbed),
with the median beside it.
"""
from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.pagecodec import zstd  # noqa: E402

SOURCES = [(ROOT.parent / "shared" / "corpora" / "vi-news" / "pages", "*.html"),
           (ROOT / "tests" / "fixtures" / "pages", "*.html.gz"), (ROOT / "tests" / "fixtures" / "site", "*.html.gz")]


def real_pages() -> list[bytes]:
    pages = {}
    for folder, pattern in SOURCES:
        for path in sorted(folder.glob(pattern)):
            data = path.read_bytes()
            pages.setdefault(path.name.removesuffix(".gz"), gzip.decompress(data) if path.suffix == ".gz" else data)
    return list(pages.values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    pages = real_pages()
    train, test = pages[::2], pages[1::2]
    dictionary = zstd.train_dict(train, 112 * 1024)
    flush = zstd.ZstdCompressor.FLUSH_FRAME
    options = {f"zlib {level}": (test, lambda b, level=level: zlib.compress(b, level), zlib.decompress)
               for level in (1, 3, 6)}
    for level in (1, 2, 3):
        options[f"zstd {level}"] = (test, lambda b, c=zstd.ZstdCompressor(level): c.compress(b, flush), zstd.decompress)
        options[f"zstd {level} + dictionary"] = (
            test, lambda b, c=zstd.ZstdCompressor(level, zstd_dict=dictionary): c.compress(b, flush),
            lambda blob: zstd.decompress(blob, zstd_dict=dictionary))
    print(f"{len(pages)} real pages; the dictionary trained on {len(train)}, every option measured on the"
          f" other {len(test)} ({sum(map(len, test)) / len(test) / 1000:.0f} KB on average)")
    times = {name: ([], []) for name in options}
    for _ in range(args.rounds):   # in turn, so that each option sees the same machine load
        for name, (data, compress, decompress) in options.items():
            t0 = time.perf_counter()
            blobs = [compress(b) for b in data]
            t1 = time.perf_counter()
            assert [decompress(blob) for blob in blobs] == data
            times[name][0].append((t1 - t0) / len(data))
            times[name][1].append((time.perf_counter() - t1) / len(data))
            times[name] += () if len(times[name]) > 2 else (sum(map(len, data)) / sum(map(len, blobs)),)
    for name, (packing, unpacking, ratio) in times.items():
        print(f"{name:22s} {min(packing) * 1000:5.2f} ms/page (median {statistics.median(packing) * 1000:5.2f}),"
              f" read back {min(unpacking) * 1000:4.2f} ms, ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
