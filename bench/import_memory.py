"""Import benchmark: `tintinh import` of a big JSON Lines file keeps memory bounded and skips what is bad.

    .venv/bin/python bench/import_memory.py [--size 1024] [--huge 300] [--dir /tmp] [--processes N]

Writes, in a temporary directory, about --size MB of JSON Lines: real-looking articles
(bench/ingest.py's synthesis from corpus sentences: originals, 20% planted near-duplicates, 5% URL
variants), and among them one --huge MB line (a valid article with an enormous body), one line of
5.5 MB (over the 5 MB limit), one of 4.5 MB (under it: loaded), a line in cp1252 after 1,500 good
ones, and lines with wrong types ("url": 12345, "title": 5, "body": [...], "authors": "a string"),
one that is not JSON and one lone surrogate. Then runs `tintinh import FILE --db DB` as a
subprocess and reports: wall time, articles/s, the summary and skipped lines it printed, its
exit status, and peak memory: the peak RSS (VmHWM) of the importing process and of its largest
worker, read from /proc while it runs, and getrusage's largest descendant as a cross-check.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from ingest import Synth, corpus_sentences, plan  # noqa: E402


def bad_lines() -> list[bytes]:
    art = {"url": "https://site01.vn/bad/{n}.html", "title": "Tiêu đề", "body": "Nội dung bài viết."}

    def variant(n, **changes):  # ASCII escapes: a lone surrogate can be written
        return json.dumps({**art, "url": art["url"].format(n=n), **changes}).encode()
    return [variant(1, url=12345), variant(2, title=5), variant(3, body=["một", "hai"]),
            variant(4, authors="Nguyen Van A"), b"{not json", variant(5, title="\ud800")]


def write_jsonl(path: Path, size_mb: int, huge_mb: int, seed: int = 1) -> dict:
    """Write the file; return what was planted (line numbers of the odd lines, counts)."""
    synth = Synth(seed, corpus_sentences())
    target = size_mb * 1024 * 1024  # every line counts, the huge one too
    steps = plan(max(1, (target - huge_mb * 1024 * 1024) // 3000) + 1000, 0.20, 0.05, seed)
    planted = {"bad": [], "huge": None, "over": None, "big_ok": None, "articles": 0}
    odd = {1500: "cp1252", 3000: "huge", 4500: "over", 6000: "big_ok"}
    odd.update({7000 + 500 * k: ("bad", line) for k, line in enumerate(bad_lines())})
    written, number, i = 0, 0, 0
    with path.open("wb") as out:
        while written < target or any(n > number for n in odd):
            number += 1
            kind = odd.get(number)
            if kind == "cp1252":
                data = json.dumps({"url": "https://site02.vn/a-1.html", "title": "Hòa Bình"}, ensure_ascii=False).encode("cp1252")
                planted["bad"].append(number)
            elif kind == "huge":  # streamed out, never built in memory
                head = json.dumps({"url": "https://site03.vn/huge.html", "title": "Rất dài"})[:-1].encode()
                out.write(head + b', "body": "')
                chunk = ("Một đoạn văn rất dài. " * 40_000).encode()
                for _ in range(huge_mb * 1024 * 1024 // len(chunk)):
                    out.write(chunk)
                    written += len(chunk)
                out.write(b'"}\n')
                planted["huge"] = number
                planted["bad"].append(number)
                continue
            elif kind in ("over", "big_ok"):
                mb = 5.5 if kind == "over" else 4.5
                body = "Một đoạn văn dài. " * int(mb * 1024 * 1024 / len("Một đoạn văn dài. ".encode()))
                data = json.dumps({"url": f"https://site04.vn/{kind}.html", "title": kind, "body": body},
                                  ensure_ascii=False).encode()
                planted[kind] = number
                if kind == "over":
                    planted["bad"].append(number)
                else:
                    planted["articles"] += 1
            elif isinstance(kind, tuple):
                data = kind[1]
                planted["bad"].append(number)
            else:
                k, of = steps[i % len(steps)]
                art = synth.original(i) if k == "orig" else synth.near_duplicate(i, of) if k == "dup" else synth.url_variant(i, of)
                data = json.dumps(art, ensure_ascii=False).encode()
                planted["articles"] += 1
                i += 1
            out.write(data + b"\n")
            written += len(data) + 1
    planted["lines"] = number
    return planted


def tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def peak_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024, help="MB of JSON Lines to write (default 1024)")
    ap.add_argument("--huge", type=int, default=300, help="MB of the one enormous line (default 300)")
    ap.add_argument("--processes", type=int, help="passed to tintinh import --processes")
    ap.add_argument("--dir", default=None, help="where the temporary directory goes (default: the system's)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="tintinh-import-bench-") as tmp:
        path, db = Path(tmp) / "articles.jsonl", Path(tmp) / "archive.db"
        t0 = time.perf_counter()
        planted = write_jsonl(path, args.size, args.huge)
        print(f"wrote {path.stat().st_size / 1e6:,.0f} MB, {planted['lines']:,} lines ({planted['articles']:,} articles,"
              f" {len(planted['bad'])} bad lines at {planted['bad']}) in {time.perf_counter() - t0:.0f} s", flush=True)
        command = [str(ROOT / ".venv" / "bin" / "tintinh"), "import", str(path), "--db", str(db)]
        if args.processes is not None:
            command += ["--processes", str(args.processes)]
        peaks: dict[int, int] = {}
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                for p in tree(proc.pid):
                    peaks[p] = max(peaks.get(p, 0), peak_kb(p))
                stop.wait(0.2)
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        out, err = proc.communicate()
        seconds = time.perf_counter() - t0
        stop.set()
        watcher.join()
        children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        writer_mb = peaks.get(proc.pid, 0) / 1024
        workers = [kb for p, kb in peaks.items() if p != proc.pid]
        print(f"tintinh import: exit status {proc.returncode}, {seconds:.0f} s")
        print("stdout: " + out.strip())
        print("stderr:\n  " + err.strip().replace("\n", "\n  "))
        loaded = int(out.split(" loaded")[0].rsplit(" ", 1)[1]) if " loaded" in out else 0
        print(f"{loaded:,} articles loaded, {loaded / seconds:,.0f} articles/s (file of {path.stat().st_size / 1e6:,.0f} MB:"
              f" {path.stat().st_size / 1e6 / seconds:.1f} MB/s)")
        print(f"peak RSS: importing process {writer_mb:,.0f} MB, largest worker"
              f" {max(workers, default=0) / 1024:,.0f} MB ({len(workers)} worker(s) seen);"
              f" getrusage largest descendant {children_mb:,.0f} MB")
        print(f"archive: {sum(p.stat().st_size for p in Path(tmp).glob('archive.db*')) / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
