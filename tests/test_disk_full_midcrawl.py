"""A blob store whose disk fills up in the middle of a crawl: the run stops, says where and
why, is marked failed, releases its lock, and keeps everything stored before."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_run import cli_environment
from portal_server import PortalServer
from sqlalchemy import create_engine, select
from stored_reports import harvester
from test_cli_jobs import county_site, report_page

from harvester.storage.blobs import BlobStore
from harvester.storage.models import Blob, CrawlRun, RunLock

YEARS = range(2010, 2024)  # 14 report pages of ~100 KB each: more than the disk holds


def _small_disk(root: Path, size: str) -> Iterator[Path]:
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(root)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    yield from _small_disk(tmp_path / "tiny", "512k")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    yield from _small_disk(tmp_path / "small", "3m")


def test_a_blob_store_that_fills_up_mid_crawl_ends_the_run_cleanly(
    database_url: str, tmp_path: Path, tiny_disk: Path
) -> None:
    padding = "<!-- " + os.urandom(48_000).hex() + " -->"  # incompressible, distinct per page
    pages = {
        year: report_page("寿县", year, "000", note=f"{year}{os.urandom(40_000).hex()}")
        + padding.encode()
        for year in YEARS
    }
    env = cli_environment(database_url, tmp_path / "data")
    env["HARVESTER_SCRAPY_SETTINGS"] = json.dumps(  # one request in flight: the stop shows
        {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 1}
    )
    with PortalServer(county_site("寿县", pages)) as server:
        result = harvester(
            env,
            "scrape",
            "寿县",
            "--url",
            server.url,
            "--blob-store",
            str(tiny_disk / "blobs"),
            "--json",
        )
        asked = [path for path, _ in server.answers if path.startswith("/xxgk/nb/20")]
    assert result.returncode == 1, (result.stdout[-2000:], result.stderr[-3000:])
    assert "Traceback" not in result.stderr
    (said,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert str(tiny_disk / "blobs") in said and "ENOSPC" in said, result.stderr[-2000:]
    summary = json.loads(result.stdout)  # --json stays valid
    assert summary["outcome"] == "failed"
    assert any("ENOSPC" in f["reason"] for f in summary["failures"]), summary["failures"]
    # The crawl stopped instead of fetching on into a full disk.
    assert len(asked) < len(YEARS) - 3, asked
    engine = create_engine(database_url)
    with engine.connect() as connection:
        run = connection.execute(select(CrawlRun.outcome, CrawlRun.failures)).one()
        locks = connection.execute(select(RunLock)).all()
        stored = list(connection.scalars(select(Blob.sha256)))
    engine.dispose()
    assert run.outcome == "failed" and any("ENOSPC" in f["reason"] for f in run.failures)
    assert locks == []
    store = BlobStore(tiny_disk / "blobs")
    assert stored and all(store.verify(sha) for sha in stored)  # nothing stored is lost


def test_a_data_directory_that_fills_up_mid_crawl_ends_the_run_cleanly(
    small_disk: Path,
) -> None:
    """The default layout: the SQLite database and the blobs on one disk that fills up."""
    pages = {
        year: report_page("寿县", year, "000", note=f"{year}{os.urandom(150_000).hex()}")
        for year in YEARS
    }
    database_url = f"sqlite:///{small_disk / 'harvester.db'}"
    env = cli_environment(database_url, small_disk)
    env["HARVESTER_SCRAPY_SETTINGS"] = json.dumps(
        {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 1}
    )
    with PortalServer(county_site("寿县", pages)) as server:
        result = harvester(env, "scrape", "寿县", "--url", server.url, "--json")
    assert result.returncode == 1, (result.stdout[-2000:], result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    said = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert said and str(small_disk) in said[0], result.stderr[-2000:]
    summary = json.loads(result.stdout)  # --json stays valid
    assert summary["outcome"] == "failed"
    engine = create_engine(database_url)
    with engine.connect() as connection:
        run = connection.execute(select(CrawlRun.outcome, CrawlRun.failures)).one()
        locks = connection.execute(select(RunLock)).all()
    engine.dispose()
    # The reserve held beside the database let the run record how it ended.
    assert run.outcome == "failed" and any(str(small_disk) in f["reason"] for f in run.failures)
    assert locks == []
    assert not list(small_disk.glob("*.reserve"))
    # The next command on the same database works once space is freed, and says what
    # happened to the run.
    for blob in (small_disk / "blobs").rglob("*"):
        if blob.is_file():
            blob.chmod(0o644)
            blob.unlink()
    status = harvester(env, "status", "--json")
    assert status.returncode in (0, 1), status.stderr[-2000:]
