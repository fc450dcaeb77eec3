"""Scrapy commands of the project (COMMANDS_MODULE): `scrapy crawl` checks the reports
spider's arguments before it starts, so a wrong one is a usage error, not a traceback."""
