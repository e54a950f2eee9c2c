"""Load articles from JSON Lines into an archive, deduplicated like crawled ones.

Reads what `tintinh export` writes (to merge archives kept on several machines) and what
`tintinh extract --manifest` / `tintinh clean-text --jsonl` print (pages saved elsewhere). Each
line is one article object. The file is read as bytes, a line at a time and never more than
`max_line` bytes of one: a line that is too long (dropped unread), not UTF-8, not a JSON object,
of the wrong shape (`archive.article_schema`) or refused by the archive is skipped with its
number and reason, and the load goes on. Lines go to the archive's workers as one stream
(`Archive.store_stream`): they parse, check and prepare each, while this process only writes,
and they read only a bounded number of lines ahead of what is stored, so memory does not grow
with the file.

A line from `tintinh export` also brings back what storing the article alone does not: its
earlier texts (article_versions), its other URL spellings, when it was first and last seen, and
its story: an article that was in an earlier article's story where it was exported joins that
story here if deduplication left it on its own (a story's texts can drift apart with updates).
"""
from __future__ import annotations

import json
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import BinaryIO, Iterable, Iterator

from archive.article_schema import BadRecord, check_article
from archive.store import STATUSES, Archive, prepare_article
from common.text import nfc
from common.urls import BadURL, canonical_url

MAX_LINE_BYTES = 5 * 1024 * 1024  # one article; a longer line is skipped without being read in
SHOWN_PROBLEMS = 10  # skipped lines described one by one (the first ones); the rest are only counted
_DROP_CHUNK = 1024 * 1024  # the rest of an over-long line is read and dropped this much at a time
# What an exported line carries beside the article, restored after it is stored (`_restore`).
_HISTORY = ("versions", "aliases", "first_seen", "last_seen", "id", "story_id", "duplicate_of")


@dataclass
class LoadResult:
    lines: int = 0  # lines that were not blank
    statuses: Counter = field(default_factory=Counter)
    skipped: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # the first SHOWN_PROBLEMS, by line

    @property
    def loaded(self) -> int:
        return sum(self.statuses.values())

    def skip(self, number: int, reason: str) -> None:
        self.skipped += 1
        self.problems.append((number, reason))
        if len(self.problems) > SHOWN_PROBLEMS:  # found out of line order within a slice: keep the first
            self.problems.remove(max(self.problems))

    def described(self) -> list[str]:
        return [f"line {n}: {reason}" for n, reason in sorted(self.problems)]

    def __str__(self) -> str:
        counts = ", ".join(f"{self.statuses[s]} {s}" for s in STATUSES)
        return f"{self.lines} lines: {self.loaded} loaded ({counts}), {self.skipped} skipped"


def read_lines(stream: BinaryIO, limit: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes | None, int]]:
    """(number, bytes without the line end, length) for each line of a binary stream. A line over
    `limit` bytes comes as (number, None, length): it is read in bounded chunks and dropped."""
    number = 0
    while line := stream.readline(limit + 1):
        number += 1
        if line.endswith(b"\n"):
            yield number, line[:-1], len(line) - 1
        elif len(line) <= limit:  # the last line, without a line end
            yield number, line, len(line)
        else:
            length = len(line)
            while chunk := stream.readline(_DROP_CHUNK):
                if chunk.endswith(b"\n"):
                    length += len(chunk) - 1
                    break
                length += len(chunk)
            yield number, None, length


def parse_line(raw: bytes) -> dict:
    """The article record of one line, or BadRecord saying why there is none."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadRecord(f"not UTF-8 ({e.reason} at byte {e.start} of the line)") from None
    try:
        record = json.loads(text.removeprefix("\ufeff"))
    except RecursionError:
        raise BadRecord("not JSON (nested too deeply)") from None
    except ValueError as e:  # JSONDecodeError, or e.g. an integer too long to convert
        raise BadRecord(f"not JSON ({getattr(e, 'msg', e)})") from None
    if not isinstance(record, dict):
        raise BadRecord("not a JSON object")
    if record.get("error") and not record.get("url"):  # a page `extract --manifest` could not read
        raise BadRecord(f"{record.get('path') or 'page'}: {record['error']}")
    check_article(record)
    if not record.get("fetched_at"):  # an exported row: its text was fetched when first seen
        record["fetched_at"] = record.get("first_seen") or record.get("last_seen")
    return record


def load(archive: Archive, stream: BinaryIO, *, processes: int | None = None,
         max_line: int = MAX_LINE_BYTES) -> LoadResult:
    """Store every article line of a binary stream through `Archive.store_many`; skip the others."""
    result = LoadResult()

    def records() -> Iterator[tuple[int, dict, int]]:
        for number, raw, length in read_lines(stream, max_line):
            if raw is None:
                result.lines += 1
                result.skip(number, f"{length:,} bytes long, over the limit of {max_line:,} bytes an article")
                continue
            if not raw.strip():
                continue
            result.lines += 1
            yield number, raw, length   # parsed and checked by a worker (`prepared_record`)
    return load_records(archive, records(), processes=processes, result=result)


def load_records(archive: Archive, records: Iterable[tuple[int, dict | bytes, int]], *,
                 processes: int | None = None, result: LoadResult | None = None) -> LoadResult:
    """Store (number, record, size) article records, each a dict or a line's bytes, as `load`
    does a file's lines (an exported record's history too: archive.merge reads them from another
    archive with `export.iter_articles`)."""
    result = result if result is not None else LoadResult()
    exported = _ExportedIds(archive)
    numbers: deque = deque()  # the number of each record read and not yet stored

    def items() -> Iterator[dict | bytes]:
        for number, record, _ in records:
            numbers.append(number)
            yield record

    # one stream: the records are parsed and prepared by the archive's workers, read only as far
    # as they need, and committed as they go; this process only writes
    for row, status in archive.store_stream(items(), prepared_record, processes=processes):
        number = numbers.popleft()
        if status is None:  # the error saying why there is no article
            result.skip(number, str(row))
            continue
        if row["_history"]:
            status = _restore(archive, row["url"], row["_history"], exported, status)
        result.statuses[status] += 1
    exported.forget()
    return result


def prepared_record(record: dict | bytes, aliases: dict[str, str]) -> dict:
    """What an archive's worker makes of one record (a line's bytes are parsed and checked
    first, `parse_line`): its row (`prepare_article`) with what an exported line carries beside
    the article set aside as `_history`; an ArchiveError says why there is none."""
    if isinstance(record, bytes):
        record = parse_line(record)
    history = {key: record.pop(key) for key in _HISTORY if key in record}
    if "story_id" in history:  # the article it was there, to tell it from one it was merged into here
        history["canonical_url"] = record.get("canonical_url")
    else:  # an "id" from clean-text --jsonl is the user's, not an export's
        history.pop("id", None)
    return {**prepare_article(record, aliases), "_history": history}


class _ExportedIds:
    """Ids of the archive a file was exported from → ids here, for the lines loaded so far (a
    temporary table: as many rows as articles, out of Python memory). Export writes ids in
    increasing order, so a smaller id starts another export (files joined together)."""

    def __init__(self, archive: Archive):
        self.conn, self.last = archive.conn, None
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS load_ids"
                          " (source_id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL)")
        self.conn.execute("CREATE INDEX IF NOT EXISTS temp.load_ids_article ON load_ids (article_id)")
        self.forget()

    def forget(self) -> None:
        self.conn.execute("DELETE FROM temp.load_ids")
        self.last = None

    def note(self, source_id: int, article_id: int) -> None:
        if self.last is not None and source_id <= self.last:
            self.forget()
        self.last = source_id
        self.conn.execute("INSERT OR REPLACE INTO temp.load_ids VALUES (?, ?)", (source_id, article_id))

    def get(self, source_id: int) -> int | None:
        row = self.conn.execute("SELECT article_id FROM temp.load_ids WHERE source_id = ?", (source_id,)).fetchone()
        return row[0] if row else None


def _restore(archive: Archive, url: str, history: dict, exported: _ExportedIds, status: str) -> str:
    """Bring back, for the article just stored from `url`, what its exported line carries beside
    the article: other URL spellings, first/last seen, earlier texts, its story. Returns the
    status, "new" or "duplicate" as the story it is left in says for a new row."""
    try:
        key = canonical_url(url.strip(), archive.aliases)
    except BadURL:
        return status
    row = archive.conn.execute("SELECT a.id, a.canonical_url FROM url_aliases u JOIN articles a ON a.id = u.article_id"
                               " WHERE u.url = ?", (key,)).fetchone()
    if row is None:
        return status
    article_id, stored_as = row
    with archive._transaction():
        archive.conn.executemany("INSERT OR IGNORE INTO url_aliases (url, article_id) VALUES (?, ?)",
                                 [(alias, article_id) for alias in history.get("aliases") or []])
        first, last = history.get("first_seen"), history.get("last_seen")
        if first or last:
            archive.conn.execute(
                "UPDATE articles SET first_seen = min(coalesce(first_seen, :first), coalesce(:first, first_seen)),"
                " last_seen = max(coalesce(last_seen, :last), coalesce(:last, last_seen)) WHERE id = :id",
                {"first": first or None, "last": last or None, "id": article_id})
        for version in history.get("versions") or []:
            values = (article_id, nfc(version.get("title")), nfc(version.get("sapo")), nfc(version.get("body")),
                      version.get("content_hash"), version.get("fetched_at"), version["replaced_at"])
            archive.conn.execute(
                "INSERT INTO article_versions (article_id, title, sapo, body, content_hash, fetched_at, replaced_at)"
                " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE NOT EXISTS (SELECT 1 FROM article_versions"
                " WHERE article_id = ?1 AND replaced_at = ?7 AND content_hash IS ?5 AND fetched_at IS ?6)", values)
        if (history.get("story_id") is not None and history.get("id") is not None
                and stored_as == history["canonical_url"]):  # not merged into another article here
            regrouped = _regroup(archive, article_id, history["id"], history["story_id"], exported)
            if regrouped and status in ("new", "duplicate"):
                status = regrouped
    return status


def _regroup(archive: Archive, article_id: int, source_id: int, source_story: int,
             exported: _ExportedIds) -> str | None:
    """Give the article the story it had where it was exported, among the articles of the same
    file: out of a story that deduplication here formed with articles of this file only, and
    into the story of the article that began its story there. Stories with articles that were
    here before the load are left as deduplication made them. Returns "new" (a story of its own
    now) or "duplicate" (in another article's story now), None when nothing moved."""
    exported.note(source_id, article_id)
    conn = archive.conn
    story, published_at = conn.execute("SELECT story_id, published_at FROM articles WHERE id = ?",
                                       (article_id,)).fetchone()
    if source_story == source_id:  # it began its story there
        if story == article_id:
            return None
        head = None
    else:
        head = exported.get(source_story)
        if head is None or _story_of(archive, head) == story:
            return None
    (members, from_before) = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM temp.load_ids l"
        " WHERE l.article_id = a.id)) FROM articles a WHERE story_id = ?", (story,)).fetchone()
    if members > 1:
        if from_before:
            return None
        _leave_story(archive, article_id, story)
    if head is None:
        return "new"
    archive._join_story(article_id, head, published_at)
    return "duplicate"


def _story_of(archive: Archive, article_id: int) -> int:
    return archive.conn.execute("SELECT story_id FROM articles WHERE id = ?", (article_id,)).fetchone()[0]


def _leave_story(archive: Archive, article_id: int, story: int) -> None:
    """Make the article a story of its own; the rest of `story` keeps (or gets) as the copy the
    others duplicate its earliest published article (the lowest id among equals)."""
    conn = archive.conn
    conn.execute("UPDATE articles SET story_id = id, duplicate_of = NULL WHERE id = ?", (article_id,))
    (earliest,) = conn.execute("SELECT id FROM articles WHERE story_id = ? ORDER BY duplicate_of IS NOT NULL,"
                               " published_at IS NULL, published_at, id LIMIT 1", (story,)).fetchone()
    conn.execute("UPDATE articles SET duplicate_of = CASE WHEN id = :e THEN NULL ELSE :e END"
                 " WHERE story_id = :story", {"e": earliest, "story": story})
