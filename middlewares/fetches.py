"""Downloader middleware: every HTTP exchange becomes a Fetch row with its body as a blob,
and every response reaches the spider with its `FetchedDocument`.

It sits next to the downloader (priority 950), so it sees each raw exchange: redirect hops,
retried failures, challenge answers and browser-rendered pages alike. The final response of
a redirect chain is recorded under the chain's first URL with its final URL; each hop has
its own row. Bodies are stored decoded (gzip/deflate); a body shorter than its
Content-Length is stored as incomplete.

It owns conditional requests too: a URL fetched whole before is asked for with that fetch's
validators (If-None-Match / If-Modified-Since); a 304 answer reaches the spider with the
stored bytes (read only when the spider follows links in them: pages, not attachments) and
the earlier fetch's document, so the spider handles changed and unchanged pages alike.

A browser page load is recorded from what the server sent (harvester.crawl.wire): each
main-document response (a challenge, the reload that passed it, redirect hops) is a fetch
with its own headers, status and body, exactly as over plain HTTP. The DOM Chromium
rendered is kept beside the final fetch (`rendered_sha256`) only when it shows text or
links the server's bytes do not; the spider then reads the DOM, else the server's bytes.
"""

from __future__ import annotations

import logging
import time
import zlib
from dataclasses import replace
from datetime import datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response
from scrapy.statscollectors import StatsCollector

from harvester.crawl.context import CrawlContext, crawl_context
from harvester.crawl.halt import halt_on_storage_failure
from harvester.crawl.timing import TimedBlobs, count_record
from harvester.crawl.transfer import STARTED_AT_META, STARTED_META, forget_transfer_start
from harvester.crawl.wire import (
    CHALLENGED_META,
    REPLAY_META,
    WIRE_META,
    Replay,
    WireCapture,
    WireDocument,
    render_digest,
)
from harvester.items import FETCHED_META, FetchedDocument
from harvester.normalize.charset import decode_text
from harvester.normalize.sniff import sniff
from harvester.proxies import PROXY_META
from harvester.storage.blobs import BlobError, BlobStoreUnavailable
from harvester.storage.fetches import fetched_document, record_fetch, store_blob
from harvester.storage.types import utcnow

log = logging.getLogger(__name__)

REQUEST_HEADERS = (
    "User-Agent",
    "Referer",
    "Accept",
    "Accept-Language",
    "Accept-Encoding",
    "If-None-Match",
    "If-Modified-Since",
)


PREVIOUS_META = "harvester_previous"  # the earlier fetch a conditional request asks about
# Media types whose stored bytes a 304 must hand back: the spider reads links in them.
FOLLOWED_TYPES = ("html", "xml", "json", "text", "javascript")


def header_dict(headers: Headers) -> dict[str, str]:
    """Response headers as text; latin-1, which never fails (GBK file names in
    Content-Disposition are bytes Scrapy's UTF-8 default cannot decode)."""
    return dict(Headers(headers, encoding="latin-1").to_unicode_dict())


def selected_request_headers(request: Request) -> dict[str, str]:
    out = {}
    for name in REQUEST_HEADERS:
        value = request.headers.get(name)
        if value is not None:
            out[name] = value.decode("latin-1")
    return out


class BodyTooLarge(Exception):
    """A compressed body that expands past the size limit (a decompression bomb)."""


def _inflate(body: bytes, wbits: int, limit: int) -> bytes:
    """zlib/gzip decompression that stops at `limit` bytes of output."""
    out = bytearray()
    data = body
    while data:
        inflater = zlib.decompressobj(wbits)
        while data:
            chunk = inflater.decompress(data, 1 << 20)
            out += chunk
            if len(out) > limit:
                raise BodyTooLarge(f"decompresses to more than {limit} bytes")
            data = inflater.unconsumed_tail
            if inflater.eof:
                break
        if not inflater.eof:
            break
        data = inflater.unused_data  # gzip members may follow one another
        if wbits != 47:
            break
    return bytes(out)


def decoded_body(body: bytes, encoding: str, limit: int = 200 * 1024 * 1024) -> bytes:
    """The body without its transfer compression; the raw body when it cannot be decoded.

    Raises BodyTooLarge when the decoded body would exceed `limit` bytes (a gzip bomb):
    decompression stops there instead of filling memory.
    """
    encoding = encoding.lower().strip()
    try:
        if encoding in ("gzip", "x-gzip"):
            return _inflate(body, 47, limit)  # 32 + 15: gzip or zlib header
        if encoding == "deflate":
            try:
                return _inflate(body, zlib.MAX_WBITS, limit)
            except zlib.error:
                return _inflate(body, -zlib.MAX_WBITS, limit)
        if encoding == "br":
            import brotli  # type: ignore[import-not-found]

            decoder = brotli.Decompressor()
            out = bytearray()
            for start in range(0, len(body), 1 << 16):
                out += decoder.process(body[start : start + (1 << 16)])
                if len(out) > limit:
                    raise BodyTooLarge(f"decompresses to more than {limit} bytes")
            return bytes(out)
    except BodyTooLarge:
        raise
    except Exception:  # noqa: BLE001 - truncated or mislabelled: keep the raw bytes
        return body
    return body


def _first_url(request: Request) -> str:
    chain = request.meta.get("redirect_urls") or []
    return chain[0] if chain else request.url


class FetchRecorderMiddleware:
    """Records each exchange through `harvester.storage.fetches.record_fetch`."""

    def __init__(
        self, context: CrawlContext, max_size: int, stats: StatsCollector | None = None
    ) -> None:
        self.context = context
        self.max_size = max_size
        self.stats = stats
        self.crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchRecorderMiddleware:
        limit = crawler.settings.getint("DOWNLOAD_MAXSIZE") or 200 * 1024 * 1024
        middleware = cls(crawl_context(crawler), limit, crawler.stats)
        middleware.crawler = crawler
        return middleware

    def process_request(self, request: Request, spider: object = None) -> None:
        request.meta["_fetch_started"] = time.monotonic()
        request.meta["_fetch_started_at"] = utcnow()
        forget_transfer_start(request)
        request.meta.pop(FETCHED_META, None)
        request.meta.pop(PREVIOUS_META, None)
        portal_id = request.meta.get("portal_id")
        if portal_id is None or request.meta.get("playwright") or request.meta.get("unconditional"):
            return None
        # A redirect hop asks about the chain's first URL: the answer is recorded under it.
        previous = self.context.previous(_first_url(request), portal_id)
        if previous is not None and previous.validators:
            for name, value in previous.validators.items():
                request.headers.setdefault(name, value)
            request.meta[PREVIOUS_META] = previous
        return None

    def process_response(
        self, request: Request, response: Response, spider: object = None
    ) -> Response | Request:
        if request.meta.get("skip_fetch_record"):
            return response
        capture = request.meta.get(WIRE_META)
        if (
            isinstance(capture, WireCapture)
            and capture.documents
            and "playwright_suggested_filename" not in request.meta  # a download: its bytes
        ):
            return self._browser_load(request, response, capture.documents)
        headers = header_dict(response.headers)
        encoding = response.headers.get(b"Content-Encoding", b"").decode("latin-1")
        length_header = response.headers.get(b"Content-Length")
        expected = int(length_header) if length_header and length_header.isdigit() else None
        body = response.body
        if encoding and "playwright" not in request.meta:
            if "dataloss" not in response.flags:
                expected = None  # Content-Length counts compressed bytes
            try:
                body = decoded_body(body, encoding, self.max_size)
            except BodyTooLarge as exc:
                reason = f"{encoding} body {exc} (DOWNLOAD_MAXSIZE): decompression bomb refused"
                self._record(
                    request,
                    url=_first_url(request),
                    final_url=response.url,
                    status=response.status,
                    response_headers=headers,
                    body=None,
                    expected_length=None,
                    error=reason,
                )
                request.meta["skip_fetch_record_exception"] = True
                raise IgnoreRequest(reason) from None
        if request.meta.get("playwright"):
            expected = None  # a rendered page, not the transferred bytes
        if "dataloss" in response.flags and expected is None:
            expected = len(body) + 1  # the transport says bytes are missing
        is_redirect = 300 <= response.status < 400 and response.status != 304
        location = response.headers.get(b"Location")
        final_url = request.url
        if is_redirect and location:
            final_url = response.urljoin(location.decode("latin-1"))
        elif not is_redirect:
            final_url = response.url
        url = request.url if is_redirect else _first_url(request)
        fetch = self._record(
            request,
            url=url,
            final_url=final_url,
            status=response.status,
            response_headers=headers,
            body=body if not is_redirect else response.body,
            expected_length=expected,
            error="incomplete body (dataloss)" if "dataloss" in response.flags else None,
        )
        if fetch is None or is_redirect:
            return response
        if response.status == 304:
            return self._not_modified(request, response)
        request.meta[FETCHED_META] = fetch
        self.context.remember(request.meta.get("portal_id"), fetch)
        if body is not response.body:
            return response.replace(body=body, headers=_without_encoding(response))
        return response

    def _browser_load(
        self, request: Request, response: Response, documents: list[WireDocument]
    ) -> Response:
        """A browser page load: each main-document response a fetch of the server's bytes;
        the rendered DOM kept beside the last one when it shows more than those bytes."""
        replay = request.meta.get(REPLAY_META)
        if isinstance(replay, Replay) and documents[0].replayed:
            return self._replayed_load(request, response, replay, documents)
        *hops, final = documents
        for hop, following in zip(hops, documents[1:], strict=True):
            self._record(
                request,
                url=hop.url,
                final_url=following.url,
                status=hop.status,
                response_headers=hop.headers,
                # A challenge page the browser navigated away from has no body to read:
                # recorded without one (not as empty bytes); a redirect's is empty.
                body=hop.body if hop.body is not None or hop.error else b"",
                expected_length=_identity_length(hop.headers, hop.body),
                error=hop.error,
                request_headers=hop.request_headers,
            )
        headers = Headers(final.headers)
        media_type = final.headers.get("content-type", "")
        rendered: bytes | None = None
        digest: str | None = None
        html_page = "html" in media_type.lower() or (
            not media_type and final.body is not None and sniff(final.body) == "html"
        )
        if html_page and response.body:
            dom = response.text if hasattr(response, "text") else response.body.decode("utf-8")
            digest = render_digest(dom)
            server = decode_text(final.body, media_type)[0] if final.body is not None else ""
            if final.body is None or render_digest(server) != digest:
                rendered = response.body
        fetch = self._record(
            request,
            url=_first_url(request),
            final_url=final.url,
            status=final.status,
            response_headers=final.headers,
            body=final.body,
            expected_length=_identity_length(final.headers, final.body),
            error=final.error,
            request_headers=final.request_headers,
            rendered=rendered,
        )
        if any(hop.status in (412, 521) for hop in hops) and final.status == 200:
            request.meta[CHALLENGED_META] = True
        for name in (b"Content-Encoding", b"Content-Length"):
            headers.pop(name, None)
        body = rendered if rendered is not None else (final.body or b"")
        if fetch is not None:
            fetch = replace(fetch, rendered_digest=digest if rendered is not None else None)
            request.meta[FETCHED_META] = fetch
            self.context.remember(request.meta.get("portal_id"), fetch)
        return response.replace(status=final.status, headers=headers, body=body, url=final.url)

    def _replayed_load(
        self,
        request: Request,
        response: Response,
        replay: Replay,
        documents: list[WireDocument],
    ) -> Response:
        """Chromium rendered bytes the server had just confirmed unchanged (a 304, already
        recorded): no new fetch; the earlier fetch's document, and the DOM when it shows
        more than those bytes (kept as a blob, its digest on the document)."""
        document = replace(replay.document, not_modified=True)
        body = replay.body
        if response.body:
            dom = response.text if hasattr(response, "text") else response.body.decode("utf-8")
            digest = render_digest(dom)
            server = decode_text(replay.body, document.media_type)[0]
            if render_digest(server) != digest:
                try:
                    with self.context.session() as session:
                        sha = store_blob(
                            session, self.context.blobs, response.body, document.media_type
                        )[0].sha256
                    document = replace(document, rendered_sha256=sha, rendered_digest=digest)
                    body = response.body
                except Exception as exc:
                    if not halt_on_storage_failure(self.crawler, exc):
                        log.exception("could not store the rendered DOM of %s", request.url)
        request.meta[FETCHED_META] = document
        headers = Headers({"Content-Type": document.media_type or "text/html"})
        final = documents[-1]
        return response.replace(status=200, headers=headers, body=body, url=final.url)

    def _not_modified(self, request: Request, response: Response) -> Response | Request:
        """A 304: the response carries the earlier fetch's document (and bytes, for pages)."""
        previous: FetchedDocument | None = request.meta.get(PREVIOUS_META)
        if previous is None:
            return response  # a 304 to a request that asked nothing: the spider says so
        body = b""
        if not previous.media_type or any(t in previous.media_type.lower() for t in FOLLOWED_TYPES):
            try:
                body = self.context.blobs.get(previous.sha256 or "")
            except BlobStoreUnavailable as exc:  # the store itself failed: stop the crawl
                halt_on_storage_failure(self.crawler, exc)
                raise IgnoreRequest(str(exc)) from None
            except (BlobError, OSError, ValueError) as exc:
                # The stored copy is gone: ask again, this time for the whole body.
                log.warning(
                    "stored copy of %s unreadable (%s): fetching it again", request.url, exc
                )
                retry = request.replace(dont_filter=True)
                for name in previous.validators:
                    retry.headers.pop(name, None)
                retry.meta.pop(PREVIOUS_META, None)
                retry.meta["unconditional"] = True
                return retry
        request.meta[FETCHED_META] = replace(previous, not_modified=True)
        headers = response.headers.copy()
        if previous.media_type:
            headers[b"Content-Type"] = previous.media_type.encode("latin-1")
        return response.replace(body=body, headers=headers)

    def process_exception(
        self, request: Request, exception: BaseException, spider: object = None
    ) -> None:
        if request.meta.pop("skip_fetch_record_exception", False):
            return None  # already recorded with its response
        self._record(
            request,
            url=_first_url(request),
            final_url=None,
            status=None,
            response_headers={},
            body=None,
            expected_length=None,
            error=f"{type(exception).__name__}: {exception}",
        )
        return None

    def _record(
        self,
        request: Request,
        *,
        url: str,
        final_url: str | None,
        status: int | None,
        response_headers: dict[str, str],
        body: bytes | None,
        expected_length: int | None,
        error: str | None,
        request_headers: dict[str, str] | None = None,
        rendered: bytes | None = None,
    ) -> FetchedDocument | None:
        # When the handler sent it (not when it joined its host's queue); a request that
        # never reached the handler (refused on the way) has the middleware's time.
        started = request.meta.get(STARTED_META) or request.meta.get(
            "_fetch_started", time.monotonic()
        )
        fetched_at: datetime = (
            request.meta.get(STARTED_AT_META) or request.meta.get("_fetch_started_at") or utcnow()
        )
        blobs = TimedBlobs(self.context.blobs)
        recording = time.perf_counter()
        try:
            with self.context.session() as session:
                fetch = record_fetch(
                    session,
                    blobs,  # type: ignore[arg-type]  # the store, timed
                    run_id=self.context.run_id,
                    portal_id=request.meta.get("portal_id"),
                    url=url,
                    final_url=final_url,
                    method=request.method,
                    status=status,
                    request_headers=(
                        _selected(request_headers)
                        if request_headers is not None
                        else selected_request_headers(request)
                    ),
                    response_headers=response_headers,
                    fetched_at=fetched_at,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    body=body,
                    expected_length=expected_length,
                    via="browser" if request.meta.get("playwright") else "http",
                    referer=(request.headers.get("Referer") or b"").decode("latin-1") or None,
                    error=error,
                    proxy=request.meta.get(PROXY_META),
                    rendered=rendered,
                )
                document = fetched_document(fetch)
            count_record(self.stats, time.perf_counter() - recording, blobs.put_seconds)
            return document
        except Exception as exc:
            if not halt_on_storage_failure(self.crawler, exc):
                log.exception("could not record the fetch of %s", request.url)
            if self.stats is not None:
                self.stats.inc_value("harvester/fetch_record_errors")
            return None


def _selected(headers: dict[str, str]) -> dict[str, str]:
    """The browser's request headers (lower-case names) under the names a plain fetch keeps."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return {name: lowered[name.lower()] for name in REQUEST_HEADERS if name.lower() in lowered}


def _identity_length(headers: dict[str, str], body: bytes | None) -> int | None:
    """The announced length when it counts the bytes the browser handed over (no transfer
    compression): a shorter body is recorded as incomplete, as over plain HTTP."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if body is None or lowered.get("content-encoding", "identity").strip() != "identity":
        return None
    raw = lowered.get("content-length", "").strip()
    return int(raw) if raw.isdigit() else None


def _without_encoding(response: Response) -> Headers:
    headers = response.headers.copy()
    headers.pop(b"Content-Encoding", None)
    headers.pop(b"Content-Length", None)
    return headers
