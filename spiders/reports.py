"""AnnualReportSpider: home page → 年报 column → sub-columns → list pages → reports.

One spider for every portal; what differs between portals is registry data (family,
column_urls, selectors, allowed_hosts, needs_browser) and per-family list walkers
(spiders/families/). The spider only fetches and follows: fetches are recorded by
pipelines.fetches, reports stored by pipelines.reports, outcomes by pipelines.outcomes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urldefrag, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Request, Response, TextResponse

from harvester import discovery
from harvester.discovery import Link
from pipelines.store import CrawlStore
from spiders import families
from spiders.attachments import attachment_links, continuation_links
from spiders.state import PortalState

CHALLENGE_STATUSES = (412, 521)
MAX_HUB_DEPTH = 2
MAX_SUBCOLUMN_DEPTH = 3
MAX_COLUMNS = 4


def _text(
    response: Response, previous_body: bytes | None = None, encoding: str | None = None
) -> str:
    """The page's text: the registry's encoding if it names one, else Scrapy's decoding,
    re-decoded from the page's own meta charset when that one shows U+FFFD damage."""
    if encoding:
        return decode_html(
            previous_body if previous_body is not None else response.body, encoding, first=True
        )
    if previous_body is not None:
        return decode_html(previous_body, "")
    declared = ""
    if isinstance(response, TextResponse):
        text = response.text
        if "\ufffd" not in text:
            return text
        declared = response.encoding or ""
    return decode_html(response.body, declared)


def decode_html(body: bytes, declared: str = "", first: bool = False) -> str:
    """Decode a page whose declared charset may be missing or wrong: the page's own meta
    charset, UTF-8 and GB18030 (for gb2312/gbk) are tried; the fewest U+FFFD wins."""
    meta = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", body[:4096], re.I)
    page_charset = meta.group(1).decode("ascii", "ignore") if meta else ""
    order = (declared, page_charset) if first else (page_charset, declared)
    candidates = [c for c in (*order, "utf-8", "gb18030") if c]
    best = ""
    best_bad = None
    for name in candidates:
        name = "gb18030" if name.lower() in ("gb2312", "gbk", "gb_2312-80", "x-gbk") else name
        try:
            text = body.decode(name, errors="replace")
        except LookupError:
            continue
        bad = text.count("\ufffd")
        if best_bad is None or bad < best_bad:
            best, best_bad = text, bad
        if bad == 0:
            break
    return best


def page_title(html: str) -> str:
    meta = discovery.page_meta(html)
    if meta.get("ArticleTitle"):
        return discovery.clean_text(meta["ArticleTitle"])
    for pattern in (r"<h1[^>]*>(.*?)</h1>", r"<title[^>]*>(.*?)</title>"):
        m = re.search(pattern, html, re.S | re.I)
        if m:
            return discovery.clean_text(re.sub(r"<[^>]+>", "", m.group(1)))
    return ""


def is_html(response: Response) -> bool:
    ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    if "html" in ctype or "xml" in ctype:
        return True
    return not ctype and response.body.lstrip()[:1] == b"<"


class AnnualReportSpider(scrapy.Spider):
    name = "reports"

    def __init__(
        self,
        db_url: str = "",
        data_dir: str = "",
        portal_ids: str = "",
        run_id: str = "0",
        since_year: str = "",
        distributed: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not db_url or not data_dir or not portal_ids:
            raise ValueError(
                f"the reports spider needs -a db_url=… -a data_dir=… -a portal_ids=1,2; "
                f"got db_url={db_url!r} data_dir={data_dir!r} portal_ids={portal_ids!r}"
            )
        self.run_id = int(run_id)
        self.since_year = int(since_year) if since_year else None
        # Several worker processes share this run's queue (scrapy-redis): outcomes are merged.
        self.distributed = bool(distributed)
        self.store = CrawlStore(db_url, data_dir)
        ids = [int(p) for p in str(portal_ids).split(",") if p.strip()]
        self.states: dict[int, PortalState] = {
            p.id: PortalState(p) for p in self.store.load_portals(ids)
        }
        for pid in ids:
            if pid not in self.states:
                self.logger.error("portal %s is not in the registry", pid)

    # -- helpers ------------------------------------------------------------------------
    def portal_state(self, portal_id: int) -> PortalState:
        return self.states[portal_id]

    def _request(
        self, url: str, callback: Any, state: PortalState, *, browser: bool = False, **meta: Any
    ) -> Request:
        meta = {"portal_id": state.portal.id, "page_url": url, **meta}
        # A family's JSON / XML API answers data, not a page: plain HTTP (with the
        # browser's cookies) even on a browser portal, or Chromium would wrap it in HTML.
        api = meta.get("kind") in families.API_WALKERS
        if (browser or state.portal.needs_browser) and not api:
            meta.update(_browser_meta())
        request = Request(
            url,
            callback=callback,
            errback=self.on_error,
            meta=meta,
            dont_filter=bool(meta.pop("dont_filter", False)),
        )
        _with_cookies(request, state)
        if not meta.get("playwright"):
            # Home, column and list pages are asked for conditionally too: a 304 is read
            # from the stored copy, so an unchanged portal costs almost no bytes.
            request = self._conditional(request)
        return request

    def _page_text(self, response: Response, state: PortalState) -> str:
        """A home or list page's text; a 304 answer's from the previous fetch's blob."""
        previous = response.meta.get("previous")
        if response.status == 304 and previous:
            return _text(response, self.store.blobs.get(previous["sha256"]), state.portal.encoding)
        return _text(response, encoding=state.portal.encoding)

    def _conditional(self, request: Request) -> Request:
        """Ask again only if changed: validators from the last fetch of this URL."""
        previous = self.store.last_fetch(request.url)
        if previous is None or not (previous["etag"] or previous["last_modified"]):
            return request
        headers = {}
        if previous["etag"]:
            headers["If-None-Match"] = previous["etag"]
        if previous["last_modified"]:
            headers["If-Modified-Since"] = previous["last_modified"]
        request.headers.update(headers)
        request.meta["previous"] = previous
        return request

    async def _release_page(self, response: Response) -> None:
        """Close the browser page (always); keep its cookies for the portal's plain requests."""
        page = response.meta.pop("playwright_page", None)
        if page is None:
            return
        try:
            state = self.states.get(response.meta.get("portal_id"))
            if state is not None:
                for cookie in await page.context.cookies():
                    state.browser_cookies[cookie["name"]] = cookie["value"]
        finally:
            await page.close()

    def allowed(self, state: PortalState, url: str) -> bool:
        return discovery.host_allowed(url, state.portal.home_url, state.portal.allowed_hosts)

    # -- start --------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        for state in self.states.values():
            portal = state.portal
            if portal.column_urls:
                for url in portal.column_urls:
                    state.columns.append(url)
                    yield self._request(url, self.parse_list, state, kind="html", column_depth=0)
            elif portal.home_url:
                yield self._request(portal.home_url, self.parse_home, state, hub_depth=0, home=True)
            else:
                state.home_error = "no home URL in the registry"

    # -- callbacks ----------------------------------------------------------------------
    async def parse_home(self, response: Response) -> AsyncIterator[Any]:
        await self._release_page(response)
        state = self.states[response.meta["portal_id"]]
        if self._is_challenge(response):
            yield self._browser_retry(response, state)
            return
        if self._challenge_failed(response, state):
            return
        moved_to = urlsplit(response.url).netloc
        if response.meta.get("home") and moved_to != urlsplit(state.portal.home_url).netloc:
            # The portal moved (its home page redirects to another host): follow it there.
            self.logger.warning("portal %s moved to %s", state.portal.name, response.url)
            state.portal.allowed_hosts.append(moved_to)
        html = self._page_text(response, state)
        if discovery.page_is_report_column(html, response.url):
            if response.url not in state.columns:
                state.columns.append(response.url)
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
            yield self._request(
                cand.url, self.parse_list, state, kind="html", column_depth=0, column_text=cand.text
            )
        if state.columns:
            return
        depth = response.meta.get("hub_depth", 0)
        if depth < MAX_HUB_DEPTH:
            for hub in discovery.find_hubs(
                html, response.url, state.portal.home_url, state.portal.allowed_hosts
            )[:6]:
                yield self._request(hub.url, self.parse_home, state, hub_depth=depth + 1)

    async def parse_list(self, response: Response) -> AsyncIterator[Any]:
        await self._release_page(response)
        meta = response.meta
        state = self.states[meta["portal_id"]]
        if self._is_challenge(response):
            yield self._browser_retry(response, state)
            return
        if self._challenge_failed(response, state):
            return
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
        body_hint = meta.get("body_hint")
        year_hint = meta.get("year_hint")
        links = walk.links
        list_selector = state.portal.selectors.get("list")
        if list_selector and kind == "html":
            # The registry names the list's container: only links inside it count.
            inside = "".join(Selector(text=html).css(list_selector).getall())
            links = discovery.extract_links(inside, response.url) if inside else []
        reports = [
            link
            for link in links
            if self.allowed(state, link.url) and self._is_report_candidate(link)
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
            yield self._browser_retry(response, state, js_list=True)
            return
        if meta.get("playwright") and reports and meta.get("js_list"):
            state.learnt_browser = True
        for link in reports:
            if self.since_year and (y := discovery.year_hint(link.text)) and y < self.since_year:
                state.older += 1
                continue
            state.report_links += 1
            request = self._request(
                link.url,
                self.parse_article,
                state,
                link_text=link.text,
                body_hint=body_hint,
                year_hint=discovery.year_hint(link.text) or year_hint,
                referer_list=response.url,
            )
            yield request  # conditional (see _request)
        for page in walk.pages:
            if not self.allowed(state, page.url):
                continue
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

    def _is_report_candidate(self, link: Link) -> bool:
        if discovery.is_report_link(link):
            return True
        # Titles cut short ("…2023年政府信息公…") or absent (script lists): judge by the page.
        text = link.text
        truncated = text.endswith(("...", "…")) or not text
        return (
            truncated
            and discovery.is_article_url(link.url)
            and not discovery.is_lookalike(text, link.url)
        )

    async def parse_article(self, response: Response) -> AsyncIterator[Any]:
        await self._release_page(response)
        meta = response.meta
        state = self.states[meta["portal_id"]]
        if self._is_challenge(response):
            yield self._browser_retry(response, state)
            return
        if self._challenge_failed(response, state):
            return
        document, body = self._document(response, "page")
        if document is None:
            return
        if not is_html(response) and response.status != 304:
            # The list linked the report's file itself.
            state.articles += 1
            yield self._item(
                state,
                meta,
                meta.get("link_text") or "",
                response,
                [{**document, "role": "attachment"}],
            )
            return
        html = _text(response, body, state.portal.encoding)
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
            (u, "page") for u in continuation_links(html, response.url)
        ]
        for link in attachment_links(html, response.url):
            if self.allowed(state, link.url):
                pending.append((link.url, "attachment"))
            else:
                state.fail("attachment on a foreign host not followed", link.url)
        item = {
            "portal_id": state.portal.id,
            "portal_name": state.portal.name,
            "title": title,
            "url": meta.get("redirect_urls", [response.url])[0],
            "body_hint": meta.get("body_hint"),
            "year_hint": meta.get("year_hint"),
            "documents": [document],
        }
        yield self._next_document(item, pending)

    def _item(
        self,
        state: PortalState,
        meta: dict[str, Any],
        title: str,
        response: Response,
        documents: list[dict[str, Any]],
    ) -> dict[str, Any]:
        return {
            "portal_id": state.portal.id,
            "portal_name": state.portal.name,
            "title": title,
            "url": meta.get("redirect_urls", [response.url])[0],
            "body_hint": meta.get("body_hint"),
            "year_hint": meta.get("year_hint"),
            "documents": documents,
        }

    def _next_document(self, item: dict[str, Any], pending: list[tuple[str, str]]) -> Any:
        if not pending:
            return item
        url, role = pending[0]
        state = self.states[item["portal_id"]]
        request = Request(
            url,
            callback=self.parse_document,
            errback=self.document_failed,
            dont_filter=True,
            meta={
                "portal_id": state.portal.id,
                "item": item,
                "pending": pending[1:],
                "role": role,
            },
            headers={"Referer": item["url"]},
        )
        _with_cookies(request, state)
        return self._conditional(request)

    def parse_document(self, response: Response) -> Any:
        meta = response.meta
        state = self.states[meta["portal_id"]]
        item = meta["item"]
        document, body = self._document(response, meta["role"])
        pending = list(meta["pending"])
        if document is not None:
            item["documents"].append(document)
            state.attachments += int(meta["role"] == "attachment")
            if meta["role"] == "page" and (body is not None or is_html(response)):
                # A continuation page (t…_1.html) may carry the attachments.
                known = {d["url"] for d in item["documents"]} | {u for u, _r in pending}
                html = _text(response, body, state.portal.encoding)
                for link in attachment_links(html, response.url):
                    if link.url not in known and self.allowed(state, link.url):
                        pending.append((link.url, "attachment"))
        return self._next_document(item, pending)

    def document_failed(self, failure: Any) -> Any:
        request = failure.request
        state = self.states[request.meta["portal_id"]]
        state.fail(f"{request.meta['role']} not fetched: {failure_message(failure)}", request.url)
        return self._next_document(request.meta["item"], request.meta["pending"])

    def _document(
        self, response: Response, role: str
    ) -> tuple[dict[str, Any] | None, bytes | None]:
        """The stored document of a response (a 304 reuses the previous blob)."""
        state = self.states[response.meta["portal_id"]]
        fetch = response.meta.get("fetch")
        if response.status == 304 and response.meta.get("previous"):
            prev = response.meta["previous"]
            doc = {
                "url": response.url,
                "final_url": prev["final_url"],
                "sha256": prev["sha256"],
                "role": role,
                "fetch_id": prev["fetch_id"],
                "media_type": prev["media_type"],
                "bytes": prev["bytes"],
                "fetched_at": prev["fetched_at"],
            }
            return doc, self.store.blobs.get(prev["sha256"])
        if response.status != 200:
            state.fail(f"HTTP {response.status} for a {role}", response.url)
            return None, None
        if fetch is None:
            state.fail(f"the {role} fetch was not recorded", response.url)
            return None, None
        if not fetch.get("complete") or not fetch.get("sha256"):
            state.fail(f"truncated {role}: fewer bytes than Content-Length", response.url)
            return None, None
        url = response.meta.get("redirect_urls", [response.url])[0]
        return {
            "url": url,
            "final_url": fetch.get("final_url") or response.url,
            "sha256": fetch["sha256"],
            "role": role,
            "fetch_id": fetch["fetch_id"],
            "media_type": fetch.get("media_type", ""),
            "bytes": fetch.get("bytes"),
            "fetched_at": fetch.get("fetched_at"),
        }, None

    # -- browser and failures -------------------------------------------------------------
    def _is_challenge(self, response: Response) -> bool:
        return response.status in CHALLENGE_STATUSES and not response.meta.get("playwright")

    def _challenge_failed(self, response: Response, state: PortalState) -> bool:
        """A challenge answer even in the browser: recorded as the page's failure.

        The browser reports the first navigation's status; a challenge it passed (script
        sets a cookie and reloads) leaves the real page behind. A page still without any
        link or text is the challenge itself."""
        if response.status not in CHALLENGE_STATUSES:
            return False
        body = response.body.decode("utf-8", "replace")
        visible = re.sub(r"<script.*?</script>|<[^>]+>|\s+", "", body, flags=re.S | re.I)
        if re.search(r"<a\s", body, re.I) or len(visible) >= 200:
            return False
        reason = f"anti-bot challenge not passed in the browser: HTTP {response.status}"
        if response.meta.get("home"):
            state.home_error = f"{reason} ({response.url})"
        state.fail(reason, response.url)
        return True

    def _browser_retry(
        self, response: Response, state: PortalState, js_list: bool = False
    ) -> Request:
        if not js_list:
            # A challenge host: the portal's further pages go through the browser.
            state.learnt_browser = True
            state.portal.needs_browser = True
        meta = {
            k: v
            for k, v in response.meta.items()
            if not k.startswith(("_", "download_", "fetch", "redirect"))
        }
        meta.update(_browser_meta())
        meta["js_list"] = js_list
        return Request(
            response.url,
            callback=response.request.callback,
            errback=self.on_error,
            meta=meta,
            dont_filter=True,
        )

    async def on_error(self, failure: Any) -> None:
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
        state.fail(f"fetch failed: {message}", request.url)


def _browser_meta() -> dict[str, Any]:
    from scrapy_playwright.page import PageMethod

    return {
        "playwright": True,
        "playwright_include_page": True,
        "playwright_page_methods": [PageMethod("wait_for_load_state", "networkidle")],
    }


def _with_cookies(request: Request, state: PortalState) -> None:
    """Send the browser's cookies (a passed challenge) with a plain HTTP request."""
    if state.browser_cookies and not request.meta.get("playwright"):
        request.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in state.browser_cookies.items())
        request.meta["dont_merge_cookies"] = True


def failure_message(failure: Any) -> str:
    """What went wrong with a request, said plainly (HTTP status, DNS, timeout …)."""
    response = getattr(failure.value, "response", None)
    if response is not None and hasattr(response, "status"):
        return f"HTTP {response.status}"
    return f"{type(failure.value).__name__}: {failure.getErrorMessage()}"
