"""Fetches and blobs: one HTTP exchange recorded with its provenance, its body kept once.

`record_fetch` writes the fetch row (and the blob, when the body arrived whole);
`fetched_document` turns a fetch row into the crawl boundary's `FetchedDocument`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from harvester.items import FetchedDocument
from harvester.normalize.sniff import media_type
from harvester.storage.blobs import Blobs
from harvester.storage.models import FETCH_VIA, Blob, Fetch
from harvester.storage.rows import insert_or_get
from harvester.storage.types import utcnow

# Header names and values as Scrapy, http.client or a JSON column give them.
HeaderValue = str | bytes | list[str] | list[bytes] | tuple[bytes, ...] | None
RawHeaders = Mapping[str, HeaderValue] | Mapping[bytes, HeaderValue]
StoredHeaders = dict[str, str | list[str]]  # as a fetch row keeps them


def _lowered(headers: RawHeaders) -> dict[str, HeaderValue]:
    """Header names (str or bytes, as Scrapy gives them) in lower case."""
    return {_header_text(k).lower(): v for k, v in headers.items()}


def _header_text(value: HeaderValue) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def store_blob(
    session: Session, blobs: Blobs, data: bytes, declared_type: str | None = None
) -> tuple[Blob, bool]:
    """Write bytes to the blob store and make sure their Blob row exists."""
    sha, _ = blobs.put(data)
    return insert_or_get(
        session,
        lambda: Blob(
            sha256=sha,
            size=len(data),
            media_type=media_type(data, declared_type),
            stored_at=utcnow(),
        ),
        lambda: session.get(Blob, sha),
    )


def record_fetch(
    session: Session,
    blobs: Blobs,
    *,
    run_id: int | None,
    portal_id: int | None,
    url: str,
    final_url: str | None,
    method: str,
    status: int | None,
    request_headers: RawHeaders | None,
    response_headers: RawHeaders | None,
    fetched_at: datetime,
    duration_ms: int | None,
    body: bytes | None,
    expected_length: int | None,
    via: str,
    referer: str | None,
    error: str | None,
    proxy: str | None = None,
    rendered: bytes | None = None,
) -> Fetch:
    """Record one HTTP exchange and keep its body; `proxy` names the proxy that carried it.

    `rendered`: the DOM a browser rendered from this body (a derived snapshot, stored as
    its own blob and named by ``rendered_sha256``; never in place of the server's bytes).

    The body is stored (and ``complete`` is True) only when it arrived in full: a body
    shorter or longer than `expected_length` (the server's Content-Length) is recorded with
    ``complete=False`` and ``error="truncated: got N of M bytes"`` and no Blob. A 304 is
    ``not_modified`` with no body.
    """
    if via not in FETCH_VIA:
        raise ValueError(f"expected via one of {FETCH_VIA} for {url}, got {via!r}")
    not_modified = status == 304
    sha: str | None = None
    complete = False
    size = len(body) if body is not None else None
    problems = [error] if error else []
    content_type = _header_text(_lowered(response_headers or {}).get("content-type"))
    if body is not None and not not_modified:
        if expected_length is not None and len(body) != expected_length:
            problems.insert(0, f"truncated: got {len(body)} of {expected_length} bytes")
        else:
            blob, _ = store_blob(session, blobs, body, content_type or None)
            sha = blob.sha256
            complete = True
    rendered_sha: str | None = None
    if rendered is not None:
        rendered_sha = store_blob(session, blobs, rendered, content_type or "text/html")[0].sha256
    fetch = Fetch(
        run_id=run_id,
        portal_id=portal_id,
        url=url,
        url_sha256=url_hash(url),
        final_url=final_url,
        method=method.upper(),
        status=status,
        request_headers=_jsonable_headers(request_headers),
        response_headers=_jsonable_headers(response_headers),
        fetched_at=fetched_at,
        duration_ms=duration_ms,
        bytes=size,
        sha256=sha,
        complete=complete,
        via=via,
        referer=referer,
        error="; ".join(problems) or None,
        not_modified=not_modified,
        proxy=proxy,
        rendered_sha256=rendered_sha,
    )
    session.add(fetch)
    session.flush()
    return fetch


def url_hash(url: str) -> str:
    """The indexed key of a URL (URLs can be longer than an index entry may be)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def _jsonable_headers(headers: RawHeaders | None) -> StoredHeaders:
    result: StoredHeaders = {}
    for key, value in (headers or {}).items():
        name = _header_text(key)
        if isinstance(value, list | tuple):
            values = [_header_text(v) for v in value]
            result[name] = values[0] if len(values) == 1 else values
        else:
            result[name] = _header_text(value)
    return result


def fetched_document(fetch: Fetch) -> FetchedDocument:
    """The boundary value of a recorded fetch (validators from its response headers)."""
    headers = {k.lower(): _header_text(v) for k, v in (fetch.response_headers or {}).items()}
    return FetchedDocument(
        url=fetch.url,
        final_url=fetch.final_url or fetch.url,
        status=fetch.status or 0,
        media_type=headers.get("content-type", ""),
        fetched_at=fetch.fetched_at,
        via=fetch.via,
        sha256=fetch.sha256,
        bytes=fetch.bytes,
        fetch_id=fetch.id,
        complete=bool(fetch.complete),
        etag=headers.get("etag") or None,
        last_modified=headers.get("last-modified") or None,
        not_modified=bool(fetch.not_modified),
        rendered_sha256=fetch.rendered_sha256,
    )
