"""Scrapy settings of the harvester project (scrapy.cfg names this module).

Polite by default: robots.txt obeyed, one request at a time per host with a delay and
AutoThrottle, retries with backoff on 429 (Retry-After honoured) and 5xx, size limits and
timeouts. The browser (Chromium through scrapy-playwright) is used only by requests that
carry meta playwright=True.
"""

from __future__ import annotations

BOT_NAME = "harvester"
SPIDER_MODULES = ["spiders"]
# `scrapy crawl reports` checks its arguments first (harvester/scrapy_commands/crawl.py).
COMMANDS_MODULE = "harvester.scrapy_commands"
NEWSPIDER_MODULE = "spiders"

USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36 harvester/0.1 (+https://github.com/harvester-reports)"
)
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
}

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
RANDOMIZE_DOWNLOAD_DELAY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 200 * 1024 * 1024
DOWNLOAD_WARNSIZE = 32 * 1024 * 1024
# Keep truncated bodies (flagged "dataloss") so they are recorded as incomplete.
DOWNLOAD_FAIL_ON_DATALOSS = False

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 120.0
# Challenge answers reach the spider, which retries them in the browser; 304 answers
# conditional requests.
HTTPERROR_ALLOWED_CODES = [304, 412, 521]
REDIRECT_MAX_TIMES = 10
# .invalid names fail without a DNS query; private addresses only for registry hosts.
TWISTED_DNS_RESOLVER = "harvester.crawl.resolver.GuardedResolver"
DNS_TIMEOUT = 20

DOWNLOADER_MIDDLEWARES = {
    # First: a robots.txt answered from its copy of the last 24 h goes nowhere else.
    "middlewares.robots_cache.RobotsCacheMiddleware": 40,
    "middlewares.slots.HostPortSlotMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "middlewares.retry.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "middlewares.cookies.OfflineCookiesMiddleware": 700,
    "middlewares.guards.RedirectGuardMiddleware": 650,
    # Before Scrapy's HttpProxyMiddleware (750): sets each request's proxy.
    "middlewares.proxies.PortalProxyMiddleware": 740,
    "middlewares.fetches.FetchRecorderMiddleware": 950,
}
ITEM_PIPELINES = {"pipelines.reports.StoreReportPipeline": 300}
EXTENSIONS = {"extensions.outcomes.PortalOutcomes": 500}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# scrapy-playwright's handler, noting when each transfer starts (the fetch row's time).
DOWNLOAD_HANDLERS = {
    "http": "harvester.crawl.transfer.TimedDownloadHandler",
    "https": "harvester.crawl.transfer.TimedDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": "/usr/bin/chromium",
    "headless": True,
    "args": [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--no-pings",
        "--disable-extensions",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--safebrowsing-disable-auto-update",
        "--metrics-recording-only",
        "--disable-breakpad",
    ],
    # The spider adds a proxy that goes nowhere for every host but the crawl's portals
    # (spiders/browser.py launch_options): Chromium's own services reach nobody.
}
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 45_000

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
# Scrapy's remote-control HTTP endpoint would let anyone on the machine drive the crawl.
REMOTE_CONTROL_ENABLED = False
