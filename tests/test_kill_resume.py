"""kill -9 of the crawl process at random moments, again and again, then a full crawl.

Set KILL_SEED to replay a seed a failure printed.

After every kill the database must be consistent (no report twice, no version without its
documents, every stored byte re-hashing to its name) and the next crawl must start from it
and finish; the final crawl must hold every report exactly once with one version.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import local_crawl
from local_crawl import FAST, HTTP_ONLY
from portal_server import PortalServer, county_site, pdf
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from harvester.storage.blobs import BlobStore
from harvester.storage.db import is_sqlite, session_scope
from harvester.storage.models import (
    Blob,
    Fetch,
    PortalRun,
    Report,
    ReportVersion,
    VersionDocument,
)

KILLS = 10
YEARS = (2023, 2022, 2021, 2020, 2019, 2018)
SETTINGS = {**FAST, **HTTP_ONLY, "CONCURRENT_REQUESTS_PER_DOMAIN": 2, "LOG_LEVEL": "WARNING"}


def start_crawl(
    engine: Engine, database_url: str, data_dir: Path, ids: list[int]
) -> tuple[int, subprocess.Popen]:
    return local_crawl.start_crawl(engine, database_url, data_dir, ids, SETTINGS)


def check_consistent(engine: Engine, blobs: BlobStore, database_url: str, when: str) -> None:
    with session_scope(engine) as session:
        if is_sqlite(database_url):
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok", when
        identities = Counter(session.execute(select(Report.portal_id, Report.agency, Report.year)))
        assert all(n == 1 for n in identities.values()), (when, identities)
        versions = list(session.scalars(select(ReportVersion)))
        contents = Counter((v.report_id, v.content_hash) for v in versions)
        assert all(n == 1 for n in contents.values()), when
        for version in versions:
            docs = list(
                session.scalars(
                    select(VersionDocument)
                    .where(VersionDocument.version_id == version.id)
                    .order_by(VersionDocument.position)
                )
            )
            assert [d.position for d in docs] == list(range(len(docs))) and docs, (when, version.id)
            assert docs[0].role == "page"
        for blob in session.scalars(select(Blob)):
            assert blobs.verify(blob.sha256), (when, blob.sha256)
        for fetch in session.scalars(select(Fetch).where(Fetch.complete.is_(True))):
            assert fetch.sha256 and blobs.verify(fetch.sha256), (when, fetch.url)
    # Files under their final names are whole: each re-hashes to its name. A kill may leave
    # a temporary file behind, never a blob.
    for path in blobs.root.rglob("*"):
        if path.is_file() and not path.name.endswith(".tmp"):
            assert blobs.verify(path.name), (when, path)


def test_kill_9_at_random_points_then_finish(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("KILL_SEED") or int.from_bytes(os.urandom(4), "big"))
    rng = random.Random(seed)
    servers = [
        PortalServer(county_site(f"{name}县", YEARS), latency=0.05) for name in ("甲", "乙", "丙")
    ]
    blobs = BlobStore(tmp_path / "blobs")
    try:
        homes = {str(i): s.url for i, s in enumerate(servers)}
        ids = list(local_crawl.add_portals(engine, homes, "断电省").values())
        mid_crawl = 0  # kills that landed after the run had recorded something
        # Kill within this many seconds of the first recorded fetch; a crawl that finishes
        # before its kill shortens it (a re-crawl of a complete store is quicker than the
        # first one), so later kills still land mid-crawl.
        horizon = 1.8
        started_all = time.monotonic()
        attempt = 0
        while attempt < KILLS or (mid_crawl < 3 and attempt < 3 * KILLS):
            attempt += 1
            run_id, process = start_crawl(engine, database_url, tmp_path, ids)
            # Wait for the run's first recorded fetch, then kill at a random moment of it.
            deadline = time.monotonic() + 30
            while process.poll() is None and time.monotonic() < deadline:
                with session_scope(engine) as session:
                    if session.scalar(select(func.count(Fetch.id)).where(Fetch.run_id == run_id)):
                        break
                time.sleep(0.05)
            delay = rng.uniform(0.0, horizon)
            first_fetch_at = time.monotonic()
            try:
                code = process.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                code = process.wait()
                # 0: it finished in the instant between the timeout and the kill.
                assert code in (-signal.SIGKILL, 0), f"seed {seed}: exit {code}"
                with session_scope(engine) as session:
                    recorded = session.scalar(
                        select(func.count(Fetch.id)).where(Fetch.run_id == run_id)
                    )
                mid_crawl += int(bool(recorded))
            else:
                stderr = process.stderr.read().decode() if process.stderr else ""
                assert code == 0, f"seed {seed}, attempt {attempt}: crawl exited {code}\n{stderr}"
                horizon = max(0.05, 0.8 * (time.monotonic() - first_fetch_at))
            if process.stderr:
                process.stderr.close()
            check_consistent(engine, blobs, database_url, f"seed {seed}, after kill {attempt}")
        assert time.monotonic() - started_all < 75, f"seed {seed}: the kill loop took too long"
        assert mid_crawl >= 3, f"seed {seed}: only {mid_crawl} kills landed mid-crawl"

        _run_id, process = start_crawl(engine, database_url, tmp_path, ids)
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"seed {seed}: final crawl failed\n{err.decode()[-3000:]}"
        check_consistent(engine, blobs, database_url, f"seed {seed}, final")
        with session_scope(engine) as session:
            last_run = session.scalar(select(func.max(PortalRun.run_id)))
            outcomes = session.scalars(
                select(PortalRun.outcome).where(PortalRun.run_id == last_run)
            ).all()
            assert outcomes == ["ok"] * len(ids), f"seed {seed}"
            for portal_id in ids:
                reports = list(session.scalars(select(Report).where(Report.portal_id == portal_id)))
                assert sorted(r.year for r in reports) == sorted(YEARS), f"seed {seed}"
                for report in reports:
                    versions = list(
                        session.scalars(
                            select(ReportVersion).where(ReportVersion.report_id == report.id)
                        )
                    )
                    assert len(versions) == 1, f"seed {seed}: {report.url} has {len(versions)}"
                    docs = list(
                        session.scalars(
                            select(VersionDocument)
                            .where(VersionDocument.version_id == versions[0].id)
                            .order_by(VersionDocument.position)
                        )
                    )
                    assert [d.role for d in docs] == ["page", "attachment"]
                    county = report.title.split(str(report.year))[0]
                    assert blobs.get(docs[1].sha256) == pdf(f"{county} {report.year}")[0]
    finally:
        for server in servers:
            server.stop()
