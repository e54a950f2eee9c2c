"""Fetching and site knowledge: the site registry, Scrapy settings and the generic NewsSpider."""
