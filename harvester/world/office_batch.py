"""Many DOCX files converted by one LibreOffice run (one start-up paid for all of them)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from harvester.normalize.office import EXPORT_FILTERS, soffice_command, soffice_env, soffice_path


def convert_batch(ext: str, sources: dict[str, bytes], target_of: dict[str, Path]) -> None:
    """Convert each DOCX of `sources` (name → bytes) to `ext`, moving the result to
    `target_of[name]`. Best effort: a file not produced (no LibreOffice, a timeout, a
    failed document) is simply not there afterwards, for the caller to convert alone."""
    exe = soffice_path()
    if exe is None:
        return
    with tempfile.TemporaryDirectory(prefix="harvester-world-lo-") as tmp:
        work = Path(tmp)
        out = work / "out"
        out.mkdir()
        paths = []
        for name, data in sources.items():
            src = work / f"{name}.docx"
            src.write_bytes(data)
            paths.append(src)
        cmd = soffice_command(exe, work, EXPORT_FILTERS.get(ext, ext), out, paths)
        try:
            subprocess.run(
                cmd,
                env=soffice_env(work),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=300,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return
        for name in sources:
            produced = out / f"{name}.{ext}"
            if produced.exists() and produced.stat().st_size:
                produced.replace(target_of[name])
