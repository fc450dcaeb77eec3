"""Crawl throughput over a generated local world, beside `scrapy bench` on the same machine.

    python3 bench/bench_crawl.py --portals 200 --memory-at 50,500

Measures, for a world of N generated portals (harvester.world.start_world(generated=N)):
- first crawl: wall time, fetches/s, reports stored, bytes fetched, peak RSS of the crawl
  process (os.wait4);
- re-crawl of the same portals: bytes fetched as a share of the first crawl (conditional
  requests answered 304);
- peak RSS of a first crawl at each --memory-at size;
- `scrapy bench` (Scrapy's own local spider, no politeness) pages/min, for scale.

The crawl runs with the project's politeness per host (2 concurrent requests per host) but
without delays or AutoThrottle (the local world answers at once); a real crawl is bounded by
the delays, see docs/crawling.md "Sizing a national crawl". Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from harvester.crawling import crawl_command, crawl_env  # noqa: E402
from harvester.storage.db import make_engine, session_scope, upgrade_to_head  # noqa: E402
from harvester.storage.models import Fetch, Portal, PortalRun, Report  # noqa: E402
from harvester.storage.repo import start_run  # noqa: E402
from harvester.world.spec import PortalSpec  # noqa: E402

SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 64,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "LOG_LEVEL": "WARNING",
}


def bench_database(data_dir: Path) -> tuple[str, Any]:
    """A new SQLite database in `data_dir`, migrated: its URL and an engine on it."""
    db_url = f"sqlite:///{data_dir / 'harvester.sqlite'}"
    upgrade_to_head(db_url)
    return db_url, make_engine(db_url)


def register_world_portals(engine: Any, specs: list[PortalSpec], **fields: Any) -> list[int]:
    """A portal row (province 基准省) per portal of the local world; their ids."""
    with session_scope(engine) as session:
        rows = [
            Portal(province="基准省", county=spec.county, home_url=spec.home_url, **fields)
            for spec in specs
        ]
        session.add_all(rows)
        session.flush()
        return [p.id for p in rows]


def crawl(db_url: str, data_dir: Path, ids: list[int], engine: Any) -> dict[str, Any]:
    with session_scope(engine) as session:
        run_id = start_run(session, "crawl", {"bench": True}, "bench").id
    env = crawl_env(db_url, settings=SETTINGS)
    started = time.monotonic()
    process = subprocess.Popen(crawl_command(db_url, data_dir, ids, run_id), env=env)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    with session_scope(engine) as session:
        fetches = session.scalar(select(func.count(Fetch.id)).where(Fetch.run_id == run_id))
        not_modified = session.scalar(
            select(func.count(Fetch.id)).where(Fetch.run_id == run_id, Fetch.status == 304)
        )
        size = session.scalar(
            select(func.coalesce(func.sum(Fetch.bytes), 0)).where(Fetch.run_id == run_id)
        )
        reports = session.scalar(
            select(func.count(Report.id)).where(Report.last_seen_run == run_id)
        )
        ok = session.scalar(
            select(func.count(PortalRun.id)).where(
                PortalRun.run_id == run_id, PortalRun.outcome == "ok"
            )
        )
    return {
        "run_id": run_id,
        "exit_code": code,
        "seconds": round(elapsed, 1),
        "fetches": fetches,
        "fetches_per_s": round(fetches / elapsed, 1),
        "not_modified": not_modified,
        "bytes": int(size),
        "reports": reports,
        "portals_ok": ok,
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        # CPU of the crawl process itself: comparable between runs on a loaded machine.
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
    }


def world_crawl(portals: int, cache: Path, recrawl: bool) -> dict[str, Any]:
    from harvester.world import start_world

    started = time.monotonic()
    world = start_world(cache_dir=cache, generated=portals, special=False)
    world_seconds = time.monotonic() - started
    try:
        with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
            data_dir = Path(tmp)
            db_url, engine = bench_database(data_dir)
            generated = world.portals[-portals:]
            ids = register_world_portals(engine, generated)
            expected = sum(len(spec.expected) for spec in generated)
            result: dict[str, Any] = {
                "portals": portals,
                "world_start_s": round(world_seconds, 1),
                "expected_reports": expected,
                "first": crawl(db_url, data_dir, ids, engine),
            }
            if recrawl:
                second = crawl(db_url, data_dir, ids, engine)
                result["recrawl"] = second
                result["recrawl_bytes_share"] = round(
                    second["bytes"] / max(1, result["first"]["bytes"]), 4
                )
            engine.dispose()
            return result
    finally:
        world.stop()


def scrapy_bench(seconds: int = 20) -> dict[str, Any]:
    """`scrapy bench` outside the project (its own settings), the best pages/min logged."""
    with tempfile.TemporaryDirectory(prefix="scrapy-bench-") as tmp:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "bench",
                "-s",
                f"CLOSESPIDER_TIMEOUT={seconds}",
                "-s",
                "LOGSTATS_INTERVAL=2",
            ],
            cwd=tmp,
            capture_output=True,
            text=True,
            env={k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"},
            check=False,
        )
    rates = [
        int(m) for m in re.findall(r"Crawled \d+ pages \(at (\d+) pages/min\)", completed.stderr)
    ]
    return {
        "exit_code": completed.returncode,
        "pages_per_min_max": max(rates) if rates else None,
        "pages_per_min_median": sorted(rates)[len(rates) // 2] if rates else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--portals", type=int, default=200)
    parser.add_argument("--memory-at", default="50,500", help="portal counts for peak memory")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-world")
    parser.add_argument("--scrapy-bench-seconds", type=int, default=20)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    out["throughput"] = world_crawl(args.portals, args.cache, recrawl=True)
    print(json.dumps(out["throughput"], ensure_ascii=False), file=sys.stderr)
    out["memory"] = {}
    for size in [int(x) for x in args.memory_at.split(",") if x.strip()]:
        if size == args.portals:
            out["memory"][size] = out["throughput"]["first"]["peak_rss_mb"]
            continue
        result = world_crawl(size, args.cache, recrawl=False)
        out["memory"][size] = result["first"]["peak_rss_mb"]
        out.setdefault("memory_runs", {})[size] = result
        print(json.dumps(result, ensure_ascii=False), file=sys.stderr)
    out["scrapy_bench"] = scrapy_bench(args.scrapy_bench_seconds)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
