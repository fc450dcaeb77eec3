"""Where a database's blobs live: recorded in the database itself (setting ``blob_store``).

The first command that stores blobs records the blob store's absolute path; every later
command that opens the database reads its blobs from there, whatever its working directory
or ``--data-dir``. ``--blob-store DIR`` overrides it explicitly (and a storing command then
records DIR). See docs/storage.md.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from harvester.storage.models import Setting
from harvester.storage.types import utcnow

BLOB_STORE_SETTING = "blob_store"


class StorageError(RuntimeError):
    """The blob store cannot be used: missing, not writable, out of space."""


def recorded_blob_store(session: Session) -> Path | None:
    """The blob store this database records, or None (a database that never stored one)."""
    row = session.get(Setting, BLOB_STORE_SETTING)
    return Path(row.value) if row is not None and row.value else None


def record_blob_store(session: Session, root: Path) -> Path | None:
    """Record `root` as the database's blob store; the previously recorded one (or None)."""
    value = str(Path(root).expanduser().resolve())
    row = session.get(Setting, BLOB_STORE_SETTING)
    if row is None:
        session.add(Setting(name=BLOB_STORE_SETTING, value=value, updated_at=utcnow()))
        session.flush()
        return None
    previous = Path(row.value)
    if row.value != value:
        row.value = value
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


def describe_os_error(exc: OSError, path: Path | str) -> str:
    """One line naming the path and the errno, with what to do."""
    code = errno.errorcode.get(exc.errno or 0, str(exc.errno))
    hint = {
        errno.ENOSPC: "free some space or point --blob-store / --data-dir at another disk",
        errno.EDQUOT: "free some space or point --blob-store / --data-dir at another disk",
        errno.EACCES: "make it writable or point --blob-store / --data-dir elsewhere",
        errno.EPERM: "make it writable or point --blob-store / --data-dir elsewhere",
        errno.EROFS: "the filesystem is read-only; point --blob-store / --data-dir elsewhere",
    }.get(exc.errno or 0, "check the path")
    return f"cannot write to {exc.filename or path}: {exc.strerror or exc} ({code}); {hint}"
