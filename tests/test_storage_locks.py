"""One run at a time per database, and a dead run's lock does not block forever."""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from harvester.storage.db import make_engine, session_scope
from harvester.storage.models import RunLock
from harvester.storage.repo import acquire_lock, heartbeat_lock, release_lock
from harvester.storage.types import utcnow


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_second_holder_is_refused_until_release(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert acquire_lock(session, "crawl", "run A") is True
    with session_scope(engine) as session:
        assert acquire_lock(session, "crawl", "run B") is False
        assert release_lock(session, "crawl", "run B") is False  # not B's to release
    with session_scope(engine) as session:
        assert session.get(RunLock, "crawl").holder == "run A"
        assert acquire_lock(session, "crawl", "run A") is True  # re-entrant for its holder
        assert release_lock(session, "crawl", "run A") is True
    with session_scope(engine) as session:
        assert acquire_lock(session, "crawl", "run B") is True
        assert acquire_lock(session, "other", "run C") is True  # locks are per name


def test_lock_of_a_dead_process_on_this_host_is_taken_over(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert acquire_lock(
            session, "crawl", "crashed run", pid=_dead_pid(), host=socket.gethostname()
        )
    with session_scope(engine) as session:
        assert acquire_lock(session, "crawl", "new run") is True
        lock = session.get(RunLock, "crawl")
        assert (lock.holder, lock.pid) == ("new run", os.getpid())


def test_live_process_on_this_host_keeps_its_lock_however_old(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert acquire_lock(session, "crawl", "parent", pid=os.getppid(), host=socket.gethostname())
        lock = session.get(RunLock, "crawl")
        lock.heartbeat_at = utcnow() - timedelta(days=2)
    with session_scope(engine) as session:
        assert acquire_lock(session, "crawl", "new run") is False


def test_lock_from_another_host_expires_by_heartbeat(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert acquire_lock(session, "crawl", "remote", pid=1, host="elsewhere.invalid")
    with session_scope(engine) as session:
        assert acquire_lock(session, "crawl", "local", stale_after=timedelta(minutes=30)) is False
        assert heartbeat_lock(session, "crawl", "remote") is True
    with session_scope(engine) as session:
        session.get(RunLock, "crawl").heartbeat_at = utcnow() - timedelta(minutes=31)
    with session_scope(engine) as session:
        assert acquire_lock(session, "crawl", "local", stale_after=timedelta(minutes=30)) is True
        assert heartbeat_lock(session, "crawl", "remote") is False


def _contend(url: str, holder: str, barrier: Any, results: Any, done: Any) -> None:
    engine = make_engine(url)
    try:
        barrier.wait(timeout=60)
        with session_scope(engine) as session:
            results.put((holder, acquire_lock(session, "crawl", holder)))
    except BaseException as exc:
        results.put((holder, f"{type(exc).__name__}: {exc}"))
    finally:
        engine.dispose()
    # Stay alive until everyone has tried: a winner that exits leaves a stale lock behind.
    done.wait(120)


def _run_contenders(url: str, count: int) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(count)
    results = context.Queue()
    done = context.Event()
    processes = [
        context.Process(target=_contend, args=(url, f"run {i}", barrier, results, done))
        for i in range(count)
    ]
    for process in processes:
        process.start()
    try:
        return dict(results.get(timeout=120) for _ in processes)
    finally:
        done.set()
        for process in processes:
            process.join(60)


def test_contending_processes_exactly_one_wins(engine: Engine, database_url: str) -> None:
    outcomes = _run_contenders(database_url, 6)
    assert all(isinstance(v, bool) for v in outcomes.values()), outcomes
    winners = [holder for holder, won in outcomes.items() if won]
    assert len(winners) == 1
    with session_scope(engine) as session:
        assert session.get(RunLock, "crawl").holder == winners[0]


def test_stale_lock_takeover_has_one_winner(engine: Engine, database_url: str) -> None:
    with session_scope(engine) as session:
        acquire_lock(session, "crawl", "crashed", pid=_dead_pid(), host=socket.gethostname())
    outcomes = _run_contenders(database_url, 6)
    assert all(isinstance(v, bool) for v in outcomes.values()), outcomes
    assert sum(outcomes.values()) == 1
