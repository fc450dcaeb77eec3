"""Live progress of a crawl, read from the database the crawl process writes to.

The crawl runs in a child process; the parent watches its run's rows (fetches, bytes,
report versions, finished portals) and shows them with rich. Nothing here changes data.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from harvester.storage.models import Fetch, PortalRun, ReportVersion


@dataclass(frozen=True)
class RunFigures:
    """What a run has recorded so far (one reading of the database)."""

    fetches: int
    bytes: int
    versions: int
    portals_done: int


def run_figures(engine: Engine, run_id: int) -> RunFigures:
    with engine.connect() as connection:
        fetches, size = connection.execute(
            select(func.count(), func.coalesce(func.sum(Fetch.bytes), 0)).where(
                Fetch.run_id == run_id
            )
        ).one()
        versions = connection.scalar(
            select(func.count()).select_from(ReportVersion).where(ReportVersion.run_id == run_id)
        )
        done = connection.scalar(
            select(func.count())
            .select_from(PortalRun)
            .where(PortalRun.run_id == run_id, PortalRun.outcome != "running")
        )
    return RunFigures(int(fetches), int(size or 0), int(versions or 0), int(done or 0))


def run_with_progress(
    work: Callable[[], Any],
    engine: Engine,
    run_id: int,
    n_portals: int,
    console: Console | None,
    interval: float = 0.5,
) -> Any:
    """Run `work` (the blocking crawl) in a thread; show the run's figures while it runs."""
    if console is None:
        return work()
    if not console.is_terminal:  # a log or a pipe: one line when the phase starts and ends
        started = time.monotonic()
        console.print(f"crawling {n_portals} portals …")
        value = work()
        try:
            figures = run_figures(engine, run_id)
            console.print(
                f"crawled {figures.portals_done}/{n_portals} portals in "
                f"{time.monotonic() - started:.1f} s: {figures.fetches} fetches, "
                f"{figures.bytes / 1e6:.1f} MB, {figures.versions} new report versions"
            )
        except Exception:  # noqa: BLE001 - progress is best effort; the crawl decides
            pass
        return value
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=target, name="crawl", daemon=True)
    columns = (
        TextColumn("[bold]crawling[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "portals · {task.fields[fetches]} fetches · {task.fields[mb]:.1f} MB · "
            "{task.fields[versions]} new report versions"
        ),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("crawl", total=n_portals, fetches=0, mb=0.0, versions=0)
        thread.start()
        while thread.is_alive():
            thread.join(interval)
            try:
                figures = run_figures(engine, run_id)
            except Exception:  # noqa: BLE001 - progress is best effort; the crawl decides
                continue
            progress.update(
                task,
                completed=figures.portals_done,
                fetches=figures.fetches,
                mb=figures.bytes / 1e6,
                versions=figures.versions,
            )
    if "error" in result:
        raise result["error"]
    return result.get("value")
