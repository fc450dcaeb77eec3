"""Scrapy's cookie middleware with the public-suffix list read from tldextract's bundled
snapshot: the stock one downloads the list from publicsuffix.org on first use, and a crawl
must reach nothing but the portals it crawls."""

from __future__ import annotations

from scrapy.downloadermiddlewares import cookies as scrapy_cookies
from tldextract import TLDExtract

scrapy_cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


class OfflineCookiesMiddleware(scrapy_cookies.CookiesMiddleware):
    """Same behaviour as Scrapy's CookiesMiddleware; importing this module makes it offline."""
