"""One crawl job end to end: lock, run record, crawl subprocess, parse, summary.

`harvester scrape`, `harvester crawl` and `harvester demo` all run through `run_job`, so a
one-off scrape and the nightly crawl behave the same way and leave the same records.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.crawling import run_crawl
from harvester.parser import PARSER_VERSION
from harvester.processing import ProcessCounts, process_versions
from harvester.progress import run_with_progress
from harvester.storage.db import session_scope
from harvester.storage.models import (
    CrawlRun,
    ParseResult,
    Portal,
    PortalRun,
    Report,
    ReportVersion,
)
from harvester.storage.repo import acquire_lock, finish_run, release_lock, start_run
from harvester.version import code_version

LOCK_NAME = "crawl"


class LockedError(RuntimeError):
    """Another run holds the database's crawl lock."""


@dataclass
class JobResult:
    run_id: int
    outcome: str
    crawl_exit_code: int
    counts: dict[str, Any]
    failures: list[dict[str, Any]] = field(default_factory=list)
    portal_outcomes: dict[int, str] = field(default_factory=dict)

    @property
    def failed_portals(self) -> list[int]:
        return [pid for pid, outcome in self.portal_outcomes.items() if outcome != "ok"]


def crawl_log_path(data_dir: Any, run_id: int) -> Path:
    """Where the crawl process of a run writes its Scrapy log."""
    directory = Path(data_dir) / "logs"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"run-{run_id}.log"


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


def _portal_outcomes(session: Session, run_id: int) -> tuple[dict[int, str], list[dict[str, Any]]]:
    outcomes: dict[int, str] = {}
    failures: list[dict[str, Any]] = []
    for portal_run in session.scalars(select(PortalRun).where(PortalRun.run_id == run_id)):
        outcomes[portal_run.portal_id] = portal_run.outcome
        portal = session.get(Portal, portal_run.portal_id)
        for failure in portal_run.failures or []:
            failures.append({"portal": portal.county if portal else portal_run.portal_id, **failure})
    return outcomes, failures


def run_job(
    engine: Any,
    db_url: str,
    data_dir: Any,
    blobs: Any,
    *,
    kind: str,
    arguments: dict[str, Any],
    portal_ids: list[int],
    since_year: int | None = None,
    distributed: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    console: Console | None = None,
    crawl_settings: dict[str, Any] | None = None,
) -> JobResult:
    """Crawl the portals, parse what is new, record the run; raises LockedError when busy."""
    holder = f"pid {os.getpid()} on {socket.gethostname()}"
    with session_scope(engine) as session:
        if not acquire_lock(session, LOCK_NAME, holder):
            raise LockedError(_lock_message(session))
        run = start_run(session, kind, arguments, code_version())
        run_id = run.id
        close_abandoned_runs(session, run_id)
    outcome = "failed"
    counts: dict[str, Any] = {}
    failures: list[dict[str, Any]] = []
    portal_outcomes: dict[int, str] = {}
    exit_code = -1
    try:
        log_path = crawl_log_path(data_dir, run_id)
        exit_code = run_with_progress(
            lambda: run_crawl(
                db_url,
                data_dir,
                portal_ids,
                run_id,
                since_year=since_year,
                distributed=distributed,
                settings={**(crawl_settings or {}), "LOG_FILE": str(log_path)},
                blob_root=Path(blobs.root),
            ),
            engine,
            run_id,
            len(portal_ids),
            console,
        )
        with session_scope(engine) as session:
            parsed: ProcessCounts = process_versions(
                session, blobs, pending_versions(session, portal_ids), progress=progress
            )
            portal_outcomes, failures = _portal_outcomes(session, run_id)
        missing = [pid for pid in portal_ids if pid not in portal_outcomes]
        for pid in missing:
            portal_outcomes[pid] = "failed"
            failures.append({"portal": pid, "reason": f"crawl process ended (exit code {exit_code}) before the portal was recorded"})
        counts = {
            "portals": len(portal_ids),
            "portals_ok": sum(1 for o in portal_outcomes.values() if o == "ok"),
            "versions_parsed": parsed.parsed,
            "reports_with_tables": parsed.reports_with_tables,
            "failed_checks": parsed.failed_checks,
            "unreadable_documents": parsed.unreadable_documents,
            "crawl_exit_code": exit_code,
            "crawl_log": str(log_path),
        }
        failures.extend(parsed.failures)
        ok_portals = counts["portals_ok"]
        if exit_code == 0 and ok_portals == len(portal_ids):
            outcome = "ok"
        elif ok_portals > 0:
            outcome = "partial"
        else:
            outcome = "failed"
    except KeyboardInterrupt:
        outcome = "interrupted"
        raise
    finally:
        with session_scope(engine) as session:
            run = session.get(CrawlRun, run_id)
            finish_run(session, run, outcome, counts, failures)
            release_lock(session, LOCK_NAME, holder)
    return JobResult(run_id, outcome, exit_code, counts, failures, portal_outcomes)


def close_abandoned_runs(session: Session, current_run_id: int) -> list[int]:
    """Mark runs left "running" by a process that died as "interrupted", with the reason.

    Called while holding the crawl lock, so no other run of this database is alive. What
    such a run stored stays; the current run fetches the rest (known pages conditionally).
    """
    abandoned = list(
        session.scalars(
            select(CrawlRun).where(CrawlRun.outcome == "running", CrawlRun.id != current_run_id)
        )
    )
    for run in abandoned:
        run.outcome = "interrupted"
        run.failures = [
            *(run.failures or []),
            {
                "reason": "the run's process ended (killed or crashed) before it finished; "
                f"resumed by run {current_run_id}"
            },
        ]
        for portal_run in session.scalars(
            select(PortalRun).where(PortalRun.run_id == run.id, PortalRun.outcome == "running")
        ):
            portal_run.outcome = "interrupted"
    session.flush()
    return [run.id for run in abandoned]


def _lock_message(session: Session) -> str:
    from harvester.storage.models import RunLock

    lock = session.get(RunLock, LOCK_NAME)
    if lock is None:
        return "another run holds the crawl lock"
    return (
        f"another run is in progress ({lock.holder}, since {lock.acquired_at:%Y-%m-%d %H:%M:%S}); "
        "wait for it to finish — a lock whose process died is taken over automatically"
    )
