"""A fetch row says when the portal was asked and how long it took to answer.

A polite crawl queues a slow portal's requests behind one another (one at a time, a delay
between them). The row of each fetch must carry the moment the request went out, not the
moment it joined the queue, and the time the portal took, not the time spent waiting: a
user proving when a document was served compares these with the portal's own log.

One county portal on 127.0.0.1 answering after half a second, crawled by the real CLI.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cli_run import cli_environment
from portal_server import PortalServer
from sqlalchemy import create_engine, select
from stored_reports import harvester
from test_cli_jobs import county_site, report_page

from harvester.storage.models import Fetch

YEARS = range(2018, 2024)
LATENCY = 0.5
ONE_AT_A_TIME = {
    "DOWNLOAD_DELAY": 0.05,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
}


def seconds(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def test_each_fetch_row_has_the_time_the_request_went_out_and_the_answers_duration(
    database_url: str, tmp_path: Path
) -> None:
    site = county_site("寿县", {y: report_page("寿县", y, "000") for y in YEARS})
    env = cli_environment(database_url, tmp_path / "data")
    env["HARVESTER_SCRAPY_SETTINGS"] = json.dumps(ONE_AT_A_TIME)
    with PortalServer(site, latency=LATENCY) as server:
        done = harvester(env, "portals", "set", "340422", "--url", server.url)
        assert done.returncode == 0, done.stderr
        done = harvester(env, "crawl", "--only", "寿县", "--json")
        assert done.returncode == 0, done.stderr[-3000:]
        assert json.loads(done.stdout)["outcome"] == "ok"
        arrivals = {path: arrived for arrived, path, _headers in server.log}
        assert len(server.log) == len(arrivals), "each page is asked once"
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Fetch.url, Fetch.fetched_at, Fetch.duration_ms).where(
                    Fetch.url.startswith(server.url)
                )
            ).all()
    finally:
        engine.dispose()
    reports = [r for r in rows if r.url.endswith(".html") and "/xxgk/nb/" in r.url]
    assert len(reports) == len(YEARS)
    assert len(rows) == len(arrivals)
    for url, fetched_at, duration_ms in rows:
        arrived = arrivals["/" + url.removeprefix(server.url)]
        # The row's time is the request's departure: a little before the portal saw it,
        # never the seconds it waited behind the pages asked before it.
        assert -0.05 <= arrived - seconds(fetched_at) < 0.4, (url, fetched_at, arrived)
        # The portal's half second, not the queue's.
        assert LATENCY * 1000 <= duration_ms < LATENCY * 1000 + 450, (url, duration_ms)
