"""Downloader guards: redirect loops and redirects off the web end as recorded failures.

Scrapy follows redirects through the scheduler, whose duplicate filter silently drops the
second visit of a loop (A → B → A): the request would vanish without an errback. Here a
redirect back to a URL already in the chain, to a scheme other than http(s), to a private
address, or off the portal's hosts (`harvester.discovery.host_allowed`; only a home page may
move to another host) raises IgnoreRequest with its reason, so the spider's errback
records it for the portal.

Requests to an IP-literal host in a private, loopback or link-local range are refused the
same way unless a registry row of the crawl points at that address (names are checked by
pipelines.resolver when they resolve; literals never reach the resolver).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from harvester.discovery import host_allowed
from pipelines.resolver import is_private_address, registry_hosts

REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class RedirectGuardMiddleware:
    """Sits just outside Scrapy's RedirectMiddleware (600), so it sees each 3xx first."""

    def __init__(self, crawler: Crawler | None = None) -> None:
        self.crawler = crawler
        self._hosts: set[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawler)

    def _spider(self, spider: Spider | None) -> Spider | None:
        return spider or getattr(self.crawler, "spider", None)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = self._spider(spider)
        host = (urlsplit(request.url).hostname or "").lower()
        if is_private_address(host) and host not in self._registry_hosts(spider):
            raise IgnoreRequest(
                f"private address {host} refused (no registry row points at it): {request.url}"
            )
        return None

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        spider = self._spider(spider)
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
        if is_private_address(host) and host not in self._registry_hosts(spider):
            raise IgnoreRequest(
                f"redirect to the private address {host} refused (no registry row points at it)"
            )
        self._check_portal_host(request, target, spider)
        return response

    def _registry_hosts(self, spider: Spider) -> set[str]:
        if self._hosts is None:
            self._hosts = registry_hosts(spider)
        return self._hosts

    @staticmethod
    def _check_portal_host(request: Request, target: str, spider: Spider) -> None:
        """Redirects stay on the portal's hosts; a home page may move (domain change)."""
        states = getattr(spider, "states", None)
        state = states.get(request.meta.get("portal_id")) if states else None
        if state is None or request.meta.get("home"):
            return
        portal = state.portal
        if not host_allowed(target, portal.home_url, portal.allowed_hosts):
            raise IgnoreRequest(f"redirect off the portal's hosts refused: {target}")
