"""Load articles from JSON Lines into an archive, deduplicated like crawled ones.

Reads what `tintinh export` writes (to merge archives kept on several machines) and what
`tintinh extract --manifest` / `tintinh clean-text --jsonl` print (pages saved elsewhere). Each
line is one article object; a line that is not one, or an article the archive refuses, is
counted with its line number and reason, and the load goes on.
"""
from __future__ import annotations

import json
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from archive.store import STATUSES, Archive, BadArticle

SHOWN_PROBLEMS = 10  # bad lines described one by one; the rest are only counted


@dataclass
class LoadResult:
    lines: int = 0
    statuses: Counter = field(default_factory=Counter)
    bad: int = 0
    problems: list[str] = field(default_factory=list)  # the first SHOWN_PROBLEMS, "line N: reason"

    def __str__(self) -> str:
        counts = ", ".join(f"{self.statuses[s]} {s}" for s in STATUSES)
        return f"{self.lines} lines: {counts}, {self.bad} bad"


@dataclass
class _Problems:
    count: int = 0
    first: list[tuple[int, str]] = field(default_factory=list)

    def add(self, number: int, reason: str) -> None:
        self.count += 1
        if len(self.first) < SHOWN_PROBLEMS:
            self.first.append((number, reason))


def _article(record: dict) -> dict:
    """An exported row back into an article: its first-seen time is when it was fetched."""
    if not record.get("fetched_at"):
        record = dict(record, fetched_at=record.get("first_seen") or record.get("last_seen"))
    return record


def load(archive: Archive, lines: Iterable[str], *, processes: int | None = None) -> LoadResult:
    """Store every article line in `lines` (JSON objects) through `Archive.store_many`."""
    result = LoadResult()
    # The reader runs in store_many's feeder thread, ahead of the answers: it alone touches
    # `unreadable` and `result.lines`, this thread `refused`; `numbers` (a deque) passes between.
    unreadable, refused = _Problems(), _Problems()
    numbers: deque[int] = deque()  # line number of each article handed on, until its answer

    def articles() -> Iterator[dict]:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            result.lines += 1
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                unreadable.add(number, f"not JSON ({e.msg})")
                continue
            if not isinstance(record, dict):
                unreadable.add(number, "not a JSON object")
                continue
            if record.get("error") and not record.get("url"):  # a page `extract --manifest` could not read
                unreadable.add(number, f"{record.get('path') or 'page'}: {record['error']}")
                continue
            numbers.append(number)
            yield _article(record)

    for status in archive.store_many(articles(), processes=processes):
        number = numbers.popleft()
        if isinstance(status, BadArticle):
            refused.add(number, str(status))
        else:
            result.statuses[status] += 1
    result.bad = unreadable.count + refused.count
    result.problems = [f"line {n}: {reason}" for n, reason in sorted(unreadable.first + refused.first)[:SHOWN_PROBLEMS]]
    return result
