"""Downloader middleware: every HTTP exchange becomes a Fetch row with its body as a blob.

It sits next to the downloader (priority 950), so it sees each raw exchange: redirect hops,
retried failures, challenge answers and browser-rendered pages alike. The final response of
a redirect chain is recorded under the chain's first URL with its final URL; each hop has
its own row. Bodies are stored decoded (gzip/deflate); a body shorter than its
Content-Length is stored as incomplete.
"""

from __future__ import annotations

import logging
import time
import zlib
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from harvester.storage.repo import record_fetch
from pipelines.store import utcnow

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


def _header_dict(headers: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, values in headers.items():
        name = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        texts = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values]
        out[name] = ", ".join(texts)
    return out


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
    """Records each exchange through `harvester.storage.repo.record_fetch`."""

    def __init__(self, crawler: Crawler | None = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchRecorderMiddleware:
        return cls(crawler)

    def _spider(self, spider: Spider | None) -> Any:
        return spider or getattr(self.crawler, "spider", None)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        request.meta["_fetch_started"] = time.monotonic()
        request.meta["_fetch_started_at"] = utcnow()
        return None

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        spider = self._spider(spider)
        store = getattr(spider, "store", None)
        if store is None or request.meta.get("skip_fetch_record"):
            return response
        headers = _header_dict(response.headers)
        encoding = response.headers.get(b"Content-Encoding", b"").decode("latin-1")
        length_header = response.headers.get(b"Content-Length")
        expected = int(length_header) if length_header and length_header.isdigit() else None
        body = response.body
        if encoding and "playwright" not in request.meta:
            if "dataloss" not in response.flags:
                expected = None  # Content-Length counts compressed bytes
            limit = spider.crawler.settings.getint("DOWNLOAD_MAXSIZE") or 200 * 1024 * 1024
            try:
                body = decoded_body(body, encoding, limit)
            except BodyTooLarge as exc:
                reason = f"{encoding} body {exc} (DOWNLOAD_MAXSIZE): decompression bomb refused"
                self._record(
                    spider,
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
            spider,
            request,
            url=url,
            final_url=final_url,
            status=response.status,
            response_headers=headers,
            body=body if not is_redirect else response.body,
            expected_length=expected,
            error="incomplete body (dataloss)" if "dataloss" in response.flags else None,
        )
        if fetch is not None and not is_redirect:
            request.meta["fetch"] = {
                "fetch_id": fetch.id,
                "sha256": fetch.sha256,
                "bytes": len(body),
                "fetched_at": request.meta.get("_fetch_started_at"),
                "media_type": headers.get("Content-Type") or headers.get("content-type") or "",
                "complete": bool(fetch.complete),
                "final_url": final_url,
            }
            if body is not response.body:
                return response.replace(body=body, headers=_without_encoding(response))
        return response

    def process_exception(
        self, request: Request, exception: BaseException, spider: Spider | None = None
    ) -> None:
        spider = self._spider(spider)
        if getattr(spider, "store", None) is None:
            return None
        if request.meta.pop("skip_fetch_record_exception", False):
            return None  # already recorded with its response
        self._record(
            spider,
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

    def _record(self, spider: Spider, request: Request, **fields: Any) -> Any:
        started = request.meta.get("_fetch_started", time.monotonic())
        try:
            with spider.store.session() as session:
                fetch = record_fetch(
                    session,
                    spider.store.blobs,
                    run_id=spider.run_id,
                    portal_id=request.meta.get("portal_id"),
                    method=request.method,
                    request_headers=selected_request_headers(request),
                    fetched_at=request.meta.get("_fetch_started_at") or utcnow(),
                    duration_ms=int((time.monotonic() - started) * 1000),
                    via="browser" if request.meta.get("playwright") else "http",
                    referer=(request.headers.get("Referer") or b"").decode("latin-1") or None,
                    **fields,
                )
                session.flush()
                session.expunge(fetch)
                return fetch
        except Exception:
            log.exception("could not record the fetch of %s", request.url)
            spider.crawler.stats.inc_value("harvester/fetch_record_errors")
            return None


def _without_encoding(response: Response) -> Any:
    headers = response.headers.copy()
    headers.pop(b"Content-Encoding", None)
    headers.pop(b"Content-Length", None)
    return headers
