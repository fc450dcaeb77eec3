"""`harvester status`: the registry, the last runs and what is failing."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import click
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from harvester.cli.common import database_options, open_env, output_options
from harvester.cli.export import county_portal_ids
from harvester.storage.db import mask_url, session_scope
from harvester.storage.models import (
    CHECK_RESULTS,
    CrawlRun,
    ParseResult,
    Portal,
    PortalRun,
    Report,
    ReportVersion,
)

# Above this many crawled portals the human output sums their last runs up instead of
# listing each (the JSON always lists every one).
LIST_LIMIT = 40


def _reasons(portal_run: PortalRun) -> list[str]:
    """Why a portal's run did not succeed, never empty for a run that is not ok."""
    reasons = [str(f.get("reason") or f) for f in portal_run.failures or []]
    if not reasons and portal_run.outcome == "running":
        reasons.append(
            "the run has not finished: still going, or its process died (the next crawl marks it interrupted)"
        )
    elif not reasons and portal_run.outcome == "interrupted":
        reasons.append("the run was interrupted before this portal finished")
    elif not reasons and portal_run.outcome != "ok":
        reasons.append(f"outcome {portal_run.outcome}, no reason recorded")
    return reasons


def report_figures(session: Session, portal_ids: list[int] | None) -> dict[str, object]:
    """Reports by the state of their newest version's current parse, overall and per portal."""
    query = select(Report.id, Report.portal_id)
    if portal_ids is not None:
        query = query.where(Report.portal_id.in_(portal_ids))
    report_portal: dict[int, int] = {r: p for r, p in session.execute(query)}
    newest: dict[int, int] = {
        report_id: version_id
        for report_id, version_id in session.execute(
            select(ReportVersion.report_id, func.max(ReportVersion.id)).group_by(
                ReportVersion.report_id
            )
        )
    }
    parse_ok: dict[int, bool] = {}
    for version_id, ok in session.execute(
        select(ParseResult.version_id, ParseResult.ok).order_by(
            ParseResult.is_current, ParseResult.parsed_at, ParseResult.id
        )
    ):
        parse_ok[version_id] = ok  # ascending: the current parse (else the newest) wins
    state: Counter[str] = Counter()
    per_portal: dict[int, Counter[str]] = {}
    for report_id, portal_id in report_portal.items():
        version_id = newest.get(report_id)
        ok = parse_ok.get(version_id) if version_id is not None else None
        key = "unparsed" if ok is None else ("ok" if ok else "not_ok")
        state[key] += 1
        per_portal.setdefault(portal_id, Counter())[key] += 1
    versions_query = select(func.count()).select_from(ReportVersion)
    if portal_ids is not None:
        versions_query = versions_query.join(Report, Report.id == ReportVersion.report_id).where(
            Report.portal_id.in_(portal_ids)
        )
    return {
        "reports": len(report_portal),
        "reports_ok": state["ok"],
        "reports_not_ok": state["not_ok"],
        "reports_unparsed": state["unparsed"],
        "versions": session.scalar(versions_query) or 0,
        "per_portal": per_portal,
    }


def last_portal_runs(
    session: Session, portal_ids: list[int] | None
) -> list[tuple[PortalRun, Portal, CrawlRun]]:
    """The newest PortalRun of every portal that was ever crawled."""
    last = select(PortalRun.portal_id, func.max(PortalRun.id).label("last_id")).group_by(
        PortalRun.portal_id
    )
    if portal_ids is not None:
        last = last.where(PortalRun.portal_id.in_(portal_ids))
    sub = last.subquery()
    rows = session.execute(
        select(PortalRun, Portal, CrawlRun)
        .join(sub, PortalRun.id == sub.c.last_id)
        .join(Portal, Portal.id == PortalRun.portal_id)
        .join(CrawlRun, CrawlRun.id == PortalRun.run_id)
        .order_by(Portal.province, Portal.prefecture, Portal.county, Portal.id)
    )
    return [(portal_run, portal, run) for portal_run, portal, run in rows]


def reachability(session: Session, portal_ids: list[int] | None) -> dict[str, object]:
    """`harvester portals check` results of the enabled portals with a URL, by result."""
    query = select(Portal.check_result, func.count(), func.min(Portal.checked_at)).where(
        Portal.enabled.is_(True), Portal.home_url.is_not(None), Portal.home_url != ""
    )
    if portal_ids is not None:
        query = query.where(Portal.id.in_(portal_ids))
    counts: dict[str, int] = {}
    oldest: datetime | None = None
    for result, n, first in session.execute(query.group_by(Portal.check_result)):
        counts[result or "unchecked"] = n
        if result and first is not None and (oldest is None or first < oldest):
            oldest = first
    ordered = {k: counts[k] for k in (*CHECK_RESULTS, "unchecked") if counts.get(k)}
    return {"counts": ordered, "oldest_check": _iso(oldest)}


def status_payload(
    session: Session, db_url: str, portal_ids: list[int] | None, n_runs: int
) -> dict[str, object]:
    portal_query = select(func.count()).select_from(Portal)
    if portal_ids is not None:
        portal_query = portal_query.where(Portal.id.in_(portal_ids))
    with_url = portal_query.where(Portal.home_url.is_not(None), Portal.home_url != "")
    figures = report_figures(session, portal_ids)
    per_portal = figures.pop("per_portal")
    portal_runs = []
    failing = []
    for portal_run, portal, run in last_portal_runs(session, portal_ids):
        reports = per_portal.get(portal.id, Counter())
        entry = {
            "county": portal.county,
            "province": portal.province,
            "prefecture": portal.prefecture,
            "adcode": portal.adcode,
            "home_url": portal.home_url,
            "run_id": run.id,
            "kind": run.kind,
            "started_at": _iso(portal_run.started_at),
            "finished_at": _iso(portal_run.finished_at),
            "outcome": portal_run.outcome,
            "reports_found": portal_run.reports_found,
            "documents": portal_run.documents,
            "reports_stored": sum(reports.values()),
            "reports_not_ok": reports["not_ok"],
            "reasons": _reasons(portal_run),
            # bodies the platform lists that the run did not reach (outcome partial)
            "coverage": [
                str(f.get("reason")) for f in portal_run.failures or [] if f.get("coverage")
            ],
        }
        portal_runs.append(entry)
        if portal_run.outcome != "ok":
            failing.append(entry)
    recent = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(n_runs)))
    return {
        "reachability": reachability(session, portal_ids),
        "database": mask_url(db_url),
        "portals": session.scalar(portal_query) or 0,
        "portals_with_url": session.scalar(with_url) or 0,
        "portals_enabled": session.scalar(portal_query.where(Portal.enabled.is_(True))) or 0,
        "portals_crawled": len(portal_runs),
        **figures,
        "runs": [
            {
                "id": r.id,
                "kind": r.kind,
                "started_at": _iso(r.started_at),
                "finished_at": _iso(r.finished_at),
                "outcome": r.outcome,
                "counts": r.counts,
                "failures": len(r.failures or []),
            }
            for r in recent
        ],
        "portal_runs": portal_runs,
        "failing": failing,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _when(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "—"


def _counts_text(counts: dict[str, object] | None) -> str:
    """The run's figures, numbers only (paths and versions are in the JSON)."""
    return ", ".join(
        f"{k.replace('_', ' ')} {v}"
        for k, v in (counts or {}).items()
        if isinstance(v, int)
        and not isinstance(v, bool)
        and k not in ("crawl_exit_code", "crawl_process_exit_code")
    )


@click.command()
@click.option("--county", multiple=True, help="Only these counties (name or adcode, repeatable).")
@click.option("--runs", default=5, show_default=True, help="How many recent runs to list.")
@database_options
@output_options
def status(
    county: tuple[str, ...],
    runs: int,
    db: str | None,
    data_dir: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Portals, recent runs, the last run of every crawled portal, reports, and the portals
    whose last run failed (with why).

    Reports are counted by the newest parse of their newest version: ok (every hard check
    holds and the tables were read: at least half of the cells the template defines, see
    `completeness` in docs/record-schema.md), not ok, or not parsed yet (see `harvester
    reparse`).

    \b
    Examples:
      harvester status
      harvester status --county 寿县 --runs 10
      harvester status --json | jq '.failing[] | {county, reasons}'
    """
    env = open_env(db, data_dir, quiet, as_json, access="read")
    with session_scope(env.engine) as session:
        portal_ids = county_portal_ids(session, county)
        payload = status_payload(session, env.db_url, portal_ids, runs)
    payload["blob_store"] = str(env.blobs.location) if env.blobs_recorded else None
    if as_json:
        env.emit_json(payload)
        return
    blobs = (
        str(env.blobs.location)
        if env.blobs_recorded
        else f"none recorded yet (the next scrape stores them in {env.blobs.location})"
    )
    env.say(f"database {payload['database']} · blobs {blobs}")
    env.say(
        f"portals {payload['portals']} ({payload['portals_with_url']} with a URL, "
        f"{payload['portals_enabled']} enabled, {payload['portals_crawled']} crawled) · "
        f"reports {payload['reports']} ({payload['reports_ok']} ok, {payload['reports_not_ok']} with failed "
        f"checks or no tables, {payload['reports_unparsed']} not parsed) · versions {payload['versions']}"
    )
    checks = payload["reachability"]
    if set(checks["counts"]) - {"unchecked"}:
        env.say(
            "reachability (`harvester portals check`, oldest "
            + _when(checks["oldest_check"])
            + "): "
            + ", ".join(f"{k} {v}" for k, v in checks["counts"].items())
        )
    else:
        env.say("reachability: no portal checked yet (`harvester portals check`)")
    table = Table(title="recent runs", title_justify="left")
    for col in ("run", "kind", "started", "finished", "outcome"):
        table.add_column(col, no_wrap=True)
    table.add_column("counts", overflow="fold")
    for r in payload["runs"]:
        table.add_row(
            str(r["id"]),
            r["kind"],
            _when(r["started_at"]),
            _when(r["finished_at"]),
            r["outcome"],
            _counts_text(r["counts"]),
        )
    env.say(
        table if payload["runs"] else "no runs yet: `harvester scrape NAME` or `harvester crawl`"
    )
    portal_runs = payload["portal_runs"]
    if portal_runs and (len(portal_runs) <= LIST_LIMIT or county):
        ptable = Table(title="last run per portal", title_justify="left")
        for col in (
            "county",
            "province",
            "run",
            "finished",
            "outcome",
            "found",
            "stored",
            "not ok",
        ):
            ptable.add_column(col, overflow="fold")
        for p in portal_runs:
            ptable.add_row(
                p["county"],
                p["province"],
                f"{p['run_id']} {p['kind']}",
                _when(p["finished_at"]),
                p["outcome"],
                str(p["reports_found"]),
                str(p["reports_stored"]),
                str(p["reports_not_ok"]),
            )
        env.say(ptable)
    elif portal_runs:
        outcomes = Counter(p["outcome"] for p in portal_runs)
        env.say(
            "last run per portal: "
            + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
            + " (--county NAME or --json for each)"
        )
    if payload["failing"]:
        ftable = Table(
            title="failing portals (last run; partial coverage too)", title_justify="left"
        )
        for col in ("county", "province", "run", "outcome", "why"):
            ftable.add_column(col, overflow="fold")
        for f in payload["failing"]:
            ftable.add_row(
                f["county"], f["province"], str(f["run_id"]), f["outcome"], "; ".join(f["reasons"])
            )
        env.say(ftable)
