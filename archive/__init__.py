"""The SQLite archive: store, deduplication, search, export/import, the crawl lock, datasette.

Knows nothing of Scrapy. May import only common; the sites it needs to know of (their domains,
for canonical URLs) are registered in the archive itself as data.
"""
