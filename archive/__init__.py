"""The SQLite archive: store, deduplication, search and datasette wiring. Knows nothing of Scrapy."""
