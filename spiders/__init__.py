"""Scrapy spiders: follow links from a county's home page to its annual reports."""
