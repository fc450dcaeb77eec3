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

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure as TwistedFailure

from harvester.crawl.completion import PortalCompletion
from harvester.crawl.context import CrawlContext, crawl_context
from harvester.crawl.launch import LOCK_NAME
from harvester.crawl.shared_completion import SharedCompletion
from harvester.crawl.state import Failure, PortalState
from harvester.crawl.walks import record_walk
from harvester.storage.models import PORTAL_FAMILIES, CrawlRun, Portal, PortalRun, Report
from harvester.storage.repo import finish_portal_run, finish_run, release_lock, start_portal_run

log = logging.getLogger(__name__)


class PortalOutcomes:
    def __init__(self, context: CrawlContext, check_every: float = 1.0) -> None:
        self.context = context
        self.check_every = check_every
        self.closed: set[int] = set()
        self._loop: LoopingCall | None = None
        self.crawler: Crawler | None = None

    def engine_closing(self) -> bool:
        """The spider is being closed: requests dropped now are not a portal's end."""
        engine = getattr(self.crawler, "engine", None) if self.crawler else None
        slot = getattr(engine, "_slot", None)
        return engine is None or slot is None or getattr(slot, "closing", None) is not None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PortalOutcomes:
        ext = cls(
            crawl_context(crawler), crawler.settings.getfloat("HARVESTER_PORTAL_CHECK_S", 1.0)
        )
        ext.crawler = crawler
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        if not ext.context.distributed:  # requests live in this process: count them
            ext.context.completion = PortalCompletion(ext.context.states)
            crawler.signals.connect(ext.request_scheduled, signal=signals.request_scheduled)
        elif crawler.settings.get("HARVESTER_LIVE_KEY") and crawler.settings.get("REDIS_URL"):
            # The shared queue's requests are counted in Redis (its counting scheduler).
            import redis

            server = redis.Redis.from_url(crawler.settings["REDIS_URL"], socket_timeout=30)
            ext.context.completion = SharedCompletion(
                ext.context.states, server, crawler.settings["HARVESTER_LIVE_KEY"]
            )
        return ext

    def request_scheduled(self, request: Request, spider: object = None) -> None:
        if self.context.completion is not None:
            self.context.completion.scheduled(request)

    def close_finished(self) -> None:
        """Close the PortalRun of every portal whose crawl is over (the parent process
        parses its reports while the crawl of the others goes on)."""
        completion = self.context.completion
        if completion is None or self.engine_closing():
            return  # a closing spider drops its queue: its portals close with its reason
        finished = completion.done()
        if not finished:
            return
        try:
            with self.context.session() as session:
                for portal_id in finished:
                    self._close(session, self.context.states[portal_id], "finished")
        except Exception:
            # Closed again (with the same figures) when the spider closes.
            log.exception("could not close the runs of portals %s", finished)
            self.closed.difference_update(finished)

    def spider_error(self, failure: TwistedFailure, response: Response) -> None:
        """A callback that raised: the portal's crawl missed what that page led to."""
        state = self.context.state(response.meta.get("portal_id"))
        if state is not None:
            error = failure.value
            state.fail(f"spider error: {type(error).__name__}: {error}", response.url)

    def spider_opened(self) -> None:
        with self.context.session() as session:
            for state in self.context.states.values():
                start_portal_run(session, self.context.run_id, state.portal.id)
        if self.context.completion is not None:
            self._loop = LoopingCall(self.close_finished)
            self._loop.start(self.check_every, now=False).addErrback(
                lambda failure: log.error("portal completion check stopped: %s", failure.value)
            )

    def spider_closed(self, reason: str) -> None:
        context = self.context
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        with context.session() as session:
            for state in context.states.values():
                if state.portal.id not in self.closed:
                    self._close(session, state, reason)
            if context.own_run:
                close_own_run(session, context, reason)

    def _close(self, session: Session, state: PortalState, reason: str) -> None:
        """Record the portal's outcome and what was learnt about it."""
        context = self.context
        self.closed.add(state.portal.id)
        outcome, failures = state.outcome(reason)
        portal_run = start_portal_run(session, context.run_id, state.portal.id)
        reports = state.reports
        if context.distributed:
            outcome, failures, reports = merged_outcome(
                session, context.run_id, state, portal_run, reason
            )
        finish_portal_run(
            session,
            portal_run,
            reports_found=reports,
            documents=state.articles + state.attachments + state.pictures,
            failures=failures,
            outcome=outcome,
        )
        log.info("portal %s: %s %s %s", state.portal.name, outcome, state.counts(), failures[:3])
        if portal_run.walked_from != "home page":  # one worker went home: the run did
            portal_run.walked_from = state.walked_from()
        if state.walk_notes and (not state.replayed or state.rewalked):
            # Where this walk entered the lists: the next re-crawl may start there.
            record_walk(
                session, state.portal.id, context.run_id, state.portal.home_url, state.walk_notes
            )
        portal = session.get(Portal, state.portal.id)
        if portal is None:
            return
        if state.learnt_browser:
            portal.needs_browser = True
        if state.detected_family in PORTAL_FAMILIES and not portal.family:
            portal.family = state.detected_family


def close_own_run(session: Session, context: CrawlContext, reason: str) -> None:
    """A bare `scrapy crawl` made its run: close it like `harvester crawl` would, minus the
    parsing (`harvester reparse` does that), and release the crawl lock."""
    outcomes = [state.outcome(reason) for state in context.states.values()]
    ok = sum(1 for outcome, _failures in outcomes if outcome == "ok")
    failures = [f for _outcome, found in outcomes for f in found]
    failures += [{"reason": f"portal {pid} is not in the registry"} for pid in context.missing]
    total = len(context.states) + len(context.missing)
    partial = sum(1 for outcome, _failures in outcomes if outcome == "partial")
    outcome = (
        "ok" if ok == total and reason == "finished" else "partial" if ok or partial else "failed"
    )
    counts = {
        "portals": total,
        "portals_ok": ok,
        "portals_partial": partial,
        "reports": sum(state.reports for state in context.states.values()),
        "new_versions": sum(state.new_versions for state in context.states.values()),
        "close_reason": reason,
    }
    run = session.get(CrawlRun, context.run_id)
    if run is not None:
        finish_run(session, run, outcome, counts, [dict(f) for f in failures])
    release_lock(session, LOCK_NAME, context.own_run or "")
    log.info(
        "run %s: %s; reports are stored unparsed: `harvester reparse` parses them",
        run.id if run else context.run_id,
        outcome,
    )


ONE_BODY = "reports from one body only"


def merged_outcome(
    session: Session, run_id: int, state: PortalState, portal_run: PortalRun, reason: str
) -> tuple[str, list[Failure], int]:
    """(outcome, failures, reports) of a portal over every worker of a distributed run."""
    reports = session.scalar(
        select(func.count(Report.id)).where(
            Report.portal_id == state.portal.id, Report.last_seen_run == run_id
        )
    )
    own_outcome, own_failures = state.outcome(reason)
    earlier = list(portal_run.failures or []) if portal_run.outcome != "running" else []
    saw_portal = bool(state.columns or state.home_error or state.list_pages or state.failures)
    if reports:
        failures = [f for f in own_failures if not _is_summary(f)]
        merged = _dedupe([f for f in earlier if not _is_summary(f)] + failures)
        # "Reports from one body only" is what one worker saw; the run's bodies are in the
        # database, filled by every worker.
        bodies = session.scalar(
            select(func.count(func.distinct(Report.agency))).where(
                Report.portal_id == state.portal.id, Report.last_seen_run == run_id
            )
        )
        if bodies and bodies > 1:
            merged = [f for f in merged if not f["reason"].startswith(ONE_BODY)]
        partial = any(f.get("coverage") for f in merged)
        return ("partial" if partial else "ok"), merged, reports
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


def _is_summary(failure: Failure) -> bool:
    return "url" not in failure and str(failure.get("reason", "")).startswith(SUMMARY_PREFIXES)


def _dedupe(failures: list[Failure]) -> list[Failure]:
    seen: set[tuple[str, str]] = set()
    out = []
    for failure in failures:
        key = (str(failure.get("reason")), str(failure.get("url", "")))
        if key not in seen:
            seen.add(key)
            out.append(failure)
    return out
