"""`harvester reparse`: normalise and parse stored raw bytes again, without re-crawling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.cli.common import (
    EXIT_FAILED,
    database_options,
    fail,
    handles_interrupt,
    open_env,
    output_options,
    phase_progress,
)
from harvester.cli.export import county_portal_ids
from harvester.normalize import NORMALIZER_VERSION
from harvester.parser import PARSER_VERSION
from harvester.processing import BlobUnavailable, ProcessCounts, missing_blobs, process_versions
from harvester.storage.db import mask_url, session_scope
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


def _add(total: ProcessCounts, part: ProcessCounts) -> None:
    total.versions += part.versions
    total.parsed += part.parsed
    total.reports_with_tables += part.reports_with_tables
    total.failed_checks += part.failed_checks
    total.unreadable_documents += part.unreadable_documents
    total.new_results += part.new_results
    total.unchanged += part.unchanged
    total.accepted_regressions += part.accepted_regressions
    total.failures.extend(part.failures)
    total.regressions.extend(part.regressions)


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
@click.option(
    "--accept-regressions",
    is_flag=True,
    help="Make a new result current even when it reads fewer tables, more unreadable "
    "documents or more failed checks than the current one.",
)
@database_options
@output_options
@handles_interrupt
def reparse(
    county: tuple[str, ...],
    all_versions: bool,
    only_missing: bool,
    accept_regressions: bool,
    db: str | None,
    data_dir: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Re-run normalisation and parsing over the stored raw bytes (after a parser upgrade).

    Nothing is fetched: every document is read from the blob store the database records
    (a blob missing from it stops the reparse before anything is stored). Every new result
    is added, none is overwritten; it becomes the version's current result (the one
    exports use) unless it equals the current one, or is worse: fewer tables, more
    unreadable documents or more failed checks. A worse result is kept but not made
    current, listed, and the exit code is 1, unless --accept-regressions. The run is
    recorded (kind `reparse`, see `harvester status`).

    \b
    Examples:
      harvester reparse                              # the newest version of every report
      harvester reparse --county 寿县 --all-versions
      harvester reparse --only-missing --json        # catch up what was never parsed
      harvester reparse --accept-regressions         # a worse result is what you want
    """
    env = open_env(db, data_dir, quiet, as_json)
    with session_scope(env.engine) as session:
        portal_ids = county_portal_ids(session, county)
        version_ids = chosen_versions(
            session, portal_ids, all_versions=all_versions, only_missing=only_missing
        )
        missing = missing_blobs(session, env.blobs, version_ids)
        if missing:
            fail(
                f"{len(missing)} stored documents to reparse have no blob in blob store "
                f"{env.blobs.location} (the database's: {mask_url(env.db_url)}), e.g. "
                + ", ".join(missing[:3])
                + "; nothing was reparsed or replaced. If the blobs were moved, pass "
                "--blobs DIR|URL (alias --blob-store)",
                EXIT_FAILED,
            )
        if version_ids:
            run_id = start_run(
                session,
                "reparse",
                {
                    "county": list(county),
                    "all_versions": all_versions,
                    "only_missing": only_missing,
                    "accept_regressions": accept_regressions,
                },
                code_version(),
            ).id
    summary: dict[str, Any] = {
        "run_id": None,
        "parser_version": PARSER_VERSION,
        "normalizer_version": NORMALIZER_VERSION,
        "blob_store": str(env.blobs.location),
        "versions": 0,
        "new_results": 0,
        "unchanged": 0,
        "regressions": [],
        "regressions_kept_back": 0,
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
        with (
            session_scope(env.engine) as session,
            phase_progress(env, "parsing report versions", len(version_ids)) as step,
        ):
            for version_id in version_ids:  # one at a time: the counts stay right when stopped
                version = session.get(ReportVersion, version_id)
                if version is None:  # deleted meanwhile
                    continue
                _add(
                    counts,
                    process_versions(
                        session,
                        env.blobs,
                        [version],
                        progress=step,
                        accept_regressions=accept_regressions,
                        run_id=run_id,
                    ),
                )
                session.expunge_all()
        failures = list(counts.failures)
        kept_back = [r for r in counts.regressions if not r["accepted"]]
        failures.extend(
            {"reason": f"regression kept back: {r['title']}: " + ", ".join(r["worse"])}
            for r in kept_back
        )
        outcome = "partial" if kept_back else "ok"
    except KeyboardInterrupt:
        outcome = "interrupted"
        failures.append(
            {"reason": f"interrupted after {counts.parsed} of {len(version_ids)} versions"}
        )
        raise
    except BlobUnavailable as exc:
        failures.append({"reason": str(exc)})
        fail(f"reparse stopped: {exc}", EXIT_FAILED)
    except Exception as exc:
        failures.append({"reason": f"reparse stopped: {type(exc).__name__}: {exc}"})
        raise click.ClickException(f"reparse stopped: {type(exc).__name__}: {exc}") from exc
    finally:
        summary.update(
            run_id=run_id,
            versions=counts.parsed,
            new_results=counts.new_results,
            unchanged=counts.unchanged,
            regressions=counts.regressions,
            regressions_kept_back=sum(1 for r in counts.regressions if not r["accepted"]),
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
                    {k: v for k, v in summary.items() if k not in ("run_id", "regressions")},
                    failures,
                )
    if as_json:
        env.emit_json(summary)
    else:
        env.say(
            f"reparsed {summary['versions']} report versions with parser {PARSER_VERSION} "
            f"(normaliser {NORMALIZER_VERSION}): {summary['new_results']} new current results, "
            f"{summary['unchanged']} unchanged, {summary['regressions_kept_back']} regressions "
            f"kept back; {summary['reports_with_tables']} with tables, "
            f"{summary['failed_checks']} failed checks, {summary['unreadable_documents']} "
            f"unreadable documents (run {run_id}); earlier results are kept"
        )
        for entry in counts.regressions:
            state = (
                "accepted" if entry["accepted"] else "kept back, the earlier result stays current"
            )
            env.say(f"  worse: {entry['title']}: {', '.join(entry['worse'])} ({state})")
    if summary["regressions_kept_back"]:
        click.echo(
            f"Error: {summary['regressions_kept_back']} new results are worse than the current "
            "ones and were not made current (they are stored; see `harvester export "
            "--all-versions`); rerun with --accept-regressions to make them current",
            err=True,
        )
        raise SystemExit(EXIT_FAILED)
    if counts.failures:
        raise SystemExit(EXIT_FAILED)
