"""The spider's use of Chromium (scrapy-playwright): which requests go through it, how a
JavaScript challenge is recognised, and how its cookies reach the plain HTTP requests.

Every browser page load captures the main document's HTTP responses as the server sent
them (harvester.crawl.wire): those are what the fetch recorder stores. Once a challenge
has been passed, the portal's further pages go over plain HTTP with the browser's cookies
(and conditionally, like every plain fetch) — unless the site challenges such a request
again, which the portal's state remembers for the rest of the crawl (`plain_refused`)."""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Callable
from typing import Protocol, TypeVar

from scrapy.http import Request, Response

from harvester.crawl.state import PortalState
from harvester.crawl.wire import CHALLENGED_META, REPLAY_META, Replay
from harvester.items import fetched

S = TypeVar("S", bound="PortalSpider")
CHALLENGE_STATUSES = (412, 521)
# Meta keys a browser retry must not carry over from the plain answer it replaces.
NOT_CARRIED = ("_", "download_", "fetch", "redirect", "harvester_")


def browser_meta() -> dict[str, object]:
    from scrapy_playwright.page import PageMethod

    from harvester.crawl import wire

    return {
        "playwright": True,
        "playwright_include_page": True,
        "playwright_page_init_callback": "harvester.crawl.wire.attach",
        "playwright_page_methods": [
            PageMethod("wait_for_load_state", "networkidle"),
            PageMethod(wire.settle),
        ],
    }


# Where Chromium sends whatever is not for a crawled portal: a closed port on loopback.
NOWHERE_PROXY = "http://127.0.0.1:9"


def launch_options(base: dict[str, object], hosts: set[str]) -> dict[str, object]:
    """Chromium's launch options for a crawl of portals at `hosts` (``host:port`` origins).

    Chromium's own services (sign-in to accounts.google.com, component and extension
    updates on update.googleapis.com, time queries) ignore switches that turn them off on
    some builds (Debian's wrapper brings API keys and remote extensions). So the browser
    is given a proxy that goes nowhere for every host but the portals': nothing of it
    leaves the machine, whatever the build or the environment's http_proxy says."""
    options = dict(base)
    # `<-loopback>` drops Chromium's implicit direct route to localhost, so another port of
    # a loopback (or any) host than the registry's goes nowhere too.
    bypass = ["<-loopback>", *sorted(hosts)]  # first: after the hosts it would undo them
    options["proxy"] = {"server": NOWHERE_PROXY, "bypass": ",".join(bypass)}
    return options


def plain_after_challenge(state: PortalState) -> bool:
    """A challenge portal whose challenge was passed: plain HTTP with the browser's cookies."""
    return state.challenge_passed and bool(state.browser_cookies) and not state.plain_refused


def use_browser(state: PortalState) -> bool:
    """Whether the portal's pages go through Chromium now."""
    return state.portal.needs_browser and not plain_after_challenge(state)


def with_cookies(request: Request, state: PortalState) -> Request:
    """Send the browser's cookies (a passed challenge) with a plain HTTP request."""
    if state.browser_cookies and not request.meta.get("playwright"):
        request.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in state.browser_cookies.items())
        request.meta["dont_merge_cookies"] = True
    return request


async def release_page(response: Response, state: PortalState | None) -> None:
    """Close the browser page (always); keep its cookies for the portal's plain requests."""
    if state is not None and response.meta.get(CHALLENGED_META):
        state.challenge_passed = True
    page = response.meta.pop("playwright_page", None)
    if page is None:
        return
    try:
        if state is not None:
            for cookie in await page.context.cookies():
                state.browser_cookies[cookie["name"]] = cookie["value"]
    finally:
        await page.close()


def is_challenge(response: Response, state: PortalState | None = None) -> bool:
    """A plain-HTTP answer that is a JavaScript challenge: to be retried in the browser.

    One that came although the request carried the browser's cookies teaches the portal's
    state that this site wants the browser for every page (`plain_refused`)."""
    challenged = response.status in CHALLENGE_STATUSES and not response.meta.get("playwright")
    if challenged and state is not None and plain_after_challenge(state):
        request = response.request
        if request is not None and request.headers.get("Cookie"):
            state.plain_refused = True
    return challenged


def challenge_failed(response: Response, state: PortalState) -> bool:
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


def browser_retry(response: Response, state: PortalState, js_list: bool = False) -> Request:
    """The same request again, through Chromium."""
    if not js_list:
        # A challenge host: the portal's further pages go through the browser.
        state.learnt_browser = True
        state.portal.needs_browser = True
    meta = {k: v for k, v in response.meta.items() if not k.startswith(NOT_CARRIED)}
    meta.update(browser_meta())
    meta["js_list"] = js_list
    document = fetched(response)
    if js_list and document is not None and document.not_modified and response.body:
        # The server just said its bytes are unchanged (304): Chromium renders the stored
        # bytes instead of downloading them again (harvester.crawl.wire.attach).
        meta[REPLAY_META] = Replay(response.url, response.body, document)
    request = response.request
    return Request(
        response.url,
        callback=request.callback if request else None,
        errback=request.errback if request else None,
        meta=meta,
        dont_filter=True,
    )


class PortalSpider(Protocol):
    """What `page_callback` needs of the spider: the portals' states by id."""

    @property
    def states(self) -> dict[int, PortalState]: ...


def page_callback(
    method: Callable[[S, Response, PortalState], AsyncIterator[object]],
) -> Callable[[S, Response], AsyncIterator[object]]:
    """A callback for a page of a portal: it gets the portal's state, after the browser page
    (if any) is closed; a challenge answer is retried in the browser instead, and one the
    browser did not pass is recorded as the page's failure."""

    @functools.wraps(method)
    async def arrived(spider: S, response: Response) -> AsyncIterator[object]:
        state = spider.states[response.meta["portal_id"]]
        await release_page(response, state)
        if is_challenge(response, state):
            yield browser_retry(response, state)
            return
        if challenge_failed(response, state):
            return
        async for out in method(spider, response, state):
            yield out

    return arrived
