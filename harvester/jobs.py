"""One crawl job end to end: lock, run record, crawl subprocess, parse, summary.

`harvester scrape`, `harvester crawl` and `harvester demo` all run through `run_job`, so a
one-off scrape and the nightly crawl behave the same way and leave the same records.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.crawl.halt import read_halt_file
from harvester.crawling import run_crawl
from harvester.processing import BlobUnavailable, ProcessCounts, process_versions
from harvester.progress import run_with_progress
from harvester.resume import carry_finished_portals, resumable_run
from harvester.storage.db import session_scope
from harvester.storage.location import storage_failure
from harvester.storage.models import (
    CrawlRun,
    Portal,
    PortalRun,
)
from harvester.storage.repo import (
    LOCK_STALE_AFTER,
    acquire_lock,
    finish_run,
    heartbeat_lock,
    release_lock,
    start_run,
)
from harvester.storage.reserve import make_reserve
from harvester.storage.types import Failure
from harvester.streaming import StreamingParse, add_counts, pending_versions
from harvester.version import code_version

LOCK_NAME = "crawl"
LOCK_STALE_ENV = "HARVESTER_LOCK_STALE_SECONDS"


class LockedError(RuntimeError):
    """Another run holds the database's crawl lock."""


def lock_stale_after() -> timedelta:
    """How old a lock's heartbeat may get before another host takes it over:
    $HARVESTER_LOCK_STALE_SECONDS, default 30 minutes."""
    raw = os.environ.get(LOCK_STALE_ENV)
    return timedelta(seconds=float(raw)) if raw else LOCK_STALE_AFTER


@contextmanager
def lock_heartbeat(engine: Any, holder: str, stale_after: timedelta) -> Iterator[None]:
    """Keep the crawl lock fresh while the block runs (a thread refreshes its heartbeat a few
    times per stale period), so a long crawl's lock is never taken over as stale."""
    interval = max(0.2, min(60.0, stale_after.total_seconds() / 4))
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            try:
                with session_scope(engine) as session:
                    heartbeat_lock(session, LOCK_NAME, holder)
            except Exception:  # noqa: BLE001 - a missed beat is retried on the next tick
                continue

    thread = threading.Thread(target=beat, name="lock-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(interval + 5)


@dataclass
class JobResult:
    run_id: int
    outcome: str
    crawl_process_exit_code: int
    counts: dict[str, object]
    failures: list[Failure] = field(default_factory=list)
    portal_outcomes: dict[int, str] = field(default_factory=dict)

    @property
    def failed_portals(self) -> list[int]:
        return [pid for pid, outcome in self.portal_outcomes.items() if outcome != "ok"]


def crawl_log_path(data_dir: Any, run_id: int) -> Path:
    """Where the crawl process of a run writes its Scrapy log."""
    directory = Path(data_dir) / "logs"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"run-{run_id}.log"


def _portal_outcomes(session: Session, run_id: int) -> tuple[dict[int, str], list[Failure]]:
    outcomes: dict[int, str] = {}
    failures: list[Failure] = []
    for portal_run in session.scalars(select(PortalRun).where(PortalRun.run_id == run_id)):
        outcomes[portal_run.portal_id] = portal_run.outcome
        portal = session.get(Portal, portal_run.portal_id)
        for failure in portal_run.failures or []:
            failures.append(
                {"portal": portal.county if portal else portal_run.portal_id, **failure}
            )
    return outcomes, failures


def run_job(
    engine: Any,
    db_url: str,
    data_dir: Any,
    blobs: Any,
    *,
    kind: str,
    arguments: dict[str, object],
    portal_ids: list[int],
    since_year: int | None = None,
    distributed: dict[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    console: Console | None = None,
    crawl_settings: dict[str, object] | None = None,
    parse_phase: Callable[[int], Any] | None = None,
    resume: bool = False,
) -> JobResult:
    """Crawl the portals, parse what is new, record the run; raises LockedError when busy.

    `parse_phase(n)`, when given, is a context manager yielding a per-version step callback
    (progress of the parse phase); `progress` is the older per-version callback. With
    `resume`, the portals an interrupted previous run of the same kind finished are carried
    over, not crawled again (harvester.resume).
    """
    holder = f"pid {os.getpid()} on {socket.gethostname()}"
    stale_after = lock_stale_after()
    with session_scope(engine) as session:
        if not acquire_lock(session, LOCK_NAME, holder, stale_after=stale_after):
            raise LockedError(_lock_message(session))
        run = start_run(session, kind, arguments, code_version())
        run_id = run.id
        close_abandoned_runs(session, run_id)
        carried: list[int] = []
        previous = resumable_run(session, kind, run_id) if resume else None
        if previous is not None:
            carried = carry_finished_portals(session, previous, run_id, portal_ids)
            run.arguments = {**(run.arguments or {}), "resumed_from": previous.id}
    outcome = "failed"
    counts: dict[str, object] = {}
    failures: list[Failure] = []
    portal_outcomes: dict[int, str] = {}
    exit_code = -1
    carried_ids = set(carried)  # finished by the interrupted run: not crawled again
    reserve = make_reserve(engine, run_id)
    try:
        with lock_heartbeat(engine, holder, stale_after):
            exit_code, parsed, portal_outcomes, failures, log_path = _crawl_and_parse(
                engine,
                db_url,
                data_dir,
                blobs,
                run_id=run_id,
                portal_ids=portal_ids,
                crawl_ids=[pid for pid in portal_ids if pid not in carried_ids],
                since_year=since_year,
                distributed=distributed,
                progress=progress,
                console=console,
                crawl_settings=crawl_settings,
                parse_phase=parse_phase,
            )
        missing = [pid for pid in portal_ids if pid not in portal_outcomes]
        for pid in missing:
            portal_outcomes[pid] = "failed"
            failures.append(
                {
                    "portal": pid,
                    "reason": f"crawl process ended (exit code {exit_code}) before the portal was recorded",
                }
            )
        ok_portals = sum(1 for o in portal_outcomes.values() if o == "ok")
        # reports stored, but bodies the platform lists were not reached
        partial_portals = sum(1 for o in portal_outcomes.values() if o == "partial")
        failures.extend(parsed.failures)
        failures.extend(
            {
                "reason": f"new parse worse than the current one, kept back: {r['title']}: "
                + ", ".join(r["worse"])
                + "; `harvester reparse --accept-regressions` makes it current"
            }
            for r in parsed.regressions
        )
        if parsed.storage_failure:
            outcome = "failed"  # the crawl stopped part-way: no portal is known complete
        elif exit_code == 0 and ok_portals == len(portal_ids) and not parsed.regressions:
            outcome = "ok"
        elif ok_portals > 0 or partial_portals:
            outcome = "partial"
        else:
            outcome = "failed"
        counts = {
            "portals": len(portal_ids),
            "portals_ok": ok_portals,
            "portals_partial": partial_portals,
            "portals_failed": len(portal_ids) - ok_portals - partial_portals,
            "versions_parsed": parsed.parsed,
            "reports_with_tables": parsed.reports_with_tables,
            "failed_checks": parsed.failed_checks,
            "unreadable_documents": parsed.unreadable_documents,
            "regressions_kept_back": len(parsed.regressions),
            "crawl_process_exit_code": exit_code,
            "crawl_log": str(log_path),
        }
        if previous is not None:  # finished by the interrupted run: not walked again
            counts["resumed_from_run"] = previous.id
            counts["portals_carried_over"] = len(carried)
        if parsed.storage_failure:
            counts["storage_failure"] = parsed.storage_failure
            reserve.release()  # room for the last rows below
    except BlobUnavailable as exc:
        failures.append({"reason": str(exc)})
        outcome = "failed"
        counts = {"portals": len(portal_ids), "portals_ok": 0, "crawl_process_exit_code": exit_code}
    except KeyboardInterrupt:
        outcome = "interrupted"
        raise
    except Exception as exc:
        message = storage_failure(exc, database=engine.url.database)
        if message is None:
            raise
        reserve.release()  # room for the last rows below
        failures.append({"reason": f"the run stopped: {message}"})
        outcome = "failed"
        counts = {"portals": len(portal_ids), "portals_ok": 0, "storage_failure": message}
    finally:
        reserve.release()
        with session_scope(engine) as session:
            run = session.get(CrawlRun, run_id)
            finish_run(session, run, outcome, counts, failures)
            release_lock(session, LOCK_NAME, holder)
    return JobResult(run_id, outcome, exit_code, counts, failures, portal_outcomes)


def _crawl_and_parse(
    engine: Any,
    db_url: str,
    data_dir: Any,
    blobs: Any,
    *,
    run_id: int,
    portal_ids: list[int],
    crawl_ids: list[int],
    since_year: int | None,
    distributed: dict[str, str] | None,
    progress: Callable[[str], None] | None,
    console: Console | None,
    crawl_settings: dict[str, object] | None,
    parse_phase: Callable[[int], Any] | None,
) -> tuple[int, ProcessCounts, dict[int, str], list[Failure], Path]:
    """Crawl `crawl_ids` (the others of `portal_ids` are carried over from an interrupted
    run), parsing each portal's reports as its crawl ends, then whatever is left."""
    log_path = crawl_log_path(data_dir, run_id)
    halt_fd, halt_name = tempfile.mkstemp(prefix=f"harvester-run{run_id}-halt.")
    os.close(halt_fd)
    with StreamingParse(engine, blobs, run_id, portal_ids) as streaming:
        exit_code = run_with_progress(
            lambda: (
                0
                if not crawl_ids  # every portal was finished by the interrupted run
                else run_crawl(
                    db_url,
                    data_dir,
                    crawl_ids,
                    run_id,
                    since_year=since_year,
                    distributed=distributed,
                    settings={**(crawl_settings or {}), "LOG_FILE": str(log_path)},
                    blob_location=blobs.location,
                    halt_file=Path(halt_name),
                )
            ),
            engine,
            run_id,
            len(portal_ids),
            console,
        )
    halted = read_halt_file(halt_name)
    Path(halt_name).unlink(missing_ok=True)
    with session_scope(engine) as session:
        if halted:  # processing would write to the same failed storage: the next run does it
            parsed = ProcessCounts(
                versions=streaming.counts.versions,
                parsed=streaming.counts.parsed,
                reports_with_tables=streaming.counts.reports_with_tables,
                failures=[
                    {
                        "reason": f"the crawl stopped: {halted}; what it stored is kept and is "
                        "processed by the next crawl or `harvester reparse`"
                    }
                ],
                storage_failure=halted,
            )
        else:
            # What the crawl's end left: portals closed last, or all of a distributed run.
            pending = pending_versions(session, portal_ids)
            with parse_phase(len(pending)) if parse_phase else nullcontext(progress) as step:
                rest = process_versions(session, blobs, pending, progress=step, run_id=run_id)
            parsed = add_counts(streaming.counts, rest)
        portal_outcomes, failures = _portal_outcomes(session, run_id)
    return exit_code, parsed, portal_outcomes, failures, log_path


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
