"""DOC, WPS and RTF through LibreOffice (headless) to DOCX; antiword/catdoc as fallback.

A DOC or WPS file must first be a well-formed OLE/CFB container (harvester.normalize.cfb):
no converter is started for anything else. Every soffice run gets its own profile
directory (two processes sharing one profile make the second exit silently), runs in its
own process group with a wall timeout (never beyond the document's wall-time budget), a
CPU limit and the budget's address-space limit, and the whole group is killed when it
overruns. antiword, catdoc and tesseract run under the same limits (run_tool).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from harvester.document import Block, Document
from harvester.normalize.budget import memory_limit, remaining
from harvester.normalize.cfb import check_cfb
from harvester.normalize.errors import NormalizeError
from harvester.normalize.procs import converter_limits, note_spawn

# LibreOffice filter names for the formats we write.
EXPORT_FILTERS = {
    "pdf": "pdf:writer_pdf_Export",
    "doc": "doc:MS Word 97",
    "docx": "docx:MS Word 2007 XML",
    "odt": "odt",
    "rtf": "rtf",
    "txt": "txt:Text (encoded):UTF8",
}
# LibreOffice maps ≈0.5 GB of address space for a small document: never give it less.
SOFFICE_MIN_MEMORY = 768 * 1024 * 1024
OFFICE_STREAMS = ("WordDocument",)


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def soffice_command(exe: str, work: Path, target: str, out: Path, sources: list[Path]) -> list[str]:
    """The headless conversion of `sources` to `target` (a format or filter) into `out`,
    with its own LibreOffice profile under `work` (a shared profile makes a second soffice
    exit silently)."""
    return [
        exe,
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--nodefault",
        f"-env:UserInstallation={(work / 'profile').as_uri()}",
        "--convert-to",
        target,
        "--outdir",
        str(out),
        *(str(src) for src in sources),
    ]


def soffice_env(work: Path) -> dict[str, str]:
    """soffice's environment: HOME in the work directory, a UTF-8 locale by default."""
    return dict(os.environ, HOME=str(work), LANG=os.environ.get("LANG", "C.UTF-8"))


def _wall(timeout: float, what: str) -> float:
    """``timeout`` cut to what is left of the document's wall-time budget."""
    left = remaining(timeout)
    if left <= 0.05:
        raise NormalizeError(f"no time left for {what} (wall-time limit)")
    return left


def _timed_out(what: str, timeout: float, asked: float) -> str:
    cut = " (wall-time limit)" if timeout < asked else ""
    return f"{what} timed out after {timeout:.3g}s{cut}"


def soffice_convert(
    data: bytes,
    src_ext: str,
    dst_ext: str,
    *,
    timeout: float = 120,
    export_filter: str | None = None,
) -> bytes:
    """Convert ``data`` (a ``src_ext`` file) to ``dst_ext`` with LibreOffice; bytes out."""
    exe = soffice_path()
    if exe is None:
        raise NormalizeError("LibreOffice (soffice) is not installed")
    src_ext = src_ext.lstrip(".").lower()
    dst_ext = dst_ext.lstrip(".").lower()
    target = export_filter or EXPORT_FILTERS.get(dst_ext, dst_ext)
    with tempfile.TemporaryDirectory(prefix="harvester_lo_") as tmp:
        work = Path(tmp)
        src = work / f"input.{src_ext}"
        src.write_bytes(data)
        out = work / "out"
        out.mkdir()
        cmd = soffice_command(exe, work, target, out, [src])
        env = soffice_env(work)
        asked, timeout = timeout, _wall(timeout, "LibreOffice")
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env=env,
            preexec_fn=converter_limits(max(memory_limit(), SOFFICE_MIN_MEMORY), int(timeout) + 5),
        )
        note_spawn(proc.pid)
        try:
            _stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise NormalizeError(
                f"{_timed_out('LibreOffice', timeout, asked)} ({src_ext}→{dst_ext})"
            ) from None
        except BaseException:
            _kill_group(proc)
            raise
        _kill_group(proc)  # helpers (oosplash children) must not outlive the call
        produced = out / f"input.{dst_ext}"
        if not produced.exists():
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise NormalizeError(
                f"LibreOffice could not convert {src_ext}→{dst_ext} (exit {proc.returncode}) {tail[0]}".strip()
            )
        return produced.read_bytes()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def run_tool(
    cmd: list[str], stdin: bytes | None, timeout: float
) -> subprocess.CompletedProcess[bytes]:
    """Run a helper tool in its own process group, within the document budget (memory,
    what is left of the wall time); kill the group on timeout."""
    asked, timeout = timeout, _wall(timeout, cmd[0])
    proc = subprocess.Popen(
        cmd,
        env=dict(os.environ, OMP_THREAD_LIMIT="1"),  # tesseract threads only contend
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=converter_limits(memory_limit(), int(timeout) + 5),
    )
    note_spawn(proc.pid)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise NormalizeError(_timed_out(cmd[0], timeout, asked)) from None
    except BaseException:
        _kill_group(proc)
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _run_text_tool(cmd: list[str], data: bytes, suffix: str, timeout: float) -> str:
    with tempfile.NamedTemporaryFile(suffix=suffix) as fh:
        fh.write(data)
        fh.flush()
        res = run_tool([*cmd, fh.name], None, timeout)
    if res.returncode != 0:
        msg = res.stderr.decode("utf-8", "replace").strip().splitlines()[:1] or [""]
        raise NormalizeError(f"{cmd[0]} failed (exit {res.returncode}) {msg[0]}".strip())
    return res.stdout.decode("utf-8", "replace")


def text_fallback(data: bytes, kind: str, timeout: float = 60) -> Document:
    """Plain text of a .doc by antiword and catdoc: no merged cells, but the words.

    Both run; the output with more numbers wins (antiword loses rows of tables with
    merged cells, catdoc keeps them as tab-separated lines but may garble a cell).
    """
    errors: list[str] = []
    tools: list[list[str]] = []
    if shutil.which("antiword"):
        tools.append(["antiword", "-m", "UTF-8.txt", "-w", "0"])
    if shutil.which("catdoc"):
        tools.append(["catdoc", "-d", "utf-8", "-w"])
    best: tuple[int, str, list[str]] | None = None
    for cmd in tools:
        try:
            text = _run_text_tool(cmd, data, f".{kind}", timeout)
        except NormalizeError as exc:
            errors.append(exc.reason)
            continue
        lines = [ln.strip() for ln in text.replace("\r", "\n").splitlines()]
        lines = [ln for ln in lines if ln]
        if not lines:
            errors.append(f"{cmd[0]} found no text")
            continue
        score = len(re.findall(r"\d+", text))
        if best is None or score > best[0]:
            best = (score, cmd[0], lines)
    if not tools:
        errors.append("neither antiword nor catdoc is installed")
    if best is None:
        raise NormalizeError("; ".join(errors))
    doc = Document(blocks=[Block(kind="paragraph", text=ln) for ln in best[2]], source_format=kind)
    doc.warnings.append(f"text only via {best[1]}: tables flattened to lines")
    doc.warnings.extend(errors)
    return doc


def normalize_office(data: bytes, kind: str, *, timeout: float = 120) -> Document:
    """A DOC/WPS/RTF file: LibreOffice → DOCX → the DOCX normaliser; fallback to text tools."""
    from harvester.normalize.docx import normalize_docx

    src_ext = {"wps": "wps", "rtf": "rtf"}.get(kind, "doc")
    if kind == "doc":
        check_cfb(data, OFFICE_STREAMS, word=True)
    elif kind == "wps":
        check_cfb(data)  # Kingsoft WPS files need not hold a WordDocument stream
    try:
        converted = soffice_convert(data, src_ext, "docx", timeout=timeout)
        doc = normalize_docx(converted)
    except NormalizeError as exc:
        if kind == "rtf":
            raise
        try:
            doc = text_fallback(data, kind)
        except NormalizeError as fallback:
            raise NormalizeError(f"LibreOffice failed: {exc.reason}; {fallback.reason}") from None
        doc.warnings.insert(0, f"LibreOffice failed: {exc.reason}")
        return doc
    doc.source_format = kind
    return doc
