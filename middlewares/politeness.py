"""Per-host concurrency and delay held across every worker of a distributed run.

Scrapy counts `CONCURRENT_REQUESTS_PER_DOMAIN` and `DOWNLOAD_DELAY` per process, so N
workers would send a portal N times what one process sends. In a distributed run
(harvester.crawl_process adds this middleware only then), each request first takes a lease
on its host:port from Redis (harvester/crawl/politeness.py): at most the slot's concurrency
leases at once over all workers, and each start at least the slot's delay after the last
start to that host by any worker. A request not granted waits (asyncio sleep, never
blocking the reactor) and asks again; its lease is returned on its response, exception or
ignore, and expires if its worker dies.

The delay asked for is the one the local download slot holds: `DOWNLOAD_DELAY`, or the
AutoThrottle delay (AutoThrottle keeps adjusting the slot from this worker's latencies), so
a host AutoThrottle slowed down is slowed down for every worker. Once the shared lease is
granted the local slot is told not to wait again (its delay is already served), so the
request starts at once and the starts Redis spaced are the starts the host sees (the
start is noted again in Redis as the request is sent, in case the worker's event loop was
busy between the grant and the send). Random
jitter (`RANDOMIZE_DOWNLOAD_DELAY`) only lengthens the shared delay, never shortens it.

Sits last before the downloader (priority 990) so a lease covers just the transfer: it is
taken after every other middleware let the request through and returned before the retry
middleware's backoff sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from harvester.crawl.politeness import FULL, Lease, SharedPace, host_key

log = logging.getLogger(__name__)

PREFIX_SETTING = "HARVESTER_POLITENESS_KEY"  # the run's key prefix, set by crawl_process
ENABLED_SETTING = "HARVESTER_SHARED_POLITENESS"  # False: per-process politeness only
TTL_SETTING = "HARVESTER_POLITENESS_LEASE_TTL"  # seconds a lease outlives a dead worker
POLL_SETTING = "HARVESTER_POLITENESS_POLL"  # seconds between asks while a host is full
SCHEMES = ("http", "https")


class SharedPolitenessMiddleware:
    def __init__(self, crawler: Crawler, pace: SharedPace, poll: float, ttl: float) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.pace = pace
        self.poll = poll
        self.ttl = ttl
        self.held: dict[Request, tuple[Lease, asyncio.Semaphore]] = {}
        self.gates: dict[str, asyncio.Semaphore] = {}  # this process's askers per host
        self.renewer: asyncio.Task[None] | None = None
        self.stamps: set[asyncio.Task[None]] = set()  # start notes on their way to Redis

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        settings = crawler.settings
        redis_url, prefix = settings.get("REDIS_URL"), settings.get(PREFIX_SETTING)
        if not redis_url or not prefix:
            raise NotConfigured("not a distributed run")
        if not settings.getbool(ENABLED_SETTING, True):
            raise NotConfigured(f"{ENABLED_SETTING} is off")
        import redis.asyncio

        ttl = settings.getfloat(TTL_SETTING, 60.0)
        server = redis.asyncio.Redis.from_url(redis_url, socket_connect_timeout=10)
        middleware = cls(
            crawler, SharedPace(server, prefix, ttl), settings.getfloat(POLL_SETTING, 0.1), ttl
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    # -- signals ----------------------------------------------------------------------------
    def spider_opened(self) -> None:
        self.renewer = asyncio.get_event_loop().create_task(self._renew_forever())
        log.info(
            "per-host politeness shared over the run's workers through Redis "
            "(at most %s requests in flight and %.2f s between starts per host:port)",
            self.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
            self._start_delay(),
        )

    async def spider_closed(self) -> None:
        if self.renewer is not None:
            self.renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.renewer
        await asyncio.gather(*self.stamps, return_exceptions=True)  # failures: _stamped logs
        try:
            for request in list(self.held):
                await self._release(request)
        finally:
            await self.pace.server.aclose()

    # -- requests ---------------------------------------------------------------------------
    async def process_request(self, request: Request) -> None:
        if request.url.split(":", 1)[0].lower() not in SCHEMES:
            return
        host = host_key(request.url)
        limit = self._limit(request)
        gate = self.gates.setdefault(host, asyncio.Semaphore(limit))
        await gate.acquire()
        try:
            lease, gap = await self._wait_for_lease(host, limit, request)
        except BaseException:
            gate.release()
            raise
        self.held[request] = (lease, gate)
        # Scheduled before the download (which Scrapy schedules next): it reaches Redis as
        # the request is sent.
        stamp = asyncio.get_running_loop().create_task(self.pace.stamp(lease, gap))
        self.stamps.add(stamp)
        stamp.add_done_callback(self._stamped)
        self._open_local_slot(request)

    async def process_response(self, request: Request, response: Response) -> Response:
        await self._release(request)
        return response

    async def process_exception(self, request: Request, exception: BaseException) -> None:
        await self._release(request)

    def _stamped(self, stamp: asyncio.Task[None]) -> None:
        self.stamps.discard(stamp)
        if not stamp.cancelled() and (exc := stamp.exception()) is not None:
            log.error(
                "could not note a request's start in the shared politeness: %s: %s",
                type(exc).__name__,
                exc,
            )

    async def _wait_for_lease(self, host: str, limit: int, request: Request) -> tuple[Lease, float]:
        waited = 0.0
        while True:
            delay, jitter = self._delay(request)
            gap = delay * (1 + random.uniform(0, jitter))  # noqa: S311 - not security
            answer = await self.pace.try_acquire(host, limit, delay, gap)
            if isinstance(answer, Lease):
                if self.crawler.stats is not None:
                    self.crawler.stats.inc_value("shared_politeness/leases")
                    if waited:
                        self.crawler.stats.inc_value("shared_politeness/wait_seconds", waited)
                return answer, gap
            pause = self.poll if answer == FULL else answer / 1000
            waited += pause
            await asyncio.sleep(pause)

    async def _release(self, request: Request) -> None:
        held = self.held.pop(request, None)
        if held is None:
            return
        lease, gate = held
        try:
            await self.pace.release(lease)
        finally:
            gate.release()

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            leases = [lease for lease, _gate in self.held.values()]
            if not leases:
                continue
            try:
                await self.pace.renew(leases)
            except Exception as exc:  # noqa: BLE001 - reported; the leases then expire on time
                log.error(
                    "could not renew %d shared politeness lease(s): %s: %s "
                    "(they expire within %.0f s)",
                    len(leases),
                    type(exc).__name__,
                    exc,
                    self.ttl,
                )

    # -- the local download slot --------------------------------------------------------------
    def _slot_key(self, request: Request) -> str:
        return str(request.meta.get("download_slot") or host_key(request.url))

    def _slot(self, request: Request) -> Any:
        engine = self.crawler.engine
        return engine.downloader.slots.get(self._slot_key(request)) if engine else None

    def _limit(self, request: Request) -> int:
        own = self.settings.getdict("DOWNLOAD_SLOTS").get(self._slot_key(request), {})
        return max(
            1, int(own.get("concurrency", self.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")))
        )

    def _start_delay(self) -> float:
        """A new slot's delay, as Scrapy (and AutoThrottle) give it."""
        delay = self.settings.getfloat("DOWNLOAD_DELAY")
        if self.settings.getbool("AUTOTHROTTLE_ENABLED"):
            delay = max(delay, self.settings.getfloat("AUTOTHROTTLE_START_DELAY"))
        return delay

    def _delay(self, request: Request) -> tuple[float, float]:
        """The delay and jitter the local slot holds (AutoThrottle's, once it adjusted it)."""
        slot = self._slot(request)
        if slot is not None:
            jitter = getattr(slot, "jitter", None)  # Scrapy < 2.19: randomize_delay
            if jitter is None:
                jitter = 0.5 if getattr(slot, "randomize_delay", False) else 0.0
            return float(slot.delay), float(jitter)
        own = self.settings.getdict("DOWNLOAD_SLOTS").get(self._slot_key(request), {})
        return float(own.get("delay", self._start_delay())), 0.0

    def _open_local_slot(self, request: Request) -> None:
        """The shared lease already served the delay: the local slot must not wait again
        (it would start the request later than Redis recorded, bunching it with the next
        worker's start)."""
        slot = self._slot(request)
        if slot is None:  # a new slot starts its first request at once
            return
        later = slot.latercall
        if later is not None:
            # Scrapy < 2.14 keeps a Twisted DelayedCall, which refuses a second cancel().
            if getattr(later, "active", lambda: True)():
                later.cancel()
            slot.latercall = None
        slot.lastseen = float("-inf")
