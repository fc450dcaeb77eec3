"""Navigation on the revisit cadence: a re-crawl starts at the lists the last walk reached.

A full walk goes home page → hubs → 年报 columns (and unit pages → their columns). Those
pages lead to the lists; they are not lists. Each list a walk reaches from them is noted on
the portal's state (`WalkNote`) and written when the portal closes (`record_walk`, table
``walk_entry``). A re-crawl within the revisit cadence (``--revisit-after``, default 7 days)
of a portal whose last full walk ended ``ok`` from the same home page starts at those lists
(`known_walk`): home page, hubs, unit pages and JSON unit lists are not asked. The lists
are still read on every run, so a new report, a re-listed correction or a new sub-column
under a list is found as before; a new column linked only from the home page is found by the
next full walk, once the cadence has passed. When a known list cannot be fetched, the
portal is walked from its home page in the same run (spiders.reports ``on_error``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from harvester.storage.models import PortalRun, WalkEntry

LIST, UNIT_LIST, HOST = "list", "unit_list", "host"


@dataclass(frozen=True)
class WalkNote:
    """One entry of a walk: a list with its request hints, a JSON unit list, or a host."""

    kind: str
    url: str
    meta: dict[str, object] = field(default_factory=dict)


def list_note(url: str, hints: dict[str, object]) -> WalkNote:
    """A list the navigation led to; `hints`: the list request's meta worth keeping."""
    keep = ("kind", "column_depth", "body_hint", "year_hint", "column_text", "unit", "column")
    return WalkNote(LIST, url, {k: hints[k] for k in keep if hints.get(k) is not None})


def known_walk(
    session: Session, portal_id: int, home_url: str, days: float, now: datetime
) -> list[WalkNote] | None:
    """The entries of the portal's last full walk when a re-crawl may start at them: the
    cadence is on (`days` > 0), the walk is younger than it, started from the same home
    page and its portal run ended ``ok``. Otherwise None (walk from the home page)."""
    if days <= 0 or not home_url:
        return None
    rows = list(session.scalars(select(WalkEntry).where(WalkEntry.portal_id == portal_id)))
    runs = [r.found_run for r in rows if r.found_run is not None]
    if not runs:
        return None
    last = max(runs)
    rows = [r for r in rows if r.found_run == last]
    if any(r.home_url != home_url for r in rows):
        return None
    if now - min(r.found_at for r in rows) >= timedelta(days=days):
        return None
    outcome = session.scalar(
        select(PortalRun.outcome).where(PortalRun.run_id == last, PortalRun.portal_id == portal_id)
    )
    if outcome != "ok":
        return None
    notes: dict[tuple[str, str], WalkNote] = {}
    for row in sorted(rows, key=lambda r: r.id):
        notes.setdefault((row.kind, row.url), WalkNote(row.kind, row.url, dict(row.meta or {})))
    if not any(note.kind == LIST for note in notes.values()):
        return None
    return list(notes.values())


def record_walk(
    session: Session, portal_id: int, run_id: int, home_url: str, notes: list[WalkNote]
) -> None:
    """Keep this run's walk of the portal (every worker of a distributed run adds the part
    it walked); walks of earlier runs are dropped."""
    session.execute(
        delete(WalkEntry).where(
            WalkEntry.portal_id == portal_id,
            (WalkEntry.found_run != run_id) | WalkEntry.found_run.is_(None),
        )
    )
    for note in notes:
        session.add(
            WalkEntry(
                portal_id=portal_id,
                found_run=run_id,
                home_url=home_url,
                kind=note.kind,
                url=note.url,
                meta=dict(note.meta),
            )
        )
    session.flush()
