"""`harvester scrape` (one county, now) and `harvester crawl` (the scheduled job)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

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
    proxy_option,
    use_proxy,
)
from harvester.crawl.revisit import revisit_days
from harvester.jobs import JobResult, LockedError, run_job
from harvester.registry import add_outside_body, portals_matching, resolve, seed_registry
from harvester.storage.db import mask_url, session_scope
from harvester.storage.models import Portal
from harvester.storage.types import utcnow
from harvester.summary import portal_summary, render_summary


def _ensure_registry(env: Env) -> None:
    with session_scope(env.engine) as session:
        if session.scalar(select(Portal.id).limit(1)) is None:
            added = seed_registry(session)
            env.say(f"registry seeded with {added} county-level portals")


def dead_portals(portals: list[Portal], days: int) -> list[dict[str, Any]]:
    """The portals a check found dead within `days` days (none when days <= 0)."""
    if days <= 0:
        return []
    since = utcnow() - timedelta(days=days)
    return [
        {
            "id": p.id,
            "county": p.county,
            "adcode": p.adcode,
            "checked_at": p.checked_at.isoformat(),
            "detail": p.check_detail or "",
        }
        for p in portals
        if p.check_result == "dead" and p.checked_at is not None and p.checked_at >= since
    ]


def _describe(p: Portal) -> str:
    return f"{p.province} {p.prefecture or ''} {p.county} (adcode {p.adcode or '—'}, {p.home_url or 'no URL'})"


def exit_code_of(outcome: str) -> int:
    """The command's exit code for a run outcome: 0 only when every portal was crawled."""
    return 0 if outcome == "ok" else EXIT_FAILED


def _finish(
    env: Env, result: JobResult, portal_ids: list[int], skipped: list[dict[str, Any]] | None = None
) -> int:
    """Print the run's summary; the exit code the command ends with (see docs/operations.md)."""
    code = exit_code_of(result.outcome)
    if result.counts.get("storage_failure"):  # always said, whatever the output mode
        click.echo(f"Error: the crawl stopped: {result.counts['storage_failure']}", err=True)
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
                "skipped_dead": skipped or [],
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
        env.say(f"database: {mask_url(env.db_url)}   blobs: {env.blobs.location}")
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
    resume: bool = False,
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
            resume=resume,
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
@proxy_option
@database_options
@output_options
@handles_interrupt
def scrape(
    name: str,
    url: str | None,
    province: str | None,
    prefecture: str | None,
    since_year: int | None,
    proxy: str | None,
    db: str | None,
    data_dir: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Scrape one county now: find its 年报 column, fetch every report, parse and check it.

    NAME is a county-level name with or without 县/区/市 (寿县, 寿, 朝阳区) or a 6-digit adcode.
    With --url, a NAME the registry lacks (合肥高新区, a 开发区 or 管委会, a new division) is
    added as a user portal (--province/--prefecture optional: guessed from the name's
    prefecture) and scraped; the URL may be a deep page such as its 政务公开 hub.

    \b
    Examples:
      harvester scrape 寿县
      harvester scrape 朝阳区 --province 北京市
      harvester scrape 340422 --since-year 2020
      harvester scrape 寿县 --proxy http://127.0.0.1:3128
      harvester scrape 寿县 --url https://www.shouxian.gov.cn/ --db postgresql+psycopg://u@host/db
      harvester scrape 合肥高新区 --url https://gxq.hefei.gov.cn/zwgk/
    """
    proxy_name = use_proxy(proxy)
    env = open_env(db, data_dir, quiet, as_json)
    _ensure_registry(env)
    with session_scope(env.engine) as session:
        candidates = resolve(session, name, province=province, prefecture=prefecture)
        if not candidates and url:
            # A body outside the county registry (开发区, 高新区, 管委会, a new division).
            candidates = [
                add_outside_body(session, name, url, province=province, prefecture=prefecture)
            ]
            env.say(f"added {name} to the registry as a user portal (source=user)")
        if not candidates:
            fail(
                f"no county-level division named {name!r} in the registry; try `harvester portals list --province …`, or pass --url URL to add it (a 开发区, 高新区 or other body outside the registry)"
            )
        if len(candidates) > 1:
            listing = "\n  ".join(_describe(p) for p in candidates)
            fail(f"{name!r} is ambiguous; add --province or --prefecture:\n  {listing}")
        portal = candidates[0]
        if url:
            portal.home_url = url
            portal.source = "user"
            portal.url_source = "user"
        if not portal.home_url:
            fail(f"no portal URL is known for {_describe(portal)}; pass --url")
        portal_id = portal.id
        env.say(f"scraping {_describe(portal)}")
        if portal.check_result == "dead" and not url and portal.checked_at:
            env.say(
                f"note: `harvester portals check` found it dead on {portal.checked_at:%Y-%m-%d %H:%M}"
                f" ({portal.check_detail}); trying anyway"
            )
    result = _run(
        env,
        "scrape",
        {"name": name, "url": url, "since_year": since_year, "proxy": proxy_name},
        [portal_id],
        since_year,
        crawl_settings={"HARVESTER_REVISIT_DAYS": 0},  # a scrape asks every known page
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
@click.option(
    "--skip-dead-days",
    default=7,
    show_default=True,
    help="Skip portals `harvester portals check` found dead within this many days (0: never skip).",
)
@click.option("--force", is_flag=True, help="Crawl portals recorded dead too.")
@click.option(
    "--fresh",
    is_flag=True,
    help="Walk every portal, even those an interrupted previous crawl had finished.",
)
@click.option(
    "--revisit-after",
    "revisit_after",
    type=click.FloatRange(min=0),
    default=None,
    metavar="DAYS",
    help="Ask a known report page (and its attachments) again only when its list entry "
    "changed or its last full fetch is DAYS old, and walk from the home page and hubs once "
    "the last full walk is DAYS old (until then from the lists it reached); 0 asks every "
    "one and walks from home on every run [default: $HARVESTER_REVISIT_DAYS or 7].",
)
@proxy_option
@database_options
@output_options
@handles_interrupt
def crawl(
    only: tuple[str, ...],
    province: str | None,
    since_year: int | None,
    distributed: bool,
    redis_url: str,
    skip_dead_days: int,
    force: bool,
    fresh: bool,
    revisit_after: float | None,
    proxy: str | None,
    db: str | None,
    data_dir: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """The scheduled incremental crawl over every enabled portal with a URL.

    List pages are read on every run. A known report page whose list entry is unchanged is
    asked again (conditionally, ETag / Last-Modified, with its attachments) once its last
    full fetch is --revisit-after days old; a new report version is stored only when its
    content changed. Within the same cadence a portal is walked from the lists its last
    full walk reached (home page and hubs not asked); robots.txt is reused for 24 hours.
    One run
    at a time per database; a killed or interrupted run is resumed by the next one, which
    does not walk again the portals it had finished (--fresh walks them). Portals that
    `harvester portals check` found dead in the last --skip-dead-days days are skipped
    (listed in the output and the run's arguments) unless --force.

    \b
    Examples:
      harvester crawl                              # every enabled portal
      harvester crawl --skip-dead-days 2           # retry portals found dead 2+ days ago
      harvester crawl --force                      # dead ones too
      harvester crawl --revisit-after 0            # ask every known report page again
      HARVESTER_PROXY=http://u:p@cn-proxy:3128 harvester crawl   # from a mainland vantage point
      harvester crawl --province 安徽省 --since-year 2021
      harvester crawl --only 寿县 --only 象山县 --json
    """
    try:  # a bad $HARVESTER_REVISIT_DAYS is said before anything is opened
        days = revisit_days(revisit_after)
    except ValueError as exc:
        fail(str(exc))
    proxy_name = use_proxy(proxy)
    env = open_env(db, data_dir, quiet, as_json)
    _ensure_registry(env)
    with session_scope(env.engine) as session:
        try:
            portals = portals_matching(session, province, only)
        except ValueError as exc:
            fail(str(exc))
        if not portals:
            fail("no enabled portal with a URL matches; see `harvester portals list`")
        skipped = [] if force else dead_portals(portals, skip_dead_days)
        dead_ids = {s["id"] for s in skipped}
        portal_ids = [p.id for p in portals if p.id not in dead_ids]
    if skipped:
        env.say(
            f"skipping {len(skipped)} portals found dead by `harvester portals check` within "
            f"{skip_dead_days} days (--force crawls them): "
            + "; ".join(f"{s['county']} ({s['detail']})" for s in skipped[:20])
            + (f" … and {len(skipped) - 20} more" if len(skipped) > 20 else "")
        )
    if not portal_ids:
        fail(
            f"every matching portal was found dead within {skip_dead_days} days; check again (`harvester portals check`) or pass --force"
        )
    env.say(f"crawling {len(portal_ids)} portals")
    result = _run(
        env,
        "crawl",
        {
            "only": list(only),
            "province": province,
            "since_year": since_year,
            "distributed": distributed,
            "skip_dead_days": 0 if force else skip_dead_days,
            "skipped_dead": skipped,
            "proxy": proxy_name,
            "revisit_after_days": days,
        },
        portal_ids,
        since_year,
        distributed={"redis_url": redis_url} if distributed else None,
        crawl_settings={"HARVESTER_REVISIT_DAYS": days},
        resume=not fresh,
    )
    code = _finish(env, result, portal_ids, skipped)
    if code:
        raise SystemExit(code)
