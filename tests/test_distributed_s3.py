"""A distributed crawl into an S3 bucket: the coordinator is given `--blobs s3://…`, the
worker only the database and Redis. Every blob of the run — the worker's too — must be in
the bucket, none on the worker's disk. Real redis-server, moto's S3 server, two county
portals on 127.0.0.1, the real CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from cli_run import cli_environment
from portal_server import PortalServer
from s3_server import S3Server
from sqlalchemy import create_engine, select
from stored_reports import harvester
from test_cli_jobs import county_site, report_page
from test_distributed import redis_url  # noqa: F401 - the fixture
from test_storage_s3 import BUCKET, s3  # noqa: F401 - the fixture and its bucket

from harvester.storage.models import Blob, Fetch

PREFIX = "national"
YEARS = range(2018, 2024)
# One request at a time per process, answers taking 0.3 s: the queue in Redis fills up and
# the worker takes its share.
SETTINGS = {"DOWNLOAD_DELAY": 0.02, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 1}


def test_a_workers_blobs_go_to_the_runs_bucket(
    redis_url: str,  # noqa: F811 - the fixture
    s3: S3Server,  # noqa: F811 - the fixture
    database_url: str,
    tmp_path: Path,
) -> None:
    sites = [
        PortalServer(
            county_site(county, {y: report_page(county, y, "000") for y in YEARS}), latency=0.3
        )
        for county in ("寿县", "霍邱县")
    ]
    coordinator_dir, worker_dir = tmp_path / "coordinator", tmp_path / "worker"
    env = {**cli_environment(database_url, coordinator_dir), **s3.env}
    env["HARVESTER_SCRAPY_SETTINGS"] = json.dumps(SETTINGS)
    env.pop("HARVESTER_BLOBS", None)
    try:
        for adcode, site in zip(("340422", "341522"), sites, strict=True):
            done = harvester(env, "portals", "set", adcode, "--url", site.url)
            assert done.returncode == 0, done.stderr
        worker_env = {**env, "HARVESTER_DATA_DIR": str(worker_dir)}
        worker = subprocess.Popen(
            [sys.executable, "-m", "harvester", "worker", "--redis", redis_url, "--once",
             "--idle-exit", "60"],
            env=worker_env, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        crawled = harvester(
            env, "crawl", "--only", "寿县", "--only", "霍邱县", "--distributed", "--redis",
            redis_url, "--blobs", f"s3://{BUCKET}/{PREFIX}", "--json",
        )  # fmt: skip
        _out, worker_log = worker.communicate(timeout=120)
    finally:
        for site in sites:
            site.stop()
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    summary = json.loads(crawled.stdout)
    assert summary["outcome"] == "ok"
    assert worker.returncode == 0 and f"joining run {summary['run_id']}" in worker_log
    assert sum(len(p["reports"]) for p in summary["portals"]) == 2 * len(YEARS)

    engine = create_engine(database_url)
    with engine.connect() as connection:
        blobs = set(connection.scalars(select(Blob.sha256)))
        fetched = set(connection.scalars(select(Fetch.sha256).where(Fetch.sha256.is_not(None))))
    engine.dispose()
    in_bucket = {key.rsplit("/", 1)[-1] for key in s3.keys(BUCKET, f"{PREFIX}/")}
    assert fetched <= blobs
    assert blobs and blobs <= in_bucket, f"not in the bucket: {sorted(blobs - in_bucket)[:3]}"
    on_disk = [p for d in (coordinator_dir, worker_dir) for p in d.rglob("*") if p.is_file()]
    assert not [p for p in on_disk if len(p.name) == 64], "blobs written to a local disk"
    # The worker fetched its share (its crawl process's stats, at the end of its log).
    worker_requests = re.findall(r"'downloader/request_count': (\d+)", worker_log)
    assert worker_requests and int(worker_requests[-1]) > 0, worker_log[-2000:]
