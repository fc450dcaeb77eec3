"""What the crawl tests share: Scrapy settings for local portals, portals registered for
their home URLs, a run to record a crawl in, one crawl of a set of portals in a fresh
database, and what a user reads back of it (fetches, reports, outcomes)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from portal_server import PortalServer
from sqlalchemy import select
from sqlalchemy.engine import Engine

from harvester.crawling import crawl_command, crawl_env, run_crawl
from harvester.storage.blobs import BlobStore
from harvester.storage.db import make_engine, session_scope, upgrade_to_head
from harvester.storage.models import Fetch, Portal, PortalRun, Report
from harvester.storage.repo import start_run

# Local portals answer at once: no delays, no AutoThrottle, quick retries.
FAST = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "RETRY_BACKOFF_BASE": 0.1,
    "LOG_LEVEL": "INFO",
    # Every known report page is asked again (conditionally): the tests of conditional
    # requests and corrections see each page; tests/test_revisit_policy.py drops this.
    "HARVESTER_REVISIT_DAYS": 0,
}
# No browser needed: the plain HTTP handler starts faster than Playwright's.
HTTP_ONLY = {
    "DOWNLOAD_HANDLERS": {
        "http": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
        "https": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
    },
}


def add_portals(
    engine: Engine,
    homes: Mapping[str, str],
    province: str,
    county: str = "{}县",
    extra: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, int]:
    """One portal per name → home URL (its county `county` formatted with the name, its
    other columns from `extra[name]`); their ids by name, in order."""
    ids = {}
    with session_scope(engine) as session:
        for name, url in homes.items():
            fields = (extra or {}).get(name, {})
            portal = Portal(province=province, county=county.format(name), home_url=url, **fields)
            session.add(portal)
            session.flush()
            ids[name] = portal.id
    return ids


def new_run(engine: Engine, command: str = "crawl") -> int:
    with session_scope(engine) as session:
        return start_run(session, command, {}, "test").id


def start_crawl(
    engine: Engine, database_url: str, data_dir: Path, ids: list[int], settings: dict[str, Any]
) -> tuple[int, subprocess.Popen]:
    """A new run and the crawl subprocess recording into it (not waited for)."""
    run_id = new_run(engine)
    env = crawl_env(database_url)
    env["HARVESTER_SCRAPY_SETTINGS"] = json.dumps(settings)
    process = subprocess.Popen(
        crawl_command(database_url, data_dir, ids, run_id),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return run_id, process


def fresh_database(data_dir: Path) -> tuple[str, Engine]:
    """A new SQLite database in `data_dir`, migrated: its URL and an engine on it."""
    url = f"sqlite:///{data_dir / 'harvester.sqlite'}"
    upgrade_to_head(url)
    return url, make_engine(url)


@contextmanager
def crawled(
    data_dir: Path,
    servers: Mapping[str, PortalServer],
    homes: Mapping[str, str],
    province: str,
    settings: dict[str, Any],
    extra: Mapping[str, dict[str, Any]] | None = None,
) -> Iterator[dict[str, Any]]:
    """The portals (name → home URL) registered in a new SQLite database in `data_dir` and
    crawled once by a real Scrapy subprocess: the engine, the portal ids by name, the run,
    the blob store, the data folder, the crawl's wall time and the servers. The servers
    are stopped and the engine disposed of afterwards."""
    try:
        url, engine = fresh_database(data_dir)
        try:
            ids = add_portals(engine, homes, province, extra=extra)
            run_id = new_run(engine, "scrape")
            started = time.monotonic()
            code = run_crawl(url, data_dir, list(ids.values()), run_id, settings=settings)
            elapsed = time.monotonic() - started
            assert code == 0, f"crawl subprocess exited with {code}"
            yield {
                "engine": engine,
                "ids": ids,
                "run_id": run_id,
                "data_dir": data_dir,
                "blobs": BlobStore(data_dir / "blobs"),
                "elapsed": elapsed,
                "servers": servers,
            }
        finally:
            engine.dispose()
    finally:
        for server in servers.values():
            server.stop()


def fetches(ctx: dict[str, Any], name: str, path: str | None = None) -> list[Fetch]:
    """The fetches of portal `name` in order (those whose URL ends with `path`, if given)."""
    with session_scope(ctx["engine"]) as session:
        rows = list(
            session.scalars(
                select(Fetch).where(Fetch.portal_id == ctx["ids"][name]).order_by(Fetch.id)
            )
        )
    if path is None:
        return rows
    return [f for f in rows if f.url.endswith(path)]


def years(ctx: dict[str, Any], name: str) -> set[int]:
    with session_scope(ctx["engine"]) as session:
        return set(session.scalars(select(Report.year).where(Report.portal_id == ctx["ids"][name])))


def run_of(ctx: dict[str, Any], name: str) -> PortalRun:
    with session_scope(ctx["engine"]) as session:
        return session.scalars(
            select(PortalRun).where(
                PortalRun.run_id == ctx["run_id"], PortalRun.portal_id == ctx["ids"][name]
            )
        ).one()


def reasons(ctx: dict[str, Any], name: str) -> list[str]:
    return [f["reason"] for f in run_of(ctx, name).failures]
