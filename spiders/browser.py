"""The spider's use of Chromium (scrapy-playwright): which requests go through it, how a
JavaScript challenge is recognised, and how its cookies reach the plain HTTP requests."""

from __future__ import annotations

import re

from scrapy.http import Request, Response

from harvester.crawl.state import PortalState

CHALLENGE_STATUSES = (412, 521)
# Meta keys a browser retry must not carry over from the plain answer it replaces.
NOT_CARRIED = ("_", "download_", "fetch", "redirect", "harvester_")


def browser_meta() -> dict[str, object]:
    from scrapy_playwright.page import PageMethod

    return {
        "playwright": True,
        "playwright_include_page": True,
        "playwright_page_methods": [PageMethod("wait_for_load_state", "networkidle")],
    }


def with_cookies(request: Request, state: PortalState) -> Request:
    """Send the browser's cookies (a passed challenge) with a plain HTTP request."""
    if state.browser_cookies and not request.meta.get("playwright"):
        request.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in state.browser_cookies.items())
        request.meta["dont_merge_cookies"] = True
    return request


async def release_page(response: Response, state: PortalState | None) -> None:
    """Close the browser page (always); keep its cookies for the portal's plain requests."""
    page = response.meta.pop("playwright_page", None)
    if page is None:
        return
    try:
        if state is not None:
            for cookie in await page.context.cookies():
                state.browser_cookies[cookie["name"]] = cookie["value"]
    finally:
        await page.close()


def is_challenge(response: Response) -> bool:
    """A plain-HTTP answer that is a JavaScript challenge: to be retried in the browser."""
    return response.status in CHALLENGE_STATUSES and not response.meta.get("playwright")


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
    request = response.request
    return Request(
        response.url,
        callback=request.callback if request else None,
        errback=request.errback if request else None,
        meta=meta,
        dont_filter=True,
    )
