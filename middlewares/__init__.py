"""Downloader middlewares of the harvester crawl (see harvester.scrapy_settings)."""
