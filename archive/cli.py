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
