"""Page → clean article: pure functions, each wrapped by a thin Scrapy pipeline."""
