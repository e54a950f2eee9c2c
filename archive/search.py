"""Full-text search over articles that understands Vietnamese accents.

Two FTS5 indexes, both external-content (they store only the index; the text stays in `articles`):

- `articles_fts` (accent-insensitive): the original title/sapo/body plus folded copies
  (`fold_accents`: no diacritics, đ → d) under `unicode61 remove_diacritics 2`. A query
  without accents ("da nang") matches the folded copies; one with accents ("Đà Nẵng") matches
  the originals, because unicode61 strips tones but keeps đ (đ has no Unicode decomposition).
  So datasette's own `?_search=` works unchanged, accents or not.
- `articles_fts_exact` (exact accents): tone-unified text (`unify_tones`: hoà → hòa) under
  `unicode61 remove_diacritics 0`, queried with a tone-unified query: "Hòa" finds Hòa and Hoà
  but not Hóa.

Their content tables are views computing the folded/unified text with the SQL functions
`vi_fold` / `vi_tone`, so every connection that writes `articles` (triggers keep the indexes in
sync) or asks for a rebuild needs `register_functions(conn)` first.
"""
from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from common.text import fold_accents, nfc, unify_tones

FTS_TABLE = "articles_fts"
EXACT_FTS_TABLE = "articles_fts_exact"

# Old spellings must be deleted from an external-content index with exactly the values that
# were indexed, so the triggers recompute them from old.* with the same deterministic functions.
MIGRATION_SQL = """
-- Browsing indexes for the datasette views (latest by province, articles per day per province,
-- facets): without them each of those scans every article (0.3-0.9 s at 200,000 articles).
CREATE INDEX articles_province_published ON articles(province, published_at);
CREATE INDEX articles_published_province ON articles(published_at, province);
CREATE INDEX articles_category ON articles(category);
CREATE VIEW articles_fts_source AS
    SELECT id, title, sapo, body,
           vi_fold(title) AS title_fold, vi_fold(sapo) AS sapo_fold, vi_fold(body) AS body_fold
    FROM articles;
CREATE VIEW articles_fts_exact_source AS
    SELECT id, vi_tone(title) AS title, vi_tone(sapo) AS sapo, vi_tone(body) AS body
    FROM articles;
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, sapo, body, title_fold, sapo_fold, body_fold,
    content='articles_fts_source', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE articles_fts_exact USING fts5(
    title, sapo, body,
    content='articles_fts_exact_source', content_rowid='id',
    tokenize='unicode61 remove_diacritics 0'
);
CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, sapo, body, title_fold, sapo_fold, body_fold)
    VALUES (new.id, new.title, new.sapo, new.body,
            vi_fold(new.title), vi_fold(new.sapo), vi_fold(new.body));
    INSERT INTO articles_fts_exact(rowid, title, sapo, body)
    VALUES (new.id, vi_tone(new.title), vi_tone(new.sapo), vi_tone(new.body));
END;
CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, sapo, body, title_fold, sapo_fold, body_fold)
    VALUES ('delete', old.id, old.title, old.sapo, old.body,
            vi_fold(old.title), vi_fold(old.sapo), vi_fold(old.body));
    INSERT INTO articles_fts_exact(articles_fts_exact, rowid, title, sapo, body)
    VALUES ('delete', old.id, vi_tone(old.title), vi_tone(old.sapo), vi_tone(old.body));
END;
CREATE TRIGGER articles_fts_au AFTER UPDATE OF id, title, sapo, body ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, sapo, body, title_fold, sapo_fold, body_fold)
    VALUES ('delete', old.id, old.title, old.sapo, old.body,
            vi_fold(old.title), vi_fold(old.sapo), vi_fold(old.body));
    INSERT INTO articles_fts_exact(articles_fts_exact, rowid, title, sapo, body)
    VALUES ('delete', old.id, vi_tone(old.title), vi_tone(old.sapo), vi_tone(old.body));
    INSERT INTO articles_fts(rowid, title, sapo, body, title_fold, sapo_fold, body_fold)
    VALUES (new.id, new.title, new.sapo, new.body,
            vi_fold(new.title), vi_fold(new.sapo), vi_fold(new.body));
    INSERT INTO articles_fts_exact(rowid, title, sapo, body)
    VALUES (new.id, vi_tone(new.title), vi_tone(new.sapo), vi_tone(new.body));
END;
INSERT INTO articles_fts(articles_fts) VALUES ('rebuild');
INSERT INTO articles_fts_exact(articles_fts_exact) VALUES ('rebuild');
"""


# Migration 3. SQLite (3.40) makes FTS5 write its pending terms out as a new segment at every
# statement savepoint, and an INSERT that fires a trigger opens one: indexing by trigger wrote a
# segment (and merge work) per article even inside one big transaction. The insert trigger now
# stands aside while the writing connection says vi_fts_deferred() (archive.store, around its
# own INSERT), and that writer indexes its new rows itself with `INDEX_PENDING_SQL` before the
# transaction ends. Every other writer (vi_fts_deferred() is 0 by default) is indexed as before.
DEFERRED_TRIGGER_SQL = """
DROP TRIGGER articles_fts_ai;
CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles WHEN NOT vi_fts_deferred() BEGIN
    INSERT INTO articles_fts(rowid, title, sapo, body, title_fold, sapo_fold, body_fold)
    VALUES (new.id, new.title, new.sapo, new.body,
            vi_fold(new.title), vi_fold(new.sapo), vi_fold(new.body));
    INSERT INTO articles_fts_exact(rowid, title, sapo, body)
    VALUES (new.id, vi_tone(new.title), vi_tone(new.sapo), vi_tone(new.body));
END;
-- Merge 8 segments of a level at a time, not 4: a third less merge work while loading,
-- a few more segments for a query to visit.
INSERT INTO articles_fts(articles_fts, rank) VALUES ('automerge', 8);
INSERT INTO articles_fts_exact(articles_fts_exact, rank) VALUES ('automerge', 8);
"""
# Migration 5. FTS5 writes its pending terms out as a segment whenever they pass `hashsize`
# (1 MB by default), so a 1,000-article transaction still made several small segments that the
# merges then rewrote. 64 MB holds a whole batch: one segment per transaction. Levels merge at 16
# segments rather than 8, halving the rewrites while loading; a query visits a few more segments.
INDEX_TUNING_SQL = """
INSERT INTO articles_fts(articles_fts, rank) VALUES ('hashsize', 67108864);
INSERT INTO articles_fts_exact(articles_fts_exact, rank) VALUES ('hashsize', 67108864);
INSERT INTO articles_fts(articles_fts, rank) VALUES ('automerge', 16);
INSERT INTO articles_fts_exact(articles_fts_exact, rank) VALUES ('automerge', 16);
"""
# The writer's rows that the insert trigger skipped wait in a temporary table with their folded
# and tone-unified text, computed by `index_texts` where the article was prepared (possibly in
# another process), and go into both indexes in one statement each before the transaction ends.
PENDING_TABLE_SQL = (
    "CREATE TEMP TABLE IF NOT EXISTS fts_pending (id INTEGER PRIMARY KEY, title_fold TEXT,"
    " sapo_fold TEXT, body_fold TEXT, title_tone TEXT, sapo_tone TEXT, body_tone TEXT)")
PENDING_ROW_SQL = "INSERT INTO temp.fts_pending VALUES (?, ?, ?, ?, ?, ?, ?)"
INDEX_PENDING_SQL = (
    "INSERT INTO articles_fts(rowid, title, sapo, body, title_fold, sapo_fold, body_fold)"
    " SELECT id, a.title, a.sapo, a.body, p.title_fold, p.sapo_fold, p.body_fold"
    " FROM temp.fts_pending AS p JOIN articles AS a USING (id) ORDER BY id",
    "INSERT INTO articles_fts_exact(rowid, title, sapo, body)"
    " SELECT id, title_tone, sapo_tone, body_tone FROM temp.fts_pending ORDER BY id",
    "DELETE FROM temp.fts_pending",
)


# Migration 9. A crawl commits small transactions, each a new level-0 segment. With crisismerge
# at its default (16), the commit that made a level hold 16 segments merged that whole level
# there and then: at 190,000 articles, 14 segments of a bulk load and two of the crawl's made
# the 30th commit of a crawl merge 500 MB of index (14-15 s). Now a level must hold 64 segments
# before a commit merges it whole (level 0 then holds small segments only), and the crawl's
# writer (archive.writer) merges while it waits for work (`merge_step`, levels of 16 segments
# or more, as automerge does, an ongoing merge first). Automerge stays at 16 for other writers.
MERGE_TUNING_SQL = """
INSERT INTO articles_fts(articles_fts, rank) VALUES ('crisismerge', 64);
INSERT INTO articles_fts_exact(articles_fts_exact, rank) VALUES ('crisismerge', 64);
INSERT INTO articles_fts(articles_fts, rank) VALUES ('usermerge', 16);
INSERT INTO articles_fts_exact(articles_fts_exact, rank) VALUES ('usermerge', 16);
"""


# Migration 13. Automerge (16) did merge work inside commits — a few hundred pages every few
# commits, in whole terms: once a level of a bulk load's big segments was being merged, a crawl's
# small commits took 100-300 ms each (bench/store_latency.py: p99 359 ms over 8,400 articles into
# 190,000). Now no commit merges by itself; the archive merges between transactions
# (Archive.merge_search: the crawl's writer while idle, a bulk load after each batch), and a level
# of 64 segments is still merged whole (migration 9) for any other writer.
NO_AUTOMERGE_SQL = """
INSERT INTO articles_fts(articles_fts, rank) VALUES ('automerge', 0);
INSERT INTO articles_fts_exact(articles_fts_exact, rank) VALUES ('automerge', 0);
"""


def merge_step(conn: sqlite3.Connection, table: str, pages: int) -> bool:
    """About `pages` pages of merge work on one index (FTS5 'merge': it stops at the end of a
    term, so a common word's whole list is one step); whether it did any, so that more may be
    left (FTS5: fewer than 2 changes means there was nothing to merge)."""
    if table not in (FTS_TABLE, EXACT_FTS_TABLE):
        raise ValueError(f"not a search index: {table}")
    before = conn.total_changes
    conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('merge', ?)", (int(pages),))
    return conn.total_changes - before >= 2


def index_texts(title: str | None, sapo: str | None, body: str | None) -> tuple:
    """What the triggers would index for these stored values, in PENDING_ROW_SQL's order."""
    return (vi_fold(title), vi_fold(sapo), vi_fold(body), vi_tone(title), vi_tone(sapo), vi_tone(body))


class SearchError(Exception):
    """A search that cannot run: no search index in this database, or a malformed query."""


class _AlignedFoldTable(dict):
    """str.translate table: fold_accents() of each character, always one character for one,
    so a folded text keeps every position of the original: hits found in it can be marked
    in the original."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        self[code] = folded = fold_accents(char)[:1] or char
        return folded


_ALIGNED_FOLD_TABLE = _AlignedFoldTable()


def vi_fold(text: str | None) -> str | None:
    """SQL vi_fold(text): lower case, no diacritics, đ → d (= fold_accents); NULL stays NULL."""
    return None if text is None else fold_accents(text)


def vi_tone(text: str | None) -> str | None:
    """SQL vi_tone(text): NFC with tone placement unified (hoà → hòa) = unify_tones; NULL stays NULL."""
    return None if text is None else unify_tones(text)


_QUERY_BITS = re.compile(r'\s+|(".*?")')


def fts_query(query: str, *, exact: bool = False) -> str:
    """A user's words as a safe FTS5 query: every word and "quoted phrase" quoted, all required.

    The same escaping as datasette's ?_search= (escape_fts), so both give the same hits; in
    exact mode tones are unified to match the exact index.
    """
    query = nfc(query)
    if query.count('"') % 2:
        query += '"'
    bits = [b for b in _QUERY_BITS.split(query) if b and b != '""']
    escaped = " ".join(b if b.startswith('"') else f'"{b}"' for b in bits) or '""'  # "" matches nothing
    return unify_tones(escaped) if exact else escaped


_WORD = re.compile(r"\w+")


def fts_phrase(query: str | None, *, exact: bool = False) -> str:
    """All the words of `query` as one FTS5 phrase: hits where they stand together rank first
    (a Vietnamese word is several syllables: "da nang" should prefer "Đà Nẵng" to "đà … năng")."""
    phrase = '"' + " ".join(_WORD.findall(nfc(query or ""))) + '"'
    return unify_tones(phrase) if exact else phrase


def vi_snippet(text: str | None, query: str | None, words: int = 30) -> str | None:
    """SQL vi_snippet(text, query[, words]): about `words` words of `text` around the densest
    run of query words, each hit in <mark>…</mark> (plain text otherwise, like FTS5's snippet():
    escape it before using it as HTML); hits compare folded, so "da nang" marks "Đà Nẵng".
    """
    if text is None:
        return None
    width = max(1, int(words)) * 6  # characters: a Vietnamese syllable and its space
    wanted = sorted({fold_accents(w) for w in _WORD.findall(nfc(query or ""))}, key=len, reverse=True)
    hits = []
    if wanted:
        pattern = r"(?<!\w)(?:" + "|".join(map(re.escape, wanted)) + r")(?!\w)"
        hits = [m.span() for m in re.finditer(pattern, text.translate(_ALIGNED_FOLD_TABLE))]
    best, most, j = 0, 0, 0
    for i, (start, _) in enumerate(hits):  # two pointers: the hit starting the fullest window
        while hits[j][0] < start - width:
            j += 1
        if i - j + 1 > most:
            best, most = hits[j][0], i - j + 1
    begin = max(0, best - width // 5)
    while begin > 0 and text[begin - 1].isalnum():
        begin -= 1
    end = min(len(text), begin + width)
    while end < len(text) and text[end].isalnum():
        end += 1
    out, pos = [], begin
    for start, stop in hits:
        if begin <= start and stop <= end:
            out += [text[pos:start], "<mark>", text[start:stop], "</mark>"]
            pos = stop
    out.append(text[pos:end])
    return ("…" if begin > 0 else "") + "".join(out).strip() + ("…" if end < len(text) else "")


def register_functions(conn: sqlite3.Connection) -> None:
    """Register vi_fold(text), vi_tone(text), vi_phrase(query), vi_snippet(text, query[, words]),
    vi_fts_deferred()."""
    conn.create_function("vi_fold", 1, vi_fold, deterministic=True)
    conn.create_function("vi_tone", 1, vi_tone, deterministic=True)
    conn.create_function("vi_phrase", 1, fts_phrase, deterministic=True)
    conn.create_function("vi_snippet", 2, vi_snippet, deterministic=True)
    conn.create_function("vi_snippet", 3, vi_snippet, deterministic=True)
    conn.create_function("vi_fts_deferred", 0, _not_deferred, deterministic=True)


# A search box's row count and facets (datasette) read the table page of every hit: with the file
# mapped into memory each is a memory access, not a read() and a 4 KB copy into SQLite's small
# page cache — 2-3x faster counts and facets at 190,000 articles (bench/search_latency.py).
# Up to SQLite's compiled limit (2 GB); address space only, the OS shares the pages it caches.
READER_MMAP_BYTES = 2 ** 31


def tune_reader(conn: sqlite3.Connection) -> None:
    """Settings for a connection that serves searches (datasette's): the archive memory-mapped."""
    conn.execute(f"PRAGMA mmap_size = {READER_MMAP_BYTES}")


def _not_deferred() -> int:
    """SQL vi_fts_deferred(): 0, the insert trigger indexes (archive.store overrides it)."""
    return 0


@contextmanager
def _connection(db) -> Iterator[sqlite3.Connection]:
    """A connection with our functions from a path (opened and closed here), a
    sqlite3.Connection, a sqlite_utils.Database or an Archive (used as they are)."""
    if isinstance(db, (str, Path)):
        if not Path(db).exists():
            raise SearchError(f"no such archive: {db}")
        conn = sqlite3.connect(str(db))
        try:
            register_functions(conn)
            yield conn
        finally:
            conn.close()
        return
    conn = getattr(getattr(db, "db", db), "conn", db)
    try:  # already registered (an Archive's connection): redefining fails mid-statement
        conn.execute("SELECT vi_fold('')").fetchall()
    except sqlite3.OperationalError:
        register_functions(conn)
    yield conn


def _has_index(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [FTS_TABLE]).fetchone()
    return row is not None


def search(db, query: str, exact: bool = False, limit: int = 20) -> list[dict]:
    """Articles matching every word of `query`: those with the words side by side first
    (a Vietnamese word is several syllables), newest first within each group.

    Accent-insensitive by default ("da nang" finds "Đà Nẵng"); exact=True matches the accents
    as written, with old/new tone placement treated alike ("Hoà" = "Hòa" ≠ "Hóa").
    Each hit: id, url, site, province, title, published_at, snippet (text with <mark>
    around hits), together (1 when the words stand side by side).
    """
    if not query or not query.strip():
        return []
    table = EXACT_FTS_TABLE if exact else FTS_TABLE
    # Newest first, hits with the words side by side before the rest. Each part is an FTS5 scan
    # in rowid order that stops after `limit` rows, so a query matching half of a 200,000-article
    # archive costs as little as a rare one (bm25 ranking would score every match first).
    sql = f"""
        WITH together AS (
            SELECT rowid AS id, 1 AS together FROM {table} WHERE {table} MATCH :phrase
            ORDER BY rowid DESC LIMIT :limit
        ), others AS (
            SELECT rowid AS id, 0 AS together FROM {table} WHERE {table} MATCH :match
              AND rowid NOT IN (SELECT id FROM together)
            ORDER BY rowid DESC LIMIT :limit
        ), hits AS (
            SELECT * FROM together UNION ALL SELECT * FROM others
            ORDER BY together DESC, id DESC LIMIT :limit
        )
        SELECT a.id, a.url, a.site, a.province, a.title, a.published_at,
               vi_snippet(coalesce(a.sapo, '') || ' ' || coalesce(a.body, ''), :q) AS snippet,
               hits.together AS together
        FROM hits JOIN articles AS a ON a.id = hits.id
        ORDER BY hits.together DESC, hits.id DESC
    """
    params = {"q": query, "match": fts_query(query, exact=exact),
              "phrase": fts_phrase(query, exact=exact), "limit": int(limit)}
    with _connection(db) as conn:
        if not _has_index(conn):
            raise SearchError("this database has no search index (not a tintinh archive?)")
        try:
            cursor = conn.execute(sql, params)
        except sqlite3.OperationalError as e:
            raise SearchError(f"bad search query {query!r}: {e}") from None
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def rebuild_index(db) -> None:
    """Rebuild both search indexes from `articles` (after a bulk load with triggers off, or
    after a change to the folding rules), then merge their segments."""
    with _connection(db) as conn:
        if not _has_index(conn):
            raise SearchError("this database has no search index (not a tintinh archive?)")
        with conn:
            for table in (FTS_TABLE, EXACT_FTS_TABLE):
                conn.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
                conn.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")


def check_index(db) -> None:
    """Raise SearchError if an index does not match the articles it was built from."""
    with _connection(db) as conn:
        for table in (FTS_TABLE, EXACT_FTS_TABLE):
            try:
                conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
            except sqlite3.DatabaseError as e:
                raise SearchError(f"{table} is out of sync with articles: {e}") from None
