"""What a browser page load received on the wire: the main document's HTTP responses.

scrapy-playwright hands Scrapy the DOM Chromium rendered (`page.content()`) under the
status of the first navigation; an archive needs what the server sent. A page's init
callback (`attach`) listens for the main frame's navigation responses — a 412 challenge,
the reload that passes it, redirect hops — and reads each one's status, headers and body
(Playwright `response.body()`, the bytes after transfer decoding, as a plain fetch stores
them). The page method `settle` waits for the bodies before the page is handed back, and
the fetch recorder (middlewares/fetches.py) records every one of them as a fetch.

`render_digest` says whether the rendered DOM shows anything the server's bytes do not:
the visible text and the link targets, markup aside (`<tbody>`, attribute order, entity
spelling). Only then is the DOM kept, as a derived snapshot beside the fetch.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
import weakref
from dataclasses import dataclass, field
from typing import Any

from harvester.items import FetchedDocument

log = logging.getLogger(__name__)

WIRE_META = "harvester_wire"  # request meta: the page load's WireCapture
REPLAY_META = "replay"  # request meta: stored bytes the server confirmed (a 304) to render
CHALLENGED_META = "harvester_challenged"  # response meta: a challenge was passed on the way

_CAPTURES: weakref.WeakKeyDictionary[Any, WireCapture] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Replay:
    """Bytes the server has just confirmed unchanged (a plain 304) for `url`: the browser
    renders them without asking the server again; nothing new is fetched for them."""

    url: str
    body: bytes
    document: FetchedDocument  # the earlier fetch those bytes are the blob of


@dataclass
class WireDocument:
    """One HTTP response to a main-frame navigation, as Chromium received it."""

    url: str
    status: int
    headers: dict[str, str]
    request_headers: dict[str, str]
    body: bytes | None = None  # None: not available (a redirect, a cancelled load)
    error: str | None = None
    replayed: bool = False  # fulfilled from a Replay: not an exchange with the server


@dataclass
class WireCapture:
    documents: list[WireDocument] = field(default_factory=list)
    pending: list[asyncio.Future[None]] = field(default_factory=list)

    def __getstate__(self) -> dict[str, Any]:  # a queued request carries an empty capture
        return {"documents": [], "pending": []}

    async def settle(self, timeout: float = 30.0) -> None:
        if self.pending:
            await asyncio.wait(self.pending, timeout=timeout)
        self.pending.clear()


async def attach(page: Any, request: Any) -> None:
    """playwright_page_init_callback: capture the page's main-document responses."""
    capture = WireCapture()
    replay = request.meta.get(REPLAY_META)
    request.meta[WIRE_META] = capture
    _CAPTURES[page] = capture

    def on_response(response: Any) -> None:
        try:
            if response.request.frame != page.main_frame:
                return
            if not response.request.is_navigation_request():
                return
        except Exception:  # noqa: BLE001 - a detached frame: not the main document
            return
        # The first main-document answer of a replay is the stored bytes, not the server.
        replayed = isinstance(replay, Replay) and not capture.pending and response.url == replay.url
        capture.pending.append(asyncio.ensure_future(_read(capture, response, replayed)))

    page.on("response", on_response)
    if isinstance(replay, Replay):
        await _replay(page, replay)


async def _replay(page: Any, replay: Replay) -> None:
    """Answer the page's first navigation to `replay.url` with the stored bytes; every
    other request goes on to the handlers registered before (scrapy-playwright's)."""
    served = False
    content_type = replay.document.media_type or "text/html"

    async def handler(route: Any, browser_request: Any) -> None:
        nonlocal served
        if (
            not served
            and browser_request.url == replay.url
            and browser_request.is_navigation_request()
            and browser_request.frame == page.main_frame
        ):
            served = True
            await route.fulfill(status=200, body=replay.body, content_type=content_type)
            return
        await route.fallback()

    await page.route("**", handler)


async def _read(capture: WireCapture, response: Any, replayed: bool = False) -> None:
    document = WireDocument(
        url=response.url,
        status=response.status,
        headers={},
        request_headers={},
        replayed=replayed,
    )
    capture.documents.append(document)  # in the order the responses arrived
    try:
        document.headers = dict(await response.all_headers())
        document.request_headers = dict(await response.request.all_headers())
        if not 300 <= response.status < 400:
            # Chromium drops the body of a document the page navigated away from (a
            # challenge script that reloads at once): then it is unavailable, not empty.
            document.body = await response.body()
    except Exception as exc:  # noqa: BLE001 - the page moved on before the body was read
        document.error = f"response body unavailable: {type(exc).__name__}: {exc}"
        log.debug("no body for %s: %s", response.url, exc)


async def settle(page: Any) -> None:
    """Page method (after the load settles): every captured body has been read."""
    capture = _CAPTURES.get(page)
    if capture is not None:
        await capture.settle()


_SCRIPT = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HREF = re.compile(r"""\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_TAG = re.compile(r"<[^>]+>")


def render_digest(text: str) -> str:
    """A digest of what a page shows and links: visible text and link targets, in order."""
    body = _COMMENT.sub(" ", _SCRIPT.sub(" ", text))
    links = [
        html.unescape(next(g for g in m.groups() if g is not None)) for m in _HREF.finditer(body)
    ]
    visible = " ".join(html.unescape(_TAG.sub(" ", body)).split())
    return hashlib.sha256("\n".join([visible, *links]).encode("utf-8")).hexdigest()
