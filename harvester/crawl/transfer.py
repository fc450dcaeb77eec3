"""The download handler: scrapy-playwright's, noting when each transfer starts.

After the downloader middlewares a request waits in its host's download slot (for the
slot's concurrency and delay) and, in a distributed run, for the shared politeness lease,
before the handler sends it. On a slow portal that wait is many seconds. A fetch row's
`fetched_at` and `duration_ms` describe the exchange with the portal, not the wait: the
handler notes the wall clock and the monotonic clock as it starts the transfer, and
FetchRecorderMiddleware records those.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

from scrapy import Request
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from harvester.storage.types import utcnow

STARTED_AT_META = "_transfer_started_at"  # wall clock (UTC) as the handler took the request
STARTED_META = "_transfer_started"  # time.monotonic() at the same moment


def note_transfer_start(request: Request) -> None:
    """Stamp `request` with the moment its transfer starts."""
    request.meta[STARTED_AT_META] = utcnow()
    request.meta[STARTED_META] = time.monotonic()


def forget_transfer_start(request: Request) -> None:
    """Drop a stamp carried over from an earlier hop (redirects and retries copy meta)."""
    request.meta.pop(STARTED_AT_META, None)
    request.meta.pop(STARTED_META, None)


if inspect.iscoroutinefunction(ScrapyPlaywrightDownloadHandler.download_request):

    class TimedDownloadHandler(ScrapyPlaywrightDownloadHandler):
        """scrapy-playwright's handler (plain HTTP and Chromium) with the transfer stamped."""

        async def download_request(self, request: Request) -> Any:
            note_transfer_start(request)
            return await super().download_request(request)

else:  # Scrapy before the async handler API

    class TimedDownloadHandler(ScrapyPlaywrightDownloadHandler):  # type: ignore[no-redef]
        """scrapy-playwright's handler (plain HTTP and Chromium) with the transfer stamped."""

        def download_request(self, request: Request, spider: Any) -> Any:  # type: ignore[override]
            note_transfer_start(request)
            return super().download_request(request=request, spider=spider)
