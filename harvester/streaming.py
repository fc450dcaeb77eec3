"""Parsing while the crawl goes on: each portal's reports as soon as its crawl is over.

The crawl process closes a portal's PortalRun when nothing of that portal is left to fetch
(harvester.crawl.completion). `StreamingParse` watches the run's PortalRuns from the parent
process and parses the new report versions of every closed portal in a thread of its own,
so a national crawl has its first records within minutes, not after a day or two. What is
left when the crawl ends (portals closed last, a distributed run, whose portals close with
the spider) is parsed by the job's final parse phase, as before.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.parser import PARSER_VERSION
from harvester.processing import ProcessCounts, process_versions
from harvester.storage.db import session_scope
from harvester.storage.location import storage_failure
from harvester.storage.models import ParseResult, PortalRun, Report, ReportVersion

log = logging.getLogger(__name__)
CHUNK = 20  # versions parsed between two looks at whether the crawl has ended


def pending_versions(session: Session, portal_ids: list[int]) -> list[ReportVersion]:
    """Versions of these portals that have no parse by the current parser version."""
    parsed = select(ParseResult.version_id).where(ParseResult.parser_version == PARSER_VERSION)
    query = (
        select(ReportVersion)
        .join(Report, Report.id == ReportVersion.report_id)
        .where(Report.portal_id.in_(portal_ids))
        .where(ReportVersion.id.not_in(parsed))
        .order_by(ReportVersion.id)
    )
    return list(session.scalars(query))


def add_counts(total: ProcessCounts, more: ProcessCounts) -> ProcessCounts:
    """The figures of two parse passes as one."""
    merged = ProcessCounts()
    for f in fields(ProcessCounts):
        a, b = getattr(total, f.name), getattr(more, f.name)
        if isinstance(a, list):
            setattr(merged, f.name, [*a, *b])
        elif isinstance(a, int):
            setattr(merged, f.name, a + b)
        else:
            setattr(merged, f.name, a or b)
    return merged


class StreamingParse:
    """A thread parsing the reports of each portal of `run_id` whose crawl has ended."""

    def __init__(
        self,
        engine: Any,
        blobs: Any,
        run_id: int,
        portal_ids: list[int],
        interval: float = 2.0,
    ) -> None:
        self.engine = engine
        self.blobs = blobs
        self.run_id = run_id
        self.portal_ids = set(portal_ids)
        self.interval = interval
        self.parsed_portals: set[int] = set()
        self.counts = ProcessCounts()
        self.stopped_by: str | None = None  # why streaming stopped early (then: the final pass)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="streaming-parse", daemon=True)

    def __enter__(self) -> StreamingParse:
        self._thread.start()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self._stop.set()
        # After Ctrl-C, do not wait for a long parse: what it has not done stays pending.
        self._thread.join(None if exc_type is None else 5.0)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.step()
            except Exception as exc:  # noqa: BLE001 - the final parse phase does the rest
                message = storage_failure(exc, database=self.engine.url.database)
                self.stopped_by = message or f"{type(exc).__name__}: {exc}"
                log.warning("parsing during the crawl stopped: %s", self.stopped_by)
                return

    def step(self) -> int:
        """Parse the new versions of the portals closed since the last step; how many."""
        with session_scope(self.engine) as session:
            closed = set(
                session.scalars(
                    select(PortalRun.portal_id).where(
                        PortalRun.run_id == self.run_id,
                        PortalRun.outcome != "running",
                        PortalRun.finished_at.is_not(None),
                    )
                )
            )
            ready = sorted((closed & self.portal_ids) - self.parsed_portals)
            if not ready:
                return 0
            pending = pending_versions(session, ready)
            done = 0
            for start in range(0, len(pending), CHUNK):
                if self._stop.is_set():  # the crawl ended: the final parse phase goes on
                    return done
                counts = process_versions(
                    session, self.blobs, pending[start : start + CHUNK], run_id=self.run_id
                )
                self.counts = add_counts(self.counts, counts)
                done += counts.versions
        self.parsed_portals.update(ready)
        return done
