"""What the crawl's Scrapy components share: the crawl context (database, blob store, run,
portals and their bookkeeping), reached through `crawl_context(crawler)`, and the DNS guard.

The Scrapy components themselves live where a Scrapy user looks for them: `spiders/`,
`middlewares/`, `extensions/`, `pipelines/`; the values they pass are in `harvester.items`.
"""
