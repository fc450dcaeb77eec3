"""Where a fetch's recording time goes: the blob store or the database.

The fetch recorder (middlewares.fetches) writes each answer's body to the blob store and
its fetch row to the database in one step. `TimedBlobs` wraps the blob store and adds up
the seconds its writes take; the recorder subtracts them from the step's time, and both
go to the crawl's stats (`harvester/record_blob_ms`, `harvester/record_db_ms`,
`harvester/records`), which Scrapy dumps when the crawl closes. bench/bench_national.py
reads them per worker.
"""

from __future__ import annotations

import time
from typing import Any

from scrapy.statscollectors import StatsCollector

from harvester.storage.blobs import Blobs


class TimedBlobs:
    """A blob store that counts the seconds spent in `put`; everything else is the store's."""

    def __init__(self, blobs: Blobs) -> None:
        self.blobs = blobs
        self.put_seconds = 0.0

    def put(self, data: bytes) -> tuple[str, bool]:
        started = time.perf_counter()
        try:
            return self.blobs.put(data)
        finally:
            self.put_seconds += time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self.blobs, name)


def count_record(stats: StatsCollector | None, total_s: float, blob_s: float) -> None:
    """One recorded fetch: `total_s` in all, of which `blob_s` writing blobs."""
    if stats is None:
        return
    stats.inc_value("harvester/records")
    stats.inc_value("harvester/record_blob_ms", round(blob_s * 1000, 3))
    stats.inc_value("harvester/record_db_ms", round(max(0.0, total_s - blob_s) * 1000, 3))
