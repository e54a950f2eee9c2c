"""Extraction as the crawler and `tintinh extract` run it: with what the registry knows of the site."""
from crawler.sites import site_profile_for_url
from pipelines.extract import extract_article


def extract_registered(html, url: str, **kw) -> dict:
    return extract_article(html, url, site_profile_for_url(url), **kw)
