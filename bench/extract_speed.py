"""Extraction speed: tintinh's extract_article against trafilatura.extract, same pages, one run.

Pages: the vi-news pages and the 181 article-extraction-benchmark pages (html/*.html.gz).
Each page is read and decompressed once up front; only extraction is timed. A page that raises
(NotAnArticle, …) still counts as processed: the time spent on it is real work.

    .venv/bin/python bench/extract_speed.py [--repeat N]
"""
from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
VI_PAGES = SHARED / "corpora" / "vi-news" / "pages"
BENCH_HTML = SHARED / "corpora" / "article-extraction-benchmark" / "html"


def load_pages() -> list[tuple[str, bytes, str]]:
    """(set name, page bytes, url)."""
    pages = []
    for gold_path in sorted(VI_PAGES.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        pages.append(("vi-news", (VI_PAGES / f"{gold['id']}.html").read_bytes(), gold["url"]))
    truth = {}
    truth_path = BENCH_HTML.parent / "ground-truth.json"
    if truth_path.exists():
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
    for path in sorted(BENCH_HTML.glob("*.html.gz")):
        key = path.name[:-len(".html.gz")]
        url = (truth.get(key) or {}).get("url") or f"https://example.com/{key}.html"
        pages.append(("benchmark", gzip.decompress(path.read_bytes()), url))
    return pages


def run_both(ours, theirs, pages, repeat: int) -> tuple[dict, dict]:
    """Time both extractors page by page, alternating, so load from other processes on the
    machine hits both alike (the ratio is the figure that matters)."""
    spent = {"ours": 0.0, "theirs": 0.0}
    failures = {"ours": 0, "theirs": 0}
    for _ in range(repeat):
        for _, html, url in pages:
            for name, fn in (("ours", ours), ("theirs", theirs)):
                started = time.perf_counter()
                try:
                    fn(html, url)
                except Exception:  # a page that raises is still a page processed
                    failures[name] += 1
                spent[name] += time.perf_counter() - started
    n = len(pages) * repeat
    return tuple({"pages": n, "seconds": spent[k], "pages_per_s": n / spent[k], "failures": failures[k] // repeat}
                 for k in ("ours", "theirs"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    import trafilatura

    from crawler.sites import site_profile_for_url
    from pipelines.extract import extract_article

    pages = load_pages()
    ours = lambda html, url: extract_article(html, url, site_profile_for_url(url))  # noqa: E731
    theirs = lambda html, url: trafilatura.extract(html, url=url)  # noqa: E731
    # warm-up (imports, selector compilation) outside the timing, for both
    for fn in (ours, theirs):
        for _, html, url in pages[:3]:
            try:
                fn(html, url)
            except Exception:
                pass
    for subset in ("vi-news", "benchmark", "all"):
        chosen = [p for p in pages if subset == "all" or p[0] == subset]
        a, b = run_both(ours, theirs, chosen, args.repeat)
        print(f"{subset:<10} pages={len(chosen):>3}  tintinh {a['pages_per_s']:7.1f} pages/s "
              f"(raised on {a['failures']})   trafilatura {b['pages_per_s']:7.1f} pages/s   "
              f"ratio {a['pages_per_s'] / b['pages_per_s']:.2f}x")


if __name__ == "__main__":
    main()
