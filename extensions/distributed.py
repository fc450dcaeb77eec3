"""Keeps the worker processes of a distributed run (scrapy-redis) alive until the run is
done.

With a shared queue, a worker that finds the queue empty may still see work arrive: another
worker's response yields new requests. So an idle worker closes only when the queue is
empty and every worker of the run is idle too; until then it stays open (DontCloseSpider),
and Scrapy looks at the queue again on its next idle check (every few seconds).

Redis keys (removed with the run's other keys by harvester.crawling.run_crawl):
`harvester:run<N>:active` (workers crawling the run) and `harvester:run<N>:idle`.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured

from harvester.crawl.context import crawl_context

log = logging.getLogger(__name__)


class SharedRunKeeper:
    def __init__(self, crawler: Crawler, redis_url: str) -> None:
        import redis

        self.crawler = crawler
        self.server = redis.Redis.from_url(redis_url, socket_connect_timeout=10)
        self.me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.active_key = ""
        self.idle_key = ""
        self.idle = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedRunKeeper:
        redis_url = crawler.settings.get("REDIS_URL")
        if not redis_url:
            raise NotConfigured("not a distributed run")
        keeper = cls(crawler, redis_url)
        crawler.signals.connect(keeper.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(keeper.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(keeper.busy, signal=signals.request_reached_downloader)
        crawler.signals.connect(keeper.spider_closed, signal=signals.spider_closed)
        return keeper

    def spider_opened(self) -> None:
        run_id = crawl_context(self.crawler).run_id
        self.active_key = f"harvester:run{run_id}:active"
        self.idle_key = f"harvester:run{run_id}:idle"
        self.server.sadd(self.active_key, self.me)

    def busy(self, request: Any = None, spider: Spider | None = None) -> None:
        if self.idle:
            self.idle = False
            self.server.srem(self.idle_key, self.me)

    def spider_idle(self, spider: Spider) -> None:
        scheduler = self.crawler.engine._slot.scheduler  # noqa: SLF001 - Scrapy has no public handle
        if scheduler.has_pending_requests():
            self.busy()
            raise DontCloseSpider("requests wait in the shared queue")
        self.idle = True
        self.server.sadd(self.idle_key, self.me)
        busy = self.server.sdiff(self.active_key, self.idle_key)
        if busy:
            log.info("queue empty; waiting for %d other worker(s) of the run", len(busy))
            raise DontCloseSpider("other workers of the run may still add requests")

    def spider_closed(self, spider: Spider) -> None:
        self.server.srem(self.active_key, self.me)
        self.server.srem(self.idle_key, self.me)
