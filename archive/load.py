"""Load articles from JSON Lines into an archive, deduplicated like crawled ones.

Reads what `tintinh export` writes (to merge archives kept on several machines) and what
`tintinh extract --manifest` / `tintinh clean-text --jsonl` print (pages saved elsewhere). Each
line is one article object; a line that is not one, or an article the archive refuses, is
counted with its line number and reason, and the load goes on.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from archive.store import STATUSES, Archive, BadArticle

SHOWN_PROBLEMS = 10  # bad lines described one by one; the rest are only counted


@dataclass
class LoadResult:
    lines: int = 0
    statuses: Counter = field(default_factory=Counter)
    bad: int = 0
    found: list[tuple[int, str]] = field(default_factory=list)  # (line, reason): the first SHOWN_PROBLEMS

    @property
    def problems(self) -> list[str]:
        """The first bad lines, in line order: "line N: reason"."""
        return [f"line {number}: {reason}" for number, reason in self.found]

    def __str__(self) -> str:
        counts = ", ".join(f"{self.statuses[s]} {s}" for s in STATUSES)
        return f"{self.lines} lines: {counts}, {self.bad} bad"


def _article(record: dict) -> dict:
    """An exported row back into an article: its first-seen time is when it was fetched."""
    if not record.get("fetched_at"):
        record = dict(record, fetched_at=record.get("first_seen") or record.get("last_seen"))
    return record


def load(archive: Archive, lines: Iterable[str], *, processes: int | None = None) -> LoadResult:
    """Store every article line in `lines` (JSON objects) through `Archive.store_many`."""
    result = LoadResult()
    numbers: list[int] = []  # line number of each article handed to store_many, in order

    def articles() -> Iterator[dict]:
        for number, line in enumerate(lines, 1):
            result.lines += 1
            if not line.strip():
                result.lines -= 1
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                _problem(result, number, f"not JSON ({e.msg})")
                continue
            if not isinstance(record, dict):
                _problem(result, number, "not a JSON object")
                continue
            if record.get("error") and not record.get("url"):  # a page `extract --manifest` could not read
                _problem(result, number, f"{record.get('path') or 'page'}: {record['error']}")
                continue
            numbers.append(number)
            yield _article(record)

    for i, status in enumerate(archive.store_many(articles(), processes=processes)):
        if isinstance(status, BadArticle):
            _problem(result, numbers[i], str(status))
        else:
            result.statuses[status] += 1
    return result


def _problem(result: LoadResult, number: int, reason: str) -> None:
    """Count a bad line; keep the SHOWN_PROBLEMS first ones (lines are read ahead of the store's
    answers, so they come out of order)."""
    result.bad += 1
    result.found = sorted(result.found + [(number, reason)])[:SHOWN_PROBLEMS]
