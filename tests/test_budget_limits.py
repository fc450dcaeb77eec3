"""Issue 17's hostile documents through `harvester parse`: each ends within the document
budget (docs/crawling.md, "The document budget") with a one-line reason naming the limit.

Time and peak RSS are those of the whole process tree, measured as `/usr/bin/time -v` does:
``wait4`` on the command gives the largest resident set of it and of every descendant it
waited for (the isolated child, LibreOffice, tesseract …)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import hostile_inputs as hostile
import pytest

WALL_LIMIT = 30.0  # seconds per document, far under the 120 s budget (and the table's 33–123 s)
RSS_LIMIT_MB = 400  # the table's 0.8–3.1 GB; the budget is 1024 MB


def _parse(path: Path) -> tuple[int, str, float, int]:
    env = dict(os.environ)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "harvester", "parse", str(path), "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, err.strip(), time.monotonic() - started, usage.ru_maxrss // 1024


CASES: list[tuple[str, Callable[[Path], Path], str]] = [
    (
        "bomb.pdf",
        hostile.pdf_stream_bomb,
        r"PDF streams unpack to more than 256 MB \(unpacked-size limit",
    ),
    ("cells.html", hostile.html_cells, r"HTML page has 1000000 table cells \(cell limit: 100000"),
    ("cells.docx", hostile.docx_cells, r"DOCX has 1000000 table cells \(cell limit: 100000"),
    ("cells.xlsx", hostile.xlsx_cells, r"XLSX has 1000000 table cells \(cell limit: 100000"),
    ("pages.pdf", hostile.pdf_many_pages, r"PDF has 200000 pages \(page limit 300\)"),
    ("random.doc", hostile.ole_random, r"OLE2 container that is neither Word nor Excel"),
    (
        "deep.pdf",
        hostile.pdf_deep_graph,
        r"PDF object graph under /Info expands to more than 10000 objects",
    ),
]


@pytest.mark.parametrize(("name", "make", "reason"), CASES, ids=[c[0] for c in CASES])
def test_hostile_document_ends_within_the_budget(
    tmp_path: Path, name: str, make: Callable[[Path], Path], reason: str
) -> None:
    import re

    path = make(tmp_path / name)
    rc, err, seconds, rss_mb = _parse(path)
    assert rc == 1, err
    lines = err.splitlines()
    assert len(lines) == 1, err  # one line, no traceback
    assert lines[0].startswith(f"Error: {path}: not a readable document: ")
    assert re.search(reason, lines[0]), lines[0]
    assert seconds < WALL_LIMIT, f"{name}: {seconds:.1f} s"
    assert rss_mb < RSS_LIMIT_MB, f"{name}: peak RSS {rss_mb} MB"
