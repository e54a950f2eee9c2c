"""Numbered schema migrations, recorded in the database's `_migrations` table.

A migration is (number, name, apply) where apply is SQL or a function of the connection.
Opening an archive applies the missing ones in order; each one runs at most once.
Never edit a released migration: add the next number.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Callable

CORE_SCHEMA = """
CREATE TABLE sites (
    slug TEXT PRIMARY KEY, name TEXT, province TEXT, province_before TEXT,
    domains TEXT, old_domains TEXT, cms TEXT, national INTEGER, verified INTEGER
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT,
    sites TEXT, refresh INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE crawl_runs (
    run_id INTEGER NOT NULL REFERENCES runs(id), site TEXT NOT NULL,
    started TEXT, finished TEXT,
    fetched INTEGER DEFAULT 0, new INTEGER DEFAULT 0, updated INTEGER DEFAULT 0,
    unchanged INTEGER DEFAULT 0, duplicates INTEGER DEFAULT 0, failed INTEGER DEFAULT 0,
    completeness TEXT,
    PRIMARY KEY (run_id, site)
);
CREATE TABLE pages (
    id INTEGER PRIMARY KEY, url TEXT NOT NULL, final_url TEXT, status INTEGER,
    headers TEXT, fetched_at TEXT NOT NULL, site TEXT, run_id INTEGER,
    body BLOB, body_sha1 TEXT, body_size INTEGER, failure TEXT
);
CREATE INDEX pages_url ON pages(url);
CREATE INDEX pages_site_fetched ON pages(site, fetched_at);
CREATE INDEX pages_body_sha1 ON pages(body_sha1);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    canonical_url TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL, site TEXT, province TEXT,
    title TEXT, sapo TEXT, body TEXT, authors TEXT,
    published_at TEXT, modified_at TEXT, published_raw TEXT, modified_raw TEXT,
    category TEXT, tags TEXT, language TEXT, extractor TEXT,
    content_hash TEXT, story_id INTEGER, duplicate_of INTEGER,
    first_seen TEXT, last_seen TEXT, fetched_at TEXT, page_id INTEGER
);
CREATE INDEX articles_content_hash ON articles(content_hash);
CREATE INDEX articles_story ON articles(story_id);
CREATE INDEX articles_site_published ON articles(site, published_at);
CREATE TABLE article_versions (
    id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL REFERENCES articles(id),
    title TEXT, sapo TEXT, body TEXT, content_hash TEXT,
    fetched_at TEXT, replaced_at TEXT NOT NULL
);
CREATE INDEX article_versions_article ON article_versions(article_id);
CREATE TABLE images (
    article_id INTEGER NOT NULL REFERENCES articles(id), position INTEGER NOT NULL,
    src TEXT, caption TEXT, PRIMARY KEY (article_id, position)
);
CREATE TABLE related_links (
    article_id INTEGER NOT NULL REFERENCES articles(id), position INTEGER NOT NULL,
    url TEXT, title TEXT, PRIMARY KEY (article_id, position)
);
CREATE TABLE failures (
    id INTEGER PRIMARY KEY, url TEXT NOT NULL, site TEXT, reason TEXT NOT NULL,
    detail TEXT, fetched_at TEXT NOT NULL, run_id INTEGER
);
CREATE INDEX failures_site ON failures(site, reason);
-- every URL spelling seen for an article (canonical form of each) → the article
CREATE TABLE url_aliases (
    url TEXT PRIMARY KEY, article_id INTEGER NOT NULL REFERENCES articles(id)
) WITHOUT ROWID;
-- near-duplicate machinery (archive.dedup): MinHash signature and LSH band keys per article
CREATE TABLE minhashes (article_id INTEGER PRIMARY KEY, signature BLOB NOT NULL);
CREATE TABLE lsh_buckets (
    bucket INTEGER NOT NULL, article_id INTEGER NOT NULL, PRIMARY KEY (bucket, article_id)
) WITHOUT ROWID;
-- how many articles of a site carry a line: lines common on one site are boilerplate
CREATE TABLE common_lines (
    site TEXT NOT NULL, line INTEGER NOT NULL, articles INTEGER NOT NULL,
    PRIMARY KEY (site, line)
) WITHOUT ROWID;
"""


def _search_sql(name: str) -> Callable[[sqlite3.Connection], None]:
    """A migration running the SQL script `archive.search.<name>` (imported late: the search
    module builds on this schema, and waits until it can be imported)."""
    def apply(conn: sqlite3.Connection) -> None:
        from archive import search
        for statement in _statements(getattr(search, name)):
            conn.execute(statement)
    apply.needs_search = True
    return apply


# The near-duplicate tables are probed and grown at random keys, so every commit used to dirty
# (and the WAL checkpoint copy back) most of their pages. New rows now land in small tables under
# the old names and `Archive` moves them into the big `_merged` tables in one sorted pass every
# few thousand articles; lookups read both.
SPLIT_DEDUP_TABLES = """
ALTER TABLE lsh_buckets RENAME TO lsh_buckets_merged;
CREATE TABLE lsh_buckets (
    bucket INTEGER NOT NULL, article_id INTEGER NOT NULL, PRIMARY KEY (bucket, article_id)
) WITHOUT ROWID;
ALTER TABLE common_lines RENAME TO common_lines_merged;
CREATE TABLE common_lines (
    site TEXT NOT NULL, line INTEGER NOT NULL, articles INTEGER NOT NULL,
    PRIMARY KEY (site, line)
) WITHOUT ROWID;
"""

# One row per URL and reason, however many runs it failed in: `fetched_at` is the latest failure
# (its run_id and detail with it), `first_failed` the first, `times` how many. Older archives keep
# their latest row of each URL and reason, with the first time and count from the ones dropped.
FAILURES_ONCE_PER_URL = """
ALTER TABLE failures ADD COLUMN first_failed TEXT;
ALTER TABLE failures ADD COLUMN times INTEGER NOT NULL DEFAULT 1;
UPDATE failures SET first_failed = g.first, times = g.n
    FROM (SELECT max(id) AS keep, min(fetched_at) AS first, count(*) AS n FROM failures GROUP BY url, reason) AS g
    WHERE failures.id = g.keep;
DELETE FROM failures WHERE first_failed IS NULL;
CREATE UNIQUE INDEX failures_url_reason ON failures(url, reason);
"""

# A story (an article and its copies on other papers) as one row, for datasette and for queries:
# the title and id of its first copy, how many papers and articles, the papers by name, and its
# first and last publication time. A view, so it is always up to date and costs no writes.
STORIES_VIEW = """
CREATE VIEW stories AS
SELECT a.story_id,
       max(CASE WHEN a.duplicate_of IS NULL THEN a.title END) AS title,
       max(CASE WHEN a.duplicate_of IS NULL THEN a.id END) AS first_article,
       count(DISTINCT a.site) AS papers,
       count(*) AS copies,
       json_group_array(DISTINCT coalesce(s.name, a.site)) AS carried_by,
       min(a.published_at) AS first_published,
       max(a.published_at) AS last_published
FROM articles a LEFT JOIN sites s ON s.slug = a.site
WHERE a.story_id IS NOT NULL
GROUP BY a.story_id;
"""

# What a run of a site gave beyond its counters, for site health (archive.health): failures by
# reason, discovery pages (feeds, sitemaps, sections) that failed, and signals of the articles it
# extracted; then the site's health as judged at the end of that run. `site_health` is the latest
# judgement of each site.
RUN_SIGNALS = """
ALTER TABLE crawl_runs ADD COLUMN reasons TEXT;
ALTER TABLE crawl_runs ADD COLUMN source_failures TEXT;
ALTER TABLE crawl_runs ADD COLUMN extracted INTEGER;
ALTER TABLE crawl_runs ADD COLUMN refused INTEGER;
ALTER TABLE crawl_runs ADD COLUMN dated REAL;
ALTER TABLE crawl_runs ADD COLUMN with_authors REAL;
ALTER TABLE crawl_runs ADD COLUMN with_sapo REAL;
ALTER TABLE crawl_runs ADD COLUMN median_body INTEGER;
ALTER TABLE crawl_runs ADD COLUMN generic REAL;
ALTER TABLE crawl_runs ADD COLUMN junk REAL;
ALTER TABLE crawl_runs ADD COLUMN status TEXT;
ALTER TABLE crawl_runs ADD COLUMN signals TEXT;
ALTER TABLE crawl_runs ADD COLUMN alarm TEXT;
ALTER TABLE crawl_runs ADD COLUMN since TEXT;
ALTER TABLE crawl_runs ADD COLUMN last_good TEXT;
CREATE INDEX crawl_runs_site ON crawl_runs(site, run_id);
CREATE VIEW site_health AS
SELECT c.site, s.name, s.province, c.status, c.signals, c.alarm, c.since, c.last_good,
       c.finished AS last_run, c.fetched, c.new, c.failed, c.run_id
FROM crawl_runs c LEFT JOIN sites s ON s.slug = c.site
WHERE c.run_id = (SELECT max(run_id) FROM crawl_runs WHERE site = c.site AND status IS NOT NULL)
ORDER BY CASE c.status WHEN 'broken' THEN 0 WHEN 'degraded' THEN 1 ELSE 2 END, c.site;
"""

# Search sorts and groups its hits by publication time and story, and filters them by paper and
# province: read from this index they cost a few bytes each, read from `articles` a walk through
# each article's body (those columns come after it in the row). See the `search` canned query.
SEARCH_ORDER_INDEX = """
CREATE INDEX articles_search_order ON articles(published_at, story_id, site, province);
"""

# Every province an article is about (common.provinces: its paper's, then those its title, sapo
# and dateline name, today's names) as a JSON list on the article, and one row per province in
# article_provinces for filters and facets ("national" for an article of none), kept by triggers;
# its categories as a list ("Thời sự,Chính trị" → ["Thời sự", "Chính trị"]). The articles
# already stored are tagged by the migration.
ARTICLE_PROVINCES = """
ALTER TABLE articles ADD COLUMN provinces TEXT;
ALTER TABLE articles ADD COLUMN categories TEXT;
CREATE TABLE article_provinces (
    province TEXT NOT NULL, article_id INTEGER NOT NULL REFERENCES articles(id),
    PRIMARY KEY (province, article_id)
) WITHOUT ROWID;
CREATE INDEX article_provinces_article ON article_provinces(article_id);
CREATE TRIGGER article_provinces_ai AFTER INSERT ON articles BEGIN
    INSERT OR IGNORE INTO article_provinces (province, article_id)
    SELECT value, new.id FROM json_each(coalesce(nullif(new.provinces, '[]'), '["national"]'));
END;
CREATE TRIGGER article_provinces_au AFTER UPDATE OF provinces ON articles BEGIN
    DELETE FROM article_provinces WHERE article_id = old.id;
    INSERT OR IGNORE INTO article_provinces (province, article_id)
    SELECT value, new.id FROM json_each(coalesce(nullif(new.provinces, '[]'), '["national"]'));
END;
CREATE TRIGGER article_provinces_ad AFTER DELETE ON articles BEGIN
    DELETE FROM article_provinces WHERE article_id = old.id;
END;
"""


def _tag_provinces(conn: sqlite3.Connection) -> None:
    """ARTICLE_PROVINCES, then the stored articles tagged, a thousand at a time in id order."""
    import json

    from common.provinces import article_provinces
    from common.text import split_categories

    for statement in _statements(ARTICLE_PROVINCES):
        conn.execute(statement)
    last = 0
    while rows := conn.execute(
            "SELECT id, province, title, sapo, substr(body, 1, 300), category FROM articles"
            " WHERE id > ? ORDER BY id LIMIT 1000", (last,)).fetchall():
        conn.executemany("UPDATE articles SET provinces = ?, categories = ? WHERE id = ?", [
            (json.dumps(article_provinces(province, title, sapo, body), ensure_ascii=False),
             json.dumps(split_categories(category), ensure_ascii=False), id_)
            for id_, province, title, sapo, body, category in rows])
        last = rows[-1][0]


# Incremental crawls (crawler.spiders.news): whether a run was complete for a site (not cut short
# by --limit, Ctrl-C, closespider or a network failure: only such a run's start lets the next skip
# entries dated before it), and per discovery page (feed, sitemap, section, start page) of a site
# the validators its last complete run got, for conditional GETs, with the discovery pages it led
# to (asked for again when it answers 304 Not Modified).
DISCOVERY_PAGES = """
ALTER TABLE crawl_runs ADD COLUMN complete INTEGER;
CREATE TABLE discovery_pages (
    url TEXT PRIMARY KEY, site TEXT NOT NULL, kind TEXT, etag TEXT, last_modified TEXT,
    followed TEXT, run_id INTEGER
);
CREATE INDEX discovery_pages_site ON discovery_pages(site);
"""

# A search's row count and facets (datasette: `count(*)` and `site`, `province`, `category` of
# every hit, `id in (select rowid from articles_fts …)`) read each hit through this index, a few
# bytes per article in id order, instead of each hit's row in `articles` (its page, and for
# `category`, stored after the body, its overflow pages too): 2-3x faster at 190,000 articles.
# SQLite takes an index for `id = ?` only if it knows one id is one entry: sqlite_stat1 (made by
# ANALYZE) says so for this index alone, with SQLite's own guess for a table without statistics
# (about a million rows), so the plans of every other query stay as they were. Stories group from an index of story, time and paper (it replaces the story-only
# index) and the stories with copies come from a small index of the copies (`duplicate_of`): see
# the `multi_paper_stories` query.
NARROW_SEARCH_INDEXES = """
CREATE INDEX articles_id_facets ON articles(id, site, province, category);
ANALYZE articles_id_facets;
DELETE FROM sqlite_stat1 WHERE tbl = 'articles';
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('articles', 'articles_id_facets', '1048576 1 1 1 1');
DROP INDEX articles_story;
CREATE INDEX articles_story_papers ON articles(story_id, published_at, site);
CREATE INDEX articles_copies ON articles(story_id) WHERE duplicate_of IS NOT NULL;
"""

# A site's latest health is that of the run that started last, not the one with the highest id:
# `tintinh merge` gives an older archive's runs new, higher ids (archive.merge).
LATEST_RUN_BY_TIME = """
DROP VIEW site_health;
CREATE VIEW site_health AS
SELECT c.site, s.name, s.province, c.status, c.signals, c.alarm, c.since, c.last_good,
       c.finished AS last_run, c.fetched, c.new, c.failed, c.run_id
FROM crawl_runs c LEFT JOIN sites s ON s.slug = c.site
WHERE c.run_id = (SELECT run_id FROM crawl_runs WHERE site = c.site AND status IS NOT NULL
                  ORDER BY started DESC, run_id DESC LIMIT 1)
ORDER BY CASE c.status WHEN 'broken' THEN 0 WHEN 'degraded' THEN 1 ELSE 2 END, c.site;
"""

# The stories with copies, each grouped from its articles (those `a.story_id {stories}` picks).
_STORIES_GROUPED = """FROM (SELECT a.story_id, count(DISTINCT a.site) AS papers, count(*) AS copies,
             json_group_array(DISTINCT coalesce(s.name, a.site)) AS carried_by,
             min(a.published_at) AS first_published, max(a.published_at) AS last_published,
             (SELECT max(c.duplicate_of) FROM articles c
              WHERE c.story_id = a.story_id AND c.duplicate_of IS NOT NULL) AS first_copy
      FROM articles a LEFT JOIN sites s ON s.slug = a.site
      WHERE a.story_id {stories}
      GROUP BY a.story_id) AS g
LEFT JOIN articles first ON first.id = g.first_copy"""
# The stories of one article: each is its article's row (on 0 papers when it has none).
_ONE_ARTICLE_STORIES = """
SELECT a.story_id, a.title, a.id AS first_article, 1 AS papers, 1 AS copies,
       json_array(coalesce(s.name, a.site)) AS carried_by,
       a.published_at AS first_published, a.published_at AS last_published
FROM articles a LEFT JOIN sites s ON s.slug = a.site
WHERE a.story_id IS NOT NULL AND a.site IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM articles c WHERE c.story_id = a.story_id AND c.duplicate_of IS NOT NULL)
UNION ALL
SELECT a.story_id, a.title, a.id AS first_article, 0 AS papers, 1 AS copies, json_array(NULL) AS carried_by,
       a.published_at AS first_published, a.published_at AS last_published
FROM articles a
WHERE a.story_id IS NOT NULL AND a.site IS NULL
  AND NOT EXISTS (SELECT 1 FROM articles c WHERE c.story_id = a.story_id AND c.duplicate_of IS NOT NULL)
"""

# The stories view without grouping every article: a story of one article (most of them) is that
# article's row, and only the stories with copies are grouped, from the index of story, time and
# paper; their first copy is the one every copy names (`duplicate_of`, read from the copies index,
# which now holds it) and its title is read after grouping. A paper-less article is a story on 0
# papers, as grouping counts it. The same rows as STORIES_VIEW, and a filter on `papers` skips the
# stories of one article at once: `stories?papers__gte=2` in about a fifth of the time at 190,000.
STORIES_FROM_COPIES = """
DROP INDEX articles_copies;
CREATE INDEX articles_copies ON articles(story_id, duplicate_of) WHERE duplicate_of IS NOT NULL;
DROP VIEW stories;
CREATE VIEW stories AS""" + _ONE_ARTICLE_STORIES + """UNION ALL
SELECT g.story_id, first.title, first.id AS first_article,
       g.papers, g.copies, g.carried_by, g.first_published, g.last_published
""" + _STORIES_GROUPED.format(stories="IN (SELECT story_id FROM articles WHERE duplicate_of IS NOT NULL)") + """;
"""

# The stories with copies, kept grouped (migration 17): `story_groups` holds the rows that the last
# part of STORIES_FROM_COPIES grouped at every read, and triggers group again the stories a write
# touches (an article added, removed or moved to another story; its paper, time or title changed;
# a paper named, renamed or removed). At 190,000 articles `stories?papers__gte=2` then counts an
# index instead of grouping 70,000 articles, and `multi_paper_stories` reads its 500 rows from one.
# A write to a story of one article that stays one groups nothing (the triggers' WHEN).
_GROUP_STORIES = """
INSERT INTO story_groups
SELECT g.story_id, first.title, first.id, g.papers, g.copies, g.carried_by, g.first_published, g.last_published
""" + _STORIES_GROUPED + """
WHERE g.first_copy IS NOT NULL;"""


def _regroup(stories: str) -> str:
    """Statements putting the stories `a.story_id {stories}` picks back into story_groups."""
    return f"DELETE FROM story_groups WHERE story_id {stories};" + _GROUP_STORIES.format(stories=stories)


_IN_GROUPS = "EXISTS (SELECT 1 FROM story_groups WHERE story_id = {}.story_id)"
_OF_SITE = "IN (SELECT story_id FROM articles WHERE site = {}.slug)"
STORY_GROUPS = f"""
CREATE TABLE story_groups (
    story_id INTEGER PRIMARY KEY, title TEXT, first_article INTEGER, papers INTEGER NOT NULL,
    copies INTEGER NOT NULL, carried_by TEXT, first_published TEXT, last_published TEXT
);
{_GROUP_STORIES.format(stories="IN (SELECT story_id FROM articles WHERE duplicate_of IS NOT NULL)")}
CREATE INDEX story_groups_papers ON story_groups(papers, last_published);
CREATE INDEX story_groups_first_published ON story_groups(first_published);
CREATE TRIGGER story_groups_article_added AFTER INSERT ON articles
WHEN new.duplicate_of IS NOT NULL OR {_IN_GROUPS.format("new")}
BEGIN
{_regroup("= new.story_id")}
END;
CREATE TRIGGER story_groups_article_removed AFTER DELETE ON articles
WHEN old.duplicate_of IS NOT NULL OR {_IN_GROUPS.format("old")}
BEGIN
{_regroup("= old.story_id")}
END;
CREATE TRIGGER story_groups_article_changed AFTER UPDATE OF story_id, duplicate_of, site, published_at, title ON articles
WHEN (old.story_id IS NOT new.story_id OR old.duplicate_of IS NOT new.duplicate_of OR old.site IS NOT new.site
      OR old.published_at IS NOT new.published_at OR old.title IS NOT new.title)
 AND (old.duplicate_of IS NOT NULL OR new.duplicate_of IS NOT NULL OR {_IN_GROUPS.format("old")} OR {_IN_GROUPS.format("new")})
BEGIN
{_regroup("= old.story_id")}
{_regroup("= new.story_id AND new.story_id IS NOT old.story_id")}
END;
CREATE TRIGGER story_groups_site_added AFTER INSERT ON sites
BEGIN
{_regroup(_OF_SITE.format("new"))}
END;
CREATE TRIGGER story_groups_site_renamed AFTER UPDATE OF name ON sites WHEN old.name IS NOT new.name
BEGIN
{_regroup(_OF_SITE.format("new"))}
END;
CREATE TRIGGER story_groups_site_removed AFTER DELETE ON sites
BEGIN
{_regroup(_OF_SITE.format("old"))}
END;
DROP VIEW stories;
CREATE VIEW stories AS{_ONE_ARTICLE_STORIES}UNION ALL
SELECT story_id, title, first_article, papers, copies, carried_by, first_published, last_published
FROM story_groups;
"""

Migration = tuple[int, str, "str | Callable[[sqlite3.Connection], None]"]
MIGRATIONS: list[Migration] = [
    (1, "core schema", CORE_SCHEMA),
    (2, "full-text search (archive.search)", _search_sql("MIGRATION_SQL")),
    (3, "search: the archive indexes its own inserts once per transaction; automerge 8",
     _search_sql("DEFERRED_TRIGGER_SQL")),
    (4, "dedup: new LSH buckets and line counts in small tables, merged into big ones in batches",
     SPLIT_DEDUP_TABLES),
    (5, "search: one index segment per transaction (hashsize 64 MB), automerge 16",
     _search_sql("INDEX_TUNING_SQL")),
    (6, "failures: one row per URL and reason, with first and latest time and a count", FAILURES_ONCE_PER_URL),
    (7, "crawl runs: failures by reason, extraction signals and site health (archive.health)", RUN_SIGNALS),
    (8, "stories: a view with one row per story (its papers, first and last time)", STORIES_VIEW),
    (9, "search: no commit merges a whole level of 16 segments (crisismerge 64); the crawl's writer"
        " merges a little at a time", _search_sql("MERGE_TUNING_SQL")),
    (10, "search: hits sorted and grouped from an index of time, story, paper and province", SEARCH_ORDER_INDEX),
    (11, "provinces: every province an article is about (article_provinces, national when none);"
         " categories as a list", _tag_provinces),
    (12, "incremental discovery: whether a crawl run was complete for a site, and the validators"
         " (ETag, Last-Modified) of its discovery pages", DISCOVERY_PAGES),
    (13, "search: no merging inside a commit (automerge 0); the archive merges between transactions",
     _search_sql("NO_AUTOMERGE_SQL")),
    (14, "search: counts and facets read a narrow index of id, paper, province and category; stories"
         " from indexes of story, time and paper and of the copies", NARROW_SEARCH_INDEXES),
    (15, "site health: a site's latest run is the one that started last (merged runs have higher ids)",
     LATEST_RUN_BY_TIME),
    (16, "stories: only the stories with copies are grouped (a story of one article is its row);"
         " the copies index holds the first copy each names",
     STORIES_FROM_COPIES),
    (17, "stories: the stories with copies are kept grouped (story_groups, by triggers)", STORY_GROUPS),
]


class MigrationError(Exception):
    """A migration failed; the database is left at the previous number."""


def search_available() -> bool:
    try:
        from archive import search
    except ImportError:
        return False
    return hasattr(search, "MIGRATION_SQL")


def applied(conn: sqlite3.Connection) -> set[int]:
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations "
                 "(number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    return {row[0] for row in conn.execute("SELECT number FROM _migrations")}


def migrate(conn: sqlite3.Connection, migrations: list[Migration] | None = None) -> list[int]:
    """Apply every migration not yet recorded, in order; return the numbers applied now."""
    done, now = applied(conn), []
    conn.commit()
    for number, name, apply in migrations or MIGRATIONS:
        if number in done:
            continue
        if getattr(apply, "needs_search", False) and not search_available():
            break  # later numbers wait until the search module exists
        try:
            conn.execute("BEGIN")
            if isinstance(apply, str):
                for statement in _statements(apply):
                    conn.execute(statement)
            else:
                apply(conn)
            conn.execute("INSERT INTO _migrations VALUES (?, ?, ?)",
                         (number, name, datetime.now(timezone.utc).isoformat(timespec="seconds")))
            conn.commit()
        except sqlite3.Error as e:
            conn.rollback()
            raise MigrationError(f"migration {number} ({name}) failed: {e}") from e
        now.append(number)
    return now


def _statements(script: str) -> list[str]:
    """Split a script into complete statements (so they run inside one transaction)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buf.strip():
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
