"""The one HTTP server of the tests: small local portals on 127.0.0.1 that answer as real
portals do (ETag and conditional GETs) and misbehave on demand (for crawl, CLI, fault,
security, kill and distributed tests).

A site is a dict path → entry, read live (a test may change it between crawls). An entry is
bytes (an HTML page), a tuple (body, content_type[, headers]) or one from this module:
`Status` (an HTTP status `times` times, then the next entry), `Sleep` (answer late), `Reset`
(close the connection with a TCP reset), `Truncate` (Content-Length larger than the body
sent), `Redirect`, `NoLength` (a body without Content-Length), `Turns` (entries in turn),
`Gzip` (a gzip Content-Encoding body, e.g. a bomb), `Computed` (an entry computed from the
request, e.g. a list API). A key ending in "?*" answers its path with any query; a `gate`
may answer any request before the site does (e.g. an anti-bot challenge). Every request is
counted in `PortalServer.hits` and logged in `PortalServer.log`; every answer's status is
kept in `PortalServer.answers`; `PortalServer.served` holds (arrival, finished, path) of
every request answered, finished being when the answer was written (how many requests one
host had in flight at once).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple


def page(body: str, title: str = "", meta: str = "") -> bytes:
    head = f'<meta charset="utf-8"><title>{title}</title>{meta}'
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


def article(title: str, attachments: str) -> bytes:
    return page(
        f'<h1>{title}</h1><div class="TRS_Editor"><p>一、总体情况</p></div><p>附件：{attachments}</p>',
        title,
        f'<meta name="ArticleTitle" content="{title}">',
    )


def pdf(label: str, size: int = 0) -> tuple[bytes, str]:
    body = f"%PDF-1.4\n% {label}\n".encode() + b"0" * size + b"\n%%EOF\n"
    return (body, "application/pdf")


@dataclass
class Status:
    """Answer `status` for the first `times` requests (forever when times is None), then `then`."""

    status: int
    times: int | None = None
    then: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"<html><body>busy</body></html>"


@dataclass
class Sleep:
    seconds: float
    times: int | None = None
    then: Any = None


@dataclass
class Reset:
    times: int | None = None
    then: Any = None


@dataclass
class Truncate:
    body: bytes
    claimed: int
    times: int | None = None
    then: Any = None
    content_type: str = "application/pdf"


@dataclass
class Turns:
    """Each request gets the next of `entries`, in turn (content that changes between crawls)."""

    entries: list[Any]


@dataclass
class Drip:
    """A body sent one byte every `interval` seconds under an honest Content-Length."""

    body: bytes
    interval: float = 1.0
    content_type: str = "application/pdf"


@dataclass
class Overlong:
    """A body longer than its Content-Length (the rest of the bytes follow the answer)."""

    body: bytes
    claimed: int
    content_type: str = "application/pdf"


@dataclass
class Redirect:
    location: str
    status: int = 302


@dataclass
class NoLength:
    body: bytes
    content_type: str = "application/pdf"


class Request(NamedTuple):
    """What a `Computed` entry or a gate sees of a request."""

    path: str
    headers: dict[str, str]
    form: str  # the body of a POST, "" for a GET


@dataclass
class Computed:
    """An entry computed from the request (a list API answering its query)."""

    answer: Callable[[Request], Any]


@dataclass
class Gzip:
    """A gzip-encoded body: `data` compressed, or `bomb` zero bytes compressed."""

    data: bytes = b""
    bomb: int = 0
    content_type: str = "text/html; charset=utf-8"

    def encoded(self) -> bytes:
        if self.bomb:
            out = gzip.compress(b"\0" * (1 << 20), compresslevel=9)
            # Concatenated gzip members decompress to their concatenation.
            return out * (self.bomb >> 20)
        return gzip.compress(self.data)


class PortalServer:
    """A site served on 127.0.0.1 until `stop()` (or the end of a `with` block).

    `latency` (seconds, may be changed while serving) delays every answer; `headers` are
    added to every answer of a body entry (e.g. a Last-Modified); `gate`, given the request,
    returns an entry to answer instead of the site, or None.
    """

    def __init__(
        self,
        site: dict[str, Any],
        latency: float = 0.0,
        headers: dict[str, str] | None = None,
        gate: Callable[[Request], Any] | None = None,
    ) -> None:
        self.site = site
        self.latency = latency
        self.headers = dict(headers or {})
        self.gate = gate
        self.hits: Counter[str] = Counter()
        self.log: list[tuple[float, str, dict[str, str]]] = []
        self.answers: list[tuple[str, int]] = []
        self.served: list[tuple[float, float, str]] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            form = ""

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                owner._serve(self)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                self.form = self.rfile.read(length).decode()
                owner._serve(self)

            def send_response(self, code: int, message: str | None = None) -> None:
                with owner.lock:
                    owner.answers.append((self.path, code))
                super().send_response(code, message)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> PortalServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        with self.lock:
            return [path for _time, path, _headers in self.log]

    # -- serving ----------------------------------------------------------------------------
    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        arrived = time.time()
        with self.lock:
            self.hits[h.path] += 1
            hit = self.hits[h.path]
            self.log.append((arrived, h.path, dict(h.headers.items())))
        try:
            self._serve_hit(h, hit)
        finally:
            with self.lock:
                self.served.append((arrived, time.time(), h.path))

    def _serve_hit(self, h: BaseHTTPRequestHandler, hit: int) -> None:
        if self.latency:
            time.sleep(self.latency)
        entry = self.gate(self._request(h)) if self.gate else None
        if entry is not None:
            self._answer(h, entry, hit)
            return
        entry = self.site.get(h.path)
        if entry is None and "?" in h.path:
            entry = self.site.get(h.path.split("?")[0] + "?*")  # any query
        if entry is None and h.path == "/robots.txt":
            entry = (b"User-agent: *\nAllow: /\n", "text/plain")
        self._answer(h, entry, hit)

    def _answer(self, h: BaseHTTPRequestHandler, entry: Any, hit: int) -> None:
        if entry is None:
            self._send(h, 404, b"not found", "text/plain")
            return
        if isinstance(entry, (Status, Sleep, Reset, Truncate)) and (
            entry.times is not None and hit > entry.times
        ):
            self._answer(h, entry.then, hit - entry.times)
            return
        if isinstance(entry, Turns):
            self._answer(h, entry.entries[(hit - 1) % len(entry.entries)], hit)
            return
        if isinstance(entry, Computed):
            self._answer(h, entry.answer(self._request(h)), hit)
            return
        if isinstance(entry, bytes):
            entry = (entry, "text/html; charset=utf-8")
        if isinstance(entry, Status):
            self._send(h, entry.status, entry.body, "text/html; charset=utf-8", entry.headers)
        elif isinstance(entry, Sleep):
            time.sleep(entry.seconds)
            with contextlib.suppress(OSError):
                self._send(h, 200, b"<html>late</html>", "text/html")
        elif isinstance(entry, Reset):
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
            h.close_connection = True
        elif isinstance(entry, Truncate):
            h.send_response(200)
            h.send_header("Content-Type", entry.content_type)
            h.send_header("Content-Length", str(entry.claimed))
            h.end_headers()
            h.wfile.write(entry.body)
            h.wfile.flush()
            h.close_connection = True
        elif isinstance(entry, Overlong):
            h.send_response(200)
            h.send_header("Content-Type", entry.content_type)
            h.send_header("Content-Length", str(entry.claimed))
            h.end_headers()
            with contextlib.suppress(OSError):
                h.wfile.write(entry.body)
                h.wfile.flush()
            h.close_connection = True
        elif isinstance(entry, Drip):
            h.send_response(200)
            h.send_header("Content-Type", entry.content_type)
            h.send_header("Content-Length", str(len(entry.body)))
            h.end_headers()
            try:
                for i in range(len(entry.body)):
                    h.wfile.write(entry.body[i : i + 1])
                    h.wfile.flush()
                    time.sleep(entry.interval)
            except OSError:
                pass  # the client gave up (its download timeout): expected
            h.close_connection = True
        elif isinstance(entry, Redirect):
            h.send_response(entry.status)
            h.send_header("Location", entry.location)
            h.send_header("Content-Length", "0")
            h.end_headers()
        elif isinstance(entry, NoLength):
            h.send_response(200)
            h.send_header("Content-Type", entry.content_type)
            h.end_headers()
            try:
                for start in range(0, len(entry.body), 1 << 16):
                    h.wfile.write(entry.body[start : start + (1 << 16)])
            except OSError:
                pass  # the client gave up (size limit): expected
            h.close_connection = True
        elif isinstance(entry, Gzip):
            body = entry.encoded()
            with contextlib.suppress(OSError):
                self._send(h, 200, body, entry.content_type, {"Content-Encoding": "gzip"})
        else:
            body, ctype = entry[0], entry[1]
            extra = {**self.headers, **(dict(entry[2]) if len(entry) > 2 else {})}
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if h.headers.get("If-None-Match") == etag:
                h.send_response(304)
                h.send_header("ETag", etag)
                if "Last-Modified" in extra:
                    h.send_header("Last-Modified", extra["Last-Modified"])
                h.end_headers()
                return
            self._send(h, 200, body, ctype, {"ETag": etag, **extra})

    @staticmethod
    def _request(h: BaseHTTPRequestHandler) -> Request:
        return Request(h.path, dict(h.headers.items()), getattr(h, "form", ""))

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        ctype: str,
        headers: dict[str, Any] | None = None,
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            if isinstance(value, bytes):
                h._headers_buffer.append(f"{key}: ".encode() + value + b"\r\n")  # type: ignore[attr-defined]
            else:
                h.send_header(key, value)
        h.end_headers()
        h.wfile.write(body)


def county_site(
    county: str,
    years: tuple[int, ...] = (2023, 2022),
    prefix: str = "",
    pdf_size: int = 0,
    attachments: bool = True,
) -> dict[str, Any]:
    """A plain portal: home → 年报 column → one report per year, each with a PDF attachment
    (or, with attachments=False, the report in the article page alone)."""
    items = "".join(
        f'<li><a href="{prefix}/nb/{year}.html">{county}{year}年政府信息公开工作年度报告</a></li>'
        for year in years
    )
    site: dict[str, Any] = {
        "/": page(f'<a href="{prefix}/nb/">政府信息公开年报</a>'),
        "/nb/": page(f'<ul class="list">{items}</ul>', "政府信息公开年报"),
    }
    for year in years:
        link = f'<a href="{prefix}/files/{year}.pdf">附件</a>' if attachments else "无"
        site[f"/nb/{year}.html"] = article(f"{county}{year}年政府信息公开工作年度报告", link)
        if attachments:
            site[f"/files/{year}.pdf"] = pdf(f"{county} {year}", pdf_size)
    return site
