"""Page → clean article: pure functions (extract, clean_dom, clean_text, metadata, dates,
generic, with the CMS family layouts in families.toml), each wrapped by a thin Scrapy pipeline
(pipelines.stages), and reprocessing of stored pages.

May import archive and common; never crawler or cli. A site is known only through the data the
caller passes (the spider's item, the command line's registry lookup).
"""
