"""Checks on ZIP containers (DOCX, XLSX) before anything is decompressed."""

from __future__ import annotations

import io
import zipfile

from harvester.normalize.budget import BUDGET
from harvester.normalize.errors import NormalizeError

MAX_MEMBERS = 5000
MAX_RATIO = 200  # uncompressed / compressed, for members above 1 MB


def _limit() -> str:
    return f"unpacked-size limit {BUDGET.max_unpacked_bytes // (1024 * 1024)} MB"


def open_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """Open a ZIP after checking member count, sizes and compression ratios."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise NormalizeError(f"corrupt {what} (bad zip: {exc})") from None
    if len(infos) > MAX_MEMBERS:
        raise NormalizeError(f"{what} has {len(infos)} zip members (limit {MAX_MEMBERS})")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > BUDGET.max_unpacked_bytes:
            raise NormalizeError(
                f"zip bomb suspected in {what}: member {info.filename} unpacks to {info.file_size} bytes "
                f"({_limit()})"
            )
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise NormalizeError(
                f"zip bomb suspected in {what}: member {info.filename} ratio "
                f"{info.file_size // max(info.compress_size, 1)}:1"
            )
    if total > BUDGET.max_unpacked_bytes:
        raise NormalizeError(f"zip bomb suspected in {what}: {total} bytes unpacked in total ({_limit()})")
    return zf


def read_member(zf: zipfile.ZipFile, name: str, what: str) -> bytes:
    """Read one member, never more than its declared size (headers can lie)."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise NormalizeError(f"corrupt {what}: no {name}") from None
    try:
        with zf.open(info) as fh:
            data = fh.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise NormalizeError(f"corrupt {what} ({name}: {exc})") from None
    if len(data) > info.file_size:
        raise NormalizeError(f"zip bomb suspected in {what}: {name} larger than declared")
    return data
