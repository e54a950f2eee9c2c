"""Site health: each site's runs compared with its own recent history, so a layout change, a gone
feed or a site that stopped publishing raises an alarm in words.

Every crawl run records per site (archive.store `finish_run` → `crawl_runs`): pages fetched,
new/updated/unchanged/duplicate, failures by reason, discovery pages that failed, and signals of
the articles it extracted — the share with a date, with authors, with a sapo, the median body
length, the share whose body came from the generic fallback instead of the site's layout, the
share carrying lines repeated across the site's articles (leftover navigation, a related-headlines
box), and how many article pages were refused as no article.

`assess(runs)` is pure: one site's run rows in order → its `Health`. Each run is judged against a
baseline of the site's earlier good runs (the last WINDOW_RUNS of them, or all of the last
WINDOW_DAYS days when there are more; older good runs when the recent ones all raised alarms, so an
alarm does not fade while the site stays changed). A signal is judged only on a run with at least
MIN_ARTICLES articles and a baseline of at least MIN_BASELINE runs; a run too small to judge keeps
the previous judgement. `broken`: nothing comes through (everything failed, every article page
refused, no new articles for days on a site that publishes daily); `degraded`: articles come
through but something changed (a field lost, bodies halved, the generic fallback taking over,
repeated lines, the feed gone).
"""
from __future__ import annotations

import bisect
import json
import sqlite3
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

OK, LEARNING, DEGRADED, BROKEN = "ok", "learning", "degraded", "broken"
SEVERITY = {OK: 0, LEARNING: 0, DEGRADED: 1, BROKEN: 2}

WINDOW_RUNS = 14      # the baseline: the site's last 14 good runs…
WINDOW_DAYS = 30      # …or all its good runs of the last 30 days, when there are more
MAX_BASELINE = 100    # at most (an hourly crawl has 720 runs in 30 days)
MIN_BASELINE = 3      # runs needed before a signal is compared
MIN_ARTICLES = 3      # articles (pages, for refusals) a run needs for its shares to mean something
SHARE_CHANGE = 0.5    # a share falling or rising by this much is a change (dates on 95% → 10%)
BODY_SHRINK, BODY_GROWTH = 0.5, 3.0   # median body halved, or tripled (navigation swallowed)
SILENT_DAYS = 2       # no new article for this many days on a site that publishes daily
DAILY_SHARE = 0.7     # "publishes daily": new articles on 70% of the days it was crawled…
DAILY_MIN_DAYS = 3    # …of at least 3 such days
STALE_DAYS = 3        # `now` this long after the last run of a site crawled on a schedule
# Failure reasons that say the page was fetched but is no article (its layout may have changed).
REFUSED = frozenset({"not_an_article", "short_body", "no_title", "extraction_error", "extractor_crashed",
                     "extraction_timeout"})
GONE = ("http_404", "http_410")
# Discovery pages name their kind at the start of a failure's detail ("feed: HTTP 404").
SOURCE_KINDS = ("feed", "sitemap", "section", "robots", "start")

# (signal, column, direction, the change in words: {now} and {usual} are shares of new articles)
SHARES = (
    ("dated", "dated", "fall", "dates missing on {now} of new articles (usually {usual})"),
    ("authors", "with_authors", "fall", "authors missing on {now} of new articles (usually {usual})"),
    ("sapo", "with_sapo", "fall", "sapo missing on {now} of new articles (usually {usual})"),
    ("generic", "generic", "rise", "body taken by the generic fallback, not the site's layout, on {now}"
                                   " of new articles (usually {usual})"),
    ("junk", "junk", "rise", "lines repeated across the site's articles (navigation, related headlines)"
                             " in {now} of new articles (usually {usual})"),
    # how sure extraction was (pipelines.article EXTRACTION), kept in the run's completeness
    ("visible_date", "extraction_visible_date", "rise", "dates read from the visible text, not the page's"
                                                        " metadata, on {now} of new articles (usually {usual})"),
    ("position_authors", "extraction_position_authors", "rise", "authors found by their position, not the"
                                                                " layout, on {now} of new articles (usually {usual})"),
)
EXTRACTION_SIGNALS = frozenset({"dated", "authors", "sapo", "generic", "junk", "body", "refused",
                                "visible_date", "position_authors"})


@dataclass(frozen=True)
class Problem:
    signal: str   # dated, authors, sapo, generic, junk, body, refused, fetch, feed, silent, stale
    status: str   # degraded | broken
    reason: str   # in words
    since: str = ""   # when the first run of the streak showing it started


@dataclass
class Health:
    site: str
    status: str
    problems: list[Problem] = field(default_factory=list)
    last_good: str | None = None   # end of the latest run that brought new articles and no alarm
    last_run: str | None = None
    runs: int = 0

    @property
    def since(self) -> str | None:
        return min((p.since for p in self.problems if p.since), default=None)

    def row(self) -> dict:
        return {"site": self.site, "status": self.status,
                "signals": ", ".join(p.signal for p in self.problems),
                "reason": "; ".join(p.reason for p in self.problems),
                "since": self.since, "last_good": self.last_good, "last_run": self.last_run,
                "runs": self.runs}


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _started(run: dict) -> datetime:
    """A run's start as a datetime (`assess` parses each once, into "_started")."""
    return run.get("_started") or _time(run["started"])


def _json(value) -> dict:
    if isinstance(value, str):
        return json.loads(value or "{}")
    return dict(value or {})


def _pct(share: float) -> str:
    return f"{round(100 * share)}%"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _reasons(reasons: dict, n: int = 3) -> str:
    top = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return ", ".join(f"{r} {c}" for r, c in top)


def new_articles(run: dict) -> int:
    """Articles the site published that the archive did not have (near-copies of other papers'
    stories count: the site published them)."""
    return (run.get("new") or 0) + (run.get("duplicates") or 0)


def _baseline(run: dict, good: list[dict]) -> list[dict]:
    """The good runs before `run` it is compared with (see the module doc)."""
    start = bisect.bisect_left(good, _started(run) - timedelta(days=WINDOW_DAYS), key=_started)
    recent = good[start:]
    if len(recent) < WINDOW_RUNS:
        return good[-WINDOW_RUNS:]
    return recent[-MAX_BASELINE:]


def judge(run: dict, baseline: list[dict], history: list[dict]) -> dict[str, Problem | None]:
    """One run's judgements: signal → Problem, or None when judged fine. A signal that could not
    be judged (too few articles, too little history) is absent. `history` is every earlier run."""
    out: dict[str, Problem | None] = {}
    reasons = _json(run.get("reasons"))
    sources = {kind: _json(r) for kind, r in _json(run.get("source_failures")).items()}
    failed, fetched = run.get("failed") or 0, run.get("fetched") or 0

    if fetched:
        out["fetch"] = None
    elif failed >= MIN_ARTICLES:   # one or two failed requests alone may be a passing timeout
        out["fetch"] = Problem("fetch", BROKEN, f"nothing fetched: {_n(failed, 'failure')} ({_reasons(reasons)})")

    gone = {r: n for r, n in sources.get("feed", {}).items() if r in GONE}
    out["feed"] = Problem("feed", DEGRADED, f"feed gone: {', '.join(sorted(gone))} on"
                                            f" {_n(sum(gone.values()), 'feed')}") if gone else None

    extracted = run.get("extracted") or 0
    refused = run.get("refused") or 0
    stored = extracted + (run.get("unchanged") or 0)
    if stored + refused >= MIN_ARTICLES:
        share = refused / (stored + refused)
        usual = [s for s in map(_refused_share, baseline) if s is not None]
        base = statistics.median(usual) if len(usual) >= MIN_BASELINE else 0.0
        refusals = {r: n for r, n in reasons.items() if r in REFUSED}
        if not stored and base < SHARE_CHANGE:
            out["refused"] = Problem("refused", BROKEN,
                                     f"all {refused} article pages refused as no article ({_reasons(refusals)})")
        elif len(usual) >= MIN_BASELINE and share - base >= SHARE_CHANGE:
            out["refused"] = Problem("refused", DEGRADED, f"{_pct(share)} of article pages refused as no"
                                     f" article (usually {_pct(base)}; {_reasons(refusals)})")
        else:
            out["refused"] = None

    judged = [b for b in baseline if (b.get("extracted") or 0) >= MIN_ARTICLES]
    if extracted >= MIN_ARTICLES and len(judged) >= MIN_BASELINE:
        for signal, column, direction, words in SHARES:
            value = run.get(column)
            usual = [b[column] for b in judged if b.get(column) is not None]
            if value is None or len(usual) < MIN_BASELINE:
                continue
            base = statistics.median(usual)
            change = base - value if direction == "fall" else value - base
            out[signal] = None
            if change >= SHARE_CHANGE:
                shown, usual_shown = (1 - value, 1 - base) if direction == "fall" else (value, base)
                out[signal] = Problem(signal, DEGRADED, words.format(now=_pct(shown), usual=_pct(usual_shown)))
        value = run.get("median_body")
        usual = [b["median_body"] for b in judged if b.get("median_body")]
        if value is not None and len(usual) >= MIN_BASELINE:
            base = statistics.median(usual)
            out["body"] = None
            if value <= base * BODY_SHRINK or value >= base * BODY_GROWTH:
                change = "halved" if value <= base * BODY_SHRINK else "tripled"
                out["body"] = Problem("body", DEGRADED, f"median body {value} characters, usually"
                                                        f" {round(base)} ({change} or more)")

    out["silent"] = _silence(run, history)
    return out


def _refused_share(run: dict) -> float | None:
    """Share of a run's article pages refused as no article (None for fewer than MIN_ARTICLES pages)."""
    refused = run.get("refused") or 0
    pages = refused + (run.get("extracted") or 0) + (run.get("unchanged") or 0)
    return refused / pages if pages >= MIN_ARTICLES else None


def _day(run: dict) -> str:
    return (run.get("started") or "")[:10]


def _silence(run: dict, history: list[dict]) -> Problem | None:
    """Broken when a site that publishes daily has brought no new article for SILENT_DAYS days
    (a site that never brought one, or publishes less often, is not judged so)."""
    if new_articles(run):
        return None
    with_new = [r for r in history if new_articles(r)]
    if not with_new:
        return None
    last_new = with_new[-1]
    gap = _started(run) - _started(last_new)
    # how regularly it published in the WINDOW_DAYS before its last new article
    end = _started(last_new)
    window = [r for r in history if end - timedelta(days=WINDOW_DAYS) <= _started(r) <= end]
    crawled = {_day(r) for r in window}
    published = {_day(r) for r in window if new_articles(r)}
    if len(crawled) < DAILY_MIN_DAYS or len(published) < DAILY_SHARE * len(crawled) \
            or gap < timedelta(days=SILENT_DAYS):
        return None
    return Problem("silent", BROKEN, f"no new articles for {gap.days} days (new ones on"
                                     f" {len(published)} of the {len(crawled)} days crawled before)")


def assess(runs: list[dict], now: str | None = None) -> Health:
    """One site's health from its finished runs (crawl_runs rows as dicts, oldest first).
    With `now`, a site crawled on a schedule whose last run is STALE_DAYS old is degraded too."""
    if not runs:
        raise ValueError("no runs to assess")
    site = runs[0]["site"]
    runs = [dict(r, _started=_time(r["started"])) for r in runs]
    state: dict[str, Problem] = {}      # signal → its current problem (since = start of its streak)
    good: list[dict] = []               # runs without an extraction alarm, for baselines
    last_good = None
    for i, run in enumerate(runs):
        verdicts = judge(run, _baseline(run, good), runs[:i])
        for signal, problem in verdicts.items():
            if problem is None:
                state.pop(signal, None)
            else:
                since = state[signal].since if signal in state else run["started"]
                state[signal] = Problem(problem.signal, problem.status, problem.reason, since)
        if not any(p is not None and p.signal in EXTRACTION_SIGNALS for p in verdicts.values()):
            good.append(run)
        if not state and new_articles(run):
            last_good = run.get("finished") or run["started"]
    problems = sorted(state.values(), key=lambda p: (-SEVERITY[p.status], p.since, p.signal))
    last = runs[-1]
    stale = _stale(runs, now)
    if stale:
        problems.append(stale)
    if problems:
        status = max((p.status for p in problems), key=SEVERITY.__getitem__)
    else:
        judged = [r for r in good if (r.get("extracted") or 0) >= MIN_ARTICLES]
        status = OK if len(judged) > MIN_BASELINE else LEARNING
    return Health(site, status, problems, last_good, last.get("finished") or last["started"], len(runs))


def _stale(runs: list[dict], now: str | None) -> Problem | None:
    if now is None:
        return None
    last = _time(runs[-1].get("finished") or runs[-1]["started"])
    gap = _time(now) - last
    days = {_day(r) for r in runs if _started(r) >= last - timedelta(days=WINDOW_DAYS)}
    if gap < timedelta(days=STALE_DAYS) or len(days) < DAILY_MIN_DAYS:
        return None
    return Problem("stale", DEGRADED, f"not crawled for {gap.days} days (crawled on {len(days)} days before)",
                   runs[-1].get("finished") or runs[-1]["started"])


# -- reading an archive ---------------------------------------------------------------------

RUN_COLUMNS = ("run_id", "site", "started", "finished", "fetched", "new", "updated", "unchanged",
               "duplicates", "failed", "reasons", "source_failures", "extracted", "refused", "dated",
               "with_authors", "with_sapo", "median_body", "generic", "junk")
HISTORY = 240   # runs of a site read for its health (10 days of hourly crawls, 8 months of daily ones)


def site_runs(conn: sqlite3.Connection, site: str, limit: int = HISTORY) -> list[dict]:
    """A site's finished crawl runs, oldest first by start time (a merged archive's runs have
    higher ids than newer ones here); WARC imports and runs of no named site are left out."""
    columns = ", ".join(f"c.{c}" for c in RUN_COLUMNS)
    rows = conn.execute(
        f"SELECT {columns}, c.completeness FROM crawl_runs c JOIN runs r ON r.id = c.run_id"
        " WHERE c.site = ? AND c.finished IS NOT NULL AND r.sites != '[]'"
        " ORDER BY c.started DESC, c.run_id DESC LIMIT ?", (site, limit)).fetchall()
    return [{**dict(zip(RUN_COLUMNS, row)), **_extraction_shares(row[-1])} for row in reversed(rows)]


def _extraction_shares(completeness: str | None) -> dict:
    """The extraction_* shares a run's completeness JSON holds (runs before them have none)."""
    try:
        values = json.loads(completeness or "{}")
    except ValueError:
        return {}
    return {k: v for k, v in values.items() if k.startswith("extraction_") and isinstance(v, (int, float))} \
        if isinstance(values, dict) else {}


def site_health(conn: sqlite3.Connection, sites: list[str] | None = None, now: str | None = None) -> list[Health]:
    """Health of every site with a finished crawl run (or of `sites`), broken first, then by slug."""
    if sites is None:
        sites = [s for (s,) in conn.execute("SELECT DISTINCT site FROM crawl_runs WHERE finished IS NOT NULL")]
    out = []
    for site in sites:
        runs = site_runs(conn, site)
        if runs:
            out.append(assess(runs, now))
    return sorted(out, key=lambda h: (-SEVERITY[h.status], h.status != DEGRADED, h.site))


def run_signals(counts, reasons: dict[str, int], sources: dict[str, dict[str, int]]) -> dict:
    """The signal columns of one run of one site from the archive's counters (see archive.store
    `_count`): `counts` has new/updated/duplicate, the articles with each field, generic and junk
    counts, and ("body", length) → how many articles had a body that long."""
    extracted = counts["new"] + counts["updated"] + counts["duplicate"]
    lengths = sorted((key[1], n) for key, n in counts.items() if isinstance(key, tuple) and key[0] == "body")

    def share(key: str) -> float | None:
        return round(counts[key] / extracted, 3) if extracted else None
    return {
        "reasons": json.dumps(dict(sorted(reasons.items())), ensure_ascii=False),
        "source_failures": json.dumps({k: dict(sorted(v.items())) for k, v in sorted(sources.items())}),
        "extracted": extracted,
        "refused": sum(n for r, n in reasons.items() if r in REFUSED),
        "dated": share("sig_dated"), "with_authors": share("sig_authors"), "with_sapo": share("sig_sapo"),
        "median_body": _median_of_histogram(lengths), "generic": share("sig_generic"), "junk": share("sig_junk"),
    }


def _median_of_histogram(lengths: list[tuple[int, int]]) -> int | None:
    total = sum(n for _, n in lengths)
    if not total:
        return None
    values = []
    for middle in sorted({(total - 1) // 2, total // 2}):
        seen = 0
        for value, n in lengths:
            seen += n
            if seen > middle:
                values.append(value)
                break
    return round(sum(values) / len(values))


def source_kind(detail: str | None) -> str | None:
    """The kind of discovery page a failure's detail names ("feed: HTTP 404" → "feed"), or None."""
    head = (detail or "").split(":", 1)[0].strip()
    return head if head in SOURCE_KINDS else None
