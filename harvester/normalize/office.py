"""DOC, WPS and RTF through LibreOffice (headless) to DOCX; antiword/catdoc as fallback.

Every soffice run gets its own profile directory (two processes sharing one profile make
the second exit silently), runs in its own process group with a wall timeout and a CPU
limit, and the whole group is killed when it overruns.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from harvester.document import Block, Document
from harvester.normalize.errors import NormalizeError
from harvester.normalize.procs import note_spawn

# LibreOffice filter names for the formats we write.
EXPORT_FILTERS = {
    "pdf": "pdf:writer_pdf_Export",
    "doc": "doc:MS Word 97",
    "docx": 'docx:MS Word 2007 XML',
    "odt": "odt",
    "rtf": "rtf",
    "txt": "txt:Text (encoded):UTF8",
}
SOFFICE_MEMORY_BYTES = 4 * 1024**3


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _limit_soffice(cpu_seconds: int) -> None:
    """Run in the soffice child: CPU limit, and room for its address space."""
    _soft, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    if cpu_hard == resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    else:  # inside normalize_isolated's child: stay within its limit
        resource.setrlimit(resource.RLIMIT_CPU, (min(cpu_seconds, cpu_hard), cpu_hard))
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = SOFFICE_MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(hard, SOFFICE_MEMORY_BYTES)
    # keep the inherited limit when it cannot be raised: soffice then fails and we report it
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (want, hard))


def soffice_convert(
    data: bytes, src_ext: str, dst_ext: str, *, timeout: float = 120, export_filter: str | None = None
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
        cmd = [
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
            str(src),
        ]
        env = dict(os.environ, HOME=str(work), LANG=os.environ.get("LANG", "C.UTF-8"))
        cpu = int(timeout) + 5
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env=env,
            preexec_fn=lambda: _limit_soffice(cpu),
        )
        note_spawn(proc.pid)
        try:
            _stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise NormalizeError(f"LibreOffice timed out after {timeout:g}s ({src_ext}→{dst_ext})") from None
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


def run_tool(cmd: list[str], stdin: bytes | None, timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run a helper tool in its own process group; kill the group on timeout."""
    proc = subprocess.Popen(
        cmd,
        env=dict(os.environ, OMP_THREAD_LIMIT="1"),  # tesseract threads only contend
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    note_spawn(proc.pid)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise NormalizeError(f"{cmd[0]} timed out after {timeout:g}s") from None
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
    try:
        converted = soffice_convert(data, src_ext, "docx", timeout=timeout)
        doc = normalize_docx(converted)
    except NormalizeError as exc:
        if kind == "rtf":
            raise
        doc = text_fallback(data, kind)
        doc.warnings.insert(0, f"LibreOffice failed: {exc.reason}")
        return doc
    doc.source_format = kind
    return doc
