"""The revisit policy: which known report pages a re-crawl asks again.

List pages are read on every run. A report page the lists linked before is asked again
(with its attachments) only when

- its list entry changed (a corrected report is usually re-listed with a new title or date),
- its last full fetch is older than the cadence (``harvester crawl --revisit-after DAYS``,
  else ``$HARVESTER_REVISIT_DAYS``, default 7; 0 asks every known page on every run, as
  before this policy; the crawl process takes it as the Scrapy setting
  ``HARVESTER_REVISIT_DAYS``), or
- its last fetch was incomplete (an attachment that failed, a truncated page).

Otherwise the report is counted as seen by this run, unchanged, without a request. The
memory is the ``listed_report`` table, written when a report is stored whole
(`record_listing`) and read once per portal per crawl process (`RevisitPolicy.known`).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.storage.models import ListedReport, Report
from harvester.storage.rows import insert_or_get
from harvester.storage.types import utcnow

SessionFactory = Callable[[], AbstractContextManager[Session]]

REVISIT_ENV = "HARVESTER_REVISIT_DAYS"
DEFAULT_REVISIT_DAYS = 7.0
NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # an incomplete fetch: due next run


def revisit_days(value: float | None = None) -> float:
    """The cadence in days: `value`, else $HARVESTER_REVISIT_DAYS, else 7."""
    if value is not None:
        return float(value)
    raw = os.environ.get(REVISIT_ENV, "").strip()
    if not raw:
        return DEFAULT_REVISIT_DAYS
    try:
        days = float(raw)
    except ValueError:
        raise ValueError(f"${REVISIT_ENV} must be a number of days, got {raw!r}") from None
    if days < 0:
        raise ValueError(f"${REVISIT_ENV} must be 0 or more days, got {raw!r}")
    return days


def entry_text(text: str | None) -> str:
    """A list entry as compared between runs: its text with whitespace collapsed."""
    return re.sub(r"\s+", " ", text or "").strip()


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Listing:
    """What the last full fetch of a listed report page left."""

    entry: str
    report_id: int
    agency: str
    checked_at: datetime


class RevisitPolicy:
    """Per crawl process: the cadence and each portal's listed report pages."""

    def __init__(self, days: float) -> None:
        self.days = days
        self._known: dict[int, dict[str, Listing]] = {}

    @property
    def active(self) -> bool:
        return self.days > 0

    def known(self, session_factory: SessionFactory, portal_id: int) -> dict[str, Listing]:
        if portal_id not in self._known:
            with session_factory() as session:
                self._known[portal_id] = load_listings(session, portal_id)
        return self._known[portal_id]

    def fresh(
        self,
        session_factory: SessionFactory,
        portal_id: int,
        url: str,
        text: str | None,
        now: datetime,
    ) -> Listing | None:
        """The listing when the page need not be asked again this run, else None."""
        if not self.active:
            return None
        listing = self.known(session_factory, portal_id).get(url)
        if listing is None or listing.entry != entry_text(text):
            return None
        if now - listing.checked_at >= timedelta(days=self.days):
            return None
        return listing


def load_listings(session: Session, portal_id: int) -> dict[str, Listing]:
    rows = session.execute(
        select(ListedReport, Report.agency)
        .join(Report, Report.id == ListedReport.report_id)
        .where(ListedReport.portal_id == portal_id)
    )
    return {
        row.url: Listing(row.entry, row.report_id, agency, row.checked_at) for row, agency in rows
    }


def record_listing(
    session: Session,
    *,
    portal_id: int,
    url: str,
    entry: str | None,
    report_id: int,
    run_id: int | None,
    complete: bool,
) -> None:
    """After a report was stored: remember its list entry and, when every document was
    fetched whole, that it was checked now; an incomplete fetch makes it due next run."""
    key = url_key(url)
    checked = utcnow() if complete else NEVER
    row, created = insert_or_get(
        session,
        lambda: ListedReport(
            portal_id=portal_id,
            url_key=key,
            url=url,
            entry=entry_text(entry),
            report_id=report_id,
            checked_at=checked,
            checked_run=run_id,
        ),
        lambda: session.scalar(
            select(ListedReport).where(
                ListedReport.portal_id == portal_id, ListedReport.url_key == key
            )
        ),
    )
    if not created:
        row.entry = entry_text(entry)
        row.report_id = report_id
        row.checked_at = checked
        row.checked_run = run_id
        session.flush()


def mark_seen(session: Session, report_id: int, run_id: int) -> Report | None:
    """A report the revisit policy did not ask again: seen by this run, unchanged."""
    report = session.get(Report, report_id)
    if report is not None:
        report.last_seen_run = run_id
        session.flush()
    return report
