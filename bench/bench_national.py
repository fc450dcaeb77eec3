"""A simulated national crawl: ≈2,850 generated portals, two workers, PostgreSQL, Redis
and an S3-protocol blob store, all on this machine.

    python3 bench/bench_national.py [--portals 2850] [--years 0] [--delay 0.25] [--recrawl]

Starts its own servers on loopback: PostgreSQL (scripts/pg-test-server.sh, a new
database), redis-server, moto's S3 server (a bucket for the blobs) and the local world with
N generated portals (small HTML-only portals cycling the content-system families, each on
its own port). Then runs what an operator runs: one `harvester worker --once` and
`harvester crawl --distributed --blobs s3://…` (whose own crawl process is the second
worker). Measures, per worker (crawl process): fetches, fetches/s, peak RSS, and the
database and blob-store time per recorded fetch (Scrapy stats `harvester/record_db_ms`,
`harvester/record_blob_ms`, harvester/crawl/timing.py); for the run: wall time, reports,
portals ok, and the per-host politeness check from the portals' own logs (the smallest gap
between two answers of one host, and how many gaps were shorter than the delay allows).
With --recrawl, crawls again unchanged (revisit policy, default cadence) and reports the
share of fetches. Prints JSON and Markdown rows for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from harvester.storage.db import make_engine, session_scope, upgrade_to_head  # noqa: E402
from harvester.storage.models import Fetch, Portal, PortalRun, Report  # noqa: E402

BUCKET = "harvester-national"
STATS = (
    "downloader/request_count",
    "elapsed_time_seconds",
    "harvester/records",
    "harvester/record_db_ms",
    "harvester/record_blob_ms",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing answers on port {port} after {timeout} s")


class Servers:
    """PostgreSQL, Redis and moto on loopback, stopped by `stop`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: list[subprocess.Popen] = []
        self.pg_dir = workdir / "pg"
        self.pg_port = free_port()
        subprocess.run(
            [
                "bash",
                str(ROOT / "scripts/pg-test-server.sh"),
                "start",
                str(self.pg_port),
                str(self.pg_dir),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        admin = f"postgresql+psycopg://postgres@127.0.0.1:{self.pg_port}/postgres"
        engine = make_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS national"))
            connection.execute(text("CREATE DATABASE national"))
        engine.dispose()
        self.db_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.pg_port}/national"
        redis_port = free_port()
        self.procs.append(
            subprocess.Popen(
                [shutil.which("redis-server") or "redis-server", "--port", str(redis_port),
                 "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
                stdout=subprocess.DEVNULL,
            )
        )  # fmt: skip
        wait_port(redis_port)
        self.redis_url = f"redis://127.0.0.1:{redis_port}/0"
        s3_port = free_port()
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-p", str(s3_port), "-H", "127.0.0.1"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_port(s3_port)
        self.s3_env = {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ALLOW_HTTP": "true",
        }
        import boto3

        boto3.client(
            "s3",
            endpoint_url=self.s3_env["AWS_ENDPOINT_URL"],
            aws_access_key_id="bench",
            aws_secret_access_key="bench-secret",
            region_name="us-east-1",
        ).create_bucket(Bucket=BUCKET)

    def bucket_objects(self) -> tuple[int, int]:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.s3_env["AWS_ENDPOINT_URL"],
            aws_access_key_id="bench",
            aws_secret_access_key="bench-secret",
            region_name="us-east-1",
        )
        count = size = 0
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for obj in page.get("Contents", []):
                count += 1
                size += obj["Size"]
        return count, size

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(timeout=30)
        subprocess.run(
            ["bash", str(ROOT / "scripts/pg-test-server.sh"), "stop", str(self.pg_dir)],
            check=False,
            stdout=subprocess.DEVNULL,
        )


class PeakRss:
    """Samples the peak RSS (VmHWM) of every crawl process while it lives."""

    def __init__(self) -> None:
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    cmdline = (entry / "cmdline").read_bytes()
                    if b"harvester.crawl_process" not in cmdline:
                        continue
                    status = (entry / "status").read_text()
                except OSError:
                    continue
                m = re.search(r"VmHWM:\s+(\d+) kB", status)
                if m:
                    pid = int(entry.name)
                    self.peaks[pid] = max(self.peaks.get(pid, 0), int(m.group(1)) * 1024)


def scrapy_stats(log: str) -> list[dict[str, float]]:
    """The figures of each 'Dumping Scrapy stats' block of a log (one per crawl process)."""
    out = []
    for block in log.split("Dumping Scrapy stats:")[1:]:
        figures = {}
        for key in STATS:
            m = re.search(rf"'{re.escape(key)}': ([0-9.]+)", block)
            if m:
                figures[key] = float(m.group(1))
        out.append(figures)
    return out


def politeness(world: Any, since: list[int], delay: float) -> dict[str, Any]:
    """Per host: the smallest gap between two answers, and gaps below what the delay allows
    (Scrapy's randomised delay is 0.5–1.5 × DOWNLOAD_DELAY; the shared limit uses the floor
    of the delay itself, harvester/crawl/politeness.py)."""
    smallest = float("inf")
    short: list[str] = []
    gaps = 0
    for index in range(len(world.portals)):
        answers = sorted(world.sent(index)[since[index] :], key=lambda s: s.at)
        for a, b in zip(answers, answers[1:], strict=False):
            gaps += 1
            smallest = min(smallest, b.at - a.at)
            if b.at - a.at < delay * 0.9:
                short.append(f"{a.path} → {b.path}: {b.at - a.at:.3f} s")
    return {
        "gaps": gaps,
        "smallest_gap_s": round(smallest, 3),
        "gaps_below_delay": len(short),
        "short_gaps": short[:10],
    }


def crawl_once(
    servers: Servers, data_dir: Path, env: dict[str, str], world: Any, delay: float, label: str
) -> dict[str, Any]:
    marks = [len(world.sent(i)) for i in range(len(world.portals))]
    worker_log = data_dir / f"worker-{label}.log"
    common = ["--db", servers.db_url, "--data-dir", str(data_dir)]
    with PeakRss() as rss, worker_log.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "harvester", "worker", "--redis", servers.redis_url,
             "--once", "--idle-exit", "900", *common],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "harvester", "crawl", "--distributed", "--redis",
             servers.redis_url, "--blobs", f"s3://{BUCKET}/national", "--json", *common],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        wall = time.monotonic() - started
        worker.wait(timeout=900)
    if not done.stdout.strip():
        raise SystemExit(f"the crawl printed nothing: {done.stderr[-3000:]}")
    summary = json.loads(done.stdout)
    run_id = summary["run_id"]
    if "crawl_log" not in summary["counts"]:
        raise SystemExit(f"the run did not crawl: {json.dumps(summary, ensure_ascii=False)[:3000]}")
    coordinator_log = Path(summary["counts"]["crawl_log"]).read_text(errors="replace")
    per_worker = scrapy_stats(coordinator_log) + scrapy_stats(
        worker_log.read_text(errors="replace")
    )
    engine = make_engine(servers.db_url)
    with session_scope(engine) as session:
        fetches = session.scalar(select(func.count(Fetch.id)).where(Fetch.run_id == run_id))
        reports = session.scalar(
            select(func.count(Report.id)).where(Report.last_seen_run == run_id)
        )
        ok = session.scalar(
            select(func.count(PortalRun.id)).where(
                PortalRun.run_id == run_id, PortalRun.outcome == "ok"
            )
        )
        db_size = session.scalar(text("SELECT pg_database_size(current_database())"))
    engine.dispose()
    workers = []
    for figures, peak in zip(per_worker, sorted(rss.peaks.values(), reverse=True), strict=False):
        records = figures.get("harvester/records") or 0
        requests = figures.get("downloader/request_count") or 0
        elapsed = figures.get("elapsed_time_seconds") or 0
        workers.append(
            {
                "requests": int(requests),
                "fetches_per_s": round(requests / elapsed, 1) if elapsed else None,
                "peak_rss_mb": round(peak / 2**20),
                "db_ms_per_fetch": round(figures.get("harvester/record_db_ms", 0) / records, 2)
                if records
                else None,
                "blob_ms_per_fetch": round(figures.get("harvester/record_blob_ms", 0) / records, 2)
                if records
                else None,
            }
        )
    objects, object_bytes = servers.bucket_objects()
    return {
        "label": label,
        "run_id": run_id,
        "outcome": summary["outcome"],
        "wall_s": round(wall, 1),
        "fetches": fetches,
        "fetches_per_s": round(fetches / wall, 1),
        "reports_seen": reports,
        "portals_ok": ok,
        "versions_parsed": summary["counts"].get("versions_parsed"),
        "workers": workers,
        "rss_samples": {str(pid): round(v / 2**20) for pid, v in rss.peaks.items()},
        "politeness": politeness(world, marks, delay),
        "database_mb": round((db_size or 0) / 2**20),
        "bucket_objects": objects,
        "bucket_mb": round(object_bytes / 2**20, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portals", type=int, default=2850)
    parser.add_argument(
        "--years", type=int, default=0, help="years of reports in each body's column (0: few)"
    )
    parser.add_argument("--delay", type=float, default=0.25, help="DOWNLOAD_DELAY per host")
    parser.add_argument("--concurrency", type=int, default=32, help="CONCURRENT_REQUESTS")
    parser.add_argument("--recrawl", action="store_true", help="then crawl again unchanged")
    args = parser.parse_args()
    from harvester.world import start_world

    workdir = Path(tempfile.mkdtemp(prefix="bench-national-"))
    workdir.chmod(0o755)  # the PostgreSQL server runs as user postgres when we are root
    data_dir = workdir / "data"
    data_dir.mkdir()
    started = time.monotonic()
    world = start_world(
        generated=args.portals, generated_years=args.years, special=False, base=False
    )
    print(
        f"world of {len(world.portals)} portals up in {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    servers = Servers(workdir)
    try:
        upgrade_to_head(servers.db_url)
        engine = make_engine(servers.db_url)
        with session_scope(engine) as session:
            session.add_all(
                Portal(province="基准省", county=spec.county, home_url=spec.home_url)
                for spec in world.portals
            )
        engine.dispose()
        settings = {
            "DOWNLOAD_DELAY": args.delay,
            "RANDOMIZE_DOWNLOAD_DELAY": False,
            "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
            "LOG_LEVEL": "INFO",
        }
        env = {
            **os.environ,
            **servers.s3_env,
            "HARVESTER_SCRAPY_SETTINGS": json.dumps(settings),
        }
        env.pop("HARVESTER_PROXY", None)
        results = [crawl_once(servers, data_dir, env, world, args.delay, "first")]
        if args.recrawl:
            results.append(crawl_once(servers, data_dir, env, world, args.delay, "re-crawl"))
    finally:
        servers.stop()
        world.stop()
    if len(results) == 2 and results[0]["fetches"]:
        results[1]["share_of_first"] = round(results[1]["fetches"] / results[0]["fetches"], 3)
    report = {
        "portals": args.portals,
        "years": args.years,
        "delay_s": args.delay,
        "settings": settings,
        "runs": results,
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    for run in results:
        for n, w in enumerate(run["workers"], 1):
            print(
                f"| {run['label']} | worker {n} | {w['requests']:,} | {w['fetches_per_s']} | "
                f"{w['peak_rss_mb']} MB | {w['db_ms_per_fetch']} ms | {w['blob_ms_per_fetch']} ms |"
            )
        p = run["politeness"]
        print(
            f"| {run['label']} | run | {run['fetches']:,} in {run['wall_s']} s "
            f"({run['fetches_per_s']}/s) | {run['portals_ok']}/{args.portals} ok, "
            f"{run['reports_seen']} reports | smallest gap {p['smallest_gap_s']} s, "
            f"{p['gaps_below_delay']} of {p['gaps']} below the delay |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
