"""Units listed on a county's platform page: each unit's page visited and its own 年报
column walked (harvester.units reads the lists; this mixin follows them).

Every unit the platform lists is recorded on the portal's state; a unit whose page has no
年报 column, whose page could not be fetched, or a unit list that could not be read, is a
coverage gap (PortalState.coverage_problems): the portal's run is then partial, not ok.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from harvester import discovery
from harvester.crawl.state import PortalState
from harvester.crawl.walks import UNIT_LIST, WalkNote
from harvester.units import Unit, find_unit_lists, units_from_json
from spiders.browser import browser_retry, challenge_failed, is_challenge, release_page
from spiders.pages import failure_message

MAX_UNIT_COLUMNS = 2  # 年报 columns taken from one unit's page
UNITS_JSON = "units_json"  # request kind of a JSON unit list (fetched as data)


class UnitWalker:
    """Mixin of AnnualReportSpider: unit lists → unit pages → their 年报 columns."""

    def _unit_requests(
        self, state: PortalState, html: str, url: str, skip: frozenset[str] = frozenset()
    ) -> Iterator[Request]:
        """Requests for the units (and JSON unit lists) a page lists; `skip`: URLs walked
        otherwise (the column's own body sub-columns)."""
        found = find_unit_lists(html, url)
        for reason, where in found.problems:
            if not any(c.get("reason") == reason for c in state.coverage):
                state.coverage_gap(reason, where)
        for json_url in found.json_urls:
            if json_url in state.known_unit_lists:
                continue  # read by the last walk, its units' columns known (crawl.walks)
            if self.allowed(state, json_url) and json_url not in state.units.values():
                state.walk_notes.append(WalkNote(UNIT_LIST, json_url))
                state.units.setdefault(f"json:{json_url}", "")
                yield self._request(json_url, self.parse_unit_list, state, kind=UNITS_JSON)
        yield from self._visit_units(state, [u for u in found.units if u.url not in skip])

    def _visit_units(self, state: PortalState, units: list[Unit]) -> Iterator[Request]:
        for unit in units:
            if unit.url in state.units or unit.url in state.columns:
                continue
            if not self.allowed(state, unit.url):
                continue
            state.units[unit.url] = unit.name
            yield self._request(
                unit.url,
                self.parse_unit,
                state,
                unit_name=unit.name,
                unit_url=unit.url,
                kind="html",
                body_hint=unit.name,  # when the unit's page is its 年报 list itself
                column_depth=1,
            )

    async def parse_unit_list(self, response: Response) -> AsyncIterator[Any]:
        """A JSON unit list: its units visited; unreadable, a coverage gap."""
        state = self.states[response.meta["portal_id"]]
        state.units.pop(f"json:{response.url}", None)
        try:
            units, unaddressed = units_from_json(self._page_text(response, state), response.url)
        except ValueError as exc:
            state.coverage_gap(f"unit list (JSON) not walked: {exc}", response.url)
            return
        if unaddressed:
            state.coverage_gap(
                f"unit list (JSON) not walked for {len(unaddressed)} unit(s) without an "
                f"address ({'、'.join(unaddressed[:5])})",
                response.url,
            )
        for request in self._visit_units(state, units):
            yield request

    async def parse_unit(self, response: Response) -> AsyncIterator[Any]:
        """A unit's page: its own 年报 column (look-alikes rejected as anywhere) walked with
        the unit's name as the body; none found, a coverage gap."""
        meta = response.meta
        state = self.states[meta["portal_id"]]
        await release_page(response, state)  # as spiders.reports.page_callback does
        if is_challenge(response):
            yield browser_retry(response, state)
            return
        if challenge_failed(response, state):
            return
        unit_url, name = meta["unit_url"], meta["unit_name"]
        html = self._page_text(response, state)
        if discovery.page_is_report_column(html, response.url):
            state.units_walked.add(unit_url)
            self._note_list(  # type: ignore[attr-defined]
                state,
                unit_url,
                [unit_url, name],
                column=False,
                kind="html",
                column_depth=meta.get("column_depth"),
                body_hint=meta.get("body_hint"),
            )
            async for out in self.parse_list(response):
                yield out
            return
        candidates = [
            c
            for c in discovery.find_columns(
                html, response.url, state.portal.home_url, state.portal.allowed_hosts
            )
            if c.url not in state.columns
        ]
        if not candidates:
            state.units_without_column[unit_url] = "no 年报 column on its page"
            return
        state.units_walked.add(unit_url)
        best = candidates[0].score
        for cand in [c for c in candidates if c.score >= best / 2][:MAX_UNIT_COLUMNS]:
            state.columns.append(cand.url)
            yield self._noted_list_request(  # type: ignore[attr-defined]
                state,
                cand.url,
                [unit_url, name],
                kind="html",
                column_depth=1,
                body_hint=name,
                column_text=cand.text,
            )

    def unit_failed(self, failure: Failure) -> None:
        request = failure.request
        state = self.states.get(request.meta.get("portal_id"))
        if state is None:
            return
        if request.meta.get("kind") == UNITS_JSON:
            state.units.pop(f"json:{request.url}", None)
            state.coverage_gap(
                f"unit list (JSON) not fetched: {failure_message(failure)}", request.url
            )
        elif request.meta.get("unit_url"):
            state.units_without_column[request.meta["unit_url"]] = (
                f"its page was not fetched: {failure_message(failure)}"
            )
