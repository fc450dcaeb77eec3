"""When one portal's crawl is over, while the crawl of others goes on.

A crawl process holds many portals. A portal is done when its start requests have all been
handed to Scrapy and no request of it is alive any more: not queued, not downloading, not
in a callback. Each request scheduled for a portal is counted, and a finalizer uncounts it
when Scrapy lets go of the request object: after its callback's output was scheduled (the
children are counted first), after the duplicate filter dropped it, or after a retry or a
redirect replaced it. So the count reaches zero only when nothing of the portal is left.

Requests serialised out of the process (scrapy-redis, a JOBDIR disk queue) would be
uncounted too early, so a distributed crawl counts in Redis instead
(harvester.crawl.shared_completion).
"""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from collections import Counter

from scrapy.http import Request

from harvester.crawl.state import PortalState

GC_EVERY_S = 15.0  # a full collection frees requests kept alive by reference cycles


class PortalCompletion:
    """Counts live requests per portal; `done()` names the portals whose crawl is over."""

    def __init__(self, states: dict[int, PortalState]) -> None:
        self.states = states
        self.live: Counter[int] = Counter()
        self.closed: set[int] = set()
        self._last_gc = time.monotonic()

    def scheduled(self, request: Request) -> None:
        portal_id = request.meta.get("portal_id")
        if portal_id not in self.states or portal_id in self.closed:
            return
        self.live[portal_id] += 1
        weakref.finalize(request, self._released, portal_id)

    def _released(self, portal_id: int) -> None:
        self.live[portal_id] -= 1

    def done(self) -> list[int]:
        """Portals started, with every start request handed over and no live request."""
        waiting = [
            pid
            for pid, state in self.states.items()
            if pid not in self.closed and state.started and not state.starting
        ]
        self.collect_garbage_if_waiting(any(self.live[pid] > 0 for pid in waiting))
        finished = [pid for pid in waiting if self.live[pid] <= 0]
        self.closed.update(finished)
        return finished

    def collect_garbage_if_waiting(self, waiting: bool) -> None:
        """Now and then a full collection, when portals wait on requests still alive."""
        now = time.monotonic()
        if waiting and now - self._last_gc >= GC_EVERY_S:
            self._last_gc = now
            gc.collect()

    def active(self) -> int:
        """Portals started and not yet done (the spider starts new ones below a window)."""
        return sum(
            1 for pid, state in self.states.items() if state.started and pid not in self.closed
        )


async def wait_for_room(completion: PortalCompletion | None, window: int) -> None:
    """Until fewer than `window` portals are active (0: no limit): the spider's start
    requests hold back the next portal, so a national crawl keeps a bounded set of portals
    (and their bookkeeping) in flight and closes each as it ends."""
    while completion is not None and window > 0 and completion.active() >= window:
        await asyncio.sleep(0.25)
