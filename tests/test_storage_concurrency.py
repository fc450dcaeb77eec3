"""Two crawlers storing the same report at the same time end with one report and one version."""

from __future__ import annotations

import multiprocessing
import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from stored_reports import stored_documents

from harvester.items import ReportDocument
from harvester.storage.blobs import BlobStore
from harvester.storage.db import make_engine, session_scope
from harvester.storage.models import Portal, Report, ReportVersion, VersionDocument
from harvester.storage.repo import store_report_version

T0 = datetime(2024, 3, 1, tzinfo=UTC)
WORKERS = 6


def _prepare(engine: Engine, blobs: BlobStore) -> tuple[int, list[ReportDocument]]:
    with session_scope(engine) as session:
        portal = Portal(province="浙江省", prefecture="宁波市", county="象山县")
        session.add(portal)
        session.flush()
        documents = stored_documents(session, blobs, [b"<html>page</html>", b"%PDF-1.7 report"], T0)
        return portal.id, documents


def _store_in(
    session: Session, portal_id: int, documents: list[dict[str, Any]]
) -> tuple[Report, ReportVersion, bool]:
    """象山县's 2023 report stored with these documents, in `session`."""
    return store_report_version(
        session,
        portal_id=portal_id,
        agency="象山县人民政府办公室",
        year=2023,
        title="2023年度报告",
        url="http://127.0.0.1/0",
        run_id=None,
        documents=documents,
    )


def _store(
    url: str, portal_id: int, documents: list[ReportDocument], barrier: Any
) -> tuple[int, int, bool]:
    engine = make_engine(url)
    try:
        barrier.wait(timeout=60)
        with session_scope(engine) as session:
            report, version, created = _store_in(session, portal_id, documents)
            return report.id, version.id, created
    finally:
        engine.dispose()


def _process_worker(
    url: str, portal_id: int, documents: list[ReportDocument], barrier: Any, results: Any
) -> None:
    try:
        results.put(_store(url, portal_id, documents, barrier))
    except BaseException as exc:  # report to the parent instead of dying silently
        results.put(f"{type(exc).__name__}: {exc}")


def _assert_single(engine: Engine, results: list[Any]) -> None:
    assert all(isinstance(r, tuple) for r in results), results
    assert len({r[0] for r in results}) == 1
    assert len({r[1] for r in results}) == 1
    assert sum(1 for r in results if r[2]) == 1, "exactly one caller creates the version"
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1
        assert session.scalar(select(func.count()).select_from(ReportVersion)) == 1
        assert session.scalar(select(func.count()).select_from(VersionDocument)) == 2


def test_concurrent_threads_create_one_version(
    engine: Engine, database_url: str, blob_store: BlobStore
) -> None:
    portal_id, documents = _prepare(engine, blob_store)
    barrier = threading.Barrier(WORKERS)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(_store(database_url, portal_id, documents, barrier))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(results) == WORKERS
    _assert_single(engine, results)


def test_concurrent_processes_create_one_version(
    engine: Engine, database_url: str, blob_store: BlobStore
) -> None:
    portal_id, documents = _prepare(engine, blob_store)
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WORKERS)
    queue = context.Queue()
    processes = [
        context.Process(
            target=_process_worker, args=(database_url, portal_id, documents, barrier, queue)
        )
        for _ in range(WORKERS)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(60)
    _assert_single(engine, results)


def test_writer_racing_an_uncommitted_identical_version_reuses_it(
    engine: Engine, database_url: str, blob_store: BlobStore
) -> None:
    """A inserts and holds its transaction open; B stores the same content meanwhile.

    B must wait for A and then find A's rows (PostgreSQL: blocked on the unique index, then
    IntegrityError, savepoint rollback and re-read; SQLite: waits for the write lock)."""
    portal_id, documents = _prepare(engine, blob_store)
    a_inserted = threading.Event()
    b_result: list[Any] = []

    def writer_b() -> None:
        a_inserted.wait(30)
        b_result.append(_store(database_url, portal_id, documents, threading.Barrier(1)))

    thread = threading.Thread(target=writer_b)
    thread.start()
    with session_scope(engine) as session:
        report, version, created = _store_in(session, portal_id, documents)
        a_inserted.set()
        time.sleep(1.5)  # B is now blocked behind our uncommitted insert
        assert b_result == []
    thread.join(60)
    assert created is True
    assert b_result == [(report.id, version.id, False)]
    _assert_single(engine, [(report.id, version.id, True), *b_result])
