"""Space held back beside a SQLite database, so a run whose disk fills up can still record
how it ended.

When the disk under the database fills up mid-crawl, the run could not even be marked
failed nor its lock released. A run therefore writes a small reserve file beside the
database when it starts, gives that space back (deletes the file) before its last
bookkeeping when a storage failure stopped it, and removes the file when it ends.
PostgreSQL keeps its own disk: no reserve is made there.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sqlalchemy.engine import Engine

RESERVE_BYTES = 1 << 20  # room for the run's final rows and SQLite's journal


class SpaceReserve:
    def __init__(self, path: Path | None) -> None:
        self.path = path

    def release(self) -> None:
        """Give the space back to the disk (idempotent)."""
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()


def _sqlite_file(engine: Engine) -> Path | None:
    if engine.url.get_backend_name() != "sqlite" or not engine.url.database:
        return None
    return Path(engine.url.database).resolve()


def make_reserve(engine: Engine, run_id: int) -> SpaceReserve:
    """A reserve beside the engine's SQLite file (released by the caller); a reserve that
    cannot be written (the disk is full already) is simply not made."""
    database = _sqlite_file(engine)
    path = database.with_name(f"{database.name}.run{run_id}.reserve") if database else None
    if path is not None:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, b"\0" * RESERVE_BYTES)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink()
            path = None
    return SpaceReserve(path)
