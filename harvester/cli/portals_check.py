"""`harvester portals check`: probe each portal's robots.txt and home page and record
whether it is reachable (harvester.reachability), before a crawl spends hours on it."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit

import click
from rich.table import Table

from harvester.cli.common import (
    Env,
    database_options,
    fail,
    handles_interrupt,
    open_env,
    output_options,
)
from harvester.proxies import ProxyError, effective, global_proxy, mask_proxy
from harvester.reachability import Checker, Probe, Target
from harvester.registry import ensure_seeded, portal_place, portals_matching
from harvester.storage.db import session_scope
from harvester.storage.models import CHECK_RESULTS, Portal

SHOWN = 50  # human output lists at most this many portals that are not ok


def _targets(
    env: Env, province: str | None, only: tuple[str, ...], proxy: str | None, include_disabled: bool
) -> tuple[list[Target], set[str]]:
    with session_scope(env.engine) as session:
        added = ensure_seeded(session)
        if added:
            env.say(f"registry seeded with {added} county-level portals")
        try:
            portals = portals_matching(session, province, only, include_disabled)
        except ValueError as exc:
            fail(str(exc))
        hosts = {(urlsplit(p.home_url or "").hostname or "").lower() for p in portals}
        try:
            targets = [Target(p.id, p.home_url or "", effective(p.proxy, proxy)) for p in portals]
        except ProxyError as exc:
            fail(str(exc))
        return targets, hosts


def _record(env: Env, probe: Probe, follow_moves: bool) -> dict[str, object]:
    """Store the probe's findings on the portal row; the portal's check as printed (and
    as --json gives it): its place, then what the probe found."""
    with session_scope(env.engine) as session:
        portal = session.get(Portal, probe.portal_id)
        assert portal is not None
        portal.check_result = probe.result
        portal.check_detail = probe.detail
        portal.checked_at = probe.checked_at
        portal.check_final_url = probe.final_url
        if probe.verified:
            portal.url_verified_at = probe.checked_at
        updated = False
        if follow_moves and probe.result == "moved" and probe.final_url:
            portal.home_url = probe.final_url
            portal.url_source = "check"
            updated = True
        found = {k: v for k, v in asdict(probe).items() if k != "portal_id"}
        return {"id": portal.id, **portal_place(portal), **found, "home_url_updated": updated}


async def _check(
    env: Env, targets: list[Target], checker: Checker, follow_moves: bool
) -> list[dict[str, object]]:
    out = []
    async for probe in checker.run(targets):
        out.append(_record(env, probe, follow_moves))
        if not env.quiet and not env.as_json and len(targets) > 20 and len(out) % 100 == 0:
            env.console.log(f"checked {len(out)} of {len(targets)} portals")
    return out


@click.command("check")
@click.option("--province", help="Only portals of this province (安徽 or 安徽省).")
@click.option("--only", multiple=True, help="County names or adcodes to check (repeatable).")
@click.option("--include-disabled", is_flag=True, help="Check disabled portals too.")
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    help="Seconds to wait for a connection or an answer.",
)
@click.option(
    "--delay", default=1.0, show_default=True, help="Seconds between two requests to one host."
)
@click.option("--concurrency", default=16, show_default=True, help="Hosts probed at the same time.")
@click.option(
    "--proxy",
    metavar="URL",
    help="Probe through this HTTP(S) proxy (default: $HARVESTER_PROXY); a portal's own proxy wins.",
)
@click.option(
    "--follow-moves",
    is_flag=True,
    help="Set the home URL of a moved portal to where it moved (url_source=check).",
)
@database_options
@output_options
@handles_interrupt
def check(
    province: str | None,
    only: tuple[str, ...],
    include_disabled: bool,
    timeout: float,
    delay: float,
    concurrency: int,
    proxy: str | None,
    follow_moves: bool,
    db: str | None,
    data_dir: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Probe each enabled portal (robots.txt, then the home page) and record what answers.

    Hosts are probed in parallel, one request at a time per host, --delay apart. Each
    portal's result is kept in the registry (check_result, check_detail, checked_at; the
    URL's url_verified_at when it answered) and shown by `portals show` and `status`:

    \b
      ok          the home page answers with content
      moved       it redirects to another host (--follow-moves adopts the new URL)
      challenge   412/521 with a script: an anti-bot challenge (the crawl uses Chromium)
      stub        a 200 with almost no text or links
      blocked     robots.txt disallows the home page
      http_error  an HTTP error status (404, 500, …) or a broken answer
      dead        DNS failure, connection refused or no answer within --timeout

    `harvester crawl` skips portals found dead within --skip-dead-days (7) unless --force.

    \b
    Examples:
      harvester portals check --province 安徽
      harvester portals check --only 寿县 --only 340422 --json
      harvester portals check --proxy http://user:pass@proxy.example:3128 --timeout 20
      harvester portals check --follow-moves --concurrency 32
    """
    try:
        proxy = global_proxy(proxy)
    except ProxyError as exc:
        fail(str(exc))
    env = open_env(db, data_dir, quiet, as_json, access="write")
    targets, hosts = _targets(env, province, only, proxy, include_disabled)
    if not targets:
        fail("no portal with a URL matches; see `harvester portals list`")
    env.say(f"checking {len(targets)} portals" + (f" through {mask_proxy(proxy)}" if proxy else ""))
    checker = Checker(
        timeout=timeout, delay=delay, concurrency=concurrency, allowed_private_hosts=hosts
    )
    rows = asyncio.run(_check(env, targets, checker, follow_moves))
    rows.sort(key=lambda r: r["id"])
    counts = Counter(r["result"] for r in rows)
    ordered = {k: counts[k] for k in CHECK_RESULTS if counts[k]}
    if as_json:
        env.emit_json({"checked": len(rows), "counts": ordered, "portals": rows})
        return
    problems = [r for r in rows if r["result"] != "ok"]
    if problems:
        table = Table(title_justify="left")
        for col in ("adcode", "county", "result", "detail"):
            table.add_column(col, overflow="fold", no_wrap=col == "adcode")
        for r in problems[:SHOWN]:
            table.add_row(r["adcode"] or "—", r["county"], r["result"], r["detail"])
        env.say(table)
        if len(problems) > SHOWN:
            env.say(f"… and {len(problems) - SHOWN} more (see --json)")
    env.say(f"checked {len(rows)} portals: " + ", ".join(f"{k} {v}" for k, v in ordered.items()))
