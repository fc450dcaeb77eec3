"""A crawl of many portals streams: each portal is closed and its reports parsed as soon as
its own crawl is over, while slower portals are still being crawled; a killed crawl is
resumed without walking again the portals it had finished.

Two county portals on 127.0.0.1 through the real CLI: 寿县 answers at once, 霍邱县 takes a
second per answer.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_run import cli_environment
from portal_server import PortalServer
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from stored_reports import harvester
from test_cli_jobs import county_site, report_page

from harvester.storage.models import CrawlRun, Fetch, ParseResult, PortalRun, Report, ReportVersion

FAST_YEARS = range(2019, 2024)
SLOW_YEARS = range(2008, 2024)  # ≈ 20 s at a second per answer: the fast one is parsed by then
SLOW = {"DOWNLOAD_DELAY": 0.05, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 1}


@pytest.fixture
def portals(database_url: str, tmp_path: Path) -> Iterator[dict[str, object]]:
    fast = PortalServer(county_site("寿县", {y: report_page("寿县", y, "000") for y in FAST_YEARS}))
    slow = PortalServer(
        county_site("霍邱县", {y: report_page("霍邱县", y, "000") for y in SLOW_YEARS}),
        latency=1.0,
    )
    env = cli_environment(database_url, tmp_path / "data")
    env["HARVESTER_SCRAPY_SETTINGS"] = json.dumps(SLOW)
    engine = create_engine(database_url)
    try:
        for adcode, server in (("340422", fast), ("341522", slow)):
            done = harvester(env, "portals", "set", adcode, "--url", server.url)
            assert done.returncode == 0, done.stderr
        yield {"fast": fast, "slow": slow, "env": env, "engine": engine}
    finally:
        engine.dispose()
        fast.stop()
        slow.stop()


def portal_id(engine: Engine, county: str) -> int:
    from harvester.storage.models import Portal

    with engine.connect() as connection:
        return int(connection.scalar(select(Portal.id).where(Portal.county == county)))


def portal_run(engine: Engine, run_id: int, pid: int) -> PortalRun:
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        row = session.scalar(
            select(PortalRun).where(PortalRun.run_id == run_id, PortalRun.portal_id == pid)
        )
        assert row is not None
        session.expunge(row)
        return row


def crawl_json(env: dict[str, str], *args: str) -> dict:
    done = harvester(env, "crawl", "--only", "寿县", "--only", "霍邱县", "--json", *args)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_each_portal_is_parsed_as_soon_as_its_crawl_is_over(portals: dict) -> None:
    engine: Engine = portals["engine"]
    summary = crawl_json(portals["env"])
    assert summary["outcome"] == "ok"
    assert summary["counts"]["versions_parsed"] == len(FAST_YEARS) + len(SLOW_YEARS)
    run_id = summary["run_id"]
    fast, slow = portal_id(engine, "寿县"), portal_id(engine, "霍邱县")
    fast_run, slow_run = portal_run(engine, run_id, fast), portal_run(engine, run_id, slow)
    assert fast_run.outcome == slow_run.outcome == "ok"
    assert fast_run.reports_found == len(FAST_YEARS)
    with engine.connect() as connection:
        last_slow_fetch = connection.scalar(
            select(func.max(Fetch.fetched_at)).where(
                Fetch.run_id == run_id, Fetch.portal_id == slow
            )
        )
        fast_parsed = (
            connection.execute(
                select(ParseResult.parsed_at)
                .join(ReportVersion, ReportVersion.id == ParseResult.version_id)
                .join(Report, Report.id == ReportVersion.report_id)
                .where(Report.portal_id == fast, ParseResult.is_current.is_(True))
            )
            .scalars()
            .all()
        )
    # 寿县 was closed, and every report of it parsed, while 霍邱县 was still being fetched.
    assert fast_run.finished_at < last_slow_fetch
    assert len(fast_parsed) == len(FAST_YEARS)
    assert max(fast_parsed) < last_slow_fetch, (max(fast_parsed), last_slow_fetch)


def kill_after_the_fast_portal_closed(
    engine: Engine, env: dict[str, str], slow_reports: int = 0
) -> int:
    """Start `harvester crawl` of both portals, kill -9 it once 寿县's run is closed (and
    霍邱县 has `slow_reports` reports), return the killed run's id."""
    fast, slow = portal_id(engine, "寿县"), portal_id(engine, "霍邱县")
    command = ["crawl", "--only", "寿县", "--only", "霍邱县", "--quiet"]
    process = subprocess.Popen(
        [sys.executable, "-m", "harvester", *command], env=env, start_new_session=True
    )
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            with engine.connect() as connection:
                closed = connection.scalar(
                    select(func.count(PortalRun.id)).where(
                        PortalRun.portal_id == fast, PortalRun.finished_at.is_not(None)
                    )
                )
                stored = connection.scalar(
                    select(func.count(Report.id)).where(Report.portal_id == slow)
                )
            if closed and stored >= slow_reports:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the fast portal was not closed while the slow one was crawled")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    with engine.connect() as connection:
        return int(connection.scalar(select(func.max(CrawlRun.id))))


def test_a_killed_crawl_is_resumed_without_walking_the_finished_portal(portals: dict) -> None:
    engine: Engine = portals["engine"]
    env, fast_server, slow_server = portals["env"], portals["fast"], portals["slow"]
    fast, slow = portal_id(engine, "寿县"), portal_id(engine, "霍邱县")
    killed_run = kill_after_the_fast_portal_closed(engine, env, slow_reports=2)
    with engine.connect() as connection:
        assert connection.scalar(
            select(func.count(Report.id)).where(Report.portal_id == slow)
        ) < len(SLOW_YEARS)

    fast_server.answers.clear()
    slow_server.answers.clear()
    slow_server.latency = 0
    resumed = crawl_json(env)
    assert resumed["outcome"] == "ok"
    assert resumed["counts"]["resumed_from_run"] == killed_run
    assert resumed["counts"]["portals_carried_over"] == 1
    assert fast_server.answers == [], "the finished portal was walked again"
    assert slow_server.answers
    by_county = {p["county"]: p for p in resumed["portals"]}
    assert len(by_county["寿县"]["reports"]) == len(FAST_YEARS)
    assert len(by_county["霍邱县"]["reports"]) == len(SLOW_YEARS)
    assert portal_run(engine, resumed["run_id"], fast).outcome == "ok"
    with engine.connect() as connection:
        unparsed = connection.scalar(
            select(func.count(ReportVersion.id)).where(
                ReportVersion.id.not_in(select(ParseResult.version_id))
            )
        )
    assert unparsed == 0  # the carried portal's reports too

    # The run after a complete one walks every portal again.
    fast_server.answers.clear()
    again = crawl_json(env)
    assert "resumed_from_run" not in again["counts"]
    assert fast_server.answers


def test_fresh_walks_the_portals_an_interrupted_run_finished(portals: dict) -> None:
    engine: Engine = portals["engine"]
    env, fast_server = portals["env"], portals["fast"]
    kill_after_the_fast_portal_closed(engine, env)
    portals["slow"].latency = 0
    fast_server.answers.clear()
    fresh = crawl_json(env, "--fresh")
    assert fresh["outcome"] == "ok" and "resumed_from_run" not in fresh["counts"]
    assert fast_server.answers
