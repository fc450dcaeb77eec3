"""Span-resolved grids: build a Document Table from cells with spans, and back."""

from __future__ import annotations

import re
from dataclasses import dataclass

from harvester.document import Cell, Table
from harvester.normalize.budget import BUDGET
from harvester.normalize.errors import NormalizeError

MAX_SPAN = 200
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_WS = re.compile(r"[ \t\r\f\v\u00a0\u2002\u2003\u2009\u200b\ufeff]+")


@dataclass(slots=True)
class RawCell:
    text: str
    rowspan: int = 1
    colspan: int = 1


class TableTooLarge(NormalizeError):
    """A table over the per-table cell limit: the caller skips it with a warning."""

    def __init__(self, cells: int) -> None:
        super().__init__(f"table of {cells} cells (cell limit {BUDGET.max_table_cells} per table)")
        self.cells = cells


def check_cells(cells: int) -> None:
    """Raise TableTooLarge when a table of ``cells`` grid cells is over the per-table limit."""
    if cells > BUDGET.max_table_cells:
        raise TableTooLarge(cells)


def clean_text(text: str) -> str:
    """Collapse spaces (incl. NBSP and zero-width) inside a line; strip the ends."""
    return _WS.sub(" ", text).strip()


def join_lines(parts: list[str]) -> str:
    """Join wrapped lines: no space between CJK characters, one space otherwise."""
    out = ""
    for raw in parts:
        part = clean_text(raw)
        if not part:
            continue
        if not out:
            out = part
        elif (
            _CJK.match(out[-1]) or _CJK.match(part[0]) or (out[-1].isdigit() and part[0].isdigit())
        ):
            out += part
        else:
            out += " " + part
    return out


def build_table(rows: list[list[RawCell]]) -> Table:
    """Place cells with row/column spans into a rectangular grid (browser algorithm)."""
    grid: dict[tuple[int, int], Cell] = {}
    n_rows = len(rows)
    check_cells(sum(len(row) for row in rows))
    check_cells(
        sum(
            max(1, min(raw.rowspan, MAX_SPAN, n_rows - r)) * max(1, min(raw.colspan, MAX_SPAN))
            for r, row in enumerate(rows)
            for raw in row
        )
    )  # the grid the spans make, before it is made
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for raw in row:
            while (r, c) in grid:
                c += 1
            rs = max(1, min(raw.rowspan, MAX_SPAN, n_rows - r))
            cs = max(1, min(raw.colspan, MAX_SPAN))
            origin = Cell(raw.text, rowspan=rs, colspan=cs)
            for dr in range(rs):
                for dc in range(cs):
                    if dr == 0 and dc == 0:
                        grid[(r, c)] = origin
                    elif (r + dr, c + dc) not in grid:
                        grid[(r + dr, c + dc)] = Cell(raw.text, merged=True, origin=(r, c))
            c += cs
            width = max(width, c)
    for _r, c in grid:
        width = max(width, c + 1)
    check_cells(n_rows * width)  # ragged rows are padded to a rectangle
    table_rows = [[grid.get((r, c)) or Cell("") for c in range(width)] for r in range(n_rows)]
    return collapse_redundant(Table(rows=table_rows))


def _source(table: Table, r: int, c: int) -> tuple[int, int]:
    cell = table.rows[r][c]
    return (int(cell.origin[0]), int(cell.origin[1])) if cell.merged and cell.origin else (r, c)


def collapse_redundant(table: Table) -> Table:
    """Drop grid columns (rows) that no cell starts in: every cell there continues the
    span of its left (upper) neighbour. Word and LibreOffice leave such split columns when
    row widths differ slightly; they carry no information."""
    rows = table.rows
    if not rows or not rows[0]:
        return table
    n_rows, n_cols = len(rows), len(rows[0])
    drop_cols = {
        c
        for c in range(1, n_cols)
        if all(_source(table, r, c) == _source(table, r, c - 1) for r in range(n_rows))
    }
    drop_rows = {
        r
        for r in range(1, n_rows)
        if all(_source(table, r, c) == _source(table, r - 1, c) for c in range(n_cols))
    }
    if not drop_cols and not drop_rows:
        return table
    raws: list[list[RawCell]] = []
    for r, c, text, rs, cs in span_layout(table):
        if r in drop_rows:
            continue
        while len(raws) <= r - sum(1 for x in drop_rows if x < r):
            raws.append([])
        cs2 = sum(1 for x in range(c, c + cs) if x not in drop_cols)
        rs2 = sum(1 for x in range(r, r + rs) if x not in drop_rows)
        if cs2 and c not in drop_cols:
            raws[r - sum(1 for x in drop_rows if x < r)].append(RawCell(text, rs2, cs2))
    return build_table(raws)


def drop_empty(table: Table) -> Table | None:
    """Drop rows that are entirely empty; None when nothing is left."""
    rows = [row for row in table.rows if any(c.text.strip() for c in row)]
    if not rows:
        return None
    if len(rows) == len(table.rows):
        return table
    # re-index origins after removing rows
    return rebuild(Table(rows=rows))


def table_of(rows: list[list[RawCell]]) -> Table | None:
    """The grid of these cells without its empty rows (None when nothing is left); raises
    TableTooLarge over the per-table cell limit."""
    return drop_empty(build_table(rows))


def rebuild(table: Table) -> Table:
    """Recompute spans and origins of a grid from its merged flags (after edits)."""
    layout = span_layout(table)
    raws: list[list[RawCell]] = [[] for _ in table.rows]
    for r, _c, text, rs, cs in layout:
        raws[r].append(RawCell(text, rs, cs))
    return build_table(raws)


def span_layout(table: Table) -> list[tuple[int, int, str, int, int]]:
    """The origin cells of a grid as (row, col, text, rowspan, colspan), row-major.

    Spans come from the merged cells that point at an origin (their bounding box), so a
    grid whose origins only carry ``merged`` flags still renders with its spans.
    """
    extent: dict[tuple[int, int], tuple[int, int]] = {}
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row):
            if cell.merged and cell.origin is not None:
                o = (int(cell.origin[0]), int(cell.origin[1]))
                er, ec = extent.get(o, (o[0], o[1]))
                extent[o] = (max(er, r), max(ec, c))
    out: list[tuple[int, int, str, int, int]] = []
    covered: set[tuple[int, int]] = set()
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row):
            if (r, c) in covered:
                continue
            if cell.merged and cell.origin is not None and tuple(cell.origin) != (r, c):
                o = (int(cell.origin[0]), int(cell.origin[1]))
                if o in extent and o[0] <= r and o[1] <= c and _origin_exists(table, o):
                    continue
            er, ec = extent.get((r, c), (r, c))
            er = max(er, r + cell.rowspan - 1)
            ec = max(ec, c + cell.colspan - 1)
            er = min(er, len(table.rows) - 1)
            ec = min(ec, len(row) - 1)
            for rr in range(r, er + 1):
                for cc in range(c, ec + 1):
                    covered.add((rr, cc))
            out.append((r, c, cell.text, er - r + 1, ec - c + 1))
    return out


def _origin_exists(table: Table, o: tuple[int, int]) -> bool:
    r, c = o
    return 0 <= r < len(table.rows) and 0 <= c < len(table.rows[r]) and not table.rows[r][c].merged


def build_positioned(
    cells: list[tuple[int, int, int, int, str]], n_rows: int, n_cols: int
) -> Table:
    """A grid from cells placed at absolute positions: (row, col, rowspan, colspan, text)."""
    check_cells(n_rows * n_cols)
    grid: dict[tuple[int, int], Cell] = {}
    for r, c, rs, cs, text in sorted(cells):
        if (r, c) in grid:
            continue
        rs = max(1, min(rs, n_rows - r))
        cs = max(1, min(cs, n_cols - c))
        grid[(r, c)] = Cell(text, rowspan=rs, colspan=cs)
        for dr in range(rs):
            for dc in range(cs):
                if (dr or dc) and (r + dr, c + dc) not in grid:
                    grid[(r + dr, c + dc)] = Cell(text, merged=True, origin=(r, c))
    rows = [[grid.get((r, c)) or Cell("") for c in range(n_cols)] for r in range(n_rows)]
    return collapse_redundant(Table(rows=rows))
