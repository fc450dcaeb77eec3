"""Browser memory at its concurrency limit: Chromium's total RSS while it renders pages.

Generated portals of the local world are registered with `needs_browser=True`, so every
page of theirs is rendered by Chromium (scrapy-playwright), at most
`PLAYWRIGHT_MAX_PAGES_PER_CONTEXT` pages open at once. While the crawl runs, the resident
memory of every Chromium process is summed from /proc four times a second; the peak is
reported with the pages rendered per second.

    python3 bench/bench_browser.py --portals 12
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_crawl import bench_database, register_world_portals  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from harvester.crawling import crawl_command, crawl_env  # noqa: E402
from harvester.scrapy_settings import PLAYWRIGHT_MAX_PAGES_PER_CONTEXT  # noqa: E402
from harvester.storage.db import session_scope  # noqa: E402
from harvester.storage.models import Fetch, Report  # noqa: E402
from harvester.storage.repo import start_run  # noqa: E402

SETTINGS = {"DOWNLOAD_DELAY": 0.01, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING"}
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def chromium_rss_mb() -> float:
    """Summed RSS of every Chromium process on the machine, in MB."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if "chrom" not in comm.read():
                    continue
            with open(f"/proc/{entry}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE_SIZE
        except OSError:
            continue
    return total / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portals", type=int, default=12)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/bench-world"))
    args = parser.parse_args()
    from harvester.world import start_world

    if chromium_rss_mb() > 0:
        print("warning: Chromium processes already running; their memory is counted too")
    world = start_world(cache_dir=args.cache, generated=args.portals, special=False)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
            data_dir = Path(tmp)
            db_url, engine = bench_database(data_dir)
            specs = world.portals[-args.portals :]
            ids = register_world_portals(engine, specs, needs_browser=True)
            with session_scope(engine) as session:
                run_id = start_run(session, "crawl", {"bench": "browser"}, "bench").id
            started = time.monotonic()
            process = subprocess.Popen(
                crawl_command(db_url, data_dir, ids, run_id),
                env=crawl_env(db_url, settings=SETTINGS),
            )
            peak, samples = 0.0, []
            while process.poll() is None:
                rss = chromium_rss_mb()
                samples.append(rss)
                peak = max(peak, rss)
                time.sleep(0.25)
            elapsed = time.monotonic() - started
            with session_scope(engine) as session:
                rendered = session.scalar(
                    select(func.count(Fetch.id)).where(
                        Fetch.run_id == run_id, Fetch.via == "browser"
                    )
                )
                reports = session.scalar(select(func.count(Report.id)))
            engine.dispose()
    finally:
        world.stop()
    busy = [s for s in samples if s > 0]
    result: dict[str, Any] = {
        "portals": args.portals,
        "max_pages_open": PLAYWRIGHT_MAX_PAGES_PER_CONTEXT,
        "seconds": round(elapsed, 1),
        "pages_rendered_in_chromium": rendered,
        "pages_per_s": round(rendered / elapsed, 2),
        "reports": reports,
        "chromium_peak_rss_mb": round(peak, 1),
        "chromium_median_rss_mb": round(sorted(busy)[len(busy) // 2], 1) if busy else 0,
        "exit_code": process.returncode,
    }
    print(json.dumps(result, indent=2))
    return 0 if process.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
