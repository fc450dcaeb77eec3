"""Scrapy extensions of the harvester crawl: per-portal outcomes, distributed runs."""
