"""Downloader guards: redirect loops and redirects off the web end as recorded failures.

Scrapy follows redirects through the scheduler, whose duplicate filter silently drops the
second visit of a loop (A → B → A): the request would vanish without an errback. Here a
redirect back to a URL already in the chain, to a scheme other than http(s), to a private
address, or off the portal's hosts (`harvester.discovery.host_allowed`; only a home page may
move to another host) raises IgnoreRequest with its reason, so the spider's errback
records it for the portal.

Requests to an IP-literal host in a private, loopback or link-local range are refused the
same way unless a registry row of the crawl points at that address and port (names are checked by
harvester.crawl.resolver when they resolve; literals never reach the resolver).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from harvester.crawl.context import CrawlContext, crawl_context, origin
from harvester.crawl.resolver import is_private_address
from harvester.discovery import host_allowed

REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class RedirectGuardMiddleware:
    """Sits just outside Scrapy's RedirectMiddleware (600), so it sees each 3xx first."""

    def __init__(self, context: CrawlContext) -> None:
        self.context = context
        self.registry_origins = context.registry_origins()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawl_context(crawler))

    def process_request(self, request: Request, spider: object = None) -> None:
        host = (urlsplit(request.url).hostname or "").lower()
        if is_private_address(host) and origin(request.url) not in self.registry_origins:
            raise IgnoreRequest(
                f"private address {origin(request.url)} refused (no registry row points at it): "
                f"{request.url}"
            )
        return None

    def process_response(
        self, request: Request, response: Response, spider: object = None
    ) -> Response:
        if response.status not in REDIRECT_STATUSES or request.meta.get("dont_redirect"):
            return response
        location = response.headers.get(b"Location")
        if not location:
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        scheme = urlsplit(target).scheme.lower()
        if scheme not in ("http", "https"):
            raise IgnoreRequest(f"redirect to a {scheme}: URL refused: {target}")
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            hops = " → ".join([*chain[chain.index(target) :], target])
            raise IgnoreRequest(f"redirect loop: {hops}")
        host = (urlsplit(target).hostname or "").lower()
        if is_private_address(host) and origin(target) not in self.registry_origins:
            if request.meta.get("home") and host == (urlsplit(request.url).hostname or "").lower():
                # The portal moved within its own (private) host: its new origin is its own.
                self.registry_origins.add(origin(target))
                self._check_portal_host(request, target)
                return response
            raise IgnoreRequest(
                f"redirect to the private address {origin(target)} refused "
                "(no registry row points at it)"
            )
        self._check_portal_host(request, target)
        return response

    def _check_portal_host(self, request: Request, target: str) -> None:
        """Redirects stay on the portal's hosts; a home page may move (domain change)."""
        state = self.context.state(request.meta.get("portal_id"))
        if state is None or request.meta.get("home"):
            return
        portal = state.portal
        if not host_allowed(target, portal.home_url, portal.allowed_hosts):
            raise IgnoreRequest(f"redirect off the portal's hosts refused: {target}")
