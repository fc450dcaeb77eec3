"""Content-addressed raw bytes: the blob-store interface (`Blobs`) and its local backend,
a directory <root>/ab/cd/<sha256> written atomically. The S3 backend is in s3blobs.py; which
one a location names is decided in stores.py."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class BlobError(Exception):
    """A blob is missing, corrupt, or its name is not a sha256."""


class BlobStoreUnavailable(Exception):
    """The blob store itself cannot be used (unreachable endpoint, missing bucket, access
    denied): the message is one line naming the store and what to do. Never a blob's fault."""


class Blobs(Protocol):
    """What every blob store offers: bytes stored once under their SHA-256, verified on read."""

    @property
    def location(self) -> str:
        """Where the blobs live, as recorded and shown: a directory or s3://bucket/prefix."""
        ...

    def put(self, data: bytes) -> tuple[str, bool]:
        """Store `data`; (sha256, created). An intact existing blob is kept (created False)."""
        ...

    def get(self, sha: str) -> bytes:
        """The bytes, hash checked; BlobError naming the blob when missing or corrupt."""
        ...

    def exists(self, sha: str) -> bool: ...

    def verify(self, sha: str) -> bool:
        """True when the blob exists and still hashes to its name."""
        ...


def blob_key(sha: str) -> str:
    """The blob's name inside a store, ab/cd/<sha256>; BlobError unless `sha` is a sha256."""
    if not SHA256_RE.match(sha or ""):
        raise BlobError(f"expected a 64-character lowercase hex sha256, got {sha!r}")
    return f"{sha[:2]}/{sha[2:4]}/{sha}"


class BlobStore:
    """Stores each distinct byte string once, named by its SHA-256.

    Writes go to a temporary file in the target directory, are fsynced, then renamed into
    place (and the directory fsynced), so a crash never leaves a partial blob under its
    final name. Reads verify the hash.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @property
    def location(self) -> str:
        return str(self.root)

    def path(self, sha: str) -> Path:
        """Where the blob with this hash lives (whether or not it exists)."""
        return self.root / blob_key(sha)

    def exists(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def put(self, data: bytes) -> tuple[str, bool]:
        """Store `data`; return (sha256, created). An existing intact blob is kept as is."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.is_file() and self.verify(sha):
            return sha, False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{sha[:16]}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp_name, 0o444)
            os.replace(tmp_name, target)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            if isinstance(exc, OSError) and exc.errno and not exc.filename:  # say where it failed
                raise OSError(exc.errno, exc.strerror, str(target.parent)) from exc
            raise
        _fsync_dir(target.parent)
        return sha, True

    def get(self, sha: str) -> bytes:
        """The blob's bytes; raises BlobError if missing or if the content does not match."""
        target = self.path(sha)
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise BlobError(f"blob {sha} not found: expected a file at {target}") from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha:
            raise BlobError(
                f"blob {target} is corrupt: expected sha256 {sha}, content hashes to {actual}"
            )
        return data

    def verify(self, sha: str) -> bool:
        """True when the blob exists and its content still hashes to its name."""
        target = self.path(sha)
        digest = hashlib.sha256()
        try:
            with target.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        except FileNotFoundError:
            return False
        return digest.hexdigest() == sha


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
