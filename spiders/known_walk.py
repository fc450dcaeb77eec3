"""Mixin of AnnualReportSpider: start a re-crawl at the lists the last full walk reached
(harvester.crawl.walks), and note the lists a full walk reaches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Request

from harvester.crawl.state import PortalState
from harvester.crawl.walks import HOST, LIST, UNIT_LIST, WalkNote, known_walk, list_note
from harvester.storage.types import utcnow


class KnownWalkStarter:
    """Needs the spider's `context`, `_request`, `parse_list`, `parse_home` and `logger`."""

    context: Any
    logger: Any

    def _note_list(
        self, state: PortalState, url: str, unit: list[str] | None = None, **hints: object
    ) -> None:
        """A list the navigation (home page, hub, unit page) led to; `unit`: [its page URL,
        its name] when a unit's page led there (or is the list itself: `column=False`)."""
        state.walk_notes.append(list_note(url, {**hints, "unit": unit}))

    def _noted_list_request(
        self, state: PortalState, url: str, unit: list[str] | None = None, **hints: Any
    ) -> Request:
        """The request for a list the navigation found, noted for the next re-crawl."""
        self._note_list(state, url, unit, **hints)
        return self._request(url, self.parse_list, state, **hints)  # type: ignore[attr-defined]

    def _known_walk_requests(self, state: PortalState) -> list[Request] | None:
        """The requests of the known lists when the revisit policy lets this run start at
        them (the portal's state then holds the columns and units the walk had found)."""
        portal = state.portal
        days = self.context.revisit.days
        with self.context.session() as session:
            notes = known_walk(session, portal.id, portal.home_url, days, utcnow())
        if notes is None:
            return None
        state.replayed = True
        requests = []
        for note in notes:
            if note.kind == HOST and note.url not in portal.allowed_hosts:
                portal.allowed_hosts.append(note.url)
            elif note.kind == UNIT_LIST:
                state.known_unit_lists.add(note.url)
            elif note.kind == LIST:
                requests.append(self._known_list_request(state, note))
        self.logger.info(
            "portal %s: walked from the %d lists its last walk reached (home page and hubs "
            "not asked within the %g-day cadence)",
            portal.name,
            len(requests),
            days,
        )
        return requests

    def _known_list_request(self, state: PortalState, note: WalkNote) -> Request:
        meta = dict(note.meta)
        unit = meta.pop("unit", None)
        if isinstance(unit, list) and len(unit) == 2:
            state.units[str(unit[0])] = str(unit[1])
            state.units_walked.add(str(unit[0]))
        if meta.pop("column", True) and note.url not in state.columns:
            state.columns.append(note.url)
        state.walk_notes.append(note)  # kept if this run walks from the home page after all
        return self._request(  # type: ignore[attr-defined]
            note.url, self.parse_list, state, known_entry=True, **meta
        )

    def _walk_from_home(self, state: PortalState, why: str) -> Iterator[Request]:
        """A known list failed: walk the portal from its home page in this run, once."""
        if not state.replayed or state.rewalked or not state.portal.home_url:
            return
        state.rewalked = True
        self.logger.warning(
            "portal %s: a list its last walk reached failed (%s): walking from the home page",
            state.portal.name,
            why,
        )
        yield self._request(  # type: ignore[attr-defined]
            state.portal.home_url,
            self.parse_home,  # type: ignore[attr-defined]
            state,
            hub_depth=0,
            home=True,
            dont_filter=True,
        )
