"""The chart's data, the search feeds and datasette-search-all through datasette over HTTP.

    .venv/bin/python bench/feeds_latency.py --db archive.db [--rounds 5]

e.g. on the 50,000-article archive of bench/search_latency.py (--build-db). `tintinh serve` runs
on a free port; each request is sent once to warm up, then --rounds times; p50 and max in ms.
  chart data      /<db>/articles_over_time.json per day, week or month, by province or paper
  chart SQL       the same SQL as datasette-dashboards sends it (/<db>.json?sql=…)
  feed            /<db>/search_feed.atom?q=… for rare and common words
  search-all      /<db>/articles.json as datasette-search-all's page asks for each table
  dashboard page  /-/dashboards/<db> (the HTML; the bars are drawn by the browser)
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search_latency import free_port, timed_get  # noqa: E402

FEED_WORDS = ["lao cai", "Đà Nẵng", "thuy dien", "du lich", "giao thong", "nha may thuy dien hoa binh"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True, help="an archive (tintinh serve opens it read-only)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    path = Path(args.db)
    name = path.stem
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([str(Path(sys.executable).with_name("tintinh")), "serve", "--db", str(path),
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("datasette did not start")
                time.sleep(0.2)
        count = json.loads(urllib.request.urlopen(
            f"{base}/{name}.json?sql=select+count(*)+as+n+from+articles&_shape=array").read())[0]["n"]
        sql = json.loads(urllib.request.urlopen(base + "/-/metadata.json").read())[
            "plugins"]["datasette-dashboards"][name]["charts"]["over-time"]["query"]
        filters = {"province": "", "paper": "", "since": "", "until": ""}
        requests = [
            *[(f"chart data {unit:5s} by {by:8s}",
               f"/{name}/articles_over_time.json?interval={unit}&by={by}&_shape=array")
              for by in ("province", "paper") for unit in ("day", "week", "month")],
            ("chart data week, all time", f"/{name}/articles_over_time.json?interval=week&since=2000-01-01"),
            ("chart data week, one province", f"/{name}/articles_over_time.json?interval=week&province=lao+cai"),
            ("chart SQL week by province", f"/{name}.json?" + urllib.parse.urlencode(
                {"sql": sql, "interval": "week", "by": "province", **filters, "_shape": "objects"})),
            *[(f"feed {q!r}", f"/{name}/search_feed.atom?" + urllib.parse.urlencode({"q": q})) for q in FEED_WORDS],
            ("search-all 'du lich'", f"/{name}/articles.json?_shape=objects&_labels=on&_extra=count"
                                     "&_extra=database&_extra=table&_size=5&_search=du+lich"),
            ("dashboard page", f"/-/dashboards/{name}?interval=week&by=province"),
        ]
        print(f"{count} articles in {path} ({path.stat().st_size / 1e6:.0f} MB), {args.rounds} rounds, sequential")
        for label, url in requests:
            timed_get(base + url)
            runs = [timed_get(base + url) for _ in range(args.rounds)]
            times = sorted(ms for ms, _ in runs)
            failed = sum(not ok for _, ok in runs)
            note = f"   {failed}/{len(runs)} failed (over datasette's time limit?)" if failed else ""
            print(f"{label:34s} p50 {statistics.median(times):7.1f} ms   max {times[-1]:7.1f} ms{note}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
