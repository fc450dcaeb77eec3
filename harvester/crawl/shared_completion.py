"""When one portal's crawl is over in a distributed run, whichever worker fetched what.

The workers of a run share their request queue in Redis (scrapy-redis), so no process
holds all of a portal's requests. The live requests of each portal are counted in Redis
instead (``harvester:run<N>:live:<portal id>``): the counting scheduler
(`CountingScheduler`) adds one *before* a request is pushed to the shared queue (and takes
it back when the duplicate filter drops it), and the worker that pops the request takes
it off once Scrapy lets go of that request object — after its callback's output was
scheduled, so a page's children are counted before the page is uncounted. The take-offs
are sent to Redis in batches (`flush`): late, never early. A portal is done when its count
is zero and this worker has handed over every start request of it; a request held by a
worker that was killed keeps its portal open until the spider closes (safe, not early).
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Callable
from typing import Any

from scrapy.http import Request
from scrapy_redis.scheduler import Scheduler

from harvester.crawl.completion import PortalCompletion
from harvester.crawl.state import PortalState


class SharedCompletion(PortalCompletion):
    """`PortalCompletion` over the workers of a run: the counts live in Redis."""

    def __init__(self, states: dict[int, PortalState], server: Any, prefix: str) -> None:
        super().__init__(states)
        self.server = server
        self.prefix = prefix  # harvester:run<N>:live:
        self._released_here: Counter[int] = Counter()

    def key(self, portal_id: int) -> str:
        return f"{self.prefix}{portal_id}"

    def scheduled(self, request: Request) -> None:
        """Not used: the counting scheduler counts (requests leave this process)."""

    def enqueue(self, request: Request, push: Callable[[], bool]) -> bool:
        portal_id = request.meta.get("portal_id")
        if portal_id not in self.states:
            return push()
        self.server.incr(self.key(portal_id))
        try:
            added = push()
        except BaseException:
            self.server.decr(self.key(portal_id))
            raise
        if not added:  # the shared duplicate filter dropped it
            self.server.decr(self.key(portal_id))
        return added

    def dequeued(self, request: Request) -> None:
        portal_id = request.meta.get("portal_id")
        if portal_id in self.states:
            weakref.finalize(request, self._released_locally, portal_id)

    def _released_locally(self, portal_id: int) -> None:
        self._released_here[portal_id] += 1

    def flush(self) -> None:
        """Send the take-offs gathered since the last flush."""
        if not self._released_here:
            return
        released, self._released_here = self._released_here, Counter()
        pipe = self.server.pipeline(transaction=False)
        for portal_id, n in released.items():
            pipe.decrby(self.key(portal_id), n)
        pipe.execute()

    def done(self) -> list[int]:
        self.flush()
        waiting = [
            pid
            for pid, state in self.states.items()
            if pid not in self.closed and state.started and not state.starting
        ]
        if not waiting:
            return []
        counts = self.server.mget([self.key(pid) for pid in waiting])
        finished = [pid for pid, n in zip(waiting, counts, strict=True) if int(n or 0) <= 0]
        self.collect_garbage_if_waiting(len(finished) < len(waiting))
        self.closed.update(finished)
        return finished


class CountingScheduler(Scheduler):
    """scrapy-redis's shared scheduler, counting each portal's live requests in Redis."""

    def _completion(self) -> SharedCompletion | None:
        context = getattr(self.spider, "context", None)
        completion = getattr(context, "completion", None)
        return completion if isinstance(completion, SharedCompletion) else None

    def enqueue_request(self, request: Request) -> bool:
        completion = self._completion()
        if completion is None:
            return super().enqueue_request(request)
        return completion.enqueue(request, lambda: Scheduler.enqueue_request(self, request))

    def next_request(self) -> Request | None:
        request = super().next_request()
        completion = self._completion()
        if request is not None and completion is not None:
            completion.dequeued(request)
        return request
