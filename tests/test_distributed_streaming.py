"""A distributed crawl streams too: the coordinator and a worker share the queue, and each
portal is closed — and its reports parsed by the coordinator — as soon as no request of it
is left in any worker, while a slower portal is still being crawled. Real redis-server,
two county portals on 127.0.0.1 (寿县 answers at once, 霍邱县 in a second), the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cli_run import cli_environment
from portal_server import PortalServer
from sqlalchemy import create_engine, func, select
from stored_reports import harvester
from test_cli_jobs import county_site, report_page
from test_distributed import redis_url  # noqa: F401 - the fixture

from harvester.storage.models import Fetch, ParseResult, Portal, PortalRun, Report, ReportVersion

FAST_YEARS = range(2019, 2024)
SLOW_YEARS = range(2008, 2024)  # ≈ 20 s at a second per answer: the fast one is parsed by then
SETTINGS = {"DOWNLOAD_DELAY": 0.05, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 2}


def test_portals_close_and_parse_as_they_end_across_workers(
    redis_url: str,  # noqa: F811 - the fixture
    database_url: str,
    tmp_path: Path,
) -> None:
    fast = PortalServer(county_site("寿县", {y: report_page("寿县", y, "000") for y in FAST_YEARS}))
    slow = PortalServer(
        county_site("霍邱县", {y: report_page("霍邱县", y, "000") for y in SLOW_YEARS}),
        latency=1.0,
    )
    env = cli_environment(database_url, tmp_path / "data")
    env["HARVESTER_SCRAPY_SETTINGS"] = json.dumps(SETTINGS)
    try:
        for adcode, site in (("340422", fast), ("341522", slow)):
            done = harvester(env, "portals", "set", adcode, "--url", site.url)
            assert done.returncode == 0, done.stderr
        worker = subprocess.Popen(
            [sys.executable, "-m", "harvester", "worker", "--redis", redis_url, "--once",
             "--idle-exit", "90"],
            env=env, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        crawled = harvester(
            env, "crawl", "--only", "寿县", "--only", "霍邱县", "--distributed", "--redis",
            redis_url, "--json",
        )  # fmt: skip
        _out, worker_log = worker.communicate(timeout=120)
    finally:
        fast.stop()
        slow.stop()
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    summary = json.loads(crawled.stdout)
    run_id = summary["run_id"]
    assert summary["outcome"] == "ok"
    assert f"joining run {run_id}" in worker_log
    assert summary["counts"]["versions_parsed"] == len(FAST_YEARS) + len(SLOW_YEARS)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        ids = dict(connection.execute(select(Portal.county, Portal.id)).all())
        finished = dict(
            connection.execute(
                select(PortalRun.portal_id, PortalRun.finished_at).where(PortalRun.run_id == run_id)
            ).all()
        )
        reports = dict(
            connection.execute(
                select(PortalRun.portal_id, PortalRun.reports_found).where(
                    PortalRun.run_id == run_id
                )
            ).all()
        )
        last_slow_fetch = connection.scalar(
            select(func.max(Fetch.fetched_at)).where(
                Fetch.run_id == run_id, Fetch.portal_id == ids["霍邱县"]
            )
        )
        fast_parsed = (
            connection.execute(
                select(ParseResult.parsed_at)
                .join(ReportVersion, ReportVersion.id == ParseResult.version_id)
                .join(Report, Report.id == ReportVersion.report_id)
                .where(Report.portal_id == ids["寿县"], ParseResult.is_current.is_(True))
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert reports == {ids["寿县"]: len(FAST_YEARS), ids["霍邱县"]: len(SLOW_YEARS)}
    # 寿县 was closed and parsed while 霍邱县 was still being fetched.
    assert finished[ids["寿县"]] < last_slow_fetch
    assert len(fast_parsed) == len(FAST_YEARS)
    assert max(fast_parsed) < last_slow_fetch
