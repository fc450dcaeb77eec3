"""normalize_isolated: normalise in a forked child within the document budget.

The parent checks the size first (a path is stat()ed, never read, when too large), forks,
and reads the child's JSON answer from a pipe until the wall deadline; an overrun child is
killed with its whole process group and every converter it started. Memory is limited
twice: the child's address space is its current size plus the budget (so a large parent
process does not starve the child) and each converter gets the budget as its address
space (harvester.normalize.procs.converter_limits); the parent also sums the private
resident memory of the whole process tree a few times a second and kills the tree when
it exceeds the budget. The budget: harvester.normalize.budget, docs/crawling.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path

from harvester.document import Document
from harvester.normalize import budget
from harvester.normalize.budget import BUDGET
from harvester.normalize.core import check_size, normalize_bytes
from harvester.normalize.errors import NormalizeError
from harvester.normalize.procs import (
    PGID_LOG_ENV,
    noted,
    private_memory,
    process_name,
    process_tree,
)

DEFAULT_TIMEOUT = BUDGET.wall_seconds
DEFAULT_MEMORY_MB = BUDGET.memory_mb
WATCH_INTERVAL = 0.2  # seconds between two looks at the process tree's memory
MAX_ANSWER_BYTES = 32 * 1024 * 1024  # the normalised document sent back to the parent


def _vm(field: str = "VmSize") -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _child(
    write_fd: int, data: bytes | str, kwargs: dict, timeout: float, memory: int, workdir: str
) -> None:  # pragma: no cover - runs in the fork
    code = 0
    try:
        os.setpgid(0, 0)
        tempfile.tempdir = workdir  # helper files land where the parent cleans up
        os.environ["TMPDIR"] = workdir
        os.environ[PGID_LOG_ENV] = os.path.join(workdir, "pgids")
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # the child's own clock ends a little before the parent kills it: it answers itself
        budget.start_clock(timeout * 0.95 - 0.05 if timeout > 2 else timeout * 0.9, memory)
        cpu = max(1, int(timeout))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
        limit = _vm() + memory
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        try:
            doc = normalize_bytes(data if isinstance(data, bytes) else Path(data), **kwargs)
            answer = {"ok": doc.to_dict()}
        except NormalizeError as exc:
            answer = {"error": exc.reason}
            if _vm("VmPeak") >= limit - 16 * 1024 * 1024:  # libraries hide MemoryError
                answer = {"error": f"memory limit exceeded ({memory // (1024 * 1024)} MB): {exc.reason}"}
        except MemoryError:
            answer = {"error": f"memory limit exceeded ({memory // (1024 * 1024)} MB)"}
        except RecursionError:
            answer = {"error": "nested too deeply (object graph deeper than the recursion limit)"}
        except BaseException as exc:  # noqa: BLE001 - anything else is reported, not raised
            answer = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        try:
            payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        except MemoryError:
            payload = b'{"error": "memory limit exceeded while encoding the result"}'
        view = memoryview(payload)
        while view:
            n = os.write(write_fd, view)
            view = view[n:]
    except BaseException:  # noqa: BLE001
        code = 3
    finally:
        os._exit(code)


def normalize_isolated(
    data: bytes | os.PathLike[str],
    *,
    filename: str | None = None,
    url: str | None = None,
    media_type: str | None = None,
    timeout: float | None = None,
    memory_mb: int | None = None,
) -> Document:
    """Like normalize_bytes, in a child process; every failure is a NormalizeError."""
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    memory = (DEFAULT_MEMORY_MB if memory_mb is None else memory_mb) * 1024 * 1024
    if isinstance(data, bytes | bytearray | memoryview):
        check_size(len(data))
        payload: bytes | str = bytes(data) if not isinstance(data, bytes) else data
    else:
        path = Path(data)
        try:
            check_size(path.stat().st_size)
        except OSError as exc:
            raise NormalizeError(f"cannot read {path.name}: {exc.strerror}") from None
        payload = str(path)
    kwargs = {"filename": filename, "url": url, "media_type": media_type}
    _preload(payload if isinstance(payload, bytes) else _head(Path(payload)))
    workdir = tempfile.mkdtemp(prefix="harvester_iso_")
    try:
        return _run_child(payload, kwargs, timeout, memory, workdir)
    finally:
        for pgid in noted(os.path.join(workdir, "pgids")):
            if _owned(pgid, workdir):
                _kill(pgid)  # a helper the child started in its own session outlived it
        shutil.rmtree(workdir, ignore_errors=True)


def _run_child(payload: bytes | str, kwargs: dict, timeout: float, memory: int, workdir: str) -> Document:
    read_fd, write_fd = os.pipe()
    baseline = private_memory(os.getpid())  # what the child shares with us after fork
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(read_fd)
        _child(write_fd, payload, kwargs, timeout, memory, workdir)
    os.close(write_fd)
    chunks: list[bytes] = []
    received = 0
    deadline = time.monotonic() + timeout
    over: str | None = None
    pgids = os.path.join(workdir, "pgids")
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                over = f"normalisation timed out after {timeout:g}s (wall-time limit; child and its converters killed)"
                break
            ready, _, _ = select.select([read_fd], [], [], min(left, WATCH_INTERVAL))
            if ready:
                chunk = os.read(read_fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
                received += len(chunk)
                if received > MAX_ANSWER_BYTES:
                    over = f"normalised document too large (answer over {MAX_ANSWER_BYTES // (1024 * 1024)} MB)"
                    break
            else:
                over = _over_memory(pid, set(noted(pgids)), baseline, memory)
                if over:
                    break
    finally:
        os.close(read_fd)
        if over:
            _kill(pid)
            for pgid in noted(pgids):
                if _owned(pgid, workdir):
                    _kill(pgid)
        status = _reap(pid, 10.0)
    if over:
        raise NormalizeError(over)
    raw = b"".join(chunks)
    if not raw:
        raise NormalizeError(_death_reason(status, memory))
    try:
        answer = json.loads(raw)
    except ValueError:
        raise NormalizeError(f"child sent a broken answer ({_death_reason(status, memory)})") from None
    if "error" in answer:
        raise NormalizeError(answer["error"])
    return Document.from_dict(answer["ok"])


PRELOAD = {
    "pdf": ("harvester.normalize.pdf", "pdfplumber"),
    "docx": ("harvester.normalize.docx",),
    "doc": ("harvester.normalize.docx", "harvester.normalize.office"),
    "wps": ("harvester.normalize.docx", "harvester.normalize.office"),
    "xls": ("harvester.normalize.xls", "xlrd"),
    "xlsx": ("harvester.normalize.xls", "openpyxl"),
    "html": ("harvester.normalize.html",),
}


def _head(path: Path, size: int = 65536) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError:
        return b""


def _preload(head: bytes) -> None:
    """Import the normaliser of this type here, once, so forked children inherit it."""
    import importlib

    from harvester.normalize.sniff import sniff

    for module in PRELOAD.get(sniff(head), ()):
        with contextlib.suppress(ImportError):  # the child reports the failure itself
            importlib.import_module(module)


def _over_memory(pid: int, pgids: set[int], baseline: int, memory: int) -> str | None:
    """The reason to stop when the child and its converters use more than ``memory``."""
    tree = process_tree(pid, pgids | {pid})
    used = {p: private_memory(p) for p in tree}
    used[pid] = max(0, used.get(pid, 0) - baseline)
    total = sum(used.values())
    if total <= memory:
        return None
    biggest = max(used, key=lambda p: used[p])
    return (
        f"memory limit exceeded ({memory // (1024 * 1024)} MB): the child and its converters "
        f"used {total // (1024 * 1024)} MB, most of it {process_name(biggest)} (killed)"
    )


def _owned(pid: int, workdir: str) -> bool:
    """Is ``pid`` still one of our helpers (not a reused pid of someone else)?"""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = fh.read().split(b"\0")
    except OSError:
        return False
    tool = os.path.basename(argv[0]).decode("utf-8", "replace") if argv else ""
    return workdir.encode() in b" ".join(argv) or tool in {"tesseract", "antiword", "catdoc"}


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            target()


def _reap(pid: int, wait: float) -> int | None:
    end = time.monotonic() + wait
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if done:
            return status
        if time.monotonic() > end:
            _kill(pid)
            end = time.monotonic() + wait
        time.sleep(0.01)


def _death_reason(status: int | None, memory: int) -> str:
    if status is None:
        return "child process vanished"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return f"child killed by {signal.Signals(sig).name} (CPU or memory limit)"
        if sig == signal.SIGSEGV:
            return f"child crashed (SIGSEGV; memory limit {memory // (1024 * 1024)} MB?)"
        return f"child killed by {signal.Signals(sig).name}"
    return f"child exited with status {os.WEXITSTATUS(status)} and no answer"
