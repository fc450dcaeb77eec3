"""Operations on the database that spiders, pipelines and commands share.

Every "get or create" here relies on a unique constraint and a savepoint: the insert is
tried, and when another transaction got there first (IntegrityError) the savepoint is
rolled back and the existing row is read. Two crawlers storing the same report at the
same moment therefore end with one row, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from harvester.items import ReportDocument
from harvester.parser.types import Check, Record
from harvester.storage.models import (
    DOCUMENT_ROLES,
    RUN_KINDS,
    RUN_OUTCOMES,
    Blob,
    CrawlRun,
    ParseResult,
    PortalRun,
    Report,
    ReportVersion,
    RunLock,
    VersionDocument,
)
from harvester.storage.rows import insert_or_get
from harvester.storage.types import Failure, utcnow

LOCK_STALE_AFTER = timedelta(minutes=30)


# --- runs ------------------------------------------------------------------------------


def start_run(
    session: Session, kind: str, arguments: dict[str, object], code_version: str
) -> CrawlRun:
    """Record that a run started (outcome ``running``); the row has its id on return."""
    if kind not in RUN_KINDS:
        raise ValueError(f"expected run kind one of {RUN_KINDS}, got {kind!r}")
    run = CrawlRun(
        kind=kind,
        arguments=dict(arguments),
        code_version=code_version,
        started_at=utcnow(),
        outcome="running",
        counts={},
        failures=[],
        pid=os.getpid(),
        host=socket.gethostname(),
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    run: CrawlRun,
    outcome: str,
    counts: dict[str, object],
    failures: list[Failure],
) -> CrawlRun:
    """Record how a run ended: outcome, counts and every failure with its reason."""
    if outcome not in RUN_OUTCOMES or outcome == "running":
        raise ValueError(
            f"expected a final outcome (ok, partial, failed, interrupted) for run {run.id}, got {outcome!r}"
        )
    run.outcome = outcome
    run.counts = dict(counts)
    run.failures = [dict(f) for f in failures]
    run.finished_at = utcnow()
    session.flush()
    return run


def start_portal_run(session: Session, run_id: int, portal_id: int) -> PortalRun:
    """The PortalRun of this portal in this run, created on first call."""

    def find() -> PortalRun | None:
        return session.scalar(
            select(PortalRun).where(PortalRun.run_id == run_id, PortalRun.portal_id == portal_id)
        )

    portal_run, _ = insert_or_get(
        session,
        lambda: PortalRun(
            run_id=run_id,
            portal_id=portal_id,
            outcome="running",
            reports_found=0,
            documents=0,
            failures=[],
            started_at=utcnow(),
        ),
        find,
    )
    return portal_run


def finish_portal_run(
    session: Session,
    portal_run: PortalRun,
    *,
    reports_found: int,
    documents: int,
    failures: Iterable[Mapping[str, Any]] = (),
    outcome: str | None = None,
) -> PortalRun:
    """Close a portal's run. Without an explicit outcome: ``ok`` when reports were found,
    else ``failed`` with the reason recorded (a portal that yields no report is a failure)."""
    recorded = [dict(f) for f in failures]
    if outcome is None:
        outcome = "ok" if reports_found > 0 else "failed"
    if reports_found == 0 and outcome != "ok" and not any("reason" in f for f in recorded):
        recorded.append({"url": None, "reason": "no annual report found on the portal"})
    portal_run.outcome = outcome
    portal_run.reports_found = reports_found
    portal_run.documents = documents
    portal_run.failures = list(portal_run.failures or []) + recorded
    portal_run.finished_at = utcnow()
    session.flush()
    return portal_run


# --- reports and versions ----------------------------------------------------------------


def content_hash(document_hashes: Iterable[str]) -> str:
    """SHA-256 over the documents' hashes in order: the identity of a version's content."""
    return hashlib.sha256("\n".join(document_hashes).encode("ascii")).hexdigest()


def _size(session: Session, doc: ReportDocument) -> int | None:
    if doc.role != "rendered":
        return doc.document.bytes
    blob = session.get(Blob, doc.sha256)
    return blob.size if blob is not None else None


def store_report_version(
    session: Session,
    *,
    portal_id: int,
    agency: str,
    year: int,
    title: str | None,
    url: str | None,
    run_id: int | None,
    documents: Sequence[ReportDocument],
) -> tuple[Report, ReportVersion, bool]:
    """Record that a report was seen with these documents; returns (report, version, created).

    The report is identified by (portal, agency, year). A new version is created only when
    the ordered document hashes differ from every stored version of the report; earlier
    versions are kept. Calling it again with the same content changes nothing but the
    report's ``last_seen_run``. Every document must already be a stored blob.
    """
    if not agency:
        raise ValueError(
            f"expected the issuing agency of the {year} report at {url}, got {agency!r}"
        )
    if not documents:
        raise ValueError(
            f"expected at least one document for the {year} report of {agency} at {url}"
        )
    hashes: list[str] = []
    for index, doc in enumerate(documents):
        if not doc.sha256:
            raise ValueError(
                f"expected the sha256 of a stored blob for document {index} ({doc.url}) "
                f"of the {year} report of {agency}, got {doc.sha256!r}"
            )
        if doc.role not in DOCUMENT_ROLES:
            raise ValueError(
                f"expected role one of {DOCUMENT_ROLES} for document {doc.url}, got {doc.role!r}"
            )
        hashes.append(doc.content_key or doc.sha256)
    digest = content_hash(hashes)

    report, report_created = insert_or_get(
        session,
        lambda: Report(
            portal_id=portal_id,
            agency=agency,
            year=year,
            title=title,
            url=url,
            first_seen_run=run_id,
            last_seen_run=run_id,
        ),
        lambda: session.scalar(
            select(Report).where(
                Report.portal_id == portal_id, Report.agency == agency, Report.year == year
            )
        ),
    )
    if not report_created:
        if run_id is not None:
            report.last_seen_run = run_id
        if title:
            report.title = title
        if url:
            report.url = url
        session.flush()

    def make_version() -> ReportVersion:
        version = ReportVersion(
            report_id=report.id, content_hash=digest, created_at=utcnow(), run_id=run_id
        )
        session.add(version)
        session.flush()
        for position, doc in enumerate(documents):
            session.add(
                VersionDocument(
                    version_id=version.id,
                    position=position,
                    role=doc.role,
                    url=doc.url,
                    final_url=doc.document.final_url,
                    sha256=doc.sha256,
                    fetch_id=doc.document.fetch_id,
                    media_type=doc.document.media_type or None,
                    bytes=_size(session, doc),
                    fetched_at=doc.document.fetched_at,
                )
            )
        return version

    version, created = insert_or_get(
        session,
        make_version,
        lambda: session.scalar(
            select(ReportVersion).where(
                ReportVersion.report_id == report.id, ReportVersion.content_hash == digest
            )
        ),
    )
    return report, version, created


def current_parse(session: Session, version_id: int) -> ParseResult | None:
    """The parse of a version that exports use: the one marked current, else the newest."""
    return session.scalars(
        select(ParseResult)
        .where(ParseResult.version_id == version_id)
        .order_by(
            ParseResult.is_current.desc(), ParseResult.parsed_at.desc(), ParseResult.id.desc()
        )
        .limit(1)
    ).first()


def store_parse_result(
    session: Session,
    version: ReportVersion,
    *,
    parser_version: str,
    normalizer_version: str,
    normalised: dict[str, object],
    record: Record,
    checks: list[Check],
    warnings: list[str],
    ok: bool,
    error: str | None,
    make_current: bool = True,
    run_id: int | None = None,
) -> ParseResult:
    """Add a parse of a version; earlier parses are kept, never overwritten.

    With `make_current` the new result becomes the version's current one (the others are
    unmarked); without, it is stored for the record (e.g. a regression not accepted) and the
    current one stays.
    """
    result = ParseResult(
        version_id=version.id,
        parser_version=parser_version,
        normalizer_version=normalizer_version,
        parsed_at=utcnow(),
        normalised=normalised,
        record=record,
        checks=list(checks),
        warnings=list(warnings),
        ok=bool(ok),
        error=error,
        is_current=False,
        run_id=run_id,
    )
    session.add(result)
    session.flush()
    if make_current:
        mark_current(session, result)
    return result


def mark_current(session: Session, result: ParseResult) -> None:
    """Make `result` the current parse of its version (and no other)."""
    session.execute(
        update(ParseResult)
        .where(ParseResult.version_id == result.version_id, ParseResult.id != result.id)
        .values(is_current=False)
        .execution_options(synchronize_session=False)
    )
    result.is_current = True
    session.flush()


# --- locks -------------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_is_stale(
    lock: RunLock, *, now: datetime | None = None, stale_after: timedelta = LOCK_STALE_AFTER
) -> bool:
    """A lock is stale when its process is dead on this host, or (held from another host,
    where we cannot look) when its heartbeat is older than `stale_after`."""
    if lock.host == socket.gethostname() and lock.pid is not None:
        return not pid_alive(lock.pid)
    return (now or utcnow()) - lock.heartbeat_at > stale_after


def acquire_lock(
    session: Session,
    name: str,
    holder: str,
    *,
    pid: int | None = None,
    host: str | None = None,
    stale_after: timedelta = LOCK_STALE_AFTER,
) -> bool:
    """Take the named lock for `holder`; False when someone else holds a live lock.

    The lock belongs to this process (`pid`, `host` default to ours). A stale lock is taken
    over with a compare-and-set update, so two contenders cannot both win. The caller's
    transaction must commit for others to see the lock.
    """
    pid = os.getpid() if pid is None else pid
    host = socket.gethostname() if host is None else host
    now = utcnow()
    lock, created = insert_or_get(
        session,
        lambda: RunLock(
            name=name, holder=holder, pid=pid, host=host, acquired_at=now, heartbeat_at=now
        ),
        lambda: session.get(RunLock, name, populate_existing=True),
    )
    if created:
        return True
    if lock.holder == holder and lock.pid == pid and lock.host == host:
        lock.heartbeat_at = now
        session.flush()
        return True
    if not lock_is_stale(lock, now=now, stale_after=stale_after):
        return False
    taken = session.execute(
        update(RunLock)
        .where(
            RunLock.name == name,
            RunLock.holder == lock.holder,
            RunLock.heartbeat_at == lock.heartbeat_at,
        )
        .values(holder=holder, pid=pid, host=host, acquired_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(lock)
    return taken.rowcount == 1


def heartbeat_lock(session: Session, name: str, holder: str) -> bool:
    """Refresh the lock's heartbeat; False when `holder` no longer holds it."""
    result = session.execute(
        update(RunLock)
        .where(RunLock.name == name, RunLock.holder == holder)
        .values(heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_lock(session: Session, name: str, holder: str) -> bool:
    """Release the lock if `holder` holds it; True when it was released."""
    lock = session.get(RunLock, name, populate_existing=True)
    if lock is None or lock.holder != holder:
        return False
    session.delete(lock)
    session.flush()
    return True
