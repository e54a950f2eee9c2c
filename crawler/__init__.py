"""Fetching and site knowledge: Scrapy settings, the site registry (crawler.sites), discovery,
the generic NewsSpider, running a crawl, the demo mirror.

May import pipelines, archive and common; never cli. What extraction needs to know of a site
travels down as data in each page item (Site.profile()), so nothing below reads the registry.
"""
