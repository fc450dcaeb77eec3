"""`scrapy crawl reports` from the repository root, as a Scrapy user runs it: it crawls the
county it is told with a run row and every fetch recorded, or refuses with a usage error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from portal_server import PortalServer, county_site
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from harvester.registry import resolve, seed_registry
from harvester.storage.db import session_scope
from harvester.storage.models import CrawlRun, Fetch, Report, RunLock

ROOT = Path(__file__).resolve().parents[1]
PLAIN_HTTP = {
    "http": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
    "https": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
}


def scrapy(*args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    settings = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
    settings += ["-s", f"DOWNLOAD_HANDLERS={json.dumps(PLAIN_HTTP)}", "-s", "LOG_LEVEL=INFO"]
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "reports", *settings, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_bare_crawl_is_a_usage_error_that_says_what_to_pass() -> None:
    out = scrapy()
    assert out.returncode == 2, out.stderr[-2000:]
    assert "-a county=NAME" in out.stderr and "Traceback" not in out.stderr


def test_unknown_county_is_refused_and_nothing_is_crawled(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    out = scrapy(
        "-a", "county=无此县", "-a", f"db_url={database_url}", "-a", f"data_dir={tmp_path}"
    )
    assert out.returncode == 2, out.stderr[-2000:]
    assert "no county-level division named '无此县'" in out.stderr
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(CrawlRun.id))) == 0
        assert session.scalar(select(func.count(Fetch.id))) == 0


def test_crawl_a_county_by_name_records_a_run_and_every_fetch(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    server = PortalServer(county_site("寿县", (2023, 2022)))
    try:
        with session_scope(engine) as session:
            seed_registry(session)
            (portal,) = resolve(session, "寿县")
            portal.home_url = server.url
            portal_id = portal.id
        out = scrapy(
            "-a", "county=寿县", "-a", f"db_url={database_url}", "-a", f"data_dir={tmp_path}"
        )
    finally:
        server.stop()
    assert out.returncode == 0, out.stderr[-3000:]
    assert "harvester reparse" in out.stderr
    with session_scope(engine) as session:
        (run,) = session.scalars(select(CrawlRun))
        assert (run.kind, run.outcome) == ("crawl", "ok"), run.failures
        assert run.arguments["via"] == "scrapy crawl" and run.finished_at is not None
        fetches = list(session.scalars(select(Fetch).where(Fetch.run_id == run.id)))
        fetched = {f.url.removeprefix(server.url.rstrip("/")) for f in fetches}
        assert {"/", "/nb/", "/nb/2023.html", "/files/2023.pdf", "/files/2022.pdf"} <= fetched
        assert all(f.complete and f.sha256 for f in fetches if f.status == 200)
        years = session.scalars(select(Report.year).where(Report.portal_id == portal_id)).all()
        assert sorted(years) == [2022, 2023]
        assert session.get(RunLock, "crawl") is None  # released
