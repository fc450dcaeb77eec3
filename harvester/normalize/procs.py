"""Bookkeeping of helper processes (soffice, antiword, tesseract) started in own sessions.

Inside normalize_isolated's child, every such process group is noted in a file, so the
parent can kill them too when it kills the child for overrunning its time.
"""

from __future__ import annotations

import contextlib
import os

PGID_LOG_ENV = "HARVESTER_NORMALIZE_PGID_LOG"


def note_spawn(pid: int) -> None:
    path = os.environ.get(PGID_LOG_ENV)
    if not path:
        return
    with contextlib.suppress(OSError), open(path, "a", encoding="ascii") as fh:
        fh.write(f"{pid}\n")


def noted(path: str) -> list[int]:
    try:
        with open(path, encoding="ascii") as fh:
            return [int(x) for x in fh.read().split() if x.isdigit()]
    except OSError:
        return []
