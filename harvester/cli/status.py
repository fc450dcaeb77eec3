"""`harvester status`: the registry, the last runs and what is failing."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from sqlalchemy import func, select

from harvester.cli.common import database_options, open_env, output_options
from harvester.storage.db import session_scope
from harvester.storage.models import CrawlRun, ParseResult, Portal, PortalRun, Report, ReportVersion


@click.command()
@click.option("--runs", default=5, show_default=True, help="How many recent runs to list.")
@database_options
@output_options
def status(runs: int, db: str | None, data_dir: Path | None, quiet: bool, as_json: bool) -> None:
    """Portals, recent runs, reports, and the portals whose last run failed (with why).

    \b
    Examples:
      harvester status
      harvester status --json | jq '.failing'
    """
    env = open_env(db, data_dir, quiet, as_json)
    with session_scope(env.engine) as session:
        n_portals = session.scalar(select(func.count()).select_from(Portal)) or 0
        n_with_url = session.scalar(select(func.count()).select_from(Portal).where(Portal.home_url.is_not(None), Portal.home_url != "")) or 0
        n_reports = session.scalar(select(func.count()).select_from(Report)) or 0
        n_versions = session.scalar(select(func.count()).select_from(ReportVersion)) or 0
        n_bad = session.scalar(select(func.count()).select_from(ParseResult).where(ParseResult.ok.is_(False))) or 0
        recent = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(runs)))
        last_per_portal = (
            select(PortalRun.portal_id, func.max(PortalRun.id).label("last_id")).group_by(PortalRun.portal_id).subquery()
        )
        failing = []
        for portal_run, portal in session.execute(
            select(PortalRun, Portal)
            .join(last_per_portal, PortalRun.id == last_per_portal.c.last_id)
            .join(Portal, Portal.id == PortalRun.portal_id)
            .where(PortalRun.outcome != "ok")
            .order_by(Portal.province, Portal.county)
        ):
            failing.append(
                {
                    "county": portal.county,
                    "province": portal.province,
                    "adcode": portal.adcode,
                    "run_id": portal_run.run_id,
                    "outcome": portal_run.outcome,
                    "reasons": [f.get("reason") for f in portal_run.failures or []],
                }
            )
        payload = {
            "database": env.db_url.split("@")[-1],
            "portals": n_portals,
            "portals_with_url": n_with_url,
            "reports": n_reports,
            "versions": n_versions,
            "parses_not_ok": n_bad,
            "runs": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "started_at": r.started_at,
                    "finished_at": r.finished_at,
                    "outcome": r.outcome,
                    "counts": r.counts,
                }
                for r in recent
            ],
            "failing": failing,
        }
    if as_json:
        env.emit_json(payload)
        return
    env.say(
        f"portals {n_portals} ({n_with_url} with a URL) · reports {n_reports} · versions {n_versions} · "
        f"parses with failed checks or no tables {n_bad}"
    )
    table = Table(title="recent runs", title_justify="left")
    for col in ("run", "kind", "started", "finished", "outcome", "counts"):
        table.add_column(col, overflow="fold")
    for r in payload["runs"]:
        table.add_row(
            str(r["id"]),
            r["kind"],
            f"{r['started_at']:%Y-%m-%d %H:%M}" if r["started_at"] else "",
            f"{r['finished_at']:%Y-%m-%d %H:%M}" if r["finished_at"] else "—",
            r["outcome"],
            ", ".join(f"{k} {v}" for k, v in (r["counts"] or {}).items()),
        )
    env.say(table)
    if failing:
        ftable = Table(title="failing portals (last run)", title_justify="left")
        for col in ("county", "province", "run", "outcome", "reasons"):
            ftable.add_column(col, overflow="fold")
        for f in failing:
            ftable.add_row(f["county"], f["province"], str(f["run_id"]), f["outcome"], "; ".join(r or "?" for r in f["reasons"]))
        env.say(ftable)
