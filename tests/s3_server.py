"""A real S3-protocol server on loopback for tests: moto's standalone server in its own
process (`python -m moto.server`), on a free port, with a bucket made through boto3.

Tests skip when moto is not installed, unless $HARVESTER_TEST_S3 is set (then they fail),
as tests/test_distributed.py does for redis-server. Production uses a real S3 / MinIO /
Ceph; moto is for tests only."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

S3_ENV = "HARVESTER_TEST_S3"
# Test credentials: moto accepts any; the tests check this secret never shows anywhere.
ACCESS_KEY = "AKIAHARVESTERTEST"
SECRET_KEY = "harvester-s3-secret-never-shown"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_moto() -> None:
    """Skip (or, with $HARVESTER_TEST_S3 set, fail) when moto's server cannot run."""
    missing = [m for m in ("moto", "flask", "boto3") if importlib.util.find_spec(m) is None]
    if not missing:
        return
    if os.environ.get(S3_ENV):
        pytest.fail(
            f"{S3_ENV} is set but {', '.join(missing)} is not installed: "
            "pip install 'moto[server]' boto3 (pip install -e '.[dev]', scripts/setup.sh)"
        )
    pytest.skip(f"moto[server] is not installed (set {S3_ENV}=1 to make this a failure)")


def s3_environment(endpoint: str) -> dict[str, str]:
    """The standard AWS variables that point a client at `endpoint`."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen[bytes]

    @property
    def env(self) -> dict[str, str]:
        return s3_environment(self.endpoint)

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
        )

    def make_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_s3_server(log: Path, *, authenticate: bool = False) -> S3Server:
    """moto's server on 127.0.0.1 at a free port, once it answers. With `authenticate`, it
    checks credentials as AWS does after the first request (which makes the bucket): no key
    is known to it, so every later request is denied (403 InvalidAccessKeyId)."""
    require_moto()
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "1"} if authenticate else None
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    server = S3Server(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{server.endpoint}/moto-api/", timeout=2).close()
            return server
        except (urllib.error.URLError, OSError) as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise AssertionError(f"moto server did not start: {log.read_text()}") from exc
            time.sleep(0.2)


class Relay:
    """A TCP relay on loopback in front of the S3 server that can be cut: from `cut()` on,
    the endpoint refuses connections (as a crashed MinIO does) while the server keeps its
    objects for the test to inspect."""

    def __init__(self, target_port: int) -> None:
        import threading

        self.target_port = target_port
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        import threading

        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self._listener.close()
        with self._lock:
            for s in self._open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
