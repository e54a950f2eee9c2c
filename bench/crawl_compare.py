#!/usr/bin/env python3
"""A crawl through tintinh's whole pipeline vs a bare Scrapy spider fetching the same pages.

    .venv/bin/python bench/crawl_compare.py [--copies 100] [--rounds 2] [--code DIR]

A local mirror (crawler.mirror) serves --copies DISTINCT articles for each real vi-news page of a
site with a registered feed (7 pages, ~280 KB each): copy n has its own URL (the article id + n),
declares itself as its canonical URL (every spelling of the original URL in the page is
replaced), and its paragraphs hold other sentences of the corpus, so every copy is a new
article of its own (not a version or a near duplicate of another); a feed per site lists them.

Then, in turn, --rounds times, each in a fresh process on the same mirror:
- bare: a Scrapy spider that requests every article URL and does nothing with the response
  (no extraction, no pipelines), with the same concurrency settings;
- full: `tintinh crawl` of those sites (feeds → articles → extract → validate → archive) into a
  fresh archive, the origin override sending every request to the mirror.
Each side's time is its CrawlerProcess.start() (engine start to close), pages/s its article pages
over that time. The ratio full/bare (medians) is printed last, after the CPU time each side used
per page (read from /proc: its process, start-up included, and the processes it started): on a
CPU-bound machine the ratio cannot exceed cores × bare CPU per page / full CPU per page. No politeness delay, no robots.txt,
CONCURRENT_REQUESTS 16 and 8 per host on both sides: the figure is the pipeline's cost, not a
site's. --code DIR runs the full side from another checkout of tintinh (before/after figures).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# TINTINH_CODE: import tintinh from another checkout (the --code side of a before/after run)
sys.path.insert(0, os.environ.get("TINTINH_CODE") or str(ROOT))

CORPUS = ROOT.parent / "shared" / "corpora" / "vi-news" / "pages"
SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
            "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "LOG_LEVEL": "WARNING",
            "RETRY_ENABLED": False}
_ID = re.compile(rb"(\d+)(\.\w+)$")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[A-ZĐÀ-Ỹ\"“])")


def _sentences() -> list[str]:
    lines = [line for p in sorted(CORPUS.glob("*.gold.json"))
             for line in json.loads(p.read_text(encoding="utf-8"))["body"].splitlines()]
    return [s for line in lines for s in _SENTENCE.split(line) if len(s.split()) >= 6]


def copy_url(url: str, n: int) -> str:
    """The URL of copy n: the article id at the end of the path plus n + 1."""
    return _ID.sub(lambda m: str(int(m[1]) + n + 1).encode() + m[2], url.encode()).decode()


def distinct_pages(copies: int, seed: int = 1):
    """(site, [(url, html bytes) × copies]) for each real page of a site with a feed."""
    import lxml.html

    from crawler.sites import site_for_url

    sentences, rng = _sentences(), random.Random(seed)
    for gold_path in sorted(CORPUS.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        site = site_for_url(gold["url"])
        if site is None or not site.feeds:   # discovered through feeds only
            continue
        html = gold_path.with_name(gold_path.name.replace(".gold.json", ".html")).read_bytes()
        tree = lxml.html.document_fromstring(html.decode("utf-8"))
        # every run of text of its own in the page (the article's paragraphs, and boxes around it)
        slots = [(el, attr) for el in tree.body.iter() if isinstance(el.tag, str) and el.tag not in ("script", "style")
                 for attr in ("text", "tail") if len((getattr(el, attr) or "").strip()) >= 30]
        originals = [getattr(el, attr) for el, attr in slots]
        pages = []
        for n in range(copies):
            for (el, attr), text in zip(slots, originals):
                words, out = len(text.split()), []
                while sum(len(s.split()) for s in out) < words:
                    out.append(rng.choice(sentences))
                setattr(el, attr, " " + " ".join(out) + " ")
            url = copy_url(gold["url"], n)
            body = lxml.html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")
            pages.append((url, body.replace(gold["url"].encode(), url.encode())))
        for (el, attr), text in zip(slots, originals):
            setattr(el, attr, text)
        yield site, pages


def build_mirror(copies: int):
    """(routes, slugs, article URLs) of the mirror."""
    from crawler.mirror import Route, route_key

    routes, slugs, urls = {}, [], []
    for site, pages in distinct_pages(copies):
        slugs.append(site.slug)
        for url, body in pages:
            routes[route_key(url)] = Route(body=body)
            urls.append(url)
        feed = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                + "".join(f"<item><link>{url}</link></item>" for url, _ in pages)
                + "</channel></rss>").encode()
        for feed_url in site.feeds:
            routes[route_key(feed_url)] = Route(body=feed, content_type="application/rss+xml")
    return routes, slugs, urls


# -- the two sides, each run in a process of its own (Scrapy's reactor starts once per process) --

def run_bare(urls: list[str]) -> dict:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self):
            for url in urls:
                yield scrapy.Request(url, callback=self.parse, dont_filter=True)

        def parse(self, response):
            self.crawler.stats.inc_value("bare/pages")

    process = CrawlerProcess({**SETTINGS, "TELNETCONSOLE_ENABLED": False})
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    started = time.perf_counter()
    process.start()
    return {"pages": crawler.stats.get_value("bare/pages", 0), "seconds": time.perf_counter() - started}


def run_full(slugs: list[str], origins: dict, db: str, extra: dict | None = None) -> dict:
    from crawler.run import crawl

    result = crawl(slugs, db=db, progress=lambda line: None, settings={
        **SETTINGS, "TINTINH_ORIGINS": origins, "TINTINH_DISCOVERY": ["feeds"], **(extra or {})})
    rows = result["sites"].values()
    statuses = {k: sum(row[k] for row in rows) for k in ("new", "updated", "unchanged", "duplicates", "failed")}
    return {"pages": sum(row["fetched"] for row in rows), "seconds": result["seconds"], "statuses": statuses}


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(root: int) -> dict[int, float]:
    """CPU seconds (user + system) so far of `root` and each process under it, by pid (Linux /proc;
    nothing elsewhere)."""
    parents, out = {}, {}
    if not os.path.isdir("/proc"):
        return {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            out[int(entry.name)] = (int(fields[11]) + int(fields[12])) / _TICK
    tree, grew = {root}, True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        grew = bool(below)
    return {pid: out[pid] for pid in tree if pid in out}


def side(mode: str, payload: dict, code: Path | None = None) -> dict:
    """Run one side in a fresh process; its result, with the CPU seconds its process (`cpu_main`)
    and the processes it started (`cpu_others`: extraction workers, their forkserver) used."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    if code is not None:
        env["TINTINH_CODE"] = str(code)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(payload, f)
    cpu: dict[int, float] = {}
    try:
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen([sys.executable, __file__, "--side", mode, f.name], stdout=out, stderr=err,
                                    text=True, env=env)
            deadline = time.monotonic() + 3600
            while proc.poll() is None and time.monotonic() < deadline:
                cpu.update(_cpu_seconds(proc.pid))   # the last reading of each process before it ends
                time.sleep(0.05)
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
    finally:
        os.unlink(f.name)
    if proc.returncode:
        raise SystemExit(f"{mode} side failed:\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["cpu_main"] = cpu.pop(proc.pid, 0.0)
    result["cpu_others"] = sum(cpu.values())
    return result


def cpu_ms(result: dict) -> tuple[float, float]:
    """A side's CPU milliseconds per page: (its process, the processes it started)."""
    pages = max(1, result["pages"])
    return 1000 * result["cpu_main"] / pages, 1000 * result["cpu_others"] / pages


def cpu_per_page(result: dict) -> str:
    main, others = cpu_ms(result)
    return f"CPU {main + others:.1f} ms/page ({main:.1f} in the crawl's process, {others:.1f} in its workers)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--copies", type=int, default=100, help="distinct articles per real page")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--code", type=Path, help="run the full side from this checkout of tintinh")
    parser.add_argument("--variant", action="append", default=[], metavar="KEY=VALUE",
                        help="also run the full side with this setting, each round (e.g. TINTINH_EXTRACT_PROCESSES=0)")
    parser.add_argument("--side", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:  # a child process: one side
        mode, path = args.side
        payload = json.loads(Path(path).read_text())
        result = run_bare(payload["urls"]) if mode == "bare" else run_full(
            payload["slugs"], payload["origins"], payload["db"], payload.get("settings"))
        print(json.dumps(result))
        return

    from crawler.mirror import MirrorServer, route_key

    t0 = time.perf_counter()
    routes, slugs, urls = build_mirror(args.copies)
    size = sum(len(routes[route_key(u)].body) for u in urls) / len(urls)
    print(f"mirror: {len(urls)} distinct articles of {len(slugs)} sites ({size / 1000:.0f} KB a page on"
          f" average), built in {time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.1f}"
          f" on {os.cpu_count()} CPUs", flush=True)
    bare, full = [], []
    cpu: dict[str, list[dict]] = {"bare": [], "full": []}
    variants = {v: dict([v.split("=", 1)]) for v in args.variant}
    varied: dict[str, list[float]] = {v: [] for v in variants}
    with MirrorServer(routes) as server, tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            b = side("bare", {"urls": [server.url(u) for u in urls]})
            bare.append(b["pages"] / b["seconds"])
            cpu["bare"].append(b)
            print(f"  round {r + 1} bare: {b['pages']} pages in {b['seconds']:.1f} s → {bare[-1]:.0f} pages/s;"
                  f" {cpu_per_page(b)}", flush=True)
            db = str(Path(tmp) / f"full-{r}.db")
            f = side("full", {"slugs": slugs, "origins": server.origins(), "db": db}, args.code)
            full.append(f["pages"] / f["seconds"])
            cpu["full"].append(f)
            print(f"  round {r + 1} full: {f['pages']} pages in {f['seconds']:.1f} s → {full[-1]:.0f} pages/s"
                  f" {f['statuses']}; {cpu_per_page(f)}", flush=True)
            for name, extra in variants.items():
                v = side("full", {"slugs": slugs, "origins": server.origins(), "db": f"{db}.{list(variants).index(name)}",
                                  "settings": extra}, args.code)
                varied[name].append(v["pages"] / v["seconds"])
                print(f"  round {r + 1} full, {name}: {v['pages']} pages in {v['seconds']:.1f} s →"
                      f" {varied[name][-1]:.0f} pages/s", flush=True)
            for p in Path(tmp).iterdir():
                p.unlink()
    b, f = statistics.median(bare), statistics.median(full)
    per_page = {}
    for name, runs in cpu.items():   # whole processes, start-up included
        run = sorted(runs, key=lambda r: sum(cpu_ms(r)))[len(runs) // 2]
        per_page[name] = sum(cpu_ms(run))
        print(f"{name}: median {cpu_per_page(run)}")
    if per_page["full"]:
        print(f"ceiling: with all {os.cpu_count()} CPUs busy, full/bare is at most about"
              f" {os.cpu_count()} × {per_page['bare']:.1f} / {per_page['full']:.1f} ="
              f" {os.cpu_count() * per_page['bare'] / per_page['full']:.2f}× (CPU per page with start-up: use the"
              " default --copies)")
    for name, rates in varied.items():
        print(f"full pipeline with {name}: {statistics.median(rates):.0f} pages/s, {statistics.median(rates) / b:.2f}× bare")
    print(f"bare Scrapy {b:.0f} pages/s, full pipeline {f:.0f} pages/s (medians of {args.rounds});"
          f" load average {os.getloadavg()[0]:.1f}")
    print(f"ratio full/bare: {f / b:.2f}×")


if __name__ == "__main__":
    main()
