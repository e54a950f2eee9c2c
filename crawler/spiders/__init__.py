"""Scrapy spiders: one generic NewsSpider (crawler.spiders.news) serves every site."""
