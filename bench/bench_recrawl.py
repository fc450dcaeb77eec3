"""Re-crawl cost of browser portals beside plain ones, measured in one run.

    python3 bench/bench_recrawl.py [--cache /tmp/bench-world] [--revisit-after 7] [--all]

Serves the local world's browser portals (德清县: a list only JavaScript fills; 临朐县: every
page behind a 412 cookie challenge) and two plain ones (寿县 Lonsun, 舞阳县 TRS), crawls them
all, then crawls them again unchanged, with the revisit policy's default cadence (7 days:
known report pages with an unchanged list entry are not asked; `--revisit-after 0` asks
them all, conditionally). Per portal: the fetches and the bytes its server sent in each
crawl (bodies, from the server's own log: `harvester.world.World.sent`), the second as a
share of the first, the answers 304, the browser page loads, and the report versions each
crawl made. Prints a JSON summary and a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from harvester.crawling import run_crawl  # noqa: E402
from harvester.storage.db import make_engine, session_scope, upgrade_to_head  # noqa: E402
from harvester.storage.models import Fetch, Portal, Report, ReportVersion  # noqa: E402
from harvester.storage.repo import start_run  # noqa: E402
from harvester.world import start_world  # noqa: E402

PORTALS = ("德清县", "临朐县", "寿县", "舞阳县")
BROWSER = {"德清县": "script-filled list", "临朐县": "412 challenge"}
SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None, help="world conversion cache")
    parser.add_argument(
        "--revisit-after", type=float, default=7.0, help="the re-crawl's cadence in days"
    )
    parser.add_argument(
        "--all", action="store_true", help="every built portal of the world, not only four"
    )
    args = parser.parse_args()
    settings = {**SETTINGS, "HARVESTER_REVISIT_DAYS": args.revisit_after}
    world = start_world(cache_dir=args.cache, counties=None if args.all else set(PORTALS))
    data_dir = Path(tempfile.mkdtemp(prefix="bench-recrawl-"))
    url = f"sqlite:///{data_dir / 'harvester.sqlite'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        ids: dict[str, int] = {}
        with session_scope(engine) as session:
            for spec in world.portals:
                portal = Portal(province="世界省", county=spec.county, home_url=spec.home_url)
                session.add(portal)
                session.flush()
                ids[spec.county] = portal.id
        marks = [{n: len(world.sent(n)) for n in ids}]
        runs, seconds = [], []
        for crawl_number in range(2):
            with session_scope(engine) as session:
                run_id = start_run(session, "crawl", {}, "bench").id
            started = time.monotonic()
            # The first crawl asks everything; the re-crawl follows the policy under test.
            code = run_crawl(
                url,
                data_dir,
                list(ids.values()),
                run_id,
                settings=settings if crawl_number else {**SETTINGS, "HARVESTER_REVISIT_DAYS": 0},
            )
            if code:
                raise SystemExit(f"crawl exited with {code}")
            seconds.append(round(time.monotonic() - started, 1))
            runs.append(run_id)
            marks.append({n: len(world.sent(n)) for n in ids})
        rows = [_row(world, engine, name, ids[name], runs, marks) for name in ids]
        with session_scope(engine) as session:
            # robots.txt asks no portal (its fetch row has none): counted for the whole run
            robots = [
                int(
                    session.scalar(
                        select(func.count(Fetch.id)).where(
                            Fetch.run_id == run, Fetch.portal_id.is_(None)
                        )
                    )
                    or 0
                )
                for run in runs
            ]
    finally:
        engine.dispose()
        world.stop()
    totals = [sum(r["fetches"][n] for r in rows) + robots[n] for n in range(2)]
    print(
        json.dumps(
            {"seconds": seconds, "portals": rows, "robots_txt": robots, "total_fetches": totals},
            ensure_ascii=False,
            indent=2,
        )
    )
    print(
        f"\nall portals, robots.txt included: {totals[0]} → {totals[1]} fetches "
        f"({totals[1] / totals[0]:.0%}); robots.txt {robots[0]} → {robots[1]}"
    )
    print(
        "\n| portal | kind | fetches | first crawl | re-crawl | share | 304s | browser loads "
        "| new versions |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['portal']} | {r['kind']} | {r['fetches'][0]} → {r['fetches'][1]} "
            f"| {r['first_bytes']:,} B | {r['second_bytes']:,} B "
            f"| **{r['share']:.1%}** | {r['not_modified']} | {r['browser_loads'][0]} → "
            f"{r['browser_loads'][1]} | {r['versions'][0]} → {r['versions'][1]} |"
        )


def _row(
    world: Any, engine: Any, name: str, portal_id: int, runs: list[int], marks: list[dict]
) -> dict[str, Any]:
    sent = world.sent(name)
    first = sum(s.bytes for s in sent[marks[0][name] : marks[1][name]])
    second = sum(s.bytes for s in sent[marks[1][name] : marks[2][name]])
    with session_scope(engine) as session:

        def count(*where: Any) -> int:
            return int(session.scalar(select(func.count(Fetch.id)).where(*where)) or 0)

        versions = [
            int(
                session.scalar(
                    select(func.count(ReportVersion.id))
                    .join(Report, Report.id == ReportVersion.report_id)
                    .where(Report.portal_id == portal_id, ReportVersion.run_id == run)
                )
                or 0
            )
            for run in runs
        ]
        loads = [
            count(Fetch.portal_id == portal_id, Fetch.run_id == r, Fetch.via == "browser")
            for r in runs
        ]
        fetches = [count(Fetch.portal_id == portal_id, Fetch.run_id == r) for r in runs]
        not_modified = count(
            Fetch.portal_id == portal_id, Fetch.run_id == runs[1], Fetch.status == 304
        )
    return {
        "portal": name,
        "kind": BROWSER.get(name, "plain"),
        "first_bytes": first,
        "second_bytes": second,
        "share": second / first if first else 0.0,
        "fetches": fetches,
        "not_modified": not_modified,
        "browser_loads": loads,
        "versions": versions,
    }


if __name__ == "__main__":
    main()
