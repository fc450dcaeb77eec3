"""`harvester reparse`: normalise and parse stored raw bytes again, without re-crawling."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from harvester.cli.common import database_options, open_env, output_options
from harvester.parser import PARSER_VERSION
from harvester.processing import process_versions
from harvester.storage.db import session_scope
from harvester.storage.models import Portal, Report, ReportVersion
from harvester.storage.repo import finish_run, start_run
from harvester.version import code_version


@click.command()
@click.option("--county", multiple=True, help="County name or adcode (repeatable). Default: all.")
@click.option("--all-versions", is_flag=True, help="Also old versions, not only the newest of each report.")
@database_options
@output_options
def reparse(county: tuple[str, ...], all_versions: bool, db: str | None, data_dir: Path | None, quiet: bool, as_json: bool) -> None:
    """Re-run normalisation and parsing over the stored raw bytes (after a parser upgrade).

    Each result is stored with the parser version that made it; results of older parser
    versions are kept.

    \b
    Examples:
      harvester reparse
      harvester reparse --county 寿县 --all-versions
    """
    env = open_env(db, data_dir, quiet, as_json)
    with session_scope(env.engine) as session:
        run = start_run(session, "reparse", {"county": list(county), "all_versions": all_versions}, code_version())
        run_id = run.id
    with session_scope(env.engine) as session:
        query = select(ReportVersion, Report).join(Report, Report.id == ReportVersion.report_id).join(Portal, Portal.id == Report.portal_id)
        if county:
            query = query.where(Portal.county.in_(county) | Portal.adcode.in_(county))
        latest: dict[int, ReportVersion] = {}
        chosen: list[ReportVersion] = []
        for version, report in session.execute(query.order_by(ReportVersion.id)):
            if all_versions:
                chosen.append(version)
            else:
                latest[report.id] = version
        chosen = chosen if all_versions else list(latest.values())
        counts = process_versions(session, env.blobs, chosen, progress=None if quiet or as_json else (lambda t: env.console.log(f"parsed {t}")))
    summary = {
        "parser_version": PARSER_VERSION,
        "versions": counts.versions,
        "reports_with_tables": counts.reports_with_tables,
        "failed_checks": counts.failed_checks,
        "unreadable_documents": counts.unreadable_documents,
    }
    with session_scope(env.engine) as session:
        from harvester.storage.models import CrawlRun

        finish_run(session, session.get(CrawlRun, run_id), "ok", summary, counts.failures)
    if as_json:
        env.emit_json(summary)
    else:
        env.say(", ".join(f"{k} {v}" for k, v in summary.items()))
