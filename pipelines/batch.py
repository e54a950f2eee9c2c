"""Many pages in one process: a manifest (path TAB url per line, no header) → one result per page.

A page that fails gives {"path", "error"} and the others go on; a malformed manifest fails as a
whole before any page is read, with the line number.
"""
from __future__ import annotations

import gzip
import sys
from pathlib import Path
from typing import Callable, Iterator

from pipelines.extract import ExtractionError, extract_article


class ManifestError(ValueError):
    """The manifest cannot be read or has a malformed line."""


def read_manifest(path: str | Path) -> list[tuple[str, str]]:
    """[(page path, url)] as written ("-": standard input); see `resolve_page` for relative paths."""
    path = Path(path)
    try:
        text = sys.stdin.buffer.read().decode("utf-8") if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc}") from None
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        cols = line.rstrip("\r").split("\t")
        if len(cols) != 2 or not cols[0].strip() or not cols[1].strip():
            raise ManifestError(f"{path}:{number}: expected two tab-separated columns (path, URL)")
        rows.append((cols[0].strip(), cols[1].strip()))
    return rows


def resolve_page(page: str, manifest: str | Path) -> Path:
    """A relative page path is taken from the current folder, else from the manifest's folder."""
    candidate = Path(page)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    beside = Path(manifest).parent / candidate
    return beside if beside.exists() else candidate


def read_page(path: str | Path) -> bytes:
    """The page's bytes; .gz files are decompressed."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix == ".gz":
        return gzip.decompress(data)
    return unpack_page(data)


def unpack_page(data: bytes) -> bytes:
    """A page's bytes, decompressed when they are gzip (a saved .html.gz, read from a pipe)."""
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def extract_manifest(manifest: str | Path, site_for: Callable[[str], dict | None] = lambda url: None
                     ) -> Iterator[dict]:
    """One dict per manifest line, in order: the article with `path` added, or {"path", "error"}.
    `site_for(url)` is what is known of the URL's site (see extract_article), None if nothing."""
    for page, url in read_manifest(manifest):
        try:
            article = extract_article(read_page(resolve_page(page, manifest)), url, site_for(url))
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            yield {"path": page, "error": f"cannot read page: {exc}"}
        except ExtractionError as exc:
            yield {"path": page, "error": f"{type(exc).__name__}: {exc}"}
        except Exception as exc:  # one broken page must not stop a batch; the reason is kept
            yield {"path": page, "error": f"{type(exc).__name__}: {exc}"}
        else:
            yield {"path": page, **article}
