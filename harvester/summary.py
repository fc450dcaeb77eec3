"""What a run found, per portal: reports per body and year, documents, checks, failures."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from harvester.parser.completeness import is_read
from harvester.storage.models import (
    ListedReport,
    ParseResult,
    Portal,
    PortalRun,
    Report,
    ReportVersion,
    VersionDocument,
)
from harvester.storage.types import Failure

# A report "has tables" when any of sections 二, 三, 四 was read (as harvester.processing counts).
TABLE_KEYS = ("proactive", "applications", "review_litigation")


def latest_version(session: Session, report_id: int) -> ReportVersion | None:
    return session.scalars(
        select(ReportVersion)
        .where(ReportVersion.report_id == report_id)
        .order_by(ReportVersion.id.desc())
        .limit(1)
    ).first()


def latest_parse(session: Session, version_id: int) -> ParseResult | None:
    """The current parse of a version, else its newest (the normalised documents are loaded
    only on access)."""
    return session.scalars(
        select(ParseResult)
        .options(defer(ParseResult.normalised))
        .where(ParseResult.version_id == version_id)
        .order_by(
            ParseResult.is_current.desc(), ParseResult.parsed_at.desc(), ParseResult.id.desc()
        )
        .limit(1)
    ).first()


def report_rows(
    session: Session, portal_id: int, run_id: int | None = None
) -> list[dict[str, object]]:
    rows = []
    reports = session.scalars(
        select(Report).where(Report.portal_id == portal_id).order_by(Report.agency, Report.year)
    )
    for report in reports:
        version = latest_version(session, report.id)
        parse = latest_parse(session, version.id) if version else None
        n_docs = (
            session.scalar(
                select(func.count())
                .select_from(VersionDocument)
                .where(VersionDocument.version_id == version.id)
            )
            if version
            else 0
        )
        record = parse.record if parse else {}
        failed = [c["rule"] for c in (parse.checks if parse else []) if not c["ok"]]
        if run_id is not None and report.first_seen_run == run_id:
            status = "new"
        elif run_id is not None and version is not None and version.run_id == run_id:
            status = "changed"
        else:
            status = "unchanged"
        n_versions = session.scalar(
            select(func.count())
            .select_from(ReportVersion)
            .where(ReportVersion.report_id == report.id)
        )
        listing = session.scalars(
            select(ListedReport)
            .where(ListedReport.report_id == report.id)
            .order_by(ListedReport.checked_at.desc())
            .limit(1)
        ).first()
        rows.append(
            {
                "agency": report.agency,
                "year": report.year,
                "title": report.title,
                "era": record.get("era"),
                "documents": n_docs,
                "versions": n_versions,
                "tables": any(record.get(key) for key in TABLE_KEYS),
                "read": is_read(record) if record else False,
                "completeness": (record.get("completeness") or {}).get("overall", {}).get("ratio"),
                "failed_checks": sorted(set(failed)),
                "warnings": len(parse.warnings or []) if parse else 0,
                "status": status,
                # False: the revisit policy left the page unasked this run (harvester.crawl.revisit)
                "asked": None
                if listing is None or run_id is None
                else listing.checked_run == run_id or status != "unchanged",
                "last_checked": listing.checked_at.isoformat() if listing else None,
                "url": report.url,
            }
        )
    return rows


def _portal_failures(
    session: Session,
    portal: Portal,
    run_id: int | None,
    failures: list[Failure],
    name_is_unique: bool,
) -> list[dict[str, object]]:
    """The failures of a run that concern this portal. They name the portal by county (or by
    id); when two portals of the run share a county name (朝阳区), the portal's own
    PortalRun record says which failures are its."""
    if name_is_unique or run_id is None:
        return [f for f in failures if f.get("portal") in (portal.county, portal.id)]
    own = [f for f in failures if f.get("portal") == portal.id]
    portal_run = session.scalar(
        select(PortalRun).where(PortalRun.run_id == run_id, PortalRun.portal_id == portal.id)
    )
    if portal_run is not None:
        own += [{"portal": portal.county, **f} for f in portal_run.failures or []]
    return own


def portal_summary(
    session: Session, portal_ids: list[int], run_id: int | None, failures: list[Failure]
) -> list[dict[str, object]]:
    """Per portal: where it is, its reports (see report_rows) and the run's failures on it."""
    portals = [p for p in (session.get(Portal, pid) for pid in portal_ids) if p is not None]
    names = Counter(p.county for p in portals)
    out = []
    for portal in portals:
        pid = portal.id
        portal_run = (
            session.scalar(
                select(PortalRun).where(PortalRun.run_id == run_id, PortalRun.portal_id == pid)
            )
            if run_id is not None
            else None
        )
        out.append(
            {
                "county": portal.county,
                "province": portal.province,
                "prefecture": portal.prefecture,
                "adcode": portal.adcode,
                "home_url": portal.home_url,
                "reports": report_rows(session, pid, run_id),
                "failures": _portal_failures(
                    session, portal, run_id, failures, names[portal.county] == 1
                ),
                "outcome": portal_run.outcome if portal_run else None,
                # "home page", "known lists" (the last full walk's, within the revisit
                # cadence: home page and hubs not asked) or "registry columns"
                "walked_from": portal_run.walked_from if portal_run else None,
                # what the platform lists and the run did not reach (PortalState.coverage_problems)
                "coverage": [
                    f
                    for f in (portal_run.failures if portal_run else None) or []
                    if f.get("coverage")
                ],
            }
        )
    return out


def _no_failure(row: dict[str, object]) -> str:
    if not row["tables"]:
        return "no tables"
    if not row["read"]:
        share = row["completeness"]
        shown = f"{share:.0%} of the cells" if share is not None else "too little"
        return f"none, but only {shown} read (not counted as read)"
    return "none"


def render_summary(console: Console, summary: list[dict[str, object]]) -> None:
    for portal in summary:
        table = Table(
            title=f"{portal['province']} {portal['prefecture'] or ''} {portal['county']} — {len(portal['reports'])} reports",
            title_justify="left",
        )
        for col in ("body", "year", "era", "docs", "versions", "failed checks", "status"):
            table.add_column(col, overflow="fold")
        for row in portal["reports"]:
            table.add_row(
                row["agency"] or "?",
                str(row["year"] or "?"),
                row["era"] or ("—" if not row["tables"] else "?"),
                str(row["documents"]),
                str(row["versions"]),
                ", ".join(row["failed_checks"]) or _no_failure(row),
                row["status"] + (" (not re-asked)" if row.get("asked") is False else ""),
            )
        console.print(table)
        unread = [r for r in portal["reports"] if not r["tables"]]
        if unread:
            console.print(
                f"[yellow]coverage:[/yellow] {len(unread)} report(s) whose tables could not be "
                "read (see the records' warnings: pictures needing OCR, unreadable files)"
            )
        if portal.get("walked_from") == "known lists":
            console.print(
                "[dim]walked from the lists of the last full walk (within the revisit "
                "cadence; home page and hubs not asked)[/dim]"
            )
        for gap in portal.get("coverage", []):
            where = f" {gap['url']}" if gap.get("url") else ""
            console.print(f"[yellow]coverage:[/yellow] {gap['reason']}{where}")
        for failure in portal["failures"]:
            if failure.get("coverage"):
                continue
            where = failure.get("url") or ""
            console.print(f"[red]failure[/red] {where} {failure.get('reason', failure)}")
