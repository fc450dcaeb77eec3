"""Download slots per host *and port*: the unit politeness is counted in.

Scrapy keys its per-host concurrency and delay by hostname alone, so servers on one
address but different ports (the local portal world, a platform serving counties on
several ports) would share one slot and one delay. Portals sharing a hostname still
share a slot, which is what politeness towards a platform host needs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.http import Request


class HostPortSlotMiddleware:
    """Sets `download_slot` to the request's host:port unless the request names one."""

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if "download_slot" not in request.meta:
            request.meta["download_slot"] = urlsplit(request.url).netloc.lower()
