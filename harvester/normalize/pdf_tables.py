"""Ruled PDF tables: cells from pdfplumber's line grid placed by x position, and tables
continued over pages joined back (columns aligned, broken rows and cut spans rejoined)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from harvester.document import Block, Document, Table
from harvester.normalize.budget import table_skipped
from harvester.normalize.grid import (
    TableTooLarge,
    build_positioned,
    check_cells,
    drop_empty,
    join_lines,
)

ENUM = re.compile(r"^\s*([一二三四五六七八九十]+、|[（(][一二三四五六七八九十0-9]+[)）]|\d+[.、．])")
NUMERIC = re.compile(r"^[+\-－]?\d[\d,，.]*(%|万元|元|亿元|件|个|项|万)?$")


def is_number(text: str) -> bool:
    return bool(NUMERIC.match(text.replace(" ", "")))


@dataclass
class Part:
    """A ruled table on one page, cells at absolute x positions (for cross-page merging)."""

    page: int
    bbox: tuple[float, float, float, float]
    cells: list[list]  # [row, rowspan, x0, x1, text]
    n_rows: int

    def table(self) -> Table | None:
        xs = _merge_close(sorted({round(v, 1) for c in self.cells for v in (c[2], c[3])}))
        placed = []
        for r, rs, x0, x1, text in self.cells:
            c0, c1 = _index(xs, x0), _index(xs, x1)
            if c1 > c0:
                placed.append((r, c0, rs, c1 - c0, text))
        if len(xs) < 2:
            return None
        return drop_empty(build_positioned(placed, self.n_rows, len(xs) - 1))


def ruled_tables(page, number: int, warnings: list[str] | None = None) -> list[Part]:
    """The ruled tables of a page; one over the per-table cell limit is skipped with a warning."""
    out = []
    for t in page.find_tables({"vertical_strategy": "lines", "horizontal_strategy": "lines"}):
        boxes = [c for row in t.rows for c in row.cells if c is not None]
        if len(boxes) < 2:
            continue
        try:
            part = _part(t, boxes, number)
        except TableTooLarge as exc:
            if warnings is not None:
                warnings.append(table_skipped(exc.cells, f"page {number}"))
            continue
        if part is not None:
            out.append(part)
    return out


def _part(t, boxes: list, number: int) -> Part | None:
    check_cells(len(boxes))
    texts = t.extract()
    ys = _merge_close(sorted({round(v, 1) for c in boxes for v in (c[1], c[3])}))
    cells: list[list] = []
    for r_i, row in enumerate(t.rows):
        for c_i, bbox in enumerate(row.cells):
            if bbox is None:
                continue
            text = texts[r_i][c_i] if r_i < len(texts) and c_i < len(texts[r_i]) else ""
            r0, r1 = _index(ys, bbox[1]), _index(ys, bbox[3])
            if r1 > r0:
                cells.append([r0, r1 - r0, bbox[0], bbox[2], join_lines((text or "").split("\n"))])
    part = Part(number, tuple(t.bbox), cells, max(len(ys) - 1, 0))
    table = part.table()
    if table is not None and table.n_cols >= 2:
        return part
    return None


def _merge_close(values: list[float], tol: float = 2.0) -> list[float]:
    out: list[float] = []
    for v in values:
        if out and v - out[-1] <= tol:
            continue
        out.append(v)
    return out


def _index(bounds: list[float], v: float) -> int:
    return min(range(len(bounds)), key=lambda i: abs(bounds[i] - v))


def merge_split_tables(doc: Document, parts: dict[int, Part]) -> None:
    """A ruled table continued on the next page becomes one table: columns aligned by x
    position, a row broken by the page joined, a vertical span cut by the page rejoined."""
    out: list[Block] = []
    for b in doc.blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and b.kind == "table"
            and prev.kind == "table"
            and id(prev) in parts
            and id(b) in parts
            and b.page == parts[id(prev)].page + 1  # the part's page: last page joined so far
            and abs(parts[id(prev)].bbox[0] - parts[id(b)].bbox[0]) < 4
            and abs(parts[id(prev)].bbox[2] - parts[id(b)].bbox[2]) < 4
        ):
            merged = _join_parts(parts[id(prev)], parts[id(b)])
            table = merged.table()
            if table is not None:
                prev.table = table
                parts[id(prev)] = merged
                continue
        out.append(b)
    doc.blocks = out



def _join_parts(a: Part, b: Part) -> Part:
    cells = [list(c) for c in a.cells]
    rest = [list(c) for c in b.cells]
    last = a.n_rows - 1

    def above(cell: list) -> list | None:
        """The cell of part a that ends in its last row at the same x range."""
        for c in cells:
            if c[0] + c[1] - 1 == last and abs(c[2] - cell[2]) < 3 and abs(c[3] - cell[3]) < 3:
                return c
        return None

    first = [c for c in rest if c[0] == 0]
    single = [c for c in first if c[1] == 1]

    def continues(c: list) -> bool:
        return not is_number(c[4]) and not ENUM.match(c[4])

    # a row broken by the page: its single-row cells hold only label tails (no numbers)
    shift = 1 if single and all(continues(c) and above(c) is not None for c in single) else 0
    for c in first:
        top = above(c)
        if shift and c[1] == 1 and top is not None:
            top[4] = join_lines([top[4], c[4]])
            rest.remove(c)
        elif c[1] > 1 and top is not None and not is_number(c[4]) and (not top[4] or not ENUM.match(c[4])):
            top[1] += c[1] - shift  # a vertical span cut by the page
            top[4] = join_lines([top[4], c[4]])
            rest.remove(c)
        elif shift:
            c[0] += 1  # a new span: it starts below the joined row
            c[1] -= 1
            if c[1] <= 0:
                rest.remove(c)
    for c in rest:
        cells.append([c[0] + a.n_rows - shift, c[1], c[2], c[3], c[4]])
    bbox = (a.bbox[0], a.bbox[1], a.bbox[2], b.bbox[3])
    return Part(b.page, bbox, cells, a.n_rows + b.n_rows - shift)
