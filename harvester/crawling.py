"""Run the Scrapy crawl of some portals in a subprocess; results land in the database.

Distributed runs (`distributed={"redis_url": …}`): the crawl process shares its request
queue and duplicate filter through Redis (scrapy-redis), and the run is announced in Redis
so that `harvester worker --redis URL` processes on other machines join it. The caller's
own crawl process is one of the workers; each host's concurrency and delay hold over all
of them (leases in Redis, middlewares/politeness.py). `run_crawl` returns when every
worker that joined the run has finished, then removes the run's Redis keys.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harvester.crawl.halt import HALT_FILE_ENV
from harvester.crawl_process import BLOB_STORE_ENV, DB_URL_ENV, REDIS_URL_ENV, SETTINGS_ENV

JOB_KEY = "harvester:job"  # JSON of the run workers should join (absent: none)
WORKERS_KEY = "harvester:run{run_id}:workers"  # workers crawling run N now
RUN_KEYS = "harvester:run{run_id}:*"
WORKER_WAIT_S = 6 * 3600  # the longest a coordinator waits for its workers
LOCAL_SETTINGS = ("LOG_FILE", "LOG_FILE_APPEND")  # the coordinator's own, not the workers'


def crawl_command(
    db_url: str,
    data_dir: Path,
    portal_ids: list[int],
    run_id: int,
    since_year: int | None = None,
    distributed: dict[str, str] | None = None,
) -> list[str]:
    """The child's command line; the database and Redis URLs are not on it (see `crawl_env`)."""
    command = [
        sys.executable,
        "-m",
        "harvester.crawl_process",
        "--data-dir",
        str(data_dir),
        "--portal-ids",
        ",".join(str(p) for p in portal_ids),
        "--run-id",
        str(run_id),
    ]
    if since_year:
        command += ["--since-year", str(since_year)]
    if distributed and distributed.get("redis_url"):
        command += ["--distributed"]
    return command


def crawl_env(
    db_url: str,
    distributed: dict[str, str] | None = None,
    settings: dict[str, object] | None = None,
    blob_location: str | None = None,
) -> dict[str, str]:
    """The child's environment: ours plus the database (and Redis) URL, which may carry a
    password and so are kept off the command line (visible to every user in `ps`), and the
    blob store the database records (`blob_location`, a directory or s3://bucket/prefix; else
    the child uses <data dir>/blobs). An S3 store's endpoint and credentials are the AWS_*
    variables of our own environment, inherited as they are."""
    env = {**os.environ, DB_URL_ENV: db_url}
    if blob_location is not None:
        env[BLOB_STORE_ENV] = str(blob_location)
    env.pop(REDIS_URL_ENV, None)
    if distributed and distributed.get("redis_url"):
        env[REDIS_URL_ENV] = str(distributed["redis_url"])
    if settings:
        merged = json.loads(env.get(SETTINGS_ENV) or "{}")
        merged.update(settings)
        env[SETTINGS_ENV] = json.dumps(merged)
    return env


def run_crawl(
    db_url: str,
    data_dir: Path,
    portal_ids: list[int],
    run_id: int,
    since_year: int | None = None,
    distributed: dict[str, str] | None = None,
    settings: dict[str, object] | None = None,
    blob_location: str | None = None,
    halt_file: Path | None = None,
) -> int:
    """Crawl the portals in a child process (Scrapy's reactor cannot restart); its exit code.

    `settings` are extra Scrapy settings (tests use them to drop delays); they reach the
    child through the environment, merged over any already given there.
    """
    if not portal_ids:
        raise ValueError("run_crawl expected at least one portal id, got none")
    env = crawl_env(db_url, distributed, settings, blob_location)
    if halt_file is not None:  # where the crawl writes a storage failure (harvester.crawl.halt)
        env[HALT_FILE_ENV] = str(halt_file)
    command = crawl_command(db_url, Path(data_dir), portal_ids, run_id, since_year, distributed)
    if not (distributed and distributed.get("redis_url")):
        return subprocess.run(command, env=env, check=False).returncode
    client = redis_client(str(distributed["redis_url"]))
    job: dict[str, Any] = {
        "run_id": run_id,
        "portal_ids": list(portal_ids),
        "since_year": since_year,
    }
    if blob_location is not None:  # every worker stores the run's blobs where the run does
        job["blobs"] = str(blob_location)
    shared = {k: v for k, v in (settings or {}).items() if k not in LOCAL_SETTINGS}
    if shared:
        job["settings"] = shared
    client.set(JOB_KEY, json.dumps(job))
    try:
        code = _as_worker(client, run_id, _runner(command, env))
        wait_for_workers(client, run_id)
    finally:
        current = client.get(JOB_KEY)
        if current and json.loads(current).get("run_id") == run_id:
            client.delete(JOB_KEY)
        for key in client.scan_iter(RUN_KEYS.format(run_id=run_id)):
            client.delete(key)
    return code


def redis_client(url: str) -> Any:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=10)
    client.ping()
    return client


def _as_worker(client: Any, run_id: int, crawl: Callable[[], int]) -> int:
    """Run `crawl` registered as a worker of the run (so the coordinator waits for it)."""
    me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    key = WORKERS_KEY.format(run_id=run_id)
    client.sadd(key, me)
    try:
        return crawl()
    finally:
        client.srem(key, me)


def _runner(command: list[str], env: dict[str, str]) -> Callable[[], int]:
    return lambda: subprocess.run(command, env=env, check=False).returncode


def wait_for_workers(client: Any, run_id: int, timeout: float = WORKER_WAIT_S) -> None:
    """Until no worker is crawling run `run_id` any more."""
    key = WORKERS_KEY.format(run_id=run_id)
    deadline = time.monotonic() + timeout
    while client.scard(key) and time.monotonic() < deadline:
        time.sleep(0.5)


def run_worker(
    redis_url: str,
    db_url: str,
    data_dir: Path,
    *,
    once: bool = False,
    poll: float = 1.0,
    idle_timeout: float | None = None,
    say: Callable[[str], None] = print,
    blob_location: str | None = None,
    halt_file: Path | None = None,
) -> int:
    """`harvester worker`: join each run announced in Redis with a crawl process of our own.

    Returns when `once` and one run was crawled, or after `idle_timeout` seconds without a
    run to join (None: never); the exit code of the last crawl (0 when none ran).
    """
    client = redis_client(redis_url)
    done: set[int] = set()
    code = 0
    idle_since = time.monotonic()
    while True:
        raw = client.get(JOB_KEY)
        job = json.loads(raw) if raw else None
        if job and job["run_id"] not in done:
            run_id = int(job["run_id"])
            done.add(run_id)
            say(f"joining run {run_id} ({len(job['portal_ids'])} portals)")
            distributed = {"redis_url": redis_url}
            # The store this worker was pointed at (the run's, mounted or reached from here),
            # else the one the run announced.
            run_blobs = blob_location or job.get("blobs")
            env = crawl_env(db_url, distributed, job.get("settings"), run_blobs)
            command = crawl_command(
                db_url, data_dir, job["portal_ids"], run_id, job.get("since_year"), distributed
            )
            code = _as_worker(client, run_id, _runner(command, env))
            say(f"run {run_id}: crawl process exited with {code}")
            if once:
                return code
            idle_since = time.monotonic()
        elif idle_timeout is not None and time.monotonic() - idle_since > idle_timeout:
            return code
        time.sleep(poll)
