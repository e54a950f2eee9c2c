"""How archive values read on a page: times in Vietnam time, author lists as names, safe links.

Pure functions of stored values (no datasette); the plugin's render_cell and the article and
search pages use them, so one value reads the same everywhere.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

# Asia/Ho_Chi_Minh has been UTC+07:00 without daylight saving since 1975: a fixed offset needs
# no tz database and gives the same answer for every date the archive holds.
VIETNAM = timezone(timedelta(hours=7), "+07:00")
TIME_ZONE_LABEL = "Vietnam time (UTC+07:00)"

# An ISO 8601 moment with an offset ("…T10:02:08+07:00", "…T07:05:14+00:00", "…Z"): only these
# are converted; dates alone, naive times and raw strings are shown as stored.
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def as_vietnam_time(value) -> datetime | None:
    """The moment `value` names, in Vietnam time; None when it is not an ISO time with an offset."""
    if not isinstance(value, str) or not _MOMENT.match(value.strip()):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(VIETNAM)


def vietnam_time(value, seconds: bool = False) -> str | None:
    """`value` as Vietnam time for reading, "2025-10-11 10:02 +07:00"; None when it is not a time."""
    moment = as_vietnam_time(value)
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%d %H:%M:%S +07:00" if seconds else "%Y-%m-%d %H:%M +07:00")


def json_list(value) -> list[str] | None:
    """A stored JSON list of strings (authors, tags, sites) as a list; None when it is not one."""
    if not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        items = json.loads(value)
    except ValueError:
        return None
    if not isinstance(items, list):
        return None
    return [str(item) for item in items if item is not None and str(item).strip()]


def names(value) -> str | None:
    """A JSON list of names as text, "Thuận Văn, Lê Ánh"; None when `value` is not such a list."""
    items = json_list(value)
    return None if items is None else ", ".join(items)


def safe_url(url) -> str | None:
    """`url` when it is an http(s) URL fit for an href or src, else None (article data is hostile
    input: a javascript: or data: URL must never become a link)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def paragraphs(text) -> list[str]:
    """The paragraphs of a stored text (one a line), blank lines left out."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def shorten(text, limit: int = 160) -> str:
    """About `limit` characters of `text` on one line, cut at a word, with … when cut."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut.rstrip(",.;:") + "…"
