"""Item pipeline: a report (article page + attachments) becomes a Report and a ReportVersion.

Identity is (portal, agency, year): from the title through the parser's `title_identity`,
else from the sub-column the report was listed under and the year in the title or URL.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from scrapy import Spider

from harvester.discovery import year_hint
from harvester.storage.repo import store_report_version

log = logging.getLogger(__name__)


def _title_identity(title: str) -> tuple[str | None, int | None]:
    try:
        from harvester.parser.metadata import title_identity
    except ImportError:  # the parser package is optional for crawling
        return None, None
    found = title_identity(title)
    if found is None:
        return None, None
    if isinstance(found, dict):
        return found.get("agency"), found.get("year")
    if isinstance(found, tuple):
        return found[0], found[1]
    return getattr(found, "agency", None), getattr(found, "year", None)


def report_identity(item: dict[str, Any]) -> tuple[str | None, int | None]:
    """(agency, year) of a report item: title first, then the sub-column and year hints."""
    agency, year = _title_identity(item.get("title") or "")
    if not agency:
        agency = (
            item.get("body_hint")
            or _agency_from_title(item.get("title") or "")
            or item.get("portal_name")
        )
    if not year:
        year = (
            year_hint(item.get("title") or "")
            or item.get("year_hint")
            or _year_from_url(item["url"])
        )
    return agency, year


def _agency_from_title(title: str) -> str | None:
    m = re.match(r"^\s*(.+?)\s*(?:关于)?(?:20\d\d)\s*年", title)
    return m.group(1) if m else None


def _year_from_url(url: str) -> int | None:
    m = re.search(r"(?<!\d)(20[1-3]\d)(?!\d)", url)
    return int(m.group(1)) if m else None


class StoreReportPipeline:
    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoreReportPipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any], spider: Spider | None = None) -> dict[str, Any]:
        spider = spider or self.crawler.spider
        agency, year = report_identity(item)
        state = spider.portal_state(item["portal_id"])
        if not agency or not year:
            state.fail(
                f"report without agency or year: title {item.get('title')!r} at {item['url']}"
            )
            return item
        if spider.since_year and year < spider.since_year:
            return item
        try:
            created = self._store(spider, item, agency, year)
        except Exception as exc:
            log.exception("could not store the report at %s", item["url"])
            state.fail(f"report not stored: {type(exc).__name__}: {exc}", item["url"])
            return item
        state.reports += 1
        state.new_versions += int(bool(created))
        spider.crawler.stats.inc_value("harvester/reports")
        return item

    def _store(self, spider: Spider, item: dict[str, Any], agency: str, year: int) -> bool:
        with spider.store.session() as session:
            _report, _version, created = store_report_version(
                session,
                portal_id=item["portal_id"],
                agency=agency,
                year=year,
                title=item.get("title") or "",
                url=item["url"],
                run_id=spider.run_id,
                documents=item["documents"],
            )
        return created
