"""Storage that cannot be misused, as a user meets it: honest run summaries, a crawl's lock
kept fresh while it lives, stable report ids across databases, a blob store that cannot be
written refused up front."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from cli_run import FAST_SETTINGS
from portal_server import PortalServer
from sqlalchemy import create_engine, func, select, update
from stored_reports import SHOUXIAN, XIANGSHAN, ReportStore, report
from test_cli_jobs import county_site, report_page

from harvester.storage.db import make_engine, session_scope
from harvester.storage.models import CrawlRun, Report, RunLock
from harvester.storage.repo import acquire_lock, release_lock

ROOT = Path(__file__).parent.parent


def harvester(env: dict[str, str], *args: str, cwd: Path | None = None, timeout: float = 240):
    return subprocess.run(
        [sys.executable, "-m", "harvester", *args],
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or ROOT,
        check=False,
    )


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HARVESTER_DATABASE_URL": database_url,
        "HARVESTER_DATA_DIR": str(tmp_path / "data"),
        "HARVESTER_SCRAPY_SETTINGS": FAST_SETTINGS,
        "COLUMNS": "200",
    }


def test_a_failed_scrape_says_failed_everywhere(cli_env: dict[str, str]) -> None:
    result = harvester(cli_env, "scrape", "寿县", "--url", "http://127.0.0.1:9/", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["outcome"] == "failed" and summary["exit_code"] == 1
    counts = summary["counts"]
    assert counts["portals_ok"] == 0 and counts["portals_failed"] == 1
    assert "crawl_exit_code" not in counts  # the misleading field is gone
    assert counts["crawl_process_exit_code"] == 0  # the process itself ended normally

    human = harvester(cli_env, "scrape", "寿县")
    assert human.returncode == 1
    assert "failed (exit code 1)" in human.stdout
    assert "portals failed 1" in human.stdout and "crawl_exit_code" not in human.stdout


def _lock(database_url: str) -> RunLock | None:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return session.get(RunLock, "crawl")
    finally:
        engine.dispose()


def test_a_live_crawl_keeps_its_lock_fresh_and_a_killed_one_loses_it(
    cli_env: dict[str, str], database_url: str
) -> None:
    stale = 1.5
    site = county_site("寿县", {y: report_page("寿县", y, "000") for y in range(2010, 2024)})
    server = PortalServer(site, latency=1.0)
    home = server.url
    env = {
        **cli_env,
        "HARVESTER_LOCK_STALE_SECONDS": str(stale),
        "HARVESTER_SCRAPY_SETTINGS": json.dumps(
            {
                "DOWNLOAD_DELAY": 0.05,
                "AUTOTHROTTLE_ENABLED": False,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
            }
        ),
    }
    try:
        assert harvester(env, "portals", "seed").returncode == 0
        assert harvester(env, "portals", "set", "340422", "--url", home).returncode == 0
        process = subprocess.Popen(
            [sys.executable, "-m", "harvester", "crawl", "--only", "寿县", "--quiet"],
            env={**env, "PYTHONPATH": str(ROOT)},
            start_new_session=True,
        )
        deadline = time.time() + 60
        while _lock(database_url) is None and time.time() < deadline:
            time.sleep(0.1)
        # Seen from another machine (where the holder's pid cannot be checked), only the
        # heartbeat tells a live crawl from a dead one.
        engine = make_engine(database_url)
        with session_scope(engine) as session:
            session.execute(update(RunLock).values(host="crawler-elsewhere"))
        time.sleep(stale * 3)  # longer than the stale timeout: only a heartbeat keeps it
        lock = _lock(database_url)
        assert lock is not None and process.poll() is None
        with session_scope(engine) as session:
            taken = acquire_lock(session, "crawl", "intruder", stale_after=timedelta(seconds=stale))
        assert not taken, "a live crawl's lock was taken over"

        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        time.sleep(stale * 2)
        with session_scope(engine) as session:
            taken = acquire_lock(session, "crawl", "intruder", stale_after=timedelta(seconds=stale))
        assert taken, "a killed crawl's lock was never released to the next run"
        with session_scope(engine) as session:
            release_lock(session, "crawl", "intruder")
        engine.dispose()
    finally:
        server.stop()


def _export(store: ReportStore, tmp_path: Path, *args: str) -> list[dict]:
    out = tmp_path / f"export-{time.monotonic_ns()}.jsonl"
    result = harvester(store.env(), "export", "-q", "-o", str(out), *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in out.read_text("utf-8").splitlines()]


def test_report_ids_are_equal_across_two_databases(database_url: str, tmp_path: Path) -> None:
    """Two databases built from the same reports give every report the same id (and the
    ids follow a report across re-crawls: a corrected report keeps its id, version 2)."""
    records = [
        (SHOUXIAN, report(1, "2019", agency="寿县人民政府", year=2020, county="寿县")),
        (SHOUXIAN, report(2, "2021", agency="寿县人民政府", year=2021, county="寿县")),
        (XIANGSHAN, report(3, "2021", agency="象山县人民政府办公室", year=2021, county="象山县")),
    ]
    exports, stores = [], []
    for n, url in enumerate([database_url, f"sqlite:///{tmp_path / 'second.sqlite'}"]):
        store = ReportStore(url, tmp_path / f"data{n}")
        stores.append(store)
        run = store.run()
        for place, record in records if n == 0 else records[::-1]:  # other row ids
            store.add(place, record, run_id=run)
        store.parse()
        exports.append(_export(store, tmp_path))
    first, second = ({(r["county"], r["year"]): r for r in e} for e in exports)
    assert {k: r["report_id"] for k, r in first.items()} == {
        k: r["report_id"] for k, r in second.items()
    }
    assert len({r["report_id"] for r in first.values()}) == 3
    assert first[("寿县", 2021)]["report_id"].startswith("340422-2021-")
    assert {r["version"] for r in first.values()} == {1}

    store = stores[0]
    corrected = report(22, "2021", agency="寿县人民政府", year=2021, county="寿县")
    store.add(SHOUXIAN, corrected, run_id=store.run(), path="xxgk/nb/2021-corrected.html")
    store.parse()
    every = [r for r in _export(store, tmp_path, "--all-versions") if r["year"] == 2021]
    for one in stores:
        one.close()
    shouxian = sorted((r["version"], r["report_id"]) for r in every if r["county"] == "寿县")
    assert shouxian == [
        (1, first[("寿县", 2021)]["report_id"]),
        (2, first[("寿县", 2021)]["report_id"]),
    ]


def test_csv_carries_report_id_and_version(database_url: str, tmp_path: Path) -> None:
    store = ReportStore(database_url, tmp_path / "data")
    store.add(SHOUXIAN, report(1, "2021", agency="寿县人民政府", year=2021), run_id=store.run())
    store.parse()
    out = tmp_path / "r.csv"
    result = harvester(store.env(), "export", "--format", "csv", "-q", "-o", str(out))
    store.close()
    assert result.returncode == 0, result.stderr
    header, row = out.read_text("utf-8-sig").splitlines()[:2]
    assert header.startswith("report_id,version,county,adcode,")
    assert row.startswith("340422-2021-") and ",1,寿县,340422," in row


def _scrape_rejected(env: dict[str, str], blob_store: Path) -> subprocess.CompletedProcess[str]:
    return harvester(
        env, "scrape", "寿县", "--url", "http://127.0.0.1:9/", "--blob-store", str(blob_store)
    )


def _runs(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(CrawlRun.__table__)) or 0
    finally:
        engine.dispose()


def test_an_unwritable_blob_store_is_refused_up_front(
    cli_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    not_a_dir = tmp_path / "plain-file"
    not_a_dir.write_text("x")
    result = _scrape_rejected(cli_env, not_a_dir / "blobs")
    assert result.returncode == 1, result.stdout + result.stderr
    assert str(not_a_dir) in result.stderr and "ENOTDIR" in result.stderr
    assert "Traceback" not in result.stderr
    assert _runs(database_url) == 0  # nothing started, nothing half-stored


def test_a_full_blob_store_is_refused_up_front(
    cli_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(tiny)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        fd = os.open(tiny / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        result = _scrape_rejected(cli_env, tiny / "blobs")
        assert result.returncode == 1, result.stdout + result.stderr
        assert str(tiny) in result.stderr and "ENOSPC" in result.stderr
        assert "Traceback" not in result.stderr
        assert _runs(database_url) == 0
    finally:
        subprocess.run(["umount", str(tiny)], check=False)


def test_storing_commands_record_the_blob_store_and_an_override_moves_it(
    database_url: str, tmp_path: Path
) -> None:
    store = ReportStore(database_url, tmp_path / "data")
    store.add(SHOUXIAN, report(1, "2021", agency="寿县人民政府", year=2021), run_id=store.run())
    store.parse()
    store.close()
    env = store.env()
    assert harvester(env, "reparse", "-q").returncode == 0  # records data/blobs
    moved = tmp_path / "archive" / "blobs"
    (tmp_path / "data" / "blobs").rename(tmp_path / "archive-tmp")
    moved.parent.mkdir()
    (tmp_path / "archive-tmp").rename(moved)
    lost = harvester(env, "reparse")
    assert lost.returncode != 0
    assert str((tmp_path / "data" / "blobs").resolve()) in lost.stderr
    assert "--blob-store" in lost.stderr
    env.pop("HARVESTER_DATA_DIR")
    empty = tmp_path / "empty-blobs"
    wrong = harvester(env, "reparse", "--blob-store", str(empty), cwd=tmp_path)
    assert wrong.returncode == 1 and "does not hold the blobs" in wrong.stderr
    assert "nothing was changed" in wrong.stderr and not empty.exists()
    found = harvester(env, "reparse", "--blob-store", str(moved), "--json", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["blob_store"] == str(moved.resolve())
    assert "is now" in found.stderr  # the move is said, and recorded
    again = harvester(env, "reparse", "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["unreadable_documents"] == 0
    status = harvester(env, "status", cwd=tmp_path)
    assert str(moved.resolve()) in status.stdout
    as_json = json.loads(harvester(env, "status", "--json", cwd=tmp_path).stdout)
    assert as_json["blob_store"] == str(moved.resolve())
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1
    engine.dispose()


def test_world_counties_are_filed_under_the_registry_division(database_url: str) -> None:
    """Every county of the demo world has the registry's adcode and names, so the demo files
    its reports under that county (寿县 is 340422, not 霍邱县's 341522)."""
    from harvester.cli.demo import _register
    from harvester.registry import registry_rows, seed_registry
    from harvester.storage.db import upgrade_to_head
    from harvester.storage.models import Portal
    from harvester.world.catalog import PROFILES
    from harvester.world.spec import PortalSpec

    rows = {(r["province"], r["county"]): r for r in registry_rows()}
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            seed_registry(session)
            for profile in PROFILES:
                row = rows[(profile.province, profile.county)]
                assert (profile.adcode, profile.prefecture) == (row["adcode"], row["prefecture"])
                portal_id = _register(
                    session,
                    PortalSpec(
                        county=profile.county,
                        province=profile.province,
                        prefecture=profile.prefecture,
                        adcode=profile.adcode,
                        family=profile.family,
                        kind=profile.family,
                        home_url=f"http://127.0.0.1/{profile.domain}/",
                        expected=(),
                    ),
                )
                portal = session.get(Portal, portal_id)
                assert (portal.county, portal.adcode) == (profile.county, row["adcode"])
    finally:
        engine.dispose()
    assert next(p for p in PROFILES if p.county == "寿县").adcode == "340422"
