"""`harvester demo`: the whole pipeline, offline, against the bundled local portal world."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.cli.common import handles_interrupt, open_env, output_options
from harvester.cli.run import _finish, _run
from harvester.config import data_dir as resolve_data_dir
from harvester.registry import seed_registry
from harvester.storage.db import session_scope
from harvester.storage.models import Portal
from harvester.world import PortalSpec, start_world


def serve_command(directory: Path) -> str:
    """The one command that opens the demo's harvest in the web view."""
    return f"harvester serve --db {directory / 'harvester.sqlite'} --data-dir {directory}"


def _register(session: Session, portal: PortalSpec) -> int:
    row = session.scalars(select(Portal).where(Portal.adcode == portal.adcode)).first()
    if row is None:
        row = Portal(
            adcode=portal.adcode,
            province=portal.province,
            prefecture=portal.prefecture,
            county=portal.county,
            source="user",
        )
        session.add(row)
    row.home_url = portal.home_url
    # The family and whether a browser is needed the crawl finds out and remembers by itself.
    row.notes = f"demo: local portal world ({portal.family} style)"
    row.enabled = True
    session.flush()
    return row.id


# The world runs on this machine: no need to wait a second between requests as real
# portals require. Per-host concurrency, robots.txt and every guard stay as they are.
WORLD_CRAWL_SETTINGS = {"DOWNLOAD_DELAY": 0.05, "AUTOTHROTTLE_ENABLED": False}


@click.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the demo database and blobs go (default ./harvester-data/demo).",
)
@click.option(
    "--keep", is_flag=True, help="Keep the previous demo database instead of starting fresh."
)
@output_options
@handles_interrupt
def demo(data_dir: Path | None, keep: bool, quiet: bool, as_json: bool) -> None:
    """Start the bundled local portal world on 127.0.0.1, scrape every county in it into a
    fresh SQLite database, and print what was found and where the data is.

    Nothing leaves this machine. The world reproduces the content systems county portals
    run on (TRS, Hanweb, Lonsun, VSB, the Shandong platform, Guangdong gkmlpt, a GBK site,
    a JavaScript-rendered list and a JavaScript cookie challenge).

    \b
    Examples:
      harvester demo
      harvester demo --data-dir /tmp/demo --json
    """
    directory = resolve_data_dir(data_dir or Path("harvester-data") / "demo", create=True)
    if not keep:
        for name in ("harvester.sqlite", "harvester.sqlite-wal", "harvester.sqlite-shm"):
            (directory / name).unlink(missing_ok=True)
        shutil.rmtree(directory / "blobs", ignore_errors=True)
    db_url = f"sqlite:///{directory / 'harvester.sqlite'}"
    env = open_env(db_url, directory, quiet, as_json)
    env.say("starting the local portal world (building its sites takes a while) …")
    started = time.monotonic()
    world = start_world(cache_dir=directory / "world-cache")
    env.say(f"the world is up: {len(world.portals)} portals in {time.monotonic() - started:.1f} s")
    try:
        with session_scope(env.engine) as session:
            seed_registry(session)
            portal_ids = [_register(session, p) for p in world.portals]
        for p in world.portals:
            env.say(f"  {p.county:<8} {p.family:<10} {p.home_url}")
        result = _run(
            env,
            "demo",
            {"world": [p.county for p in world.portals]},
            portal_ids,
            None,
            crawl_settings=WORLD_CRAWL_SETTINGS,
        )
    finally:
        world.stop()
    code = _finish(env, result, portal_ids)
    env.say(
        f"\nData: {directory}\n"
        f"  harvester status --db {db_url}\n"
        f"  harvester export --db {db_url} --format csv -o reports.csv",
        soft_wrap=True,
        markup=False,
    )
    env.say(
        f"\nOpen it in the web view:\n  {serve_command(directory)}", soft_wrap=True, markup=False
    )
    if code:
        raise SystemExit(code)
