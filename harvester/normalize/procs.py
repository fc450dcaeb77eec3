"""Bookkeeping of helper processes (soffice, antiword, tesseract) started in own sessions.

Inside normalize_isolated's child, every such process group is noted in a file, so the
parent can kill them too when it kills the child for overrunning its time.
"""

from __future__ import annotations

import contextlib
import os
import resource
from collections.abc import Callable

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


PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _stat(pid: str) -> tuple[int, int] | None:
    """(parent pid, process group) of a process, from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2 :].split()  # after "pid (comm) "
    try:
        return int(fields[1]), int(fields[2])
    except (IndexError, ValueError):
        return None


def process_tree(root: int, pgids: set[int]) -> set[int]:
    """``root``, its descendants, and every process in one of ``pgids`` (helpers started
    in their own session whose parent already died)."""
    children: dict[int, list[int]] = {}
    members: set[int] = set()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return {root}
    for name in entries:
        if not name.isdigit():
            continue
        info = _stat(name)
        if info is None:
            continue
        pid = int(name)
        children.setdefault(info[0], []).append(pid)
        if info[1] in pgids:
            members.add(pid)
    tree = {root}
    todo = [root, *members]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo.extend(c for c in children.get(pid, ()) if c not in tree)
    return tree


def private_memory(pid: int) -> int:
    """Bytes of anonymous resident memory of a process (resident minus file-backed)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            fields = fh.read().split()
        return max(0, int(fields[1]) - int(fields[2])) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def process_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return "?"


def converter_limits(memory: int, cpu_seconds: int) -> Callable[[], None]:
    """A preexec_fn for a converter (soffice, tesseract, antiword, catdoc): an address-space
    limit of ``memory`` bytes and a CPU limit of ``cpu_seconds`` (never above the hard
    limits it inherits; the converter cannot raise them)."""

    def apply() -> None:  # pragma: no cover - runs between fork and exec
        for which, want in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CPU, cpu_seconds)):
            _soft, hard = resource.getrlimit(which)
            value = want if hard == resource.RLIM_INFINITY else min(want, hard)
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(which, (value, value))

    return apply
