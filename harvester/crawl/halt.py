"""Stopping a crawl whose storage failed (a full disk, an unwritable blob store or database).

Fetching on into storage that cannot take the bytes only loses them: the first write that
fails for a storage reason stops the crawl. The reason (one line naming the path and the
errno) goes to the log, to the crawl's stats and to the file the parent command named in
``$HARVESTER_HALT_FILE``, which reads it back to mark the run failed with that reason.
"""

from __future__ import annotations

import contextlib
import logging
import os

from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from harvester.crawl.context import find_context
from harvester.storage.location import storage_failure

log = logging.getLogger(__name__)

HALT_FILE_ENV = "HARVESTER_HALT_FILE"
HALT_REASON = "storage_failed"  # the spider's close reason
_HALTED: dict[int, str] = {}


def halt_on_storage_failure(crawler: Crawler | None, exc: BaseException) -> bool:
    """Stop the crawl when `exc` is a storage failure; True when it was one."""
    context = find_context(crawler) if crawler is not None else None
    message = storage_failure(exc, context.engine.url.database if context else None)
    if message is None:
        return False
    if crawler is None or id(crawler) in _HALTED:
        return True
    _HALTED[id(crawler)] = message
    log.error("storage failed, stopping the crawl: %s", message)
    if crawler.stats is not None:
        crawler.stats.set_value("harvester/storage_failure", message)
    path = os.environ.get(HALT_FILE_ENV)
    if path:
        with contextlib.suppress(OSError), open(path, "w", encoding="utf-8") as handle:
            handle.write(message)
    engine = crawler.engine
    if engine is not None and getattr(engine, "spider", None) is not None:
        deferred_from_coro(engine.close_spider_async(reason=HALT_REASON))
    return True


def read_halt_file(path: str | os.PathLike[str]) -> str | None:
    """The storage failure a crawl process wrote, if any."""
    with contextlib.suppress(OSError), open(path, encoding="utf-8") as handle:
        return handle.read().strip() or None
    return None
