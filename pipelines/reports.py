"""Item pipeline: a `ReportItem` (article page + attachments) becomes a Report and a
ReportVersion.

Identity is (portal, agency, year): from the title through the parser's `title_identity`,
else from the sub-column the report was listed under and the year in the title or URL.
"""

from __future__ import annotations

import logging
import re

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from harvester.crawl.context import CrawlContext, crawl_context
from harvester.crawl.halt import halt_on_storage_failure
from harvester.crawl.revisit import mark_seen, record_listing
from harvester.discovery import year_hint
from harvester.items import ReportItem, SeenReport
from harvester.parser.metadata import title_identity
from harvester.storage.repo import store_report_version

log = logging.getLogger(__name__)


def report_identity(item: ReportItem) -> tuple[str | None, int | None]:
    """(agency, year) of a report item: title first, then the sub-column and year hints."""
    found = title_identity(item.title)
    agency, year = found if found else (None, None)
    if not agency:
        agency = item.body_hint or _agency_from_title(item.title) or item.portal_name
    if not year:
        year = year_hint(item.title) or item.year_hint or _year_from_url(item.url)
    return agency, year


def _agency_from_title(title: str) -> str | None:
    m = re.match(r"^\s*(.+?)\s*(?:关于)?(?:20\d\d)\s*年", title)
    return m.group(1) if m else None


def _year_from_url(url: str) -> int | None:
    m = re.search(r"(?<!\d)(20[1-3]\d)(?!\d)", url)
    return int(m.group(1)) if m else None


class StoreReportPipeline:
    def __init__(self, context: CrawlContext, stats: StatsCollector | None = None) -> None:
        self.context = context
        self.stats = stats
        self.crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoreReportPipeline:
        pipeline = cls(crawl_context(crawler), crawler.stats)
        pipeline.crawler = crawler
        return pipeline

    def process_item(
        self, item: ReportItem | SeenReport, spider: object = None
    ) -> ReportItem | SeenReport:
        if isinstance(item, SeenReport):
            return self._seen(item)
        state = self.context.states[item.portal_id]
        agency, year = report_identity(item)
        if not agency or not year:
            state.fail(f"report without agency or year: title {item.title!r} at {item.url}")
            return item
        if self.context.since_year and year < self.context.since_year:
            return item
        try:
            with self.context.session() as session:
                report, _version, created = store_report_version(
                    session,
                    portal_id=item.portal_id,
                    agency=agency,
                    year=year,
                    title=item.title,
                    url=item.url,
                    run_id=self.context.run_id,
                    documents=item.documents,
                )
                record_listing(
                    session,
                    portal_id=item.portal_id,
                    url=item.url,
                    entry=item.list_entry,
                    report_id=report.id,
                    run_id=self.context.run_id,
                    complete=item.complete,
                )
        except Exception as exc:
            if not halt_on_storage_failure(self.crawler, exc):
                log.exception("could not store the report at %s", item.url)
            state.fail(f"report not stored: {type(exc).__name__}: {exc}", item.url)
            return item
        state.reports += 1
        state.agencies.add(agency)
        state.new_versions += int(bool(created))
        if self.stats is not None:
            self.stats.inc_value("harvester/reports")
        return item

    def _seen(self, item: SeenReport) -> SeenReport:
        """A report the revisit policy left unasked: seen by this run, once per page."""
        state = self.context.states[item.portal_id]
        if item.url in state.not_reasked:
            return item
        try:
            with self.context.session() as session:
                report = mark_seen(session, item.report_id, self.context.run_id)
                agency = report.agency if report is not None else None
        except Exception as exc:
            if not halt_on_storage_failure(self.crawler, exc):
                log.exception("could not mark the report at %s as seen", item.url)
            state.fail(f"report not marked as seen: {type(exc).__name__}: {exc}", item.url)
            return item
        if agency is None:  # deleted meanwhile: nothing to count
            return item
        state.not_reasked.add(item.url)
        state.reports += 1
        state.agencies.add(agency)
        if self.stats is not None:
            self.stats.inc_value("harvester/reports_not_reasked")
        return item
