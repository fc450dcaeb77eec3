"""The crawl context: everything one crawl process shares between its Scrapy components.

The spider builds it from its arguments and attaches it to its crawler; middlewares,
extensions and item pipelines take it in their ``from_crawler`` with
`crawl_context(crawler)`. It holds the database engine and blob store, the run, the portals
of the crawl with their bookkeeping (`PortalState`), and the validators of earlier fetches
for conditional requests (read once per portal, not once per request).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.crawl.completion import PortalCompletion
from harvester.crawl.revisit import DEFAULT_REVISIT_DAYS, RevisitPolicy
from harvester.crawl.state import PortalInfo, PortalState
from harvester.crawl_process import BLOB_STORE_ENV
from harvester.discovery import Link
from harvester.items import FetchedDocument, SeenReport
from harvester.proxies import effective, global_proxy
from harvester.storage.blobs import Blobs
from harvester.storage.db import make_engine, session_scope
from harvester.storage.fetches import fetched_document
from harvester.storage.location import recorded_blob_store
from harvester.storage.models import Fetch, Portal
from harvester.storage.stores import BLOBS_ENV, open_blob_store
from harvester.storage.types import utcnow

_CONTEXTS: weakref.WeakKeyDictionary[Crawler, CrawlContext] = weakref.WeakKeyDictionary()


def _as_list(value: object) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace("\n", ",").split(",") if v.strip()]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def portal_info(portal: Portal) -> PortalInfo:
    return PortalInfo(
        id=portal.id,
        name=portal.county,
        home_url=portal.home_url or "",
        family=portal.family or None,
        column_urls=_as_list(portal.column_urls),
        allowed_hosts=_as_list(portal.allowed_hosts),
        selectors={str(k): str(v) for k, v in (portal.selectors or {}).items()},
        needs_browser=bool(portal.needs_browser),
        encoding=portal.encoding or None,
    )


class CrawlContext:
    """Database, blobs, run and portals of one crawl process."""

    def __init__(
        self,
        db_url: str,
        data_dir: str | Path,
        run_id: int,
        portal_ids: list[int],
        since_year: int | None = None,
        distributed: bool = False,
    ) -> None:
        self.engine = make_engine(db_url)
        # The parent command passes the blob store the database records (harvester.crawling).
        self.blobs: Blobs = open_blob_store(self._blob_location(data_dir))
        self.run_id = run_id
        self.max_list_pages = 3000  # the spider sets HARVESTER_MAX_LIST_PAGES here
        # Which known report pages are asked again: the spider sets the cadence from the
        # HARVESTER_REVISIT_DAYS setting (`harvester crawl` passes --revisit-after there).
        self.revisit = RevisitPolicy(DEFAULT_REVISIT_DAYS)
        # Portals whose crawl is over are closed as they end (extensions.outcomes), and at
        # most `portal_window` are in flight (HARVESTER_PORTAL_WINDOW; 0: all at once).
        self.completion: PortalCompletion | None = None
        self.portal_window = 64
        self.since_year = since_year
        # Several worker processes share this run's queue (scrapy-redis): outcomes are merged.
        self.distributed = distributed
        # The global proxy ($HARVESTER_PROXY, set from `--proxy`) and each portal's own.
        self.proxy = global_proxy()
        self.proxies: dict[int, str | None] = {}
        with self.session() as session:
            rows = list(
                session.scalars(select(Portal).where(Portal.id.in_(portal_ids)).order_by(Portal.id))
            )
            self.states: dict[int, PortalState] = {p.id: PortalState(portal_info(p)) for p in rows}
            for p in rows:
                self.proxies[p.id] = effective(p.proxy, self.proxy)
        self.proxied = any(v is not None for v in self.proxies.values()) or self.proxy is not None
        self._host_proxies: dict[str, str | None] = {}
        for pid, state in self.states.items():
            for url in [state.portal.home_url, *state.portal.column_urls]:
                if url:
                    self._host_proxies.setdefault(urlsplit(url).netloc.lower(), self.proxies[pid])
        self.missing = [pid for pid in portal_ids if pid not in self.states]
        # The lock holder, when this context made its own run (a bare `scrapy crawl`): the
        # run is closed and the lock released when the spider closes.
        self.own_run: str | None = None
        self._previous: dict[int | None, dict[str, FetchedDocument]] = {}

    def _blob_location(self, data_dir: str | Path) -> str | Path:
        """The store the parent command chose ($HARVESTER_BLOB_STORE), else (a bare `scrapy
        crawl`) $HARVESTER_BLOBS, else the one the database records, else <data dir>/blobs.
        A directory or s3://bucket/prefix (its endpoint and credentials: AWS_* variables)."""
        chosen = os.environ.get(BLOB_STORE_ENV) or os.environ.get(BLOBS_ENV)
        if chosen:
            return chosen
        with self.session() as session:
            return recorded_blob_store(session) or Path(data_dir) / "blobs"

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.engine) as session:
            yield session

    def state(self, portal_id: int | None) -> PortalState | None:
        return self.states.get(portal_id) if portal_id is not None else None

    def proxy_for(self, portal_id: int | None, url: str) -> str | None:
        """The proxy URL carrying a request: its portal's, else that of the registry portal
        on its host (robots.txt asks no portal), else the global one."""
        if portal_id in self.proxies:
            return self.proxies[portal_id]
        return self._host_proxies.get(urlsplit(url).netloc.lower(), self.proxy)

    def proxy_hosts(self) -> set[str]:
        """Host names of the crawl's proxies (a proxy may be on a private network)."""
        urls = [self.proxy, *self.proxies.values()]
        return {(urlsplit(u).hostname or "").lower() for u in urls if u}

    def registry_hosts(self) -> set[str]:
        """Host names the crawl's registry rows point at (these may be private addresses)."""
        return {o.rsplit(":", 1)[0] for o in self.registry_origins()}

    def registry_origins(self) -> set[str]:
        """``host:port`` of every address the registry rows point at (the port defaults to
        the scheme's): a private address is allowed at these origins only."""
        origins: set[str] = set()
        for state in self.states.values():
            portal = state.portal
            for url in [portal.home_url, *portal.column_urls]:
                if url:
                    origins.add(origin(url))
            for extra in portal.allowed_hosts:
                extra = extra.strip()
                for scheme in ("http", "https"):
                    origins.add(origin(f"{scheme}://{extra}"))
        origins.discard("")
        return origins

    # -- earlier fetches, for conditional requests --------------------------------------------
    def unchanged_report(self, state: PortalState, link: Link) -> SeenReport | None:
        """A known report page the revisit policy leaves unasked this run, else None."""
        listing = self.revisit.fresh(self.session, state.portal.id, link.url, link.text, utcnow())
        if listing is None:
            return None
        return SeenReport(state.portal.id, listing.report_id, link.url)

    def previous(self, url: str, portal_id: int | None) -> FetchedDocument | None:
        """The last complete 200 answer for `url` (its validators and blob), if any."""
        if portal_id not in self._previous:
            self._previous[portal_id] = self._load_previous(portal_id)
        return self._previous[portal_id].get(url)

    def remember(self, portal_id: int | None, document: FetchedDocument) -> None:
        """A new complete answer: the next request for its URL asks with its validators."""
        if document.stored and document.status == 200:
            # Read the earlier fetches first: a portal whose first answer came from the
            # browser (never asked conditionally) must not start from an empty memory.
            self.previous(document.url, portal_id)
            self._previous[portal_id][document.url] = document

    def _load_previous(self, portal_id: int | None) -> dict[str, FetchedDocument]:
        query = (
            select(Fetch)
            .where(Fetch.complete.is_(True), Fetch.status == 200, Fetch.sha256.is_not(None))
            .order_by(Fetch.fetched_at, Fetch.id)
        )
        query = query.where(
            Fetch.portal_id == portal_id if portal_id is not None else Fetch.portal_id.is_(None)
        )
        with self.session() as session:
            return {fetch.url: fetched_document(fetch) for fetch in session.scalars(query)}


def attach_context(crawler: Crawler, context: CrawlContext) -> None:
    _CONTEXTS[crawler] = context


def crawl_context(crawler: Crawler) -> CrawlContext:
    """The context of the crawler's harvester spider; NotConfigured for any other spider."""
    context = _CONTEXTS.get(crawler)
    if context is None:
        raise NotConfigured("not a harvester crawl: its spider attached no crawl context")
    return context


def find_context(crawler: object) -> CrawlContext | None:
    """The context of `crawler`, or of any crawler it runs (a CrawlerProcess), if attached."""
    for candidate in [crawler, *getattr(crawler, "crawlers", ())]:
        context = _CONTEXTS.get(candidate)  # type: ignore[call-overload]
        if context is not None:
            return context
    return None


def origin(url: str) -> str:
    """``host:port`` of a URL, the port defaulting to the scheme's ("" when it has no host)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return ""
    try:
        port = parts.port
    except ValueError:
        return ""
    return f"{host}:{port or (443 if parts.scheme.lower() == 'https' else 80)}"
