"""Where a database's blobs live: recorded in the database itself (setting ``blob_store``).

The first command that stores blobs records the blob store's absolute path; every later
command that opens the database reads its blobs from there, whatever its working directory
or ``--data-dir``. The store is a directory or an S3 bucket (``s3://bucket/prefix``).
``--blobs DIR|URL`` (alias ``--blob-store``, or ``$HARVESTER_BLOBS``) overrides it explicitly
(and a storing command then records it). See docs/storage.md.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from harvester.storage.blobs import BlobStoreUnavailable
from harvester.storage.models import Setting
from harvester.storage.types import utcnow

BLOB_STORE_SETTING = "blob_store"


class StorageError(RuntimeError):
    """The blob store cannot be used: missing, not writable, out of space."""


def recorded_blob_store(session: Session) -> str | None:
    """The blob store this database records (a directory or s3://bucket/prefix), or None
    (a database that never stored one)."""
    row = session.get(Setting, BLOB_STORE_SETTING)
    return row.value if row is not None and row.value else None


def record_blob_store(session: Session, location: str) -> str | None:
    """Record `location` (already normalised: stores.normalise_location) as the database's
    blob store; the previously recorded one (or None)."""
    row = session.get(Setting, BLOB_STORE_SETTING)
    if row is None:
        session.add(Setting(name=BLOB_STORE_SETTING, value=location, updated_at=utcnow()))
        session.flush()
        return None
    previous = row.value
    if row.value != location:
        row.value = location
        row.updated_at = utcnow()
        session.flush()
    return previous


def check_writable(root: Path) -> None:
    """Create `root` if needed and prove a file can be written there; StorageError naming the
    path and the errno otherwise (unwritable directory, full disk)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".write-check.", dir=root)
        try:
            os.write(fd, b"x" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        raise StorageError(describe_os_error(exc, root)) from exc


# errno values that mean the storage itself failed (not one document or one request).
STORAGE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO, errno.EFBIG}
)
# What SQLite and PostgreSQL say when their disk is full or cannot be written.
_DATABASE_STORAGE_WORDS = (
    "database or disk is full",
    "disk i/o error",
    "attempt to write a readonly database",
    "no space left on device",
    "could not extend file",
)


def storage_failure(exc: BaseException, database: str | None = None) -> str | None:
    """One line naming the path and the errno when `exc` (or what caused it) is a storage
    failure: a full, read-only or unwritable disk under the blob store or the database
    (named by `database`, its file or URL, when given), or an object store that cannot be
    used (unreachable, missing bucket, access denied)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, BlobStoreUnavailable):
            return str(current)
        if isinstance(current, OSError) and current.errno in STORAGE_ERRNOS:
            return describe_os_error(current, current.filename or "the blob store")
        text = str(current).lower()
        if any(words in text for words in _DATABASE_STORAGE_WORDS):
            first = str(current).strip().splitlines()[0][:300]
            where = f"the database {database}" if database else "the database"
            return f"cannot write to {where}: {first}; free some space or move it"
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None


def describe_os_error(exc: OSError, path: Path | str) -> str:
    """One line naming the path and the errno, with what to do."""
    code = errno.errorcode.get(exc.errno or 0, str(exc.errno))
    hint = {
        errno.ENOSPC: "free some space or point --blobs / --data-dir at another disk",
        errno.EDQUOT: "free some space or point --blobs / --data-dir at another disk",
        errno.EACCES: "make it writable or point --blobs / --data-dir elsewhere",
        errno.EPERM: "make it writable or point --blobs / --data-dir elsewhere",
        errno.EROFS: "the filesystem is read-only; point --blobs / --data-dir elsewhere",
    }.get(exc.errno or 0, "check the path")
    return f"cannot write to {exc.filename or path}: {exc.strerror or exc} ({code}); {hint}"
