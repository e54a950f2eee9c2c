"""`-s KEY=VALUE` overrides checked before a crawl starts, so a bad value is one line then and
not a Twisted traceback (or a false failure row for every page) in the middle of the crawl.

A setting that tintinh (crawler/settings.py) or Scrapy gives a default is checked against that
default's type, read the way Scrapy will read it: a number must be a number (a whole one for
tintinh's own counters), a flag true/false/1/0, a dict a JSON object. Other keys pass as given.
"""
from __future__ import annotations

import json

from scrapy.settings import BaseSettings, Settings

# Read with getfloat although Scrapy's default is a whole number.
_FLOATS = {"DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT", "CLOSESPIDER_TIMEOUT", "AUTOTHROTTLE_START_DELAY",
           "AUTOTHROTTLE_MAX_DELAY", "AUTOTHROTTLE_TARGET_CONCURRENCY", "DOWNLOAD_DELAY_JITTER"}
_BOOLS = {"1", "0", "true", "false", "True", "False"}


class BadSetting(ValueError):
    """An override whose value the setting cannot take; str() says which and why, in one line."""


def _defaults() -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return settings


def check_settings(overrides: dict[str, str]) -> dict[str, str]:
    """`overrides` unchanged when every value fits its setting, else BadSetting for the first
    that does not: "-s DOWNLOAD_DELAY=abc: a number is expected"."""
    defaults = _defaults()
    for key, value in overrides.items():
        default = defaults.get(key)
        text = str(value).strip()
        shown = f"-s {key}={value}"
        if isinstance(default, bool):
            if text not in _BOOLS:
                raise BadSetting(f"{shown}: true or false is expected (or 1 or 0)")
        elif isinstance(default, (int, float)):
            try:
                number = float(text)
            except ValueError:
                raise BadSetting(f"{shown}: a number is expected") from None
            if isinstance(default, int) and key not in _FLOATS and not number.is_integer():
                raise BadSetting(f"{shown}: a whole number is expected")
        elif isinstance(default, (dict, BaseSettings)):
            try:
                parsed = json.loads(text)
            except ValueError as e:
                raise BadSetting(f"{shown}: a JSON object is expected ({e})") from None
            if not isinstance(parsed, dict):
                raise BadSetting(f"{shown}: a JSON object is expected, not {type(parsed).__name__}")
    return overrides
