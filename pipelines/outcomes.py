"""Per-portal run records: a PortalRun opened when the crawl starts and closed at its end
(ok, or failed with its reasons), and what was learnt about the portal (family,
needs_browser) written back to its registry row.

In a distributed run every worker process closes the same PortalRun rows. Each one then
counts the run's reports from the database (not from what it saw itself), adds its
failures to those already recorded, and keeps another worker's reason when it saw nothing
of the portal: the last worker to close leaves the whole run's picture.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from harvester.storage.models import PORTAL_FAMILIES, Portal, PortalRun, Report
from harvester.storage.repo import finish_portal_run, start_portal_run
from spiders.state import PortalState

log = logging.getLogger(__name__)


class PortalOutcomes:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PortalOutcomes:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        store = getattr(spider, "store", None)
        if store is None:
            return
        with store.session() as session:
            for state in spider.states.values():
                start_portal_run(session, spider.run_id, state.portal.id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        store = getattr(spider, "store", None)
        if store is None:
            return
        with store.session() as session:
            for state in spider.states.values():
                outcome, failures = state.outcome(reason)
                portal_run = start_portal_run(session, spider.run_id, state.portal.id)
                reports = state.reports
                if getattr(spider, "distributed", False):
                    outcome, failures, reports = merged_outcome(
                        session, spider.run_id, state, portal_run, reason
                    )
                finish_portal_run(
                    session,
                    portal_run,
                    reports_found=reports,
                    documents=state.articles + state.attachments,
                    failures=failures,
                    outcome=outcome,
                )
                log.info(
                    "portal %s: %s %s %s", state.portal.name, outcome, state.counts(), failures[:3]
                )
                portal = session.get(Portal, state.portal.id)
                if portal is None:
                    continue
                if state.learnt_browser:
                    portal.needs_browser = True
                if state.detected_family in PORTAL_FAMILIES and not portal.family:
                    portal.family = state.detected_family


def merged_outcome(
    session: Session, run_id: int, state: PortalState, portal_run: PortalRun, reason: str
) -> tuple[str, list[dict[str, Any]], int]:
    """(outcome, failures, reports) of a portal over every worker of a distributed run."""
    reports = session.scalar(
        select(func.count(Report.id)).where(
            Report.portal_id == state.portal.id, Report.last_seen_run == run_id
        )
    )
    _own_outcome, own_failures = state.outcome(reason)
    earlier = list(portal_run.failures or []) if portal_run.outcome != "running" else []
    saw_portal = bool(state.columns or state.home_error or state.list_pages or state.failures)
    if reports:
        failures = [f for f in own_failures if not _is_summary(f)]
        return "ok", _dedupe([f for f in earlier if not _is_summary(f)] + failures), reports
    if earlier and not saw_portal:
        return portal_run.outcome, earlier, 0
    return "failed", _dedupe(own_failures + [f for f in earlier if not _is_summary(f)]), 0


SUMMARY_PREFIXES = (
    "portal unreachable",
    "no 年报 column found",
    "column found but no report links",
    "report links found but no report could be stored",
    "no report of the requested years",
)


def _is_summary(failure: dict[str, Any]) -> bool:
    return "url" not in failure and str(failure.get("reason", "")).startswith(SUMMARY_PREFIXES)


def _dedupe(failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for failure in failures:
        key = (str(failure.get("reason")), str(failure.get("url", "")))
        if key not in seen:
            seen.add(key)
            out.append(failure)
    return out
