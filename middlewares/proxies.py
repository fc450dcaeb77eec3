"""Downloader middleware: each request goes through its portal's proxy (harvester.proxies).

Plain requests get `request.meta["proxy"]` for Scrapy's HttpProxyMiddleware (which sits
after this one, takes the credentials out of the URL and sends them as
Proxy-Authorization, to the proxy only). Browser requests get a Chromium context of their
own per proxy (`playwright_context`, with Playwright's `proxy` option), never a
Proxy-Authorization header, which the browser would forward to the portal. Requests that
name no portal (robots.txt) use the proxy of the registry portal on their host. Every
request carries the proxy's name (scheme://host:port) in `PROXY_META` for its fetch row.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler

from harvester.crawl.context import CrawlContext, crawl_context
from harvester.proxies import PROXY_META, playwright_proxy, proxy_name


class PortalProxyMiddleware:
    """Sets the proxy of every request from the crawl context (global and per portal)."""

    def __init__(self, context: CrawlContext) -> None:
        self.context = context

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PortalProxyMiddleware:
        return cls(crawl_context(crawler))

    def process_request(self, request: Request, spider: object = None) -> None:
        url = self.context.proxy_for(request.meta.get("portal_id"), request.url)
        if not self.context.proxied:
            return None  # no proxy configured anywhere: Scrapy's defaults ($http_proxy) hold
        request.meta[PROXY_META] = proxy_name(url)
        if request.meta.get("playwright"):
            request.meta.pop("proxy", None)
            request.headers.pop(b"Proxy-Authorization", None)
            if url is not None:
                base = request.meta.get("playwright_context") or "default"
                base = base.split(" via ", 1)[0]
                request.meta["playwright_context"] = f"{base} via {proxy_name(url)}"
                kwargs = dict(request.meta.get("playwright_context_kwargs") or {})
                kwargs["proxy"] = playwright_proxy(url)
                request.meta["playwright_context_kwargs"] = kwargs
            return None
        request.meta["proxy"] = url  # None: direct, even past $http_proxy
        return None
