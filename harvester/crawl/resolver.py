"""A DNS resolver that keeps the crawl on the public web.

- Names under the reserved `.invalid` top-level domain (RFC 6761) fail at once, without
  asking any DNS server.
- A name that resolves to a private, loopback, link-local, multicast or reserved address is
  refused (as a DNS lookup error naming the address), unless the host is one the crawl's
  own registry rows point at (home URL, column URLs, allowed hosts): a redirect or link to
  `localhost`, 10.x, 169.254.169.254 (cloud metadata) and the like is never contacted.
  The local portal world on 127.0.0.1 is allowed because its registry rows name 127.0.0.1.

Installed through the TWISTED_DNS_RESOLVER setting. Browser fetches (Chromium) resolve names
themselves; they are used only for pages on a portal's own hosts.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from harvester.crawl.context import find_context


def is_reserved_name(name: str) -> bool:
    name = name.lower().rstrip(".")
    return name == "invalid" or name.endswith(".invalid")


def is_private_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


class GuardedResolver(CachingThreadedResolver):
    crawler: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.crawler = crawler
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred:  # noqa: N802
        if is_reserved_name(name):
            return defer.fail(DNSLookupError(f"{name}: reserved .invalid name, not looked up"))
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    def _check(self, address: str, name: str) -> str:
        if not is_private_address(address):
            return address
        # Scrapy builds the resolver with its CrawlerProcess (whose crawlers hold the context).
        context = find_context(self.crawler)
        allowed = context.registry_hosts() | context.proxy_hosts() if context else set()
        if name.lower().rstrip(".") in allowed:
            return address
        raise DNSLookupError(
            f"{name} resolves to the private address {address}; "
            "refused (no registry row points at this host)"
        )
