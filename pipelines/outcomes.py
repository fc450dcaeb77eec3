"""Per-portal run records: a PortalRun opened when the crawl starts and closed at its end
(ok, or failed with its reasons), and what was learnt about the portal (family,
needs_browser) written back to its registry row."""

from __future__ import annotations

import logging

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from harvester.storage.models import PORTAL_FAMILIES, Portal
from harvester.storage.repo import finish_portal_run, start_portal_run

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
                finish_portal_run(
                    session,
                    portal_run,
                    reports_found=state.reports,
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
