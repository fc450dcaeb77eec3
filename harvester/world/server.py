"""The world's HTTP side: one threaded http.server per portal on 127.0.0.1.

A `Site` maps route keys (path plus sorted query) to `Resource`s or to handlers called
with the `WorldRequest`; prefix handlers serve families' APIs (Hanweb dataproxy.jsp,
gkmlpt JSON). The request handler adds what real servers do: ETag / Last-Modified with
304 answers, HEAD, robots.txt, and the faults of `harvester.world.faults`.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from harvester.world.faults import FAULT_PARAM, HOP_PARAM, Fault, FaultTable

DEFAULT_MODIFIED = 1_704_067_200.0  # 2024-01-01 00:00 UTC
FAVICON = bytes.fromhex("00000100010001010000010018003000000016000000") + bytes(48)
VIEWER = (
    b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>PDF.js viewer</title>'
    b'<script src="build/pdf.js"></script></head><body><div id="viewerContainer"></div></body></html>'
)
CSS = b"body{font-family:SimSun,serif}.w1200{width:1200px;margin:0 auto}.left{float:left}"


@dataclass
class Resource:
    """One answer: body, type, status and extra headers (values may be raw bytes)."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: list[tuple[str, str | bytes]] = field(default_factory=list)
    modified: float | None = DEFAULT_MODIFIED  # Last-Modified (epoch); None: not sent
    validators: bool = True  # ETag / Last-Modified and 304s


@dataclass(frozen=True)
class Sent:
    """One answer as it went out: what a test compares the crawler's stored blobs with."""

    method: str
    path: str  # as requested, query included
    status: int
    sha256: str  # of the body sent (empty body on a 304 or HEAD)
    bytes: int  # body bytes written
    headers: dict[str, str]  # the request's headers
    at: float = 0.0  # when the request arrived (epoch seconds): politeness checks use it


@dataclass
class WorldRequest:
    method: str
    path: str
    query: dict[str, str]
    query_pairs: list[tuple[str, str]]
    headers: dict[str, str]
    cookies: dict[str, str]
    form: dict[str, str]

    @property
    def key(self) -> str:
        return route_key(self.path, self.query_pairs)


Handler = Callable[[WorldRequest], Resource | None]
Entry = Resource | Handler


def route_key(path: str, pairs: list[tuple[str, str]] | None = None) -> str:
    """`path?sorted-query`: how routes and fault paths are named."""
    query = urlencode(sorted(pairs or []))
    return f"{path}?{query}" if query else path


def key_of(url_path: str) -> str:
    """The route key of a path that may carry a query (`/a?type=3&b=1`)."""
    parts = urlsplit(url_path)
    return route_key(parts.path or "/", parse_qsl(parts.query, keep_blank_values=True))


def redirect(location: str, status: int = 302) -> Resource:
    return Resource(b"", "text/html", status, [("Location", location)], None, False)


def data_answer(body: bytes, content_type: str) -> Resource:
    """An API answer (XML, JSON): made per request, so no ETag / Last-Modified."""
    return Resource(body, content_type, 200, [], None, False)


def not_found() -> Resource:
    return Resource(
        b"<html><body><h1>404 Not Found</h1></body></html>",
        "text/html; charset=utf-8",
        404,
        [],
        None,
        False,
    )


class Site:
    """A portal's routes (exact keys), prefix handlers and a guard run before both."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: dict[str, Entry] = {}
        self.prefixes: list[tuple[str, Handler]] = []
        self.guard: Handler | None = None  # e.g. a 412 challenge; None lets the request pass
        self.robots = "User-agent: *\nDisallow: /admin/\nDisallow: /search/\n"
        self.faults = FaultTable()
        self.sent: list[Sent] = []  # every answer, in order (appended by the handler threads)
        self.add("/css/common.css", Resource(CSS, "text/css"))
        self.add("/favicon.ico", Resource(FAVICON, "image/x-icon"))
        for viewer in ("/pdfjs/web/viewer.html", "/gkmlpt/static/pdfjs/web/viewer.html"):
            self.add_prefix(viewer, lambda _request: Resource(VIEWER))

    def add(self, url_path: str, entry: Entry) -> str:
        key = key_of(url_path)
        self.routes[key] = entry
        return key

    def add_prefix(self, prefix: str, handler: Handler) -> None:
        self.prefixes.append((prefix, handler))

    def resolve(self, request: WorldRequest) -> Resource:
        if request.path == "/robots.txt":
            return Resource(self.robots.encode(), "text/plain; charset=utf-8")
        if self.guard is not None:
            blocked = self.guard(request)
            if blocked is not None:
                return blocked
        entry = self.routes.get(request.key)
        if entry is None:
            for prefix, handler in self.prefixes:
                if request.path.startswith(prefix):
                    entry = handler
                    break
        if entry is None:
            return not_found()
        if isinstance(entry, Resource):
            return entry
        return entry(request) or not_found()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


class WorldHandler(BaseHTTPRequestHandler):
    server_version = "nginx"
    sys_version = ""
    site: Site

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
        self._answer(head=True)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer()

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self._answer()

    def _request(self) -> tuple[WorldRequest, str | None, str | None]:
        parts = urlsplit(self.path)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        fault = next((v for k, v in pairs if k == FAULT_PARAM), None)
        hop = next((v for k, v in pairs if k == HOP_PARAM), None)
        pairs = [(k, v) for k, v in pairs if k not in (FAULT_PARAM, HOP_PARAM)]
        form: dict[str, str] = {}
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            form = dict(parse_qsl(raw, keep_blank_values=True))
        cookies: dict[str, str] = {}
        if self.headers.get("Cookie"):
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(self.headers["Cookie"])
                cookies = {k: m.value for k, m in jar.items()}
            except Exception:  # noqa: BLE001 - a malformed cookie header is just no cookie
                cookies = {}
        request = WorldRequest(
            method=self.command,
            path=parts.path or "/",
            query=dict(pairs),
            query_pairs=pairs,
            headers={k: v for k, v in self.headers.items()},
            cookies=cookies,
            form=form,
        )
        return request, fault, hop

    def _answer(self, head: bool = False) -> None:
        self._arrived = time.time()
        request, query_fault, hop = self._request()
        site = self.site
        site.faults.hit(request.key)
        try:
            fault, count = site.faults.lookup(request.key, query_fault)
        except ValueError as exc:
            self._send(Resource(str(exc).encode(), "text/plain; charset=utf-8", 400), head)
            return
        applies = fault is not None and fault.applies(count)
        if applies and self._fault(fault, request, query_fault, hop, head):
            return
        resource = site.resolve(request)
        if applies and fault is not None and fault.kind == "truncate":
            self._send(resource, head, truncate=True)
            return
        self._send(resource, head)

    def _fault(
        self,
        fault: Fault,
        request: WorldRequest,
        query_fault: str | None,
        hop: str | None,
        head: bool,
    ) -> bool:
        """Apply a fault; True when the answer is done."""
        if fault.kind == "status":
            body = f"<html><body><h1>{fault.code} Service Unavailable</h1></body></html>"
            self._send(Resource(body.encode(), status=fault.code, modified=None), head)
            return True
        if fault.kind == "429":
            self._send(
                Resource(
                    b"<html><body>Too Many Requests</body></html>",
                    status=429,
                    headers=[("Retry-After", str(int(fault.seconds)))],
                    modified=None,
                    validators=False,
                ),
                head,
            )
            return True
        if fault.kind == "timeout":
            time.sleep(fault.seconds)
            return False
        if fault.kind == "reset":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            self.connection.close()
            return True
        if fault.kind == "redirect-loop":
            pairs = list(request.query_pairs)
            if query_fault:
                pairs.append((FAULT_PARAM, query_fault))
            pairs.append((HOP_PARAM, "0" if hop == "1" else "1"))
            self._send(redirect(request.path + "?" + urlencode(pairs)), head)
            return True
        return False

    def _send(self, resource: Resource, head: bool = False, truncate: bool = False) -> None:
        body = resource.body
        status = resource.status
        headers: list[tuple[str, str | bytes]] = [("Content-Type", resource.content_type)]
        if resource.validators and status == 200:
            etag = etag_of(body)
            headers.append(("ETag", etag))
            if resource.modified is not None:
                headers.append(("Last-Modified", formatdate(resource.modified, usegmt=True)))
            if self._not_modified(etag, resource.modified):
                self._log_sent(304, b"")
                self.send_response(304)
                for name, value in headers[1:]:
                    self.send_header(name, str(value))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        headers.extend(resource.headers)
        self.send_response(status)
        for name, value in headers:
            if isinstance(value, bytes):
                # Raw header bytes (GBK filenames), as real servers send them.
                self._headers_buffer.append(name.encode("latin-1") + b": " + value + b"\r\n")
            else:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if head:
            self._log_sent(status, b"")
            return
        if truncate:
            self._log_sent(status, body[: max(1, len(body) // 2)])
            self.wfile.write(body[: max(1, len(body) // 2)])
            self.wfile.flush()
            self.close_connection = True
            return
        self._log_sent(status, body)
        self.wfile.write(body)

    def _log_sent(self, status: int, body: bytes) -> None:
        self.site.sent.append(
            Sent(
                self.command,
                self.path,
                status,
                hashlib.sha256(body).hexdigest(),
                len(body),
                dict(self.headers.items()),
                getattr(self, "_arrived", time.time()),
            )
        )

    def _not_modified(self, etag: str, modified: float | None) -> bool:
        match = self.headers.get("If-None-Match")
        if match:
            return etag in [m.strip() for m in match.split(",")] or match.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since and modified is not None:
            try:
                return parsedate_to_datetime(since).timestamp() >= int(modified)
            except (TypeError, ValueError):
                return False
        return False

    def log_message(self, *args: Any) -> None:
        pass

    def handle(self) -> None:
        # The client may go away (or a reset fault closes the socket) mid-answer.
        with contextlib.suppress(ConnectionError, OSError):
            super().handle()


class PortalServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 64


def serve_site(site: Site, host: str = "127.0.0.1", port: int = 0) -> PortalServer:
    """Serve a site on its own port (0: a free one) in a daemon thread."""
    handler = type("Handler", (WorldHandler,), {"site": site})
    server = PortalServer((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    thread.daemon = True
    thread.start()
    return server
