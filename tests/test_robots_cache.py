"""robots.txt is kept for a day: a re-crawl within 24 hours asks no robots.txt and still
obeys its rules; an older copy, or the cache turned off, asks the server again.

Real runs of the `harvester` command (Scrapy in a subprocess) against a county site served
on loopback whose robots.txt disallows /admin/, where its column links a report.
"""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

from cli_run import cli_environment
from portal_server import PortalServer
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session
from stored_reports import harvester
from test_cli_jobs import county_site, put, report_page

from harvester.storage.models import Fetch

YEARS = (2021, 2020)
HIDDEN = "/admin/nb/2019.html"  # listed, but robots.txt disallows it


def robots_asked(server: PortalServer) -> int:
    return sum(1 for path, _status in server.answers if path == "/robots.txt")


def reports_and_robots_gap(done: subprocess.CompletedProcess[str]) -> int:
    """The run's reports; the report robots.txt disallows is reported missed, not fetched."""
    summary = json.loads(done.stdout)
    portal = summary["portals"][0]
    assert portal["outcome"] == "partial", portal
    assert done.returncode == 1, done.stderr[-3000:]
    missed = [f for f in portal["failures"] if f.get("url", "").endswith(HIDDEN)]
    assert missed and "robots.txt" in missed[0]["reason"], portal["failures"]
    return len(portal["reports"])


def test_a_recrawl_within_a_day_reuses_robots_txt_and_obeys_it(
    database_url: str, tmp_path: Path
) -> None:
    env = cli_environment(database_url, tmp_path / "data")
    site = county_site("寿县", {year: report_page("寿县", year, "000") for year in YEARS})
    column, kind, headers = site["/xxgk/nb/"]
    link = f'<li><a href="{HIDDEN}">寿县人民政府2019年政府信息公开工作年度报告</a></li>'
    site["/xxgk/nb/"] = (column.replace(b"</ul>", link.encode() + b"</ul>"), kind, headers)
    put(site, HIDDEN, report_page("寿县", 2019, "000"))
    with PortalServer(site) as server:
        first = harvester(env, "scrape", "寿县", "--url", server.url, "--json")
        assert reports_and_robots_gap(first) == len(YEARS)
        assert robots_asked(server) == 1

        server.answers.clear()
        again = harvester(env, "crawl", "--only", "寿县", "--json")
        assert reports_and_robots_gap(again) == len(YEARS)
        assert robots_asked(server) == 0, "robots.txt asked again within a day"
        assert server.hits[HIDDEN] == 0, "a path robots.txt disallows was fetched"
        engine = create_engine(database_url)
        try:
            with Session(engine) as session:
                robots = session.scalars(
                    select(Fetch).where(Fetch.url == server.url.rstrip("/") + "/robots.txt")
                ).all()
                assert len(robots) == 1, "a reused robots.txt must not look like a fetch"
                # A day and an hour later the copy is too old: the server is asked.
                session.execute(
                    update(Fetch)
                    .where(Fetch.id == robots[0].id)
                    .values(fetched_at=robots[0].fetched_at - timedelta(hours=25))
                )
                session.commit()
        finally:
            engine.dispose()

        server.answers.clear()
        late = harvester(env, "crawl", "--only", "寿县", "--json")
        assert reports_and_robots_gap(late) == len(YEARS)
        assert robots_asked(server) == 1

        server.answers.clear()
        off = harvester(
            {**env, "HARVESTER_ROBOTS_CACHE_HOURS": "0"}, "crawl", "--only", "寿县", "--json"
        )
        assert reports_and_robots_gap(off) == len(YEARS)
        assert robots_asked(server) == 1
        assert server.hits[HIDDEN] == 0
