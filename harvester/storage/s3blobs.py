"""The blob store in an S3-compatible object store (AWS S3, MinIO, Ceph), through obstore.

Objects are named ``<prefix>/ab/cd/<sha256>`` in the bucket of ``s3://bucket/prefix``. The
endpoint and credentials come from the standard environment (``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``,
``AWS_DEFAULT_REGION``) of every command: they are never part of the location, so never
recorded in the database, shown or exported. A store that cannot be used raises
`BlobStoreUnavailable`, one line naming the store and what to do; a missing or corrupt
object raises `BlobError` naming its URL.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from harvester.storage.blobs import BlobError, BlobStoreUnavailable, blob_key

SCHEME = "s3"
ENDPOINT_ENV = "AWS_ENDPOINT_URL"
_SECRET_ENVS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")
WRITE_CHECK_KEY = "write-check"  # overwritten by every storing command's check, never read
# A few quick retries: an endpoint that is down is said within seconds, not minutes.
_RETRY = {
    "max_retries": 3,
    "retry_timeout": timedelta(seconds=30),
    "backoff": {"init_backoff": timedelta(milliseconds=200), "max_backoff": timedelta(seconds=3)},
}
_CLIENT = {"connect_timeout": "10s", "timeout": "300s"}


def is_s3_location(location: str | os.PathLike[str]) -> bool:
    return str(location).lower().startswith(f"{SCHEME}://")


def parse_s3_location(location: str) -> tuple[str, str]:
    """(bucket, prefix) of ``s3://bucket[/prefix]``; ValueError saying what is wrong."""
    parts = urlsplit(location.strip())
    if parts.scheme.lower() != SCHEME:
        raise ValueError(f"expected an s3://bucket/prefix URL, got {location!r}")
    if "@" in parts.netloc or ":" in parts.netloc:
        raise ValueError(
            "an s3:// blob store takes no credentials or port: give s3://bucket/prefix and set "
            f"{ENDPOINT_ENV}, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment"
        )
    if parts.query or parts.fragment:
        raise ValueError(
            "an s3:// blob store is s3://bucket/prefix, without ?… or #… (settings and "
            "credentials come from the AWS_* environment variables)"
        )
    bucket = parts.netloc
    if not bucket:
        raise ValueError(f"no bucket in {location!r}: expected s3://bucket/prefix")
    prefix = "/".join(p for p in parts.path.split("/") if p)
    return bucket, prefix


def s3_location(bucket: str, prefix: str) -> str:
    return f"{SCHEME}://{bucket}/{prefix}" if prefix else f"{SCHEME}://{bucket}"


def endpoint_name() -> str:
    """The endpoint commands talk to, without any credentials: for messages."""
    raw = os.environ.get(ENDPOINT_ENV) or os.environ.get("AWS_ENDPOINT")
    if not raw:
        return "AWS S3 (no AWS_ENDPOINT_URL set)"
    parts = urlsplit(raw)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


_STATUS = re.compile(r"status code: (\d{3})\b")


def _http_status(text: str) -> int | None:
    """The HTTP status an obstore error reports (``... status code: 403 Forbidden``), if any.

    Only that phrase counts: the endpoint's port and the object's hash in the same message
    (``127.0.0.1:40361``, ``.../ab403f...``) are digits too.
    """
    found = _STATUS.search(text)
    return int(found.group(1)) if found else None


def _scrub(text: str) -> str:
    for name in _SECRET_ENVS:
        secret = os.environ.get(name)
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().split("\n\nDebug source:")[0]
    line = " ".join(text.split())
    return _scrub(line)[:400]


class S3BlobStore:
    """Blobs as objects ``<prefix>/ab/cd/<sha256>`` of one bucket: write-once, hash-checked."""

    def __init__(self, location: str) -> None:
        from obstore.store import S3Store

        self.bucket, self.prefix = parse_s3_location(location)
        self._location = s3_location(self.bucket, self.prefix)
        client: dict[str, Any] = dict(_CLIENT)
        endpoint = os.environ.get(ENDPOINT_ENV) or os.environ.get("AWS_ENDPOINT") or ""
        if endpoint.lower().startswith("http://"):
            client["allow_http"] = True  # a MinIO or Ceph on the local network
        try:
            self._store = S3Store(
                self.bucket,
                prefix=self.prefix or None,
                client_options=client,  # type: ignore[arg-type]
                retry_config=_RETRY,  # type: ignore[arg-type]
            )
        except Exception as exc:  # a bad region or endpoint in the environment
            raise BlobStoreUnavailable(
                f"blob store {self._location}: cannot be configured: {_first_line(exc)}; check "
                f"{ENDPOINT_ENV}, AWS_DEFAULT_REGION and the AWS_* credentials"
            ) from None

    @property
    def location(self) -> str:
        return self._location

    def url(self, sha: str) -> str:
        """The object's s3:// URL (whether or not it exists)."""
        return f"{self._location}/{blob_key(sha)}"

    def exists(self, sha: str) -> bool:
        import obstore

        key = blob_key(sha)
        try:
            obstore.head(self._store, key)
        except FileNotFoundError:
            return False
        except Exception as exc:
            raise self.unavailable(exc) from None
        return True

    def _read(self, key: str) -> bytes | None:
        import obstore

        try:
            return bytes(obstore.get(self._store, key).bytes())
        except FileNotFoundError:
            return None
        except Exception as exc:
            raise self.unavailable(exc) from None

    def get(self, sha: str) -> bytes:
        data = self._read(blob_key(sha))
        if data is None:
            raise BlobError(f"blob {sha} not found: expected an object at {self.url(sha)}")
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha:
            raise BlobError(
                f"blob {self.url(sha)} is corrupt: expected sha256 {sha}, content hashes to {actual}"
            )
        return data

    def verify(self, sha: str) -> bool:
        data = self._read(blob_key(sha))
        return data is not None and hashlib.sha256(data).hexdigest() == sha

    def put(self, data: bytes) -> tuple[str, bool]:
        """Store `data` unless an intact object is there (HEAD, then verify). New objects are
        written with If-None-Match: * (write-once); a corrupt one is replaced."""
        import obstore
        from obstore.exceptions import AlreadyExistsError, PreconditionError

        sha = hashlib.sha256(data).hexdigest()
        key = blob_key(sha)
        present = self.exists(sha)
        if present and self.verify(sha):
            return sha, False
        try:
            obstore.put(self._store, key, data, mode="overwrite" if present else "create")
        except (AlreadyExistsError, PreconditionError):  # another writer got there first
            if self.verify(sha):
                return sha, False
            obstore.put(self._store, key, data, mode="overwrite")
        except Exception as exc:
            raise self.unavailable(exc) from None
        return sha, True

    def check_readable(self) -> None:
        """Prove the bucket answers: BlobStoreUnavailable otherwise."""
        import obstore

        try:
            for _ in obstore.list(self._store, chunk_size=1):
                break
        except Exception as exc:
            raise self.unavailable(exc) from None

    def check_writable(self) -> None:
        """Prove an object can be written under the prefix (overwriting `write-check`)."""
        import obstore

        self.check_readable()
        try:
            obstore.put(self._store, WRITE_CHECK_KEY, b"harvester write check\n")
        except Exception as exc:
            raise self.unavailable(exc) from None

    def unavailable(self, exc: BaseException) -> BlobStoreUnavailable:
        """One line naming the store, the endpoint and what to do about `exc`."""
        from obstore.exceptions import PermissionDeniedError, UnauthenticatedError

        detail = _first_line(exc)
        text = detail.lower()
        where = f"blob store {self._location} (endpoint {endpoint_name()})"
        if "nosuchbucket" in text or "bucket does not exist" in text:
            what = (
                f"the bucket {self.bucket} does not exist; create it, or point --blobs at "
                "another bucket"
            )
        elif (
            isinstance(exc, PermissionDeniedError | UnauthenticatedError)
            or _http_status(text) in (401, 403)
            or "accessdenied" in text
            or "invalidaccesskeyid" in text
            or "signaturedoesnotmatch" in text
        ):
            what = (
                "access denied; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and that they "
                f"may read and write {self._location}"
            )
        elif "error sending request" in text or "connect" in text or "timed out" in text:
            what = f"the endpoint cannot be reached; check {ENDPOINT_ENV} and that the server is up"
        else:
            what = f"check {ENDPOINT_ENV}, the AWS_* credentials and the bucket"
        return BlobStoreUnavailable(f"{where}: {what} ({detail})")
