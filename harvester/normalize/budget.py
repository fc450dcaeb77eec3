"""The budget of one document: the limits every normalisation runs within.

One budget, the same for `harvester parse`, the processing after a crawl and `reparse`
(all of them normalise through ``normalize_isolated``); docs/crawling.md states it. Each
limit can be changed by an environment variable; every message of a document over a
limit names the limit (``BUDGET.name(...)``).

- wall time: the child process and every converter it started are killed at the end;
- memory: an address-space limit on the child and on every converter (LibreOffice,
  tesseract, antiword, catdoc), and the summed resident memory of the whole process tree,
  watched by the parent;
- input size, unpacked size (ZIP members, PDF streams), table cells (per table: a larger
  table is skipped with a warning; per document: the document is not read), PDF pages,
  OCR pages.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

MB = 1024 * 1024


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


@dataclass(frozen=True)
class Budget:
    wall_seconds: float = 120.0
    memory_mb: int = 1024
    max_bytes: int = 60 * MB
    max_unpacked_bytes: int = 256 * MB
    max_table_cells: int = 20_000
    max_cells: int = 100_000
    max_pages: int = 300
    max_ocr_pages: int = 20

    @classmethod
    def from_env(cls) -> Budget:
        d = cls()
        return cls(
            wall_seconds=_env_float("HARVESTER_NORMALIZE_TIMEOUT", d.wall_seconds),
            memory_mb=_env_int("HARVESTER_NORMALIZE_MEMORY_MB", d.memory_mb),
            max_bytes=_env_int("HARVESTER_NORMALIZE_MAX_BYTES", d.max_bytes),
            max_unpacked_bytes=_env_int("HARVESTER_NORMALIZE_MAX_UNPACKED_MB", d.max_unpacked_bytes // MB) * MB,
            max_table_cells=_env_int("HARVESTER_NORMALIZE_MAX_TABLE_CELLS", d.max_table_cells),
            max_cells=_env_int("HARVESTER_NORMALIZE_MAX_CELLS", d.max_cells),
            max_pages=_env_int("HARVESTER_NORMALIZE_MAX_PAGES", d.max_pages),
            max_ocr_pages=_env_int("HARVESTER_NORMALIZE_MAX_OCR_PAGES", d.max_ocr_pages),
        )

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * MB


BUDGET = Budget.from_env()

# The wall-time deadline and memory limit of the document being normalised in this
# process (set by the isolated child when it starts), so long steps (OCR, LibreOffice)
# stop in time and every converter gets the child's memory limit.
_deadline: float | None = None
_memory: int | None = None


def start_clock(seconds: float, memory_bytes: int | None = None) -> None:
    global _deadline, _memory
    _deadline = time.monotonic() + seconds
    _memory = memory_bytes


def memory_limit() -> int:
    """Bytes of address space each converter may use."""
    return _memory if _memory is not None else BUDGET.memory_bytes


def remaining(default: float) -> float:
    """Seconds left of the wall-time budget (``default`` when no clock runs), at most default."""
    if _deadline is None:
        return default
    return max(0.0, min(default, _deadline - time.monotonic()))


def cells_over(kind: str, cells: int, budget: Budget = BUDGET) -> str:
    """The one-line reason of a document with too many table cells."""
    return (
        f"{kind} has {cells} table cells (cell limit: {budget.max_cells} per document; "
        f"a table of more than {budget.max_table_cells} cells is not a report table)"
    )


def table_skipped(cells: int, where: str = "", budget: Budget = BUDGET) -> str:
    """The warning of a table that is not read."""
    at = f"{where}: " if where else ""
    return (
        f"{at}table of {cells} cells not read (cell limit {budget.max_table_cells} per table: "
        "not a report table)"
    )
