"""`harvester scrape` (one county, now) and `harvester crawl` (the scheduled job)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from harvester.cli.common import (
    EXIT_FAILED,
    EXIT_LOCKED,
    Env,
    database_options,
    fail,
    handles_interrupt,
    open_env,
    output_options,
    phase_progress,
)
from harvester.jobs import JobResult, LockedError, run_job
from harvester.registry import resolve, same_province, seed_registry
from harvester.storage.db import mask_url, session_scope
from harvester.storage.models import Portal
from harvester.summary import portal_summary, render_summary


def _ensure_registry(env: Env) -> None:
    with session_scope(env.engine) as session:
        if session.scalar(select(Portal.id).limit(1)) is None:
            added = seed_registry(session)
            env.say(f"registry seeded with {added} county-level portals")


def _describe(p: Portal) -> str:
    return f"{p.province} {p.prefecture or ''} {p.county} (adcode {p.adcode or '—'}, {p.home_url or 'no URL'})"


def exit_code_of(outcome: str) -> int:
    """The command's exit code for a run outcome: 0 only when every portal was crawled."""
    return 0 if outcome == "ok" else EXIT_FAILED


def _finish(env: Env, result: JobResult, portal_ids: list[int]) -> int:
    """Print the run's summary; the exit code the command ends with (see docs/operations.md)."""
    code = exit_code_of(result.outcome)
    with session_scope(env.engine) as session:
        summary = portal_summary(session, portal_ids, result.run_id, result.failures)
    if env.as_json:
        env.emit_json(
            {
                "run_id": result.run_id,
                "outcome": result.outcome,
                "exit_code": code,
                "counts": result.counts,
                "failures": result.failures,
                "portals": summary,
            }
        )
    elif not env.quiet:  # --quiet: only errors (the exit code says how the run went)
        render_summary(env.console, summary)
        shown = {
            k: v
            for k, v in result.counts.items()
            if k not in ("crawl_process_exit_code", "crawl_log")
        }
        process = result.counts.get("crawl_process_exit_code")
        env.say(
            f"run {result.run_id}: {result.outcome} (exit code {code}) — "
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in shown.items())
        )
        if process not in (None, 0):
            env.say(f"the crawl process itself exited with code {process}")
        if result.counts.get("crawl_log"):
            env.say(f"crawl log: {result.counts['crawl_log']}")
        env.say(f"database: {mask_url(env.db_url)}   blobs: {env.blobs.root}")
    elif code:
        reasons = "; ".join(str(f.get("reason")) for f in result.failures[:3])
        click.echo(
            f"Error: run {result.run_id}: {result.outcome}"
            + (f" — {reasons}" if reasons else "")
            + "; see `harvester status`",
            err=True,
        )
    return code


def _run(
    env: Env,
    kind: str,
    arguments: dict,
    portal_ids: list[int],
    since_year: int | None,
    distributed: dict | None = None,
    crawl_settings: dict | None = None,
) -> JobResult:
    try:
        return run_job(
            env.engine,
            env.db_url,
            env.data_dir,
            env.blobs,
            kind=kind,
            arguments=arguments,
            portal_ids=portal_ids,
            since_year=since_year,
            distributed=distributed,
            console=None if env.quiet or env.as_json else env.console,
            crawl_settings=crawl_settings,
            parse_phase=lambda n: phase_progress(env, "parsing report versions", n),
        )
    except LockedError as exc:
        fail(str(exc), EXIT_LOCKED)
        raise  # unreachable


@click.command()
@click.argument("name")
@click.option("--url", help="Portal home URL: adds it to the registry or corrects the known one.")
@click.option("--province", help="Disambiguate NAME by province (e.g. 北京市).")
@click.option("--prefecture", help="Disambiguate NAME by prefecture (e.g. 长春市).")
@click.option("--since-year", type=int, help="Only reports of this year or later.")
@database_options
@output_options
@handles_interrupt
def scrape(
    name: str,
    url: str | None,
    province: str | None,
    prefecture: str | None,
    since_year: int | None,
    db: str | None,
    data_dir: Path | None,
    blob_store: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Scrape one county now: find its 年报 column, fetch every report, parse and check it.

    NAME is a county-level name with or without 县/区/市 (寿县, 寿, 朝阳区) or a 6-digit adcode.

    \b
    Examples:
      harvester scrape 寿县
      harvester scrape 朝阳区 --province 北京市
      harvester scrape 340422 --since-year 2020
      harvester scrape 寿县 --url https://www.shouxian.gov.cn/ --db postgresql+psycopg://u@host/db
    """
    env = open_env(db, data_dir, quiet, as_json, blob_store=blob_store)
    _ensure_registry(env)
    with session_scope(env.engine) as session:
        candidates = resolve(session, name, province=province, prefecture=prefecture)
        if not candidates:
            fail(
                f"no county-level division named {name!r} in the registry; try `harvester portals list --province …` or add it with `harvester portals add`"
            )
        if len(candidates) > 1:
            listing = "\n  ".join(_describe(p) for p in candidates)
            fail(f"{name!r} is ambiguous; add --province or --prefecture:\n  {listing}")
        portal = candidates[0]
        if url:
            portal.home_url = url
            portal.source = "user"
        if not portal.home_url:
            fail(f"no portal URL is known for {_describe(portal)}; pass --url")
        portal_id = portal.id
        env.say(f"scraping {_describe(portal)}")
    result = _run(
        env, "scrape", {"name": name, "url": url, "since_year": since_year}, [portal_id], since_year
    )
    code = _finish(env, result, [portal_id])
    if code:
        raise SystemExit(code)


@click.command()
@click.option("--only", multiple=True, help="County names or adcodes to crawl (repeatable).")
@click.option("--province", help="Only portals of this province.")
@click.option("--since-year", type=int, help="Only reports of this year or later.")
@click.option(
    "--distributed", is_flag=True, help="Share the scheduler through Redis (scrapy-redis)."
)
@click.option(
    "--redis",
    "redis_url",
    default="redis://127.0.0.1:6379/0",
    show_default=True,
    help="Redis URL for --distributed.",
)
@database_options
@output_options
@handles_interrupt
def crawl(
    only: tuple[str, ...],
    province: str | None,
    since_year: int | None,
    distributed: bool,
    redis_url: str,
    db: str | None,
    data_dir: Path | None,
    blob_store: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """The scheduled incremental crawl over every enabled portal with a URL.

    Known report pages and attachments are re-requested conditionally (ETag /
    Last-Modified); a new report version is stored only when its content changed. One run
    at a time per database; a killed run is resumed by the next one.

    \b
    Examples:
      harvester crawl                              # every enabled portal
      harvester crawl --province 安徽省 --since-year 2021
      harvester crawl --only 寿县 --only 象山县 --json
    """
    env = open_env(db, data_dir, quiet, as_json, blob_store=blob_store)
    _ensure_registry(env)
    with session_scope(env.engine) as session:
        query = select(Portal).where(
            Portal.enabled.is_(True), Portal.home_url.is_not(None), Portal.home_url != ""
        )
        portals = [
            p
            for p in session.scalars(query.order_by(Portal.id))
            if not province or same_province(province, p.province)
        ]
        if only:
            wanted: set[int] = set()
            for name in only:
                found = resolve(session, name, province=province)
                if len(found) != 1:
                    fail(f"--only {name!r} matches {len(found)} portals; use an adcode")
                wanted.add(found[0].id)
            portals = [p for p in portals if p.id in wanted]
        portal_ids = [p.id for p in portals]
    if not portal_ids:
        fail("no enabled portal with a URL matches; see `harvester portals list`")
    env.say(f"crawling {len(portal_ids)} portals")
    result = _run(
        env,
        "crawl",
        {
            "only": list(only),
            "province": province,
            "since_year": since_year,
            "distributed": distributed,
        },
        portal_ids,
        since_year,
        distributed={"redis_url": redis_url} if distributed else None,
    )
    code = _finish(env, result, portal_ids)
    if code:
        raise SystemExit(code)
