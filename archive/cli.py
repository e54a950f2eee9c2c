"""`tintinh …`: a thin command line over the library. It parses arguments, calls one library
function, prints, and turns user errors into one line (click.ClickException), never a traceback.

Commands (owner module in brackets):
  crawl      [crawler.run]        crawl registered sites or one URL into an archive
  demo       [crawler.demo]       crawl a bundled miniature site served on 127.0.0.1
  extract    [pipelines.extract]  one page → one JSON article; --manifest for many (JSON Lines)
  clean-text [pipelines.clean_text] already-scraped plain text → the same JSON
  serve      [archive.serve]      open the archive in datasette
  stats      [archive.store]      counts per site
  export     [archive.export]     JSONL / CSV for corpus builders
  reprocess  [archive.reprocess]  rebuild articles from stored raw pages with today's rules
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


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="tintinh")
def cli():
    """tintinh: Vietnamese provincial news, crawled into one clean, deduplicated SQLite archive."""


@cli.command(context_settings=CONTEXT)
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The archive to open.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
def serve(db, host, port):
    """Open the archive in datasette: search, facets, canned queries, chart."""
    from archive.serve import ServeError, serve as serve_archive

    try:
        serve_archive(db, host=host, port=port)
    except ServeError as e:
        raise click.ClickException(str(e)) from None


@cli.command("extract", context_settings=CONTEXT)
@click.argument("page", required=False, type=click.Path(dir_okay=False))
@click.option("--url", help="the page's URL (default: its <link rel=canonical>)")
@click.option("--manifest", type=click.Path(dir_okay=False),
              help="TSV of pages (path TAB url, no header): JSON Lines out, one per page")
def extract_command(page, url, manifest):
    """One saved page (.html or .html.gz) → one JSON article; --manifest for many pages."""
    from pipelines.batch import ManifestError, extract_manifest, read_page
    from pipelines.extract import ExtractionError, extract_article, parse_html

    if bool(page) == bool(manifest):
        raise click.ClickException("give one PAGE, or --manifest PAGES.tsv")
    if manifest:
        try:
            for result in extract_manifest(manifest):
                click.echo(_json_line(result))
        except ManifestError as e:
            raise click.ClickException(str(e)) from None
        return
    try:
        data = read_page(page)
    except (OSError, EOFError) as e:
        raise click.ClickException(f"cannot read {page}: {e}") from None
    try:
        if not url:
            url = (parse_html(data).xpath("//link[@rel='canonical']/@href") or [""])[0].strip()
            if not url:
                raise click.ClickException("the page names no canonical URL: give --url")
        click.echo(_json_line(extract_article(data, url)))
    except ExtractionError as e:
        raise click.ClickException(f"{page}: {type(e).__name__}: {e}") from None
