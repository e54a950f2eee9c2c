"""`tintinh …`: a thin command line over the library. It parses arguments, calls one library
function, prints, and turns user errors into one line (click.ClickException), never a traceback.

Commands (owner module in brackets):
  crawl      [crawler.run]        crawl registered sites or one URL into an archive
  demo       [crawler.demo]       crawl a bundled miniature site served on 127.0.0.1
  sites      [crawler.sites]      list the registered outlets
  extract    [pipelines.extract]  one page → one JSON article; --manifest for many (JSON Lines)
  clean-text [pipelines.clean_text] already-scraped plain text → the same JSON
  serve      [archive.serve]      open the archive in datasette
  stats      [archive.store]      counts per site
  health     [archive.health]     each site's runs compared with its history: ok, degraded, broken
  export     [archive.export]     JSONL / CSV for corpus builders
  reprocess  [pipelines.reprocess]  rebuild articles from stored raw pages with today's rules
  import     [archive.load]       JSON Lines of articles into the archive, deduplicated
  merge      [archive.merge]      archives crawled on several machines into one, stories re-clustered

Every command: exit status 0 when all went well, 1 when any input was rejected (a bad line, an
unknown site, a damaged archive) or the work failed, 2 for a command line it cannot run (click's
usage errors, a bad -s value); the reason is one line on stderr. A FILE argument "-" is standard
input; times are shown in Vietnam time (+07:00).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

CONTEXT = {"help_option_names": ["-h", "--help"]}
DEFAULT_DB = "archive.db"


def _json_line(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _usage_error(message: str) -> click.ClickException:
    """A command line that cannot run, said in one line (click's UsageError adds the usage), exit 2."""
    error = click.ClickException(message)
    error.exit_code = 2
    return error


def _vietnam_time(value: str | None, *, iso: bool = False) -> str:
    """A stored time (UTC) as Vietnam time: "2026-03-07 19:00 +07:00", or ISO 8601 with iso."""
    from archive.datasette.display import as_vietnam_time, vietnam_time

    if iso:
        moment = as_vietnam_time(value)
        return moment.isoformat() if moment is not None else value
    return vietnam_time(value) or (value or "")


# Processes beside the one writing the archive (import, reprocess, merge): one meaning everywhere.
PROCESSES_HELP = "Worker processes beside the one writing the archive (default: one per CPU but one; 0: none)."


def _check_site(slug: str | None, db) -> None:
    """A --site that is neither registered nor in the archive is refused like `crawl` refuses it."""
    import sqlite3

    from archive.store import ArchiveError, open_archive
    from crawler.sites import UnknownSite, get_site
    if not slug:
        return
    try:
        get_site(slug)
        return
    except UnknownSite as e:
        unknown = e
    try:
        with open_archive(db, readonly=True) as archive:
            found = archive.conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pages WHERE site = ?) OR EXISTS (SELECT 1 FROM articles WHERE site = ?)",
                (slug, slug)).fetchone()[0]
    except (ArchiveError, sqlite3.Error):
        return      # the command itself says what is wrong with the archive
    if not found:
        raise click.ClickException(f"{unknown}; no site {slug!r} in {db} either")


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="tintinh")
def cli():
    """tintinh: Vietnamese provincial news, crawled into one clean, deduplicated SQLite archive."""


@cli.command(context_settings={**CONTEXT, "ignore_unknown_options": True})
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The archive to open.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535))
@click.argument("datasette_args", nargs=-1, type=click.UNPROCESSED)
def serve(db, host, port, datasette_args):
    """Open the archive in datasette: search, facets, canned queries, chart.

    Further arguments go to `datasette serve` as they are: other databases, --setting NAME VALUE,
    --plugins-dir DIR, --metadata FILE, … (after `--` if they could be taken for ours)."""
    from archive.serve import ServeError, check_archive, check_port, serve as serve_archive

    try:
        check_archive(db)
        check_port(host, port)
    except ServeError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Serving {db} at http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    serve_archive(db, host=host, port=port, extra=datasette_args)


@cli.command("extract", context_settings=CONTEXT)
@click.argument("page", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--url", help="the page's URL (default: its <link rel=canonical>)")
@click.option("--manifest", type=click.Path(dir_okay=False, allow_dash=True),
              help="TSV of pages (path TAB url, no header): JSON Lines out, one per page; - reads standard input")
@click.option("--content-type", help="the HTTP Content-Type the page came with, e.g. "
              "'text/html; charset=windows-1258': its charset outranks the page's own <meta>")
@click.option("--no-captions", is_flag=True, help="leave the images' captions out of sapo and body "
              "(they stay in images): the convention of extraction benchmarks")
def extract_command(page, url, manifest, content_type, no_captions):
    """One saved page (.html or .html.gz; - reads standard input) → one JSON article; --manifest
    for many pages (exit status 1 when any of them could not be read or extracted)."""
    from crawler.sites import site_profile_for_url
    from pipelines.batch import ManifestError, extract_manifest, unpack_page
    from common.text import without_captions
    from pipelines.extract import ExtractionError, extract_article, parse_html

    shown = without_captions if no_captions else (lambda article: article)

    if bool(page) == bool(manifest):
        raise click.ClickException("give one PAGE, or --manifest PAGES.tsv")
    if manifest:
        failed = 0
        try:
            for result in extract_manifest(manifest, site_profile_for_url):
                click.echo(_json_line(result if "error" in result else shown(result)))
                failed += "error" in result
        except ManifestError as e:
            raise click.ClickException(str(e)) from None
        if failed:
            raise click.ClickException(f"{manifest}: {failed} page{'s' if failed > 1 else ''} could not be extracted"
                                       " (their lines have an \"error\")")
        return
    try:
        with click.open_file(page, "rb") as stream:
            data = unpack_page(stream.read())
    except (OSError, EOFError) as e:
        raise click.ClickException(f"cannot read {page}: {e}") from None
    try:
        if not url:
            url = (parse_html(data, content_type).xpath("//link[@rel='canonical']/@href") or [""])[0].strip()
            if not url:
                raise click.ClickException("the page names no canonical URL: give --url")
        click.echo(_json_line(shown(extract_article(data, url, site_profile_for_url(url), content_type))))
    except ExtractionError as e:
        raise click.ClickException(f"{page}: {type(e).__name__}: {e}") from None


@cli.command("clean-text", context_settings=CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--jsonl", "jsonl", is_flag=True,
              help='FILE is JSON Lines, one {"text": ..., "url": ..., "id": ...} per line '
                   "(url and id optional, passed through).")
@click.option("--split-on", "separator", metavar="LINE",
              help="FILE is a plain-text dump whose articles are separated by lines equal to "
                   "LINE, e.g. --split-on '---'; --split-on '\\f' splits on form feeds.")
def clean_text_command(file, jsonl, separator):
    """Already-scraped plain text → the JSON article `tintinh extract` prints.

    \b
    One article per FILE (default): the first line is the headline, then the lead, then
    the body, one paragraph per line (blank lines don't matter; a hard-wrapped line whose
    next line goes on in lower case is joined back). Prints one JSON object.
    Many articles: --jsonl or --split-on LINE (blank lines separate paragraphs, not
    articles); prints JSON Lines, one article per input article, in order.
    FILE "-" reads standard input. A bad JSON Lines record is reported on stderr with its
    line number, the others are still printed, and the exit status is 1.
    """
    from pipelines.clean_text import RecordError, clean_jsonl_record, clean_text_article, split_dump

    if jsonl and separator is not None:
        raise click.ClickException("give --jsonl or --split-on, not both")
    if separator is not None:
        separator = "\f" if separator in ("\\f", "\f") else separator.strip()
        if not separator:
            raise click.ClickException("--split-on needs a non-blank LINE")
    try:
        stream = click.open_file(file, encoding="utf-8", errors="strict")
        with stream:
            if not jsonl and separator is None:
                text = stream.read()
                try:
                    click.echo(_json_line(clean_text_article(text)))
                except ValueError as e:
                    raise click.ClickException(f"{file}: {e}") from None
                return
            if separator is not None:
                for text in split_dump(stream, separator):
                    click.echo(_json_line(clean_text_article(text)))
                return
            failed = 0
            for number, line in enumerate(stream, 1):
                try:
                    article = clean_jsonl_record(line, number)
                except RecordError as e:
                    failed += 1
                    click.echo(f"{file}: {e}", err=True)
                    continue
                if article is not None:
                    click.echo(_json_line(article))
            if failed:
                raise click.ClickException(f"{file}: {failed} record(s) could not be read")
    except UnicodeDecodeError as e:
        raise click.ClickException(f"{file}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except BrokenPipeError:             # the reader went away (| head): not a read error
        sys.stderr.close()
    except OSError as e:
        raise click.ClickException(f"cannot read {file}: {e.strerror or e}") from None


def _scrapy_settings(pairs) -> dict:
    """-s KEY=VALUE pairs as a dict, each value checked against its setting (crawler.setting_values)."""
    from crawler.setting_values import BadSetting, check_settings

    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise _usage_error(f"-s needs KEY=VALUE, got {pair!r}")
        settings[key.strip()] = value
    try:
        return check_settings(settings)
    except BadSetting as e:
        raise _usage_error(str(e)) from None


def _crawl_report(result: dict, db) -> None:
    from crawler.run import summary_lines

    for line in summary_lines(result):
        click.echo(line)
    click.echo(f"{result['responses']} pages fetched (feeds, sitemaps, sections, articles)"
               f" in {result['seconds']:.1f} s"
               f" (run {result['run_id']}, archive {db})")
    click.echo(f"open it with: tintinh serve --db {db}")
    if result.get("stopped"):
        unstored = result.get("not_stored", 0)
        raise click.ClickException(
            f"crawl stopped: {result['stopped']}" + (f"; {unstored} page{'s' if unstored != 1 else ''} fetched"
                                                     " after that, not stored, will be fetched again" if unstored else ""))
    if not result["responses"]:
        click.echo("error: nothing could be fetched (see the failures table)", err=True)
        sys.exit(1)


@cli.command("crawl", context_settings=CONTEXT)
@click.argument("slugs", nargs=-1)
@click.option("--all", "all_sites", is_flag=True, help="Crawl every registered site.")
@click.option("--url", help="Crawl a site that is not in the registry, starting from this URL.")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The archive to write.")
@click.option("--limit", type=click.IntRange(min=1), help="At most N new articles per site.")
@click.option("--refresh", is_flag=True, help="Fetch already archived articles again (new versions).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Only sitemap and feed entries from this date on (a backfill window).")
@click.option("--backfill", is_flag=True,
              help="Walk back to --since: every month sitemap and section page since then (resumable: run it again).")
@click.option("-s", "--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="A Scrapy setting for this crawl, e.g. -s DOWNLOAD_DELAY=2 (repeatable).")
def crawl_command(slugs, all_sites, url, db, limit, refresh, since, backfill, settings):
    """Crawl registered sites (SLUG…, or --all) or one site by --url into the archive.

    \b
    Already archived articles are skipped unless --refresh; failures (404, timeouts, pages
    that are no article…) are recorded in the archive's failures table. Safe from cron: a
    second crawl on the same archive exits at once. A page and its article (or failure) are
    stored together, so a killed crawl loses nothing: what is missing is fetched next run.
    Runs after a complete one are cheap: feeds, sitemaps and sections are asked for with its
    ETag/Last-Modified (304: nothing to read), entries dated before it began are skipped.
    --url explores a site: its feeds, robots.txt sitemaps, the sections of its navigation and
    their next pages; a line says why when nothing is found.
    Exit status 1 when nothing at all could be fetched, or when the archive stopped taking
    writes (full disk, file size limit, read-only, damaged: the crawl stops, one line says why);
    2 when a -s value does not fit its setting (checked before anything is fetched).
    """
    import sqlite3

    from archive.lock import CrawlLocked
    from archive.store import ArchiveError
    from crawler.run import crawl
    from crawler.sites import UnknownSite

    if sum((bool(slugs), all_sites, bool(url))) != 1:
        raise _usage_error("name one or more sites, or give --all, or --url URL (see tintinh crawl -h)")
    overrides = _scrapy_settings(settings)
    if backfill and since is None:
        raise _usage_error("--backfill walks back to a date: give --since YYYY-MM-DD")
    try:
        result = crawl(slugs, all_sites=all_sites, url=url, db=db, limit=limit, refresh=refresh,
                       since=since.date().isoformat() if since else None, backfill=backfill,
                       settings=overrides, progress=click.echo)
    except (UnknownSite, CrawlLocked, ArchiveError) as e:
        raise click.ClickException(str(e)) from None
    except OSError as e:
        raise click.ClickException(f"cannot write the archive {db}: {e.strerror or e}") from None
    except sqlite3.DatabaseError as e:
        raise click.ClickException(f"{db} is not a tintinh archive ({e})") from None
    _crawl_report(result, db)


@cli.command("demo", context_settings=CONTEXT)
@click.option("--db", default="demo.db", show_default=True, type=click.Path(dir_okay=False),
              help="The archive to write.")
def demo_command(db):
    """Crawl a bundled miniature mirror of a few news sites (served on 127.0.0.1, no network)."""
    from archive.lock import CrawlLocked
    from crawler.demo import run_demo

    try:
        result = run_demo(db, progress=click.echo)
    except CrawlLocked as e:
        raise click.ClickException(str(e)) from None
    _crawl_report(result, db)


@cli.command("sites", context_settings=CONTEXT)
@click.option("--province", help="Only sites covering this province, after or before the 2025 merger "
              "(accents optional; TP.HCM, hcm, Thừa Thiên Huế… work), or a region (Tây Nguyên, ĐBSCL).")
@click.option("--coverage", is_flag=True, help="Per province since the merger: its old provinces and the "
              "outlets covering it (* = verified against a saved page).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per site (or province) (JSON Lines).")
def sites_command(province, coverage, as_json):
    """List the registered outlets: slug, province, CMS family, whether checked against a real page."""
    from dataclasses import asdict

    from common.provinces import NATIONAL
    from crawler.sites import coverage as province_coverage
    from crawler.sites import load_sites, resolve_province, select_sites

    if coverage:
        rows = province_coverage()
        if province:
            now, _ = resolve_province(province)
            if now is None:
                raise click.ClickException(f"no province is called {province!r}")
            rows = [r for r in rows if r["province"] == now]
        if as_json:
            for row in rows:
                click.echo(_json_line(row))
            return
        width = max(len(r["province"]) for r in rows)
        before_width = max(len(", ".join(r["before"])) for r in rows)
        click.echo(f"{'province':<{width}}  {'before the merger':<{before_width}}  outlets (* verified)")
        for r in rows:
            outlets = ", ".join(o["slug"] + ("*" if o["verified"] else "")
                                + (f" (was {o['province_before']})" if o["province_before"] not in ("", r["province"]) else "")
                                for o in r["outlets"]) or "-"
            click.echo(f"{r['province']:<{width}}  {', '.join(r['before']):<{before_width}}  {outlets}")
        if not province:
            sites = load_sites().values()
            old = [b for r in rows for b in r["before"]]
            click.echo(f"{sum(bool(r['outlets']) for r in rows)}/{len(rows)} provinces and "
                       f"{sum(bool(select_sites(b)) for b in old)}/{len(old)} before the merger have an outlet; "
                       f"{sum(not s.national for s in sites)} provincial and {sum(s.national for s in sites)} national "
                       f"outlets, {sum(s.verified for s in sites)} of {len(sites)} verified")
        return
    sites = select_sites(province)
    if not sites:
        raise click.ClickException(f"no registered site covers the province {province!r}")
    for site in sites:
        if as_json:
            click.echo(_json_line(asdict(site)))
        else:
            where = NATIONAL if site.national else site.province
            if site.province_before and site.province_before != site.province:
                where += f" (was {site.province_before})"
            click.echo(f"{site.slug:<14} {site.cms:<12} {'verified' if site.verified else '-':<9} {where}")


@cli.command("stats", context_settings=CONTEXT)
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The archive file.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per site (JSON Lines).")
def stats_command(db, as_json):
    """Counts per site: articles, near-duplicates, pages fetched, failures, last crawl (Vietnam time)."""
    import sqlite3

    from archive.store import ArchiveError, open_archive, read_error
    try:
        with open_archive(db, readonly=True) as archive:
            rows = archive.stats()
    except ArchiveError as e:
        raise click.ClickException(str(e)) from None
    except sqlite3.Error as e:  # e.g. a damaged page met while counting
        raise click.ClickException(str(read_error(db, e))) from None
    if as_json:
        for row in rows:
            click.echo(_json_line(dict(row, last_crawl=_vietnam_time(row["last_crawl"], iso=True))))
        return
    rows = [dict(r, last_crawl=_vietnam_time(r["last_crawl"]) or None) for r in rows]
    columns = ("site", "articles", "duplicates", "pages", "failures", "last_crawl")
    total = {"site": "total", **{c: sum(r[c] for r in rows) for c in columns[1:5]}, "last_crawl": ""}
    table = [[str(r[c] if r[c] is not None else "") for c in columns] for r in rows + [total]]
    widths = [max(len(c), *(len(row[i]) for row in table)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) if i in (0, 5) else c.rjust(w)
                         for i, (c, w) in enumerate(zip(columns, widths))).rstrip())
    for row in table:
        click.echo("  ".join(v.ljust(w) if i in (0, 5) else v.rjust(w)
                             for i, (v, w) in enumerate(zip(row, widths))).rstrip())


def _minute(value: str | None) -> str:
    return _vietnam_time(value)


@cli.command("health", context_settings=CONTEXT)
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The archive file.")
@click.option("--site", "sites", multiple=True, help="Only this site (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per site (JSON Lines).")
def health_command(db, sites, as_json):
    """Each site's health: its latest crawl runs compared with its own history.

    \b
    ok        nothing changed (learning: too few runs to compare yet)
    degraded  articles come through, but something changed: dates, authors or sapo
              missing, bodies halved, the generic fallback instead of the site's layout,
              lines repeated across articles, the feed gone, not crawled for days
    broken    nothing comes through: every fetch failed, every article page refused,
              no new articles for days on a site that publishes daily
    Times are Vietnam time (+07:00). Exit status 1 when any site is broken (for cron mail or a monitor).
    """
    import sqlite3

    from archive.health import BROKEN, site_health
    from archive.store import ArchiveError, now_iso, open_archive, read_error
    try:
        with open_archive(db, readonly=True) as archive:
            rows = [h.row() for h in site_health(archive.conn, list(sites) or None, now=now_iso())]
    except ArchiveError as e:
        raise click.ClickException(str(e)) from None
    except sqlite3.OperationalError as e:
        if "no such column" in str(e):
            raise click.ClickException(f"{db} predates site health: a crawl into it (or any write) upgrades it") from None
        raise click.ClickException(str(read_error(db, e))) from None
    except sqlite3.Error as e:
        raise click.ClickException(str(read_error(db, e))) from None
    missing = sorted(set(sites) - {r["site"] for r in rows})
    if missing:
        raise click.ClickException(f"no finished crawl of {', '.join(missing)} in {db}")
    if as_json:
        for row in rows:
            click.echo(_json_line({k: _vietnam_time(v, iso=True) if k in ("since", "last_good", "last_run") else v
                                   for k, v in row.items()}))
    elif not rows:
        click.echo(f"no finished crawl in {db} yet", err=True)
    else:
        columns = ("site", "status", "since", "last good", "signals", "reason")
        table = [[r["site"], r["status"], _minute(r["since"]), _minute(r["last_good"]), r["signals"], r["reason"]]
                 for r in rows]
        widths = [max(len(c), *(len(row[i]) for row in table)) for i, c in enumerate(columns)]
        for row in [list(columns)] + table:
            click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    broken = [r["site"] for r in rows if r["status"] == BROKEN]
    if broken:
        raise click.ClickException(f"{len(broken)} site{'s' if len(broken) > 1 else ''} broken: {', '.join(broken)}")


@cli.command("export", context_settings=CONTEXT)
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The archive file.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--output", "-o", default="-", show_default=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write, - for standard output.")
@click.option("--site", help="Only this site (registry slug, or a site of the archive).")
@click.option("--published-since", "--since", "since", metavar="DATE",
              help="Only articles published (else first seen) on or after DATE (YYYY-MM-DD).")
@click.option("--skip-duplicates", is_flag=True, help="Leave out near-duplicates (keep the earliest copy of a story).")
@click.option("--bom/--no-bom", default=None,
              help="Start with a UTF-8 byte order mark, so Excel reads the Vietnamese right "
                   "(default: yes for CSV, no for JSON Lines).")
@click.option("--no-captions", is_flag=True, help="Leave the images' captions out of sapo and body "
                                                   "(as `extract --no-captions`; JSON Lines images keep them).")
def export_command(db, fmt, output, site, since, skip_duplicates, bom, no_captions):
    """Stream articles as JSON Lines (authors/tags as lists) or CSV (joined with "; ").

    CSV starts with a UTF-8 byte order mark unless --no-bom: Excel then opens it with the
    accents right (without it Excel guesses a legacy code page)."""
    import sqlite3

    from archive.export import export
    from archive.store import ArchiveError, open_archive, read_error
    _check_site(site, db)
    try:
        with open_archive(db, readonly=True) as archive, click.open_file(output, "w", encoding="utf-8") as out:
            if bom if bom is not None else fmt == "csv":
                out.write("\ufeff")
            n = export(archive, out, fmt=fmt, site=site, since=since, skip_duplicates=skip_duplicates,
                       captions=not no_captions)
    except ArchiveError as e:
        raise click.ClickException(str(e)) from None
    except sqlite3.Error as e:  # e.g. a damaged page met while reading
        raise click.ClickException(str(read_error(db, e))) from None
    except OSError as e:
        raise click.ClickException(f"cannot write {output}: {e.strerror or e}") from None
    if output != "-":
        click.echo(f"{n} articles written to {output}", err=True)


@cli.command("reprocess", context_settings=CONTEXT)
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The archive file.")
@click.option("--site", help="Only pages of this site (registry slug, or a site of the archive).")
@click.option("--fetched-since", "--since", "since", metavar="DATE",
              help="Only pages fetched on or after DATE (YYYY-MM-DD).")
@click.option("--processes", type=click.IntRange(min=0), help=PROCESSES_HELP)
def reprocess_command(db, site, since, processes):
    """Rebuild articles from the stored raw pages with today's extraction rules."""
    from archive.store import ArchiveError
    from crawler.sites import host_aliases, load_sites
    from pipelines.reprocess import reprocess
    _check_site(site, db)
    try:
        result = reprocess(db, site=site, since=since, processes=processes, aliases=host_aliases(),
                           sites={slug: s.profile() for slug, s in load_sites().items()})
    except ArchiveError as e:
        raise click.ClickException(str(e)) from None
    click.echo(str(result))


@cli.command("import-warc", context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The archive to load into (created if missing).")
@click.option("--site", "slugs", multiple=True, help="Only pages of this registered site (repeatable).")
@click.option("--all-vn", is_flag=True, help="Also any other .vn host, as an unregistered site.")
@click.option("--hosts", type=click.File(encoding="utf-8"), help="Also these hosts (one per line).")
def import_warc_command(files, db, slugs, all_vn, hosts):
    """Backfill from WARC/ARC files (.warc.gz, .warc, .arc.gz; - for stdin): their HTML pages of
    registered sites go through extraction, dedup and storage as a crawl's would."""
    from archive.store import Archive, ArchiveError
    from crawler.run import summary_lines
    from crawler.sites import UnknownSite, host_aliases, url_site_filter
    from pipelines.warc_import import import_warc

    try:
        site_for = url_site_filter(list(slugs), all_vn=all_vn,
                                   hosts=[h.strip() for h in hosts or () if h.strip()])
    except UnknownSite as e:
        raise click.ClickException(str(e)) from None
    try:
        with Archive(db, aliases=host_aliases()) as archive:
            sources = ((name, click.open_file(name, "rb")) for name in files)
            result = import_warc(archive, sources, site_for, progress=click.echo)
    except ArchiveError as e:
        raise click.ClickException(str(e)) from None
    for line in summary_lines({"sites": result.summary()}):
        click.echo(line)
    click.echo(f"{result.records} HTML pages read from {len(files)} file(s) (run {result.run_id}, archive {db})")


@cli.command("export-warc", context_settings=CONTEXT)
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The archive file.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="The .warc.gz to write.")
@click.option("--site", help="Only this site (registry slug, or a site of the archive).")
@click.option("--fetched-since", "--since", "since", metavar="DATE",
              help="Only pages fetched on or after DATE (YYYY-MM-DD).")
def export_warc_command(db, output, site, since):
    """The archive's raw pages as WARC (request, response and metadata records, gzip per record)."""
    from archive.store import ArchiveError, open_archive
    from archive.warc import export_warc
    _check_site(site, db)
    try:
        with open_archive(db) as archive:
            n = export_warc(archive, output, site=site, since=since)
    except ArchiveError as e:
        raise click.ClickException(str(e)) from None
    except OSError as e:
        raise click.ClickException(f"cannot write {output}: {e.strerror or e}") from None
    click.echo(f"{n} pages written to {output}", err=True)


@cli.command("import", context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The archive to load into (created if missing).")
@click.option("--processes", type=click.IntRange(min=0), help=PROCESSES_HELP)
def import_command(files, db, processes):
    """Load JSON Lines of articles (from export, extract --manifest, clean-text --jsonl), deduplicated.

    \b
    A line that cannot be loaded (not UTF-8, not a JSON object, a field of the wrong type,
    over 5 MB, refused by the archive) is reported on stderr with its number and skipped; the
    rest is loaded. Exit status 1 when any line was skipped. FILE "-" reads standard input.
    """
    from archive.load import load
    from archive.store import Archive, ArchiveError
    from crawler.sites import host_aliases
    skipped = 0
    try:
        with Archive(db, aliases=host_aliases()) as archive:
            for name in files:
                try:
                    with click.open_file(name, "rb") as stream:
                        result = load(archive, stream, processes=processes)
                except OSError as e:
                    raise click.ClickException(f"cannot read {name}: {e.strerror or e}") from None
                for problem in result.described():
                    click.echo(f"{name}: {problem}", err=True)
                if result.skipped > len(result.problems):
                    click.echo(f"{name}: … and {result.skipped - len(result.problems)} more skipped lines", err=True)
                click.echo(f"{name}: {result}")
                skipped += result.skipped
    except ArchiveError as e:
        raise click.ClickException(str(e)) from None
    if skipped:
        raise click.ClickException(f"{skipped} line{'s' if skipped > 1 else ''} skipped (see above)")


@cli.command("merge", context_settings=CONTEXT)
@click.argument("sources", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--into", required=True, type=click.Path(dir_okay=False),
              help="The archive to merge into (created if missing).")
@click.option("--processes", type=click.IntRange(min=0), help=PROCESSES_HELP)
def merge_command(sources, into, processes):
    """Merge archives (one per machine, each over its own sites) into one.

    \b
    Keeps every article with its versions, aliases and first-seen time, every raw page, run and
    failure (counts summed per URL and reason), and re-clusters stories across the archives:
    the same wire story crawled on two machines ends up in one story. The sources are only
    read (read-only files work, and a crawl may still be writing to them). Merging a source
    again adds nothing.
    """
    from archive.lock import CrawlLocked
    from archive.merge import merge_archives
    from archive.store import ArchiveError
    from crawler.sites import host_aliases
    try:
        merge_archives(into, sources, aliases=host_aliases(), processes=processes,
                       progress=lambda result: click.echo(str(result)))
    except (ArchiveError, CrawlLocked) as e:
        raise click.ClickException(str(e)) from None
