"""robots.txt kept for a day: across runs and across the workers of a run.

Scrapy's RobotsTxtMiddleware asks each host's robots.txt once per crawl process, so every
run and every worker asks it again. RFC 9309 (section 2.4) lets a crawler use a cached copy
for up to 24 hours. This middleware answers Scrapy's robots.txt request from the last
recorded fetch of that URL when it is younger than ``HARVESTER_ROBOTS_CACHE_HOURS`` (the Scrapy
setting, else the environment variable; 24, never more; 0 turns the cache off): a 200 with its stored bytes, or a 4xx ("no rules": crawl freely).
A 5xx, a failed or a truncated fetch is never reused. Reused copies are not fetches: no
fetch row is written, the Scrapy stat ``harvester/robots_cached`` counts them.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from sqlalchemy import select

from harvester.crawl.context import CrawlContext, crawl_context
from harvester.storage.blobs import BlobError, BlobStoreUnavailable
from harvester.storage.fetches import url_hash
from harvester.storage.models import Fetch
from harvester.storage.types import utcnow

log = logging.getLogger(__name__)

DEFAULT_HOURS = 24.0  # RFC 9309: a cached robots.txt SHOULD NOT be used for longer
HOURS_SETTING = "HARVESTER_ROBOTS_CACHE_HOURS"  # a Scrapy setting, else the variable


class RobotsCacheMiddleware:
    def __init__(self, context: CrawlContext, hours: float, crawler: Crawler) -> None:
        self.context = context
        self.max_age = timedelta(hours=hours)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsCacheMiddleware:
        raw = crawler.settings.get(HOURS_SETTING, os.environ.get(HOURS_SETTING, "").strip())
        try:
            hours = float(raw) if raw not in (None, "") else DEFAULT_HOURS
        except ValueError:
            log.error(
                "%s must be a number of hours, got %r: using %g", HOURS_SETTING, raw, DEFAULT_HOURS
            )
            hours = DEFAULT_HOURS
        if hours <= 0 or not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured("robots.txt cache off")
        return cls(crawl_context(crawler), min(hours, DEFAULT_HOURS), crawler)

    def process_request(self, request: Request, spider: object = None) -> Response | None:
        if not request.meta.get("dont_obey_robotstxt") or urlsplit(request.url).path != (
            "/robots.txt"
        ):
            return None
        cached = self._cached(request.url)
        if cached is None:
            return None
        status, body = cached
        request.meta["skip_fetch_record"] = True  # not a fetch: nothing went out
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("harvester/robots_cached")
        return Response(request.url, status=status, body=body, request=request, flags=["cached"])

    def _cached(self, url: str) -> tuple[int, bytes] | None:
        """(status, body) of the last fetch of `url` when it may be reused, else None."""
        with self.context.session() as session:
            fetch = session.scalars(
                select(Fetch)
                .where(Fetch.url_sha256 == url_hash(url), Fetch.url == url)
                .order_by(Fetch.fetched_at.desc(), Fetch.id.desc())
                .limit(1)
            ).first()
            if fetch is None or fetch.status is None or utcnow() - fetch.fetched_at > self.max_age:
                return None
            status, sha256, complete = fetch.status, fetch.sha256, fetch.complete
        if 400 <= status < 500 and status != 429:
            return status, b""
        if status != 200 or not complete or not sha256:
            return None
        try:
            return 200, self.context.blobs.get(sha256)
        except (BlobError, BlobStoreUnavailable, OSError, ValueError) as exc:
            log.warning("stored robots.txt %s unreadable (%s): fetching it", url, exc)
            return None
