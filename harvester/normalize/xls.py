"""Spreadsheets: XLS by xlrd, XLSX by openpyxl; each sheet becomes paragraphs and tables.

A sheet is cut at blank rows; a segment whose rows hold at most one value each is text,
the rest are tables with their merged ranges kept.
"""

from __future__ import annotations

import io
import re
import warnings as py_warnings

from harvester.document import Block, Document
from harvester.normalize.budget import BUDGET, cells_over, table_skipped
from harvester.normalize.errors import NormalizeError
from harvester.normalize.grid import RawCell, TableTooLarge, build_table, clean_text
from harvester.normalize.zipguard import open_zip, read_member

_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(round(value, 10)).rstrip("0").rstrip(".")
    return clean_text(str(value))


def _sheet_blocks(
    values: list[list[str]], merges: list[tuple[int, int, int, int]], warnings: list[str]
) -> list[Block]:
    """values: dense grid; merges: (r0, c0, r1, c1) inclusive."""
    origin_of: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for r0, c0, r1, c1 in merges:
        origin_of[(r0, c0)] = (r0, c0, r1, c1)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    covered.add((r, c))
    width = max((len(r) for r in values), default=0)
    # segments separated by blank rows (a row inside a vertical merge is not blank)
    segments: list[list[int]] = []
    cur: list[int] = []
    for r, row in enumerate(values):
        blank = not any(row) and not any((r, c) in covered for c in range(width))
        if blank:
            if cur:
                segments.append(cur)
            cur = []
        else:
            cur.append(r)
    if cur:
        segments.append(cur)
    blocks: list[Block] = []
    for seg in segments:
        multi = any(sum(1 for v in values[r] if v) > 1 for r in seg) or any(
            (r, c) in origin_of and origin_of[(r, c)][2] > r for r in seg for c in range(width)
        )
        if not multi:
            for r in seg:
                text = next((v for v in values[r] if v), "")
                if text:
                    blocks.append(Block("paragraph", text))
            continue
        # single-value rows before the first and after the last multi-value row are text
        def single(r: int) -> bool:
            return sum(1 for v in values[r] if v) <= 1 and not any(
                (r, c) in origin_of or (r, c) in covered for c in range(width)
            )

        while seg and single(seg[0]):
            if any(values[seg[0]]):
                blocks.append(Block("paragraph", next(v for v in values[seg[0]] if v)))
            seg = seg[1:]
        tail: list[Block] = []
        while seg and single(seg[-1]):
            if any(values[seg[-1]]):
                tail.insert(0, Block("paragraph", next(v for v in values[seg[-1]] if v)))
            seg = seg[:-1]
        if not seg:
            blocks.extend(tail)
            continue
        cols = [c for c in range(width) if any(values[r][c] for r in seg)]
        lo, hi = (min(cols), max(cols)) if cols else (0, width - 1)
        rows: list[list[RawCell]] = []
        for r in seg:
            row: list[RawCell] = []
            for c in range(lo, hi + 1):
                if (r, c) in covered:
                    continue
                if (r, c) in origin_of:
                    r0, c0, r1, c1 = origin_of[(r, c)]
                    rs = min(r1, seg[-1]) - r0 + 1
                    cs = min(c1, hi) - c0 + 1
                    row.append(RawCell(values[r][c], max(rs, 1), max(cs, 1)))
                else:
                    row.append(RawCell(values[r][c]))
            rows.append(row)
        try:
            blocks.append(Block("table", table=build_table(rows)))
        except TableTooLarge as exc:
            warnings.append(table_skipped(exc.cells))
        blocks.extend(tail)
    return blocks


def _xlsx_cells(data: bytes) -> int:
    """Cells of every worksheet, counted in the XML before openpyxl builds any."""
    with open_zip(data, "XLSX") as zf:
        names = [n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        return sum(sum(1 for _ in _CELL_TAG.finditer(read_member(zf, n, "XLSX"))) for n in names)


def _too_large(name: str, n_rows: int, n_cols: int, doc: Document) -> bool:
    """A sheet whose grid is over the per-table cell limit is skipped with a warning."""
    if n_rows * n_cols <= BUDGET.max_table_cells:
        return False
    doc.warnings.append(table_skipped(n_rows * n_cols, f"sheet {name} ({n_rows}x{n_cols})"))
    return True


def normalize_xlsx(data: bytes) -> Document:
    cells = _xlsx_cells(data)
    if cells > BUDGET.max_cells:
        raise NormalizeError(cells_over("XLSX", cells))
    from openpyxl import load_workbook

    try:
        with py_warnings.catch_warnings():
            py_warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except Exception as exc:  # openpyxl raises many types on bad files
        raise NormalizeError(f"corrupt XLSX ({type(exc).__name__}: {str(exc)[:120]})") from None
    doc = Document(source_format="xlsx")
    for ws in wb.worksheets:
        n_rows, n_cols = ws.max_row or 0, ws.max_column or 0
        if _too_large(ws.title, n_rows, n_cols, doc):
            continue
        values = [[_fmt(v) for v in row] for row in ws.iter_rows(values_only=True)]
        merges = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
        blocks = _sheet_blocks(values, merges, doc.warnings)
        if blocks and len(wb.worksheets) > 1:
            doc.blocks.append(Block("heading", ws.title, level=2))
        doc.blocks.extend(blocks)
    wb.close()
    doc.title = next((b.text for b in doc.blocks if b.kind == "paragraph"), None)
    return doc


def normalize_xls(data: bytes) -> Document:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors…
        raise NormalizeError(f"corrupt XLS ({type(exc).__name__}: {str(exc)[:120]})") from None
    doc = Document(source_format="xls")
    total = 0
    try:
        sheets = book.nsheets
        for i in range(sheets):
            sh = book.sheet_by_index(i)
            total += sh.nrows * sh.ncols
            if total > BUDGET.max_cells:
                raise NormalizeError(cells_over("XLS", total))
            if _too_large(sh.name, sh.nrows, sh.ncols, doc):
                book.unload_sheet(i)
                continue
            values = [[_xls_value(sh.cell(r, c), book) for c in range(sh.ncols)] for r in range(sh.nrows)]
            merges = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in sh.merged_cells]
            blocks = _sheet_blocks(values, merges, doc.warnings)
            if blocks and sheets > 1:
                doc.blocks.append(Block("heading", sh.name, level=2))
            doc.blocks.extend(blocks)
            book.unload_sheet(i)
    finally:
        book.release_resources()
    doc.title = next((b.text for b in doc.blocks if b.kind == "paragraph"), None)
    return doc


def _xls_value(cell, book) -> str:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            y, m, d, *_ = xlrd.xldate_as_tuple(cell.value, book.datemode)
            return f"{y:04d}-{m:02d}-{d:02d}"
        except Exception:  # noqa: BLE001 - a bad date stays a number
            return _fmt(cell.value)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    return _fmt(cell.value)
