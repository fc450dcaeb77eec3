"""DOCX: paragraphs and tables in document order, merged cells, nested tables.

Reads word/document.xml directly (after the zip guard) with a parser that resolves no
entities and loads nothing from the network.
"""

from __future__ import annotations

import re

from lxml import etree

from harvester.document import Block, Document
from harvester.normalize.budget import BUDGET, cells_over, table_skipped
from harvester.normalize.errors import NormalizeError
from harvester.normalize.grid import (
    RawCell,
    TableTooLarge,
    clean_text,
    join_lines,
    table_of,
)
from harvester.normalize.zipguard import open_zip, read_member

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_HEADING = re.compile(r"^(heading|标题)\s*(\d)$", re.I)
_CELL_TAG = re.compile(rb"<w:tc[\s>/]")


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False
    )


def _styles(zf) -> dict[str, str]:
    """styleId → style name (lower case)."""
    try:
        root = etree.fromstring(read_member(zf, "word/styles.xml", "DOCX"), _parser())
    except (NormalizeError, etree.XMLSyntaxError):
        return {}
    out: dict[str, str] = {}
    for st in root.iter(_q("style")):
        sid = st.get(_q("styleId")) or ""
        name_el = st.find(_q("name"))
        name = name_el.get(_q("val")) if name_el is not None else sid
        out[sid] = (name or sid).lower()
    return out


def _para_text(p: etree._Element) -> str:
    parts: list[str] = []
    for el in p.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag == f"{{{MC}}}Fallback":
            continue
        if any(a.tag in (f"{{{MC}}}Fallback", _q("moveFrom")) for a in el.iterancestors()):
            continue  # duplicates: compatibility fallbacks, text moved elsewhere
        if el.tag in (_q("t"), _q("delInstrText")):
            if el.tag == _q("t"):
                parts.append(el.text or "")
        elif el.tag == _q("tab"):
            parts.append(" ")
        elif el.tag in (_q("br"), _q("cr")):
            parts.append("\n")
    return "".join(parts)


def _heading_level(p: etree._Element, styles: dict[str, str]) -> int:
    ps = p.find(f"{_q('pPr')}/{_q('pStyle')}")
    if ps is None:
        return 0
    sid = ps.get(_q("val")) or ""
    name = styles.get(sid, sid.lower())
    if name in {"title", "标题"}:
        return 1
    m = _HEADING.match(name) or _HEADING.match(sid)
    return int(m.group(2)) + 1 if m else 0  # Heading 1 → level 2 (level 1 is the title)


def _children(el: etree._Element):
    """Block-level children, looking through content controls and custom XML."""
    for child in el:
        if child.tag in (_q("sdt"),):
            content = child.find(_q("sdtContent"))
            if content is not None:
                yield from _children(content)
        elif child.tag in (_q("customXml"), _q("smartTag")):
            yield from _children(child)
        else:
            yield child


def _table(
    tbl: etree._Element, styles: dict[str, str], out: list[Block], depth: int, warnings: list[str]
) -> None:
    if depth > 20:
        raise NormalizeError("DOCX tables nested too deeply")
    cells = sum(1 for _ in tbl.iter(_q("tc")))
    if cells > BUDGET.max_table_cells:
        warnings.append(table_skipped(cells))
        return
    try:
        _read_table(tbl, styles, out, depth, warnings)
    except TableTooLarge as exc:  # spans that make a grid over the limit
        warnings.append(table_skipped(exc.cells))


def _read_table(
    tbl: etree._Element, styles: dict[str, str], out: list[Block], depth: int, warnings: list[str]
) -> None:
    rows: list[list[RawCell]] = []
    vmerge: list[list[str | None]] = []  # per row, per produced cell: "restart"|"continue"|None
    nested: list[etree._Element] = []
    for tr in _children(tbl):
        if tr.tag != _q("tr"):
            continue
        row: list[RawCell] = []
        marks: list[str | None] = []
        trpr = tr.find(_q("trPr"))
        before = _int_val(trpr, "gridBefore") if trpr is not None else 0
        for _ in range(before):
            row.append(RawCell(""))
            marks.append(None)
        for tc in _children(tr):
            if tc.tag != _q("tc"):
                continue
            tcpr = tc.find(_q("tcPr"))
            span = max(1, _int_val(tcpr, "gridSpan")) if tcpr is not None else 1
            vm = tcpr.find(_q("vMerge")) if tcpr is not None else None
            mark = None
            if vm is not None:
                mark = "restart" if vm.get(_q("val")) == "restart" else "continue"
            lines: list[str] = []
            for part in _children(tc):
                if part.tag == _q("p"):
                    lines.extend(_para_text(part).split("\n"))
                elif part.tag == _q("tbl"):
                    nested.append(part)
            row.append(RawCell(join_lines(lines), 1, span))
            marks.append(mark)
        rows.append(row)
        vmerge.append(marks)
    # vertical merges: fold "continue" cells into the restart cell above (same grid column)
    col_index: list[list[int]] = []
    for row in rows:
        cols, c = [], 0
        for cell in row:
            cols.append(c)
            c += cell.colspan
        col_index.append(cols)
    keep: list[list[bool]] = [[True] * len(r) for r in rows]
    for r, row in enumerate(rows):
        for i, _cell in enumerate(row):
            if vmerge[r][i] != "continue":
                continue
            col = col_index[r][i]
            for up in range(r - 1, -1, -1):
                if col in col_index[up]:
                    j = col_index[up].index(col)
                    if keep[up][j]:
                        rows[up][j].rowspan = r - up + 1
                        keep[r][i] = False
                        break
                    continue
                break
    slivers = _sliver_columns(tbl)
    if slivers:
        for r, row in enumerate(rows):
            for i, cell in enumerate(row):
                start = col_index[r][i]
                kept = sum(1 for g in range(start, start + cell.colspan) if g not in slivers)
                if kept == 0 and not cell.text:
                    keep[r][i] = False
                cell.colspan = max(kept, 1)
    grid_rows = [
        [c for c, k in zip(row, ks, strict=True) if k] for row, ks in zip(rows, keep, strict=True)
    ]
    # cells removed by vMerge must leave their columns occupied: the grid is built with the
    # rowspan of the cell above, as long as the removed cells are those it covers.
    table = table_of(grid_rows)
    if table is not None:
        out.append(Block("table", table=table))
    for sub in nested:
        _table(sub, styles, out, depth + 1, warnings)


def _sliver_columns(tbl: etree._Element) -> set[int]:
    """Grid columns a few twips wide: left by rows whose borders do not quite line up."""
    widths: list[int] = []
    for gc in tbl.findall(f"{_q('tblGrid')}/{_q('gridCol')}"):
        try:
            widths.append(int(float(gc.get(_q("w")) or 0)))
        except ValueError:
            widths.append(0)
    if len(widths) < 2 or not any(widths):
        return set()
    return {i for i, w in enumerate(widths) if 0 < w < 40}


def _int_val(parent: etree._Element | None, tag: str) -> int:
    if parent is None:
        return 0
    el = parent.find(_q(tag))
    if el is None:
        return 0
    try:
        return min(int(el.get(_q("val")) or 0), 200)
    except ValueError:
        return 0


def normalize_docx(data: bytes) -> Document:
    zf = open_zip(data, "DOCX")
    with zf:
        xml = read_member(zf, "word/document.xml", "DOCX")
        styles = _styles(zf)
        images = [n for n in zf.namelist() if n.startswith("word/media/")]
    cells = sum(1 for _ in _CELL_TAG.finditer(xml))
    if cells > BUDGET.max_cells:
        raise NormalizeError(cells_over("DOCX", cells))
    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as exc:
        raise NormalizeError(f"corrupt DOCX (document.xml: {exc})") from None
    body = root.find(_q("body"))
    if body is None:
        raise NormalizeError("corrupt DOCX: no w:body")
    blocks: list[Block] = []
    warnings: list[str] = []
    for el in _children(body):
        if el.tag == _q("p"):
            text = clean_text(_para_text(el).replace("\n", " "))
            if not text:
                continue
            level = _heading_level(el, styles)
            blocks.append(
                Block("heading", text, level=level) if level else Block("paragraph", text)
            )
        elif el.tag == _q("tbl"):
            _table(el, styles, blocks, 0, warnings)
    doc = Document(blocks=blocks, source_format="docx")
    doc.warnings.extend(warnings)
    heads = [b for b in blocks if b.kind == "heading" and b.level == 1]
    first = next((b for b in blocks if b.kind != "table"), None)
    doc.title = heads[0].text if heads else (first.text if first else None)
    text_chars = sum(len(b.text) for b in blocks) + sum(
        len(c.text) for t in doc.tables() for row in t.rows for c in row
    )
    if images and text_chars < 200 and not doc.tables():
        doc.needs_ocr = True  # a scan pasted into Word: the report is in the pictures
        doc.warnings.append(f"DOCX holds {len(images)} image(s) and almost no text: needs OCR")
    elif not blocks:
        doc.warnings.append("DOCX has no text")
    return doc
