"""Resuming an interrupted crawl without walking again the portals it had finished.

A crawl run that was killed, crashed or stopped with Ctrl-C is marked ``interrupted``
(harvester.jobs.close_abandoned_runs). The next `harvester crawl` within the resume window
(``$HARVESTER_RESUME_HOURS``, default 72) takes over from it: every portal the interrupted
run had finished (``ok`` or ``partial``) is recorded in the new run with the figures and
failures it had, and only the rest is crawled. The portals the new run carries this way
were themselves carried, or crawled, by the run they come from, so a chain of interrupted
runs still walks each portal once. `harvester crawl --fresh` walks every portal.
"""

from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.storage.models import CrawlRun, PortalRun
from harvester.storage.types import utcnow

RESUME_ENV = "HARVESTER_RESUME_HOURS"
DEFAULT_RESUME_HOURS = 72.0
FINISHED = ("ok", "partial")


def resume_window() -> timedelta:
    raw = os.environ.get(RESUME_ENV, "").strip()
    try:
        hours = float(raw) if raw else DEFAULT_RESUME_HOURS
    except ValueError:
        raise ValueError(f"${RESUME_ENV} must be a number of hours, got {raw!r}") from None
    return timedelta(hours=hours)


def resumable_run(session: Session, kind: str, current_run_id: int) -> CrawlRun | None:
    """The run of this kind just before the current one, when it was interrupted recently."""
    previous = session.scalars(
        select(CrawlRun)
        .where(CrawlRun.kind == kind, CrawlRun.id < current_run_id)
        .order_by(CrawlRun.id.desc())
        .limit(1)
    ).first()
    if previous is None or previous.outcome != "interrupted":
        return None
    if previous.started_at is None or previous.started_at < utcnow() - resume_window():
        return None
    return previous


def carry_finished_portals(
    session: Session, previous: CrawlRun, run_id: int, portal_ids: list[int]
) -> list[int]:
    """Record in run `run_id` the portals of `portal_ids` that `previous` finished; their ids."""
    wanted = set(portal_ids)
    carried = []
    rows = session.scalars(
        select(PortalRun).where(
            PortalRun.run_id == previous.id,
            PortalRun.outcome.in_(FINISHED),
            PortalRun.finished_at.is_not(None),
        )
    )
    for done in rows:
        if done.portal_id not in wanted:
            continue
        session.add(
            PortalRun(
                run_id=run_id,
                portal_id=done.portal_id,
                outcome=done.outcome,
                reports_found=done.reports_found,
                documents=done.documents,
                failures=list(done.failures or []),
                started_at=done.started_at,
                finished_at=done.finished_at,
            )
        )
        carried.append(done.portal_id)
    session.flush()
    return carried
