#!/usr/bin/env python3
"""Articles per second of `tintinh clean-text` on a synthetic plain-text dump, one process.

    .venv/bin/python bench/clean_text_speed.py [--articles 5000] [--keep dump.txt]

The dump is built from real text: the seed document (with all its junk) and the vi-news gold
articles, each given the junk a naive scraper leaves (a glued related-headlines line, a
caption saved twice, the title repeated, a byline, "Phiên bản di động"), repeated to
--articles articles separated by "---" lines. The timed part is what the CLI does: split the
dump, clean every article, serialise it to a JSON line; time is CPU time of this process
(the machine is shared).
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.clean_text import clean_text_article, split_dump  # noqa: E402

SEED = ROOT / "tests" / "fixtures" / "seed" / "000_94bc274a2e71f128.txt"
GOLD = ROOT / "tests" / "fixtures" / "clean_text"


def sample_articles() -> list[str]:
    texts = [SEED.read_text(encoding="utf-8")]
    for path in sorted(GOLD.glob("*.gold.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        body = gold["body"].split("\n")
        related = "".join(j for j in gold["junk"][:3])          # glued, no separator
        caption = body[2] if len(body) > 2 else body[-1]
        lines = [gold["title"], body[0], related, *body[1:3], caption, *body[3:],
                 gold["title"], "Xem thêm", *gold["authors"][:1], "Phiên bản di động"]
        texts.append("\n\n".join(lines))
    return texts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--keep", type=Path, help="also write the dump here")
    args = ap.parse_args(argv)

    samples = sample_articles()
    dump = "\n---\n".join(samples[i % len(samples)] for i in range(args.articles)) + "\n"
    if args.keep:
        args.keep.write_text(dump, encoding="utf-8")
    out = io.StringIO()
    start = time.process_time()
    count = 0
    for text in split_dump(io.StringIO(dump), "---"):
        out.write(json.dumps(clean_text_article(text), ensure_ascii=False))
        out.write("\n")
        count += 1
    elapsed = time.process_time() - start
    mb = len(dump.encode("utf-8")) / 1e6
    print(f"articles={count} input={mb:.1f} MB time={elapsed:.2f} s "
          f"articles/s={count / elapsed:.0f} MB/s={mb / elapsed:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
