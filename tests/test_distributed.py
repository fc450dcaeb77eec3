"""Distributed crawling: a real redis-server, the coordinator's crawl process plus
`harvester worker` processes sharing one queue and one database, against the same local
portals crawled by one process. Both must store exactly the same reports, and the workers
together must keep each host's politeness (concurrency and delay) as one process would."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import local_crawl
import pytest
from local_crawl import HTTP_ONLY, new_run
from portal_server import PortalServer, county_site, page
from sqlalchemy import select
from sqlalchemy.engine import Engine

from harvester.crawling import JOB_KEY, redis_client, run_crawl
from harvester.storage.db import make_engine, session_scope, upgrade_to_head
from harvester.storage.models import Fetch, Portal, PortalRun, Report, ReportVersion

REDIS_ENV = "HARVESTER_TEST_REDIS"
YEARS = (2023, 2022, 2021, 2020)
FAST = {
    **local_crawl.FAST,
    **HTTP_ONLY,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    # Each process takes only a few requests at a time from the shared queue.
    "CONCURRENT_REQUESTS": 2,
    "LOG_LEVEL": "WARNING",
}
# Politeness the workers must hold together: one request at a time per host, 0.3 s apart.
DELAY = 0.3
POLITE = {**FAST, "CONCURRENT_REQUESTS_PER_DOMAIN": 1, "DOWNLOAD_DELAY": DELAY}
START_SLACK = 0.05  # s: a request reaches the server a little after the worker started it
FINISH_SLACK = 0.02  # s: the server notes an answer's end a little after sending it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get(REDIS_ENV):
            pytest.fail(
                f"{REDIS_ENV} is set but redis-server is not installed: "
                "install it (apt-get install redis-server, scripts/setup.sh)"
            )
        pytest.skip(f"redis-server is not installed (set {REDIS_ENV}=1 to make this a failure)")
    port = free_port()
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis_client(url)
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def add_portals(engine: Engine, servers: list[PortalServer]) -> list[int]:
    homes = {str(i): s.url for i, s in enumerate(servers)}
    return list(local_crawl.add_portals(engine, homes, "分布省").values())


def start_worker(
    redis_url: str, database_url: str, data_dir: Path, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """`harvester worker --once`: takes one run's requests from Redis, exits when idle."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harvester.cli.worker",
            "--redis",
            redis_url,
            "--once",
            "--idle-exit",
            "60",
            "--db",
            database_url,
            "--data-dir",
            str(data_dir),
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def crawl_with(
    worker: subprocess.Popen,
    redis_url: str,
    database_url: str,
    data_dir: Path,
    ids: list[int],
    run_id: int,
) -> None:
    """The coordinator's distributed crawl, the worker joining it; both exit 0."""
    code = run_crawl(
        database_url, data_dir, ids, run_id, distributed={"redis_url": redis_url}, settings=FAST
    )
    assert code == 0
    _out, worker_log = worker.communicate(timeout=60)
    assert worker.returncode == 0, worker_log
    assert f"joining run {run_id}" in worker_log


def stored_reports(engine: Engine) -> dict[tuple[str, str, int], dict[str, Any]]:
    """Reports by (county, agency, year): URL and each version's ordered document hashes."""
    out = {}
    with session_scope(engine) as session:
        for report, county in session.execute(
            select(Report, Portal.county).join(Portal, Portal.id == Report.portal_id)
        ):
            versions = session.scalars(
                select(ReportVersion).where(ReportVersion.report_id == report.id)
            ).all()
            out[(county, report.agency, report.year)] = {
                "url": report.url.split("/", 3)[-1],
                "versions": sorted(v.content_hash for v in versions),
            }
    return out


def test_two_workers_store_what_one_process_stores(
    redis_url: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sites = [county_site(f"{name}县", YEARS) for name in ("甲", "乙", "丙", "丁")]
    nothing = {"/": page('<a href="/xwzx/">新闻中心</a>'), "/xwzx/": page("<p>新闻</p>")}
    servers = [PortalServer(site, latency=0.15) for site in [*sites, nothing]]
    try:
        # One process.
        single_url = f"sqlite:///{tmp_path / 'single.sqlite'}"
        upgrade_to_head(single_url)
        single = make_engine(single_url)
        single_ids = add_portals(single, servers)
        code = run_crawl(
            single_url, tmp_path / "single", single_ids, new_run(single), settings=FAST
        )
        assert code == 0

        # The coordinator's crawl process and one `harvester worker`, one shared database.
        upgrade_to_head(database_url)
        shared = make_engine(database_url)
        ids = add_portals(shared, servers)
        data_dir = tmp_path / "shared"
        worker_env = {
            **os.environ,
            "HARVESTER_SCRAPY_SETTINGS": json.dumps({"USER_AGENT": "harvester-test worker"}),
        }
        worker = start_worker(redis_url, database_url, data_dir, worker_env)
        time.sleep(1.5)  # the worker is polling Redis for a run
        monkeypatch.setenv(
            "HARVESTER_SCRAPY_SETTINGS", json.dumps({"USER_AGENT": "harvester-test coordinator"})
        )
        run_id = new_run(shared)
        started = time.monotonic()
        crawl_with(worker, redis_url, database_url, data_dir, ids, run_id)
        assert time.monotonic() - started < 90
    finally:
        for server in servers:
            server.stop()

    # The same reports, versions and documents.
    expected = stored_reports(single)
    assert len(expected) == len(sites) * len(YEARS)
    assert stored_reports(shared) == expected
    with session_scope(shared) as session:
        agents = {
            f.request_headers.get("User-Agent")
            for f in session.scalars(select(Fetch).where(Fetch.run_id == run_id))
        }
        runs = session.scalars(select(PortalRun).where(PortalRun.run_id == run_id)).all()
    # Both processes fetched part of the run.
    assert agents == {"harvester-test worker", "harvester-test coordinator"}
    # Outcomes merged over the workers: the portal without a 年报 column is a failure with
    # its reason, the others are ok with all their reports.
    assert sorted((r.outcome, r.reports_found) for r in runs) == [
        ("failed", 0),
        *[("ok", len(YEARS))] * len(sites),
    ]
    (failed,) = [r for r in runs if r.outcome == "failed"]
    assert failed.failures[0]["reason"] == "no 年报 column found"
    # Every page was fetched once over the two workers (shared duplicate filter).
    for server in servers:
        pages = {p: n for p, n in server.hits.items() if p != "/robots.txt"}
        assert all(n == 2 for n in pages.values()), pages  # one single run + one shared run
    # The run's keys are gone from Redis.
    client = redis_client(redis_url)
    assert client.get(JOB_KEY) is None
    assert list(client.scan_iter(f"harvester:run{run_id}:*")) == []


def test_two_workers_over_the_portal_world_find_what_one_process_finds(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    """Generated portals of the local world (every content-system family), crawled by one
    process and by a coordinator plus a `harvester worker`: the same reports, and each
    portal's expected set."""
    from harvester.world import start_world

    world = start_world(cache_dir=tmp_path / "world", generated=6, base=False, special=False)
    specs = world.portals
    try:

        def register(engine: Engine) -> list[int]:
            homes = {spec.county: spec.home_url for spec in specs}
            return list(local_crawl.add_portals(engine, homes, "分布省", county="{}").values())

        single_url = f"sqlite:///{tmp_path / 'single.sqlite'}"
        upgrade_to_head(single_url)
        single = make_engine(single_url)
        assert (
            run_crawl(
                single_url, tmp_path / "one", register(single), new_run(single), settings=FAST
            )
            == 0
        )

        upgrade_to_head(database_url)
        shared = make_engine(database_url)
        ids = register(shared)
        worker = start_worker(redis_url, database_url, tmp_path / "two")
        time.sleep(1.5)  # the worker is polling Redis for a run
        run_id = new_run(shared)
        crawl_with(worker, redis_url, database_url, tmp_path / "two", ids, run_id)
    finally:
        world.stop()
    expected = {
        (spec.county, entry.agency, entry.year) for spec in specs for entry in spec.expected
    }
    one, two = stored_reports(single), stored_reports(shared)
    assert set(one) == expected
    assert {k: v["versions"] for k, v in two.items()} == {k: v["versions"] for k, v in one.items()}
    with session_scope(shared) as session:
        outcomes = session.scalars(
            select(PortalRun.outcome).where(PortalRun.run_id == run_id)
        ).all()
    assert sorted(outcomes) == ["ok"] * len(specs)


def most_in_flight(served: list[tuple[float, float, str]]) -> int:
    """The most requests one server was answering at once (answers' last FINISH_SLACK
    seconds not counted: the server notes their end after the client may have it)."""
    events = sorted(
        [(arrived, 1) for arrived, _finished, _path in served]
        + [(finished - FINISH_SLACK, -1) for _arrived, finished, _path in served]
    )
    running = peak = 0
    for _time, step in events:
        running += step
        peak = max(peak, running)
    return peak


def closest_starts(served: list[tuple[float, float, str]]) -> float:
    starts = sorted(arrived for arrived, _finished, _path in served)
    return min(b - a for a, b in zip(starts, starts[1:], strict=False))


def test_workers_hold_each_hosts_politeness_together(
    redis_url: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The coordinator and two `harvester worker` processes crawl four portals (distinct
    ports) with one request per host at a time, 0.3 s apart: each server never answers two
    requests at once and never sees two starts closer than the delay, whichever processes
    sent them; and the run still stores what one process stores."""
    sites = [county_site(f"{name}县", YEARS) for name in ("戊", "己", "庚", "辛")]
    # Quick hosts: the delay decides when the next request may start; slow hosts (answers
    # longer than the delay): the concurrency limit does.
    servers = [
        PortalServer(site, latency=lat)
        for site, lat in zip(sites, (0.05, 0.05, 0.5, 0.5), strict=True)
    ]
    try:
        single_url = f"sqlite:///{tmp_path / 'single.sqlite'}"
        upgrade_to_head(single_url)
        single = make_engine(single_url)
        single_ids = add_portals(single, servers)
        assert (
            run_crawl(single_url, tmp_path / "single", single_ids, new_run(single), settings=FAST)
            == 0
        )
        marks = [len(server.served) for server in servers]

        upgrade_to_head(database_url)
        shared = make_engine(database_url)
        ids = add_portals(shared, servers)
        data_dir = tmp_path / "shared"
        workers = [
            start_worker(
                redis_url,
                database_url,
                data_dir,
                {
                    **os.environ,
                    "HARVESTER_SCRAPY_SETTINGS": json.dumps({"USER_AGENT": f"worker {n}"}),
                },
            )
            for n in (1, 2)
        ]
        time.sleep(1.5)  # the workers are polling Redis for a run
        monkeypatch.setenv("HARVESTER_SCRAPY_SETTINGS", json.dumps({"USER_AGENT": "coordinator"}))
        run_id = new_run(shared)
        code = run_crawl(
            database_url,
            data_dir,
            ids,
            run_id,
            distributed={"redis_url": redis_url},
            settings=POLITE,
        )
        assert code == 0
        for worker in workers:
            _out, worker_log = worker.communicate(timeout=60)
            assert worker.returncode == 0, worker_log
            assert f"joining run {run_id}" in worker_log
    finally:
        for server in servers:
            server.stop()

    for server, mark in zip(servers, marks, strict=True):
        served = server.served[mark:]
        assert len(served) > len(YEARS) * 2  # robots.txt, home, column, articles, PDFs
        assert most_in_flight(served) == 1, sorted(served)
        assert closest_starts(served) >= DELAY - START_SLACK, sorted(served)
    assert stored_reports(shared) == stored_reports(single)
    assert len(stored_reports(shared)) == len(sites) * len(YEARS)
    with session_scope(shared) as session:
        agents = {
            f.request_headers.get("User-Agent")
            for f in session.scalars(select(Fetch).where(Fetch.run_id == run_id))
        }
    assert agents == {"worker 1", "worker 2", "coordinator"}  # all three shared the run
    client = redis_client(redis_url)
    assert list(client.scan_iter(f"harvester:run{run_id}:*")) == []  # leases included


def test_a_dead_workers_lease_expires_and_a_live_one_is_renewed(redis_url: str) -> None:
    """Leases of one host in Redis: held ones block others, a lease never returned (its
    worker killed) frees the host after its TTL, a renewed one does not expire, and a start
    waits out the delay after the last start."""
    import asyncio

    import redis.asyncio

    from harvester.crawl.politeness import FULL, Lease, SharedPace

    host = "127.0.0.1:8080"

    async def scenario() -> None:
        server = redis.asyncio.Redis.from_url(redis_url)
        try:
            killed = SharedPace(server, "harvester:run9:polite", ttl=0.5)
            other = SharedPace(server, "harvester:run9:polite", ttl=30)
            assert isinstance(await killed.try_acquire(host, 1, 0.0, 0.0), Lease)
            assert await other.try_acquire(host, 1, 0.0, 0.0) == FULL
            await asyncio.sleep(0.7)  # never returned
            granted = await other.try_acquire(host, 1, 0.3, 0.3)
            assert isinstance(granted, Lease)
            await other.release(granted)
            wait = await other.try_acquire(host, 1, 0.3, 0.3)  # free, but too soon
            assert isinstance(wait, int) and 0 < wait <= 300
            await asyncio.sleep(wait / 1000)
            slow = await killed.try_acquire(host, 1, 0.0, 0.0)
            assert isinstance(slow, Lease)
            for _ in range(3):  # a download longer than the TTL, its worker alive
                await asyncio.sleep(0.25)
                await killed.renew([slow])
            assert await other.try_acquire(host, 1, 0.0, 0.0) == FULL
            await killed.release(slow)
            assert isinstance(await other.try_acquire(host, 1, 0.0, 0.0), Lease)
            # The keys name the host, nothing else.
            assert sorted(k.decode() for k in await server.keys("harvester:run9:*")) == [
                f"harvester:run9:polite:{host}:leases",
                f"harvester:run9:polite:{host}:pace",
            ]
        finally:
            await server.aclose()

    asyncio.run(scenario())


def test_only_distributed_crawls_share_politeness() -> None:
    from harvester.crawl_process import SHARED_POLITENESS, crawl_settings

    alone = crawl_settings({}, None, run_id=4)
    shared = crawl_settings({}, "redis://127.0.0.1:6379/0", run_id=4)
    assert SHARED_POLITENESS not in alone.getdict("DOWNLOADER_MIDDLEWARES")
    assert shared.getdict("DOWNLOADER_MIDDLEWARES")[SHARED_POLITENESS] == 990
    assert shared.get("HARVESTER_POLITENESS_KEY") == "harvester:run4:polite"
