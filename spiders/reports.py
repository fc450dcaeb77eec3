"""AnnualReportSpider: home page → 年报 column → sub-columns → list pages → reports.

One spider for every portal; what differs between portals is registry data (family,
column_urls, selectors, allowed_hosts, needs_browser) and per-family list walkers
(spiders/families/). The spider only fetches and follows: every response reaches it with
its `FetchedDocument` (middlewares.fetches records it, asks conditionally and answers a 304
with the stored bytes), it yields `ReportItem`s (stored by pipelines.reports), and what it
finds per portal goes into the crawl context's `PortalState` (turned into the portal's
outcome by extensions.outcomes).

Started by harvester's commands, or by a Scrapy user (see harvester.crawl.launch):

    scrapy crawl reports -a county=寿县
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urldefrag, urlsplit

import scrapy
from parsel import Selector
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from harvester import discovery
from harvester.crawl.completion import wait_for_room
from harvester.crawl.context import CrawlContext, attach_context
from harvester.crawl.launch import SpiderArguments, open_context
from harvester.crawl.revisit import RevisitPolicy
from harvester.crawl.state import PortalState
from harvester.crawl.walks import HOST, WalkNote
from harvester.discovery import Link
from harvester.items import ReportDocument, ReportItem, fetched
from harvester.normalize.links import continuation_urls, extract_attachments
from harvester.normalize.pictures import article_pictures
from spiders import families
from spiders.browser import (
    browser_meta,
    browser_retry,
    launch_options,
    page_callback,
    use_browser,
    with_cookies,
)
from spiders.families.base import MAX_LIST_PAGES
from spiders.known_walk import KnownWalkStarter
from spiders.pages import (
    failure_message,
    is_html,
    is_report_candidate,
    page_documents,
    page_title,
    response_text,
)
from spiders.units import UNITS_JSON, UnitWalker

MAX_HUB_DEPTH = 2
# Further list pages one portal may ask for (every column together); more is a trap.
MAX_PORTAL_LIST_PAGES = 3000
MAX_SUBCOLUMN_DEPTH = 3
MAX_COLUMNS = 4


class AnnualReportSpider(KnownWalkStarter, UnitWalker, scrapy.Spider):
    name = "reports"

    def __init__(self, context: CrawlContext, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.context = context
        for pid in context.missing:
            self.logger.error("portal %s is not in the registry", pid)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: str) -> AnnualReportSpider:
        """Arguments (-a …) → crawl context, attached to the crawler for its components."""
        names = set(SpiderArguments.__dataclass_fields__)
        context = open_context(
            SpiderArguments(**{k: str(v) for k, v in kwargs.items() if k in names})
        )
        attach_context(crawler, context)
        context.max_list_pages = crawler.settings.getint(
            "HARVESTER_MAX_LIST_PAGES", MAX_PORTAL_LIST_PAGES
        )
        context.portal_window = crawler.settings.getint("HARVESTER_PORTAL_WINDOW", 64)
        if crawler.settings.get("HARVESTER_REVISIT_DAYS") is not None:
            context.revisit = RevisitPolicy(crawler.settings.getfloat("HARVESTER_REVISIT_DAYS"))
        # Chromium reaches the registry's hosts and nothing else (spiders/browser.py).
        crawler.settings.set(
            "PLAYWRIGHT_LAUNCH_OPTIONS",
            launch_options(
                crawler.settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"), context.registry_origins()
            ),
            priority="spider",
        )
        rest = {k: v for k, v in kwargs.items() if k not in names}
        spider = cls(context, *args, **rest)
        spider._set_crawler(crawler)
        return spider

    @property
    def states(self) -> dict[int, PortalState]:
        return self.context.states

    # -- helpers ------------------------------------------------------------------------
    def _request(
        self,
        url: str,
        callback: Callable[..., Any],
        state: PortalState,
        *,
        browser: bool = False,
        **meta: Any,
    ) -> Request:
        meta = {"portal_id": state.portal.id, "page_url": url, **meta}
        # A family's JSON / XML API answers data, not a page: plain HTTP (with the
        # browser's cookies) even on a browser portal, or Chromium would wrap it in HTML.
        api = meta.get("kind") in families.API_WALKERS or meta.get("kind") == UNITS_JSON
        if (browser or use_browser(state)) and not api:
            meta.update(browser_meta())
        unit = bool(meta.get("unit_url")) or meta.get("kind") == UNITS_JSON
        request = Request(
            url,
            callback=callback,
            errback=self.unit_failed if unit else self.on_error,
            meta=meta,
            dont_filter=bool(meta.pop("dont_filter", False)),
        )
        return with_cookies(request, state)

    def _page_text(self, response: Response, state: PortalState) -> str:
        return response_text(response, fetched(response), state.portal.encoding)

    def allowed(self, state: PortalState, url: str) -> bool:
        return discovery.host_allowed(url, state.portal.home_url, state.portal.allowed_hosts)

    # -- start --------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        for state in self.states.values():
            await wait_for_room(self.context.completion, self.context.portal_window)
            state.started = state.starting = True
            portal = state.portal
            if portal.column_urls:
                for url in portal.column_urls:
                    state.columns.append(url)
                    yield self._request(url, self.parse_list, state, kind="html", column_depth=0)
            elif portal.home_url and (known := self._known_walk_requests(state)) is not None:
                for request in known:  # within the revisit cadence: no home page, no hubs
                    yield request
            elif portal.home_url:
                yield self._request(portal.home_url, self.parse_home, state, hub_depth=0, home=True)
            else:
                state.home_error = "no home URL in the registry"
            state.starting = False  # every start request of the portal is scheduled

    # -- callbacks ----------------------------------------------------------------------
    @page_callback
    async def parse_home(self, response: Response, state: PortalState) -> AsyncIterator[Any]:
        moved_to = urlsplit(response.url).netloc
        if response.meta.get("home") and moved_to != urlsplit(state.portal.home_url).netloc:
            # The portal moved (its home page redirects to another host): follow it there.
            self.logger.warning("portal %s moved to %s", state.portal.name, response.url)
            state.portal.allowed_hosts.append(moved_to)
            state.walk_notes.append(WalkNote(HOST, moved_to))
        html = self._page_text(response, state)
        for request in self._unit_requests(state, html, response.url):
            yield request
        if discovery.page_is_report_column(html, response.url):
            if response.url not in state.columns:
                state.columns.append(response.url)
            self._note_list(state, response.url, kind="html", column_depth=0)
            async for out in self.parse_list(response):
                yield out
            return
        candidates = discovery.find_columns(
            html, response.url, state.portal.home_url, state.portal.allowed_hosts
        )
        best = candidates[0].score if candidates else 0.0
        found = [c for c in candidates if c.url not in state.columns and c.score >= best / 2]
        found = found[:MAX_COLUMNS]
        for cand in found:
            state.columns.append(cand.url)
            self.logger.info(
                "portal %s: 年报 column %s (%s)",
                state.portal.name,
                cand.url,
                "; ".join(cand.reasons),
            )
            yield self._noted_list_request(
                state, cand.url, kind="html", column_depth=0, column_text=cand.text
            )
        if state.columns:
            return
        depth = response.meta.get("hub_depth", 0)
        if depth < MAX_HUB_DEPTH:
            for hub in discovery.find_hubs(
                html, response.url, state.portal.home_url, state.portal.allowed_hosts
            )[:6]:
                yield self._request(hub.url, self.parse_home, state, hub_depth=depth + 1)

    @page_callback
    async def parse_list(self, response: Response, state: PortalState) -> AsyncIterator[Any]:
        meta = response.meta
        state.list_pages += 1
        html = self._page_text(response, state)
        kind = meta.get("kind", "html")
        family = state.portal.family
        if family in (None, "", "generic"):
            family = families.detect_family(response.url, html)
        if kind == "html" and not state.detected_family:
            state.detected_family = family
        # The URL as requested keeps its fragment (gkmlpt's annualreport#<col>).
        asked = meta.get("page_url") or response.url
        walk_url = asked if urldefrag(asked)[0] == urldefrag(response.url)[0] else response.url
        try:
            walk = (
                families.API_WALKERS[kind](walk_url, html)
                if kind in families.API_WALKERS
                else families.walk(family, walk_url, html)
            )
        except (ValueError, SyntaxError) as exc:  # unreadable JSON / XML: recorded, not dropped
            state.fail(f"list answer not readable as {kind}: {exc}", response.url)
            return
        if len(walk.pages) >= MAX_LIST_PAGES - 1 and (walk.total or 0) > MAX_LIST_PAGES:
            state.fail(
                f"list cut at {MAX_LIST_PAGES} pages (list-page cap): the page announces "
                f"{walk.total}",
                response.url,
            )
        body_hint = meta.get("body_hint")
        year_hint = meta.get("year_hint")
        links = walk.links
        list_selector = state.portal.selectors.get("list")
        if list_selector and kind == "html":
            # The registry names the list's container: only links inside it count.
            inside = "".join(Selector(text=html).css(list_selector).getall())
            links = discovery.extract_links(inside, response.url) if inside else []
        reports = [
            link for link in links if self.allowed(state, link.url) and is_report_candidate(link)
        ]
        subcolumns = []
        # Not meta["depth"]: Scrapy's DepthMiddleware owns that key and counts every hop
        # from the home page, which would use up the sub-column levels before the column.
        depth = meta.get("column_depth", 0)
        if kind == "html" and depth < MAX_SUBCOLUMN_DEPTH:
            subcolumns = discovery.find_subcolumns(
                html, response.url, state.portal.home_url, state.portal.allowed_hosts
            )
        if (
            not (reports or walk.pages)
            and not any("under column" in sub.reasons for sub in subcolumns)
            and kind == "html"
            and "<script" in html.lower()
            and not meta.get("playwright")
        ):
            # A list filled in by JavaScript: render it once in the browser.
            yield browser_retry(response, state, js_list=True)
            return
        if meta.get("playwright") and reports and meta.get("js_list"):
            # Rendered where it needs it, this list: the portal's other pages stay plain
            # HTTP (and conditional); needs_browser is for challenge portals.
            state.rendered_lists += 1
        if kind == "html" and depth == 0 and not meta.get("body_hint"):
            # The county's column may list the units beside it (a left tree, a select).
            subs = frozenset(sub.url for sub in subcolumns)
            for request in self._unit_requests(state, html, response.url, subs):
                yield request
        for link in reports:
            since = self.context.since_year
            if since and (y := discovery.year_hint(link.text)) and y < since:
                state.older += 1
                continue
            state.report_links += 1
            if seen := self.context.unchanged_report(state, link):
                yield seen  # known, listed as before, checked recently: not asked again
                continue
            yield self._request(
                link.url,
                self.parse_article,
                state,
                link_text=link.text,
                body_hint=body_hint,
                year_hint=discovery.year_hint(link.text) or year_hint,
                referer_list=response.url,
            )
        for page in walk.pages:
            if not self.allowed(state, page.url):
                continue
            if page.url not in state.pages_asked and (
                len(state.pages_asked) >= self.context.max_list_pages
            ):
                # An endless list (a calendar, ?page=N for ever) ends here, said once.
                if not state.list_pages_capped:
                    state.list_pages_capped = True
                    state.fail(
                        f"list pages of the portal cut at {self.context.max_list_pages} "
                        "(per-portal list-page cap): the lists go on",
                        response.url,
                    )
                break
            state.pages_asked.add(page.url)
            yield self._request(
                page.url,
                self.parse_list,
                state,
                kind=page.kind,
                column_depth=depth,
                body_hint=body_hint,
                year_hint=year_hint,
                page_of=response.url,
            )
        for sub in subcolumns:
            # The same sub-column is linked from many pages (a side tree on every list); it
            # is read again when reached by a shorter path, whose depth leaves room for its
            # own sub-columns (the duplicate filter would keep the first, deeper visit).
            known = state.subcolumn_depth.get(sub.url)
            if known is not None and known <= depth + 1:
                continue
            state.subcolumn_depth[sub.url] = depth + 1
            sub_body = sub.text if discovery.looks_like_body(sub.text) else body_hint
            sub_year = (
                discovery.year_hint(sub.text)
                if discovery.looks_like_year_column(sub.text)
                else year_hint
            )
            yield self._request(
                sub.url,
                self.parse_list,
                state,
                kind="html",
                column_depth=depth + 1,
                body_hint=sub_body,
                year_hint=sub_year,
                dont_filter=known is not None,
            )

    @page_callback
    async def parse_article(self, response: Response, state: PortalState) -> AsyncIterator[Any]:
        meta = response.meta
        document = self._document(response, "page", state)
        if document is None:
            return
        item = ReportItem(
            portal_id=state.portal.id,
            portal_name=state.portal.name,
            title=meta.get("link_text") or "",
            url=document.url,
            body_hint=meta.get("body_hint"),
            year_hint=meta.get("year_hint"),
            list_entry=meta.get("link_text"),
        )
        if not is_html(document.document, response.body):
            # The list linked the report's file itself.
            state.articles += 1
            yield item.with_document(ReportDocument("attachment", document.url, document.document))
            return
        html = self._page_text(response, state)
        title = page_title(html) or meta.get("link_text") or ""
        if discovery.is_lookalike(title) or not (
            discovery.is_report_title(title)
            or discovery.is_report_link(Link(response.url, meta.get("link_text") or ""))
        ):
            state.skipped += 1
            self.logger.info("not a report: %r at %s", title, response.url)
            return
        state.articles += 1
        pending: list[tuple[str, str]] = [
            (u, "page") for u in continuation_urls(html, response.url)
        ]
        pending += self._attachments(state, html, response.url, set())
        item = replace(item, title=title, documents=page_documents(document))
        yield self._next_document(item, pending)

    def _attachments(
        self, state: PortalState, html: str, url: str, known: set[str]
    ) -> list[tuple[str, str]]:
        """The page's attachments, then its body pictures (tables published as images, role
        image; a picture that is also linked is a picture), on the portal's hosts; foreign
        ones recorded, not followed."""
        pictures = article_pictures(html, url)
        found = []
        for attachment in extract_attachments(html, url):
            if attachment.url in known or attachment.url in pictures:
                continue
            if self.allowed(state, attachment.url):
                found.append((attachment.url, "attachment"))
            else:
                state.fail("attachment on a foreign host not followed", attachment.url)
        for picture in pictures:
            if picture in known:
                continue
            if self.allowed(state, picture):
                found.append((picture, "image"))
            else:
                state.fail("article picture on a foreign host not followed", picture)
        return found

    def _next_document(
        self, item: ReportItem, pending: list[tuple[str, str]]
    ) -> ReportItem | Request:
        """The next document of the report to fetch, or the whole report when none is left."""
        if not pending:
            return item
        url, role = pending[0]
        request = Request(
            url,
            callback=self.parse_document,
            errback=self.document_failed,
            dont_filter=True,
            meta={
                "portal_id": item.portal_id,
                "item": item,
                "pending": pending[1:],
                "role": role,
            },
            headers={"Referer": item.url},
        )
        return with_cookies(request, self.states[item.portal_id])

    def parse_document(self, response: Response) -> ReportItem | Request:
        meta = response.meta
        state = self.states[meta["portal_id"]]
        item: ReportItem = meta["item"]
        pending = list(meta["pending"])
        document = self._document(response, meta["role"], state)
        if document is None:
            item = replace(item, complete=False)  # asked again by the next run
        else:
            for part in page_documents(document) if meta["role"] == "page" else (document,):
                item = item.with_document(part)
            state.attachments += int(meta["role"] == "attachment")
            state.pictures += int(meta["role"] == "image")
            if meta["role"] == "page" and is_html(document.document, response.body):
                # A continuation page (t…_1.html) may carry the attachments.
                known = {d.url for d in item.documents} | {u for u, _role in pending}
                html = self._page_text(response, state)
                pending += self._attachments(state, html, response.url, known)
        return self._next_document(item, pending)

    def document_failed(self, failure: Failure) -> ReportItem | Request:
        request = failure.request
        state = self.states[request.meta["portal_id"]]
        # A document of a report that could not be fetched: the report is incomplete.
        state.coverage_gap(
            f"{request.meta['role']} not fetched: {failure_message(failure)}", request.url
        )
        item = replace(request.meta["item"], complete=False)
        return self._next_document(item, request.meta["pending"])

    def _document(self, response: Response, role: str, state: PortalState) -> ReportDocument | None:
        """The response as a report document; None (with the reason recorded) when its bytes
        were not stored whole."""
        document = fetched(response)
        if document is None:
            if response.status == 304:
                state.fail(f"HTTP 304 for a {role} never fetched before", response.url)
            elif response.status != 200:
                state.fail(f"HTTP {response.status} for a {role}", response.url)
            else:
                state.fail(f"the {role} fetch was not recorded", response.url)
            return None
        if document.status not in (200, 304) and not document.not_modified:
            state.fail(f"HTTP {document.status} for a {role}", response.url)
            return None
        if not document.stored:
            state.coverage_gap(f"truncated {role}: fewer bytes than Content-Length", response.url)
            return None
        return ReportDocument(role, document.url, document)

    # -- failures ---------------------------------------------------------------------------
    async def on_error(self, failure: Failure) -> None:
        request = failure.request
        page = request.meta.pop("playwright_page", None)
        if page is not None:
            await page.close()
        state = self.states.get(request.meta.get("portal_id"))
        if state is None:
            return
        message = failure_message(failure)
        if request.meta.get("home"):
            state.home_error = f"{message} ({request.url})"
        if "referer_list" in request.meta:  # a report page: that report is missed
            state.coverage_gap(f"report page not fetched: {message}", request.url)
        else:
            state.fail(f"fetch failed: {message}", request.url)
        if request.meta.get("known_entry"):
            for home in self._walk_from_home(state, message):
                self.crawler.engine.crawl(home)
