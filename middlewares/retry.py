"""Retries with exponential backoff; a 429/503 answer's Retry-After is honoured.

A truncated body (fewer bytes than its Content-Length, flagged "dataloss") is retried
too: the fetch recorder (closer to the downloader) has already recorded it as incomplete.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.http import Response

log = logging.getLogger(__name__)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, delayed: Retry-After if given, else base**attempt seconds."""

    def __init__(self, settings) -> None:  # noqa: ANN001 - Scrapy passes its Settings
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)

    async def process_response(  # noqa: ANN201
        self, request: Request, response: Response, spider: Spider | None = None
    ):
        truncated = "dataloss" in response.flags
        if request.meta.get("dont_retry") or not (
            truncated or response.status in self.retry_http_codes
        ):
            return response
        reason = "truncated body" if truncated else f"HTTP {response.status}"
        retry = get_retry_request(
            request,
            spider=spider or self.crawler.spider,
            reason=reason,
            max_retry_times=self.max_retry_times,
        )
        if retry is None:
            return response
        header = response.headers.get(b"Retry-After")
        delay = retry_after_seconds(header.decode("latin-1") if header else None)
        if delay is None:
            delay = self.base ** retry.meta.get("retry_times", 1)
        delay = min(delay, self.cap)
        if delay > 0:
            log.info("retrying %s in %.1fs (%s)", request.url, delay, reason)
            await asyncio.sleep(delay)
        return retry
