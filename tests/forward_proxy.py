"""A small HTTP forward proxy on 127.0.0.1 for the proxy tests (no CONNECT: the local
portals speak plain HTTP). It asks for Basic credentials when given some (407 without
them), forwards each request to its target with a `Via: 1.1 test-proxy` header, and logs
every request it carried in `ForwardProxy.log` as (absolute URL, had credentials)."""

from __future__ import annotations

import base64
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

HOP_HEADERS = {"proxy-authorization", "proxy-connection", "connection", "keep-alive"}


class ForwardProxy:
    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.log: list[tuple[str, bool]] = []
        self.refused: list[str] = []
        expected = (
            "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode() if user else None
        )
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                given = self.headers.get("Proxy-Authorization")
                if expected and given != expected:
                    owner.refused.append(self.path)
                    self.send_response(407)
                    self.send_header("Proxy-Authenticate", 'Basic realm="test"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if not self.path.startswith("http://"):
                    self.send_error(400, "expected an absolute URL (no CONNECT here)")
                    return
                owner.log.append((self.path, given is not None))
                parts = urlsplit(self.path)
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                headers["Via"] = "1.1 test-proxy"
                upstream = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=20)
                try:
                    upstream.request("GET", target, headers=headers)
                    answer = upstream.getresponse()
                    body = answer.read()
                except OSError as exc:
                    self.send_error(502, f"upstream: {exc}")
                    return
                finally:
                    upstream.close()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_HEADERS | {"content-length", "transfer-encoding"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, user: str | None = None, password: str | None = None) -> str:
        auth = f"{user}:{password}@" if user else ""
        return f"http://{auth}127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> ForwardProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
