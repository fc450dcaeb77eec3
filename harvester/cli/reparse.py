"""`harvester reparse`: normalise and parse stored raw bytes again, without re-crawling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from harvester.cli.common import (
    EXIT_FAILED,
    database_options,
    handles_interrupt,
    open_env,
    output_options,
)
from harvester.cli.export import county_portal_ids
from harvester.normalize import NORMALIZER_VERSION
from harvester.parser import PARSER_VERSION
from harvester.processing import ProcessCounts, process_versions
from harvester.storage.db import session_scope
from harvester.storage.models import CrawlRun, ParseResult, Report, ReportVersion
from harvester.storage.repo import finish_run, start_run
from harvester.version import code_version


def chosen_versions(
    session: Session, portal_ids: list[int] | None, *, all_versions: bool, only_missing: bool
) -> list[int]:
    """Ids of the versions to parse: the newest of each report (or every version), and with
    `only_missing` only those of them without a parse by the current parser version."""
    query = select(ReportVersion.id, ReportVersion.report_id).join(
        Report, Report.id == ReportVersion.report_id
    )
    if portal_ids is not None:
        query = query.where(Report.portal_id.in_(portal_ids))
    newest: dict[int, int] = {}
    every: list[int] = []
    for version_id, report_id in session.execute(query.order_by(ReportVersion.id)):
        every.append(version_id)
        newest[report_id] = version_id  # ascending ids: the last one wins
    chosen = every if all_versions else sorted(newest.values())
    if only_missing:
        parsed = set(
            session.scalars(
                select(ParseResult.version_id).where(ParseResult.parser_version == PARSER_VERSION)
            )
        )
        chosen = [v for v in chosen if v not in parsed]
    return chosen


def _existing_results(session: Session, version_ids: list[int]) -> int:
    """How many of these versions already have a parse by the current parser version."""
    total = 0
    for start in range(0, len(version_ids), 500):
        chunk = version_ids[start : start + 500]
        total += (
            session.scalar(
                select(func.count())
                .select_from(ParseResult)
                .where(
                    ParseResult.version_id.in_(chunk), ParseResult.parser_version == PARSER_VERSION
                )
            )
            or 0
        )
    return total


def _add(total: ProcessCounts, part: ProcessCounts) -> None:
    total.versions += part.versions
    total.parsed += part.parsed
    total.reports_with_tables += part.reports_with_tables
    total.failed_checks += part.failed_checks
    total.unreadable_documents += part.unreadable_documents
    total.failures.extend(part.failures)


@click.command()
@click.option(
    "--county",
    multiple=True,
    help="County name (寿县, 寿) or 6-digit adcode (repeatable). Default: every portal.",
)
@click.option(
    "--all-versions", is_flag=True, help="Also old versions, not only the newest of each report."
)
@click.option(
    "--only-missing", is_flag=True, help="Only versions with no parse by this parser version yet."
)
@database_options
@output_options
@handles_interrupt
def reparse(
    county: tuple[str, ...],
    all_versions: bool,
    only_missing: bool,
    db: str | None,
    data_dir: Path | None,
    blob_store: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Re-run normalisation and parsing over the stored raw bytes (after a parser upgrade).

    Nothing is fetched: every document is read from the blob store. Each result is stored
    with the parser version that made it; a result of the same parser version is replaced,
    results of older parser versions are kept (exports use the newest). The run is
    recorded (kind `reparse`, see `harvester status`).

    \b
    Examples:
      harvester reparse                              # the newest version of every report
      harvester reparse --county 寿县 --all-versions
      harvester reparse --only-missing --json        # catch up what was never parsed
    """
    env = open_env(db, data_dir, quiet, as_json, blob_store=blob_store)
    with session_scope(env.engine) as session:
        portal_ids = county_portal_ids(session, county)
        version_ids = chosen_versions(
            session, portal_ids, all_versions=all_versions, only_missing=only_missing
        )
        replaced = _existing_results(session, version_ids)
        if version_ids:
            run_id = start_run(
                session,
                "reparse",
                {
                    "county": list(county),
                    "all_versions": all_versions,
                    "only_missing": only_missing,
                },
                code_version(),
            ).id
    summary: dict[str, Any] = {
        "run_id": None,
        "parser_version": PARSER_VERSION,
        "normalizer_version": NORMALIZER_VERSION,
        "versions": 0,
        "new_results": 0,
        "replaced_results": 0,
        "reports_with_tables": 0,
        "failed_checks": 0,
        "unreadable_documents": 0,
    }
    if not version_ids:
        what = "matching --county " + ", ".join(county) if county else "in the database"
        if as_json:
            env.emit_json(summary)
        else:
            env.say(
                f"nothing to reparse: no stored report versions {what}"
                + (" without a parse by this parser version" if only_missing else "")
            )
        return
    counts = ProcessCounts()
    outcome = "failed"
    failures: list[dict[str, Any]] = []
    try:
        progress = None if quiet or as_json else (lambda title: env.say(f"  parsed {title}"))
        with session_scope(env.engine) as session:
            for version_id in version_ids:  # one at a time: the counts stay right when stopped
                version = session.get(ReportVersion, version_id)
                if version is None:  # deleted meanwhile
                    continue
                _add(counts, process_versions(session, env.blobs, [version], progress=progress))
                session.expunge_all()
        failures = list(counts.failures)
        outcome = "ok"
    except KeyboardInterrupt:
        outcome = "interrupted"
        failures.append(
            {"reason": f"interrupted after {counts.parsed} of {len(version_ids)} versions"}
        )
        raise
    except Exception as exc:
        failures.append({"reason": f"reparse stopped: {type(exc).__name__}: {exc}"})
        raise click.ClickException(f"reparse stopped: {type(exc).__name__}: {exc}") from exc
    finally:
        summary.update(
            run_id=run_id,
            versions=counts.parsed,
            new_results=max(counts.parsed - replaced, 0),
            replaced_results=min(replaced, counts.parsed),
            reports_with_tables=counts.reports_with_tables,
            failed_checks=counts.failed_checks,
            unreadable_documents=counts.unreadable_documents,
        )
        with session_scope(env.engine) as session:
            run = session.get(CrawlRun, run_id)
            if run is not None:
                finish_run(
                    session,
                    run,
                    outcome,
                    {k: v for k, v in summary.items() if k != "run_id"},
                    failures,
                )
    if as_json:
        env.emit_json(summary)
    else:
        env.say(
            f"reparsed {summary['versions']} report versions with parser {PARSER_VERSION} "
            f"(normaliser {NORMALIZER_VERSION}): {summary['new_results']} new parse results, "
            f"{summary['replaced_results']} replaced; {summary['reports_with_tables']} with tables, "
            f"{summary['failed_checks']} failed checks, {summary['unreadable_documents']} unreadable documents "
            f"(run {run_id})"
        )
    if counts.failures:
        raise SystemExit(EXIT_FAILED)
