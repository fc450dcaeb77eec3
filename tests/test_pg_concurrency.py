"""Writers sharing one database: two crawls at once, and a crawl while stored versions are
re-parsed. PostgreSQL when HARVESTER_TEST_PG_URL is set (CI), else SQLite (serialised
writes). No report may appear twice, no version may be lost or left without documents."""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import local_crawl
from local_crawl import FAST, HTTP_ONLY, start_crawl
from portal_server import PortalServer, Turns, article, county_site, pdf
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from harvester.storage.blobs import BlobStore
from harvester.storage.db import session_scope
from harvester.storage.models import (
    Fetch,
    ParseResult,
    PortalRun,
    Report,
    ReportVersion,
    VersionDocument,
)

YEARS = (2023, 2022, 2021, 2020)
SETTINGS = {**FAST, **HTTP_ONLY, "CONCURRENT_REQUESTS_PER_DOMAIN": 4, "LOG_LEVEL": "WARNING"}


def start(engine: Engine, database_url: str, data_dir: Path, ids: list[int]) -> subprocess.Popen:
    return start_crawl(engine, database_url, data_dir, ids, SETTINGS)[1]


def finish(process: subprocess.Popen) -> None:
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()[-3000:]


def add_portals(engine: Engine, servers: list[PortalServer]) -> list[int]:
    homes = {str(i): s.url for i, s in enumerate(servers)}
    return list(local_crawl.add_portals(engine, homes, "并发省").values())


def check_no_duplicates(engine: Engine) -> dict[int, list[ReportVersion]]:
    with session_scope(engine) as session:
        identities = Counter(session.execute(select(Report.portal_id, Report.agency, Report.year)))
        assert identities and max(identities.values()) == 1, identities
        versions: dict[int, list[ReportVersion]] = {}
        for version in session.scalars(select(ReportVersion).order_by(ReportVersion.id)):
            versions.setdefault(version.report_id, []).append(version)
            positions = session.scalars(
                select(VersionDocument.position)
                .where(VersionDocument.version_id == version.id)
                .order_by(VersionDocument.position)
            ).all()
            assert positions and positions == list(range(len(positions))), version.id
        for report_versions in versions.values():
            hashes = [v.content_hash for v in report_versions]
            assert len(hashes) == len(set(hashes))
        return versions


def test_two_crawls_at_once(engine: Engine, database_url: str, tmp_path: Path) -> None:
    sites = [county_site(f"{name}县", YEARS) for name in ("甲", "乙", "丙")]
    # One attachment changes between the two crawls' visits: both versions must be kept.
    sites[0]["/files/2023.pdf"] = Turns([pdf("甲县 2023 first"), pdf("甲县 2023 corrected")])
    servers = [PortalServer(site, latency=0.02) for site in sites]
    try:
        ids = add_portals(engine, servers)
        first = start(engine, database_url, tmp_path, ids)
        second = start(engine, database_url, tmp_path, ids)
        finish(first)
        finish(second)
    finally:
        for server in servers:
            server.stop()
    versions = check_no_duplicates(engine)
    blobs = BlobStore(tmp_path / "blobs")
    with session_scope(engine) as session:
        for portal_id in ids:
            years = session.scalars(select(Report.year).where(Report.portal_id == portal_id)).all()
            assert sorted(years) == sorted(YEARS)
        outcomes = session.scalars(select(PortalRun.outcome)).all()
        assert outcomes == ["ok"] * (2 * len(ids))
        changed = session.scalars(
            select(Report).where(Report.portal_id == ids[0], Report.year == 2023)
        ).one()
        attachments = set()
        for version in versions[changed.id]:
            docs = session.scalars(
                select(VersionDocument)
                .where(VersionDocument.version_id == version.id)
                .order_by(VersionDocument.position)
            ).all()
            attachments.add(blobs.get(docs[-1].sha256))
        assert servers[0].hits["/files/2023.pdf"] == 2
        assert attachments == {pdf("甲县 2023 first")[0], pdf("甲县 2023 corrected")[0]}
        for report_id, report_versions in versions.items():
            if report_id != changed.id:
                assert len(report_versions) == 1
        runs = session.scalars(select(func.count(func.distinct(Fetch.run_id)))).one()
        assert runs == 2


def test_crawl_while_reparsing(engine: Engine, database_url: str, tmp_path: Path) -> None:
    from harvester.processing import process_versions

    sites = [county_site(f"{name}县", YEARS, attachments=False) for name in ("丁", "戊")]
    for site in sites:
        for year in YEARS:
            path = f"/nb/{year}.html"
            title = f"{'丁' if site is sites[0] else '戊'}县{year}年政府信息公开工作年度报告"
            site[path] = Turns([site[path], article(title, f"更正 {year}")])
    servers = [PortalServer(site, latency=0.02) for site in sites]
    blobs = BlobStore(tmp_path / "blobs")
    errors: list[BaseException] = []
    passes: list[Any] = []
    try:
        ids = add_portals(engine, servers)
        finish(start(engine, database_url, tmp_path, ids))  # first versions
        with session_scope(engine) as session:
            first_versions = set(session.scalars(select(ReportVersion.id)))
        assert len(first_versions) == len(ids) * len(YEARS)

        crawl = start(engine, database_url, tmp_path, ids)  # changed pages: new versions
        stop = threading.Event()

        def reparse() -> None:
            try:
                while not stop.is_set():
                    with session_scope(engine) as session:
                        versions = list(session.scalars(select(ReportVersion)))
                        passes.append(process_versions(session, blobs, versions))
                    # A pause between passes: on SQLite each pass holds the one write lock
                    # while it parses, and a tight loop would starve the crawl.
                    stop.wait(0.5)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
                errors.append(exc)

        worker = threading.Thread(target=reparse)
        worker.start()
        try:
            finish(crawl)
        finally:
            stop.set()
            worker.join(timeout=120)
        assert not errors, errors
        assert passes, "the re-parse never completed a pass during the crawl"
        with session_scope(engine) as session:
            process_versions(session, blobs, list(session.scalars(select(ReportVersion))))
    finally:
        for server in servers:
            server.stop()
    versions = check_no_duplicates(engine)
    with session_scope(engine) as session:
        all_versions = set(session.scalars(select(ReportVersion.id)))
        assert first_versions < all_versions  # nothing lost, the changes added
        assert all(len(v) == 2 for v in versions.values())
        parsed = Counter(
            session.execute(select(ParseResult.version_id, ParseResult.parser_version))
        )
        assert set(v for v, _p in parsed) == all_versions
        assert max(parsed.values()) == 1
