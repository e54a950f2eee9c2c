"""The shape of an article record read from outside (a JSON Lines line): each field's type.

What `tintinh export`, `extract --manifest` and `clean-text --jsonl` write is checked here before
anything is stored, so a wrong type is one refused record with a reason ("authors" must be a
list of strings, not a string) rather than a crash or a silently mangled row. Fields not named
here are left alone (an extract's "path", a clean-text "id").
"""
from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from archive.store import BadArticle

TEXTS = ("url", "canonical_url", "site", "province", "title", "sapo", "body", "published_raw",
         "modified_raw", "category", "language", "extractor", "content_hash")
# A single string is refused, not taken as a one-element list: "A; B" (how CSV export joins
# names) or "A, B" would become one author, and guessing the separator could split a name.
TEXT_LISTS = ("authors", "tags", "aliases")
DATES = ("published_at", "modified_at", "fetched_at", "first_seen", "last_seen")
OBJECT_LISTS = {
    "images": {"src": "text", "caption": "text"},
    "related": {"url": "text", "title": "text"},
    "versions": {"title": "text", "sapo": "text", "body": "text", "content_hash": "text",
                 "fetched_at": "date", "replaced_at": "date"},
}
REQUIRED_IN = {"versions": ("replaced_at",)}  # article_versions.replaced_at is NOT NULL
# Where an article sat in the archive it was exported from (ids of that archive).
EXPORT_IDS = ("id", "story_id", "duplicate_of")

_SURROGATE = re.compile(r"[\ud800-\udfff]")  # from "\ud800" in JSON: not storable as UTF-8


class BadRecord(BadArticle):
    """A record whose fields do not have the types an article needs."""


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _text(name: str, value) -> None:
    if value is not None and not isinstance(value, str):
        raise BadRecord(f'"{name}" must be a string, not {_kind(value)}')
    if value and _SURROGATE.search(value):
        raise BadRecord(f'"{name}" holds an unpaired surrogate (not valid Unicode text)')


def _date(name: str, value) -> None:
    _text(name, value)
    if value:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise BadRecord(f'"{name}" must be an ISO 8601 date, not {value[:40]!r}') from None


def _url(name: str, value) -> None:
    _text(name, value)
    if value:
        try:
            urlsplit(value.strip())
        except ValueError as e:  # e.g. "Invalid IPv6 URL"
            raise BadRecord(f'"{name}" is not a URL ({e})') from None


_CHECKS = {"text": _text, "date": _date}


def check_article(record: dict) -> None:
    """Raise BadRecord naming the first field of `record` with a wrong type (null is always allowed)."""
    for name in TEXTS:
        (_url if name in ("url", "canonical_url") else _text)(name, record.get(name))
    for name in DATES:
        _date(name, record.get(name))
    for name in TEXT_LISTS:
        value = record.get(name)
        if value is None:
            continue
        if not isinstance(value, list):
            raise BadRecord(f'"{name}" must be a list of strings, not {_kind(value)}')
        for item in value:
            if not isinstance(item, str):
                raise BadRecord(f'"{name}" must be a list of strings, not a list holding {_kind(item)}')
            _text(name, item)
    for name, fields in OBJECT_LISTS.items():
        value = record.get(name)
        if value is None:
            continue
        if not isinstance(value, list):
            raise BadRecord(f'"{name}" must be a list of objects, not {_kind(value)}')
        for n, item in enumerate(value):
            if not isinstance(item, dict):
                raise BadRecord(f'"{name}" must be a list of objects, not a list holding {_kind(item)}')
            for field, kind in fields.items():
                _CHECKS[kind](f"{name}[{n}].{field}", item.get(field))
            for field in REQUIRED_IN.get(name, ()):
                if not item.get(field):
                    raise BadRecord(f'"{name}[{n}].{field}" is missing')
    if "story_id" in record:  # an exported article: where it sat in its archive
        for name in EXPORT_IDS:
            value = record.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise BadRecord(f'"{name}" must be a whole number, not {_kind(value)}')
