"""Document → file bytes (HTML, DOCX, XLSX) and LibreOffice conversions (DOCX → PDF/DOC).

Used by tests, the local portal world and demos to produce the files portals publish.
Tables keep their merged cells: HTML rowspan/colspan, DOCX gridSpan/vMerge, XLSX merges.
"""

from __future__ import annotations

import html as html_lib
import io
import re

from harvester.document import Block, Document, Table
from harvester.normalize.grid import span_layout
from harvester.normalize.office import soffice_convert

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
META_NAMES = ("SiteName", "ColumnName", "ColumnType", "ContentSource")
INFO_LABELS = ("索引号", "发布机构", "主题分类", "文号", "成文日期")


def _esc(text: str) -> str:
    return html_lib.escape(text, quote=True)


def _table_html(table: Table, *, word_style: bool) -> str:
    layout = span_layout(table)
    by_row: dict[int, list[tuple[int, str, int, int]]] = {}
    for r, c, text, rs, cs in layout:
        by_row.setdefault(r, []).append((c, text, rs, cs))
    if word_style:
        parts = [
            '<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" '
            'style="border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;'
            'mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt">'
        ]
    else:
        parts = ['<table border="1" cellspacing="0" cellpadding="4">']
    parts.append("<tbody>")
    for r in range(len(table.rows)):
        attrs = f' style="mso-yfti-irow:{r}"' if word_style else ""
        parts.append(f"<tr{attrs}>")
        for _c, text, rs, cs in by_row.get(r, []):
            span = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
            if word_style:
                lang = ' lang="EN-US"' if _NUMBER.match(text.strip()) else ""
                parts.append(
                    f'<td{span} valign="center" style="border:solid windowtext 1.0pt;'
                    f'padding:0cm 5.4pt 0cm 5.4pt"><p class="MsoNormal" align="center" '
                    f'style="text-align:center"><span{lang} style="font-size:10.5pt;'
                    f'font-family:宋体">{_esc(text)}<o:p></o:p></span></p></td>'
                )
            else:
                parts.append(f"<td{span}>{_esc(text)}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def _block_html(block: Block, *, word_style: bool) -> str:
    if block.kind == "table" and block.table is not None:
        return _table_html(block.table, word_style=word_style)
    if block.kind == "heading":
        level = min(max(block.level or 2, 1), 6)
        return f"<h{level}>{_esc(block.text)}</h{level}>"
    if word_style:
        return (
            '<p class="MsoNormal" style="text-indent:32.0pt"><span style="font-size:16.0pt;'
            f'font-family:仿宋_GB2312">{_esc(block.text)}<o:p></o:p></span></p>'
        )
    return f"<p>{_esc(block.text)}</p>"


def _title(doc: Document) -> str:
    return doc.title or next((b.text for b in doc.blocks if b.kind == "heading"), "")


def body_html(doc: Document, *, word_style: bool = False) -> str:
    """The article body: the blocks as HTML, less a first heading that repeats the title."""
    blocks = list(doc.blocks)
    if blocks and blocks[0].kind == "heading" and blocks[0].text == _title(doc):
        blocks = blocks[1:]
    return "\n".join(_block_html(b, word_style=word_style) for b in blocks)


def render_html(doc: Document, *, encoding: str = "utf-8", word_style: bool = False) -> bytes:
    """An article page in the portals' style: meta tags, h1, info block, body container.

    ``encoding`` is declared in a meta tag and used for the bytes (characters outside it
    become numeric references); ``word_style`` renders the body as Word pasted into a CMS
    (MsoNormal paragraphs, MsoNormalTable tables).
    """
    title = _title(doc)
    head = [
        f'<meta http-equiv="Content-Type" content="text/html; charset={_esc(encoding)}">',
        f"<title>{_esc(title)}</title>",
        f'<meta name="ArticleTitle" content="{_esc(title)}">',
    ]
    if doc.published:
        head.append(f'<meta name="PubDate" content="{_esc(doc.published)} 09:00">')
    for name in META_NAMES:
        if doc.metadata.get(name):
            head.append(f'<meta name="{name}" content="{_esc(doc.metadata[name])}">')
    info = []
    for label in INFO_LABELS:
        if doc.metadata.get(label):
            info.append(f"<td>{label}：</td><td>{_esc(doc.metadata[label])}</td>")
    if doc.published:
        info.append(f"<td>发布日期：</td><td>{_esc(doc.published)}</td>")
    body = body_html(doc, word_style=word_style)
    attachments = "".join(
        f'<p>附件：<a href="{_esc(a.url)}">{_esc(a.name or a.url.rsplit("/", 1)[-1])}</a></p>'
        for a in doc.attachments
    )
    page = (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        + "\n".join(head)
        + "\n</head>\n<body>\n"
        + '<div class="header"><a href="/">首页</a> &gt; <a href="../">政务公开</a></div>\n'
        + (f'<table class="xxgk_info"><tr>{"</tr><tr>".join(info)}</tr></table>\n' if info else "")
        + f"<h1>{_esc(title)}</h1>\n"
        + f'<div class="TRS_Editor">\n{body}\n{attachments}\n</div>\n'
        + '<div class="footer">主办单位：人民政府办公室</div>\n</body>\n</html>\n'
    )
    codec = (
        "gb18030" if encoding.lower().replace("-", "") in {"gbk", "gb2312", "gb18030"} else encoding
    )
    return page.encode(codec, errors="xmlcharrefreplace")


def render_docx(doc: Document) -> bytes:
    """A Word document: title and headings, paragraphs, ruled tables with merged cells."""
    import docx
    from docx.oxml.ns import qn

    out = docx.Document()
    normal = out.styles["Normal"]
    normal.font.name = "SimSun"
    rpr = normal.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), "SimSun")
    previous_table = False
    for block in doc.blocks:
        is_table = block.kind == "table" and block.table is not None and block.table.n_rows > 0
        if is_table and previous_table:
            out.add_paragraph("")  # Word joins adjacent tables; keep them apart
        previous_table = is_table
        if block.kind == "heading":
            # level 1 (the title) → Title style; level n → Heading n-1
            out.add_heading(block.text, level=min(max((block.level or 2) - 1, 0), 9))
        elif block.kind == "table" and block.table is not None and block.table.n_rows:
            table = block.table
            t = out.add_table(rows=table.n_rows, cols=table.n_cols)
            t.style = "Table Grid"
            t.autofit = False
            layout = span_layout(table)
            widths = _column_widths(table.n_cols, layout, out.sections[-1])
            # python-docx's Table.cell rebuilds the grid on every call: work on one
            # snapshot for texts and widths, and use cell() only for the merges
            cells = t._cells
            for row in t.rows:
                row._tr.get_or_add_trPr().append(row._tr.makeelement(qn("w:cantSplit"), {}))
            for i, cell in enumerate(cells):
                cell.width = widths[i % table.n_cols]
            for c, col in enumerate(t.columns):
                col.width = widths[c]
            for r, c, text, _rs, _cs in layout:
                cells[r * table.n_cols + c].text = text
            for r, c, _text, rs, cs in layout:
                if rs > 1 or cs > 1:
                    t.cell(r, c).merge(t.cell(r + rs - 1, c + cs - 1))
        else:
            out.add_paragraph(block.text)
    if previous_table:
        out.add_paragraph("")  # a document must end with a paragraph (else DOC drops the table)
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def _column_widths(n_cols: int, layout: list[tuple[int, int, str, int, int]], section) -> list[int]:
    """Column widths (EMU) by the longest single-column text: label columns get room."""
    longest = [2] * n_cols
    for _r, c, text, _rs, cs in layout:
        if cs == 1:
            longest[c] = max(longest[c], min(len(text), 14))
    weights = [max(7, n) for n in longest]
    usable = int(section.page_width - section.left_margin - section.right_margin)
    total = sum(weights)
    return [usable * w // total for w in weights]


def render_xlsx(doc: Document) -> bytes:
    """A workbook with one sheet: paragraphs one per row, tables with merged ranges.

    Integer and decimal cells are written as numbers, the rest as text.
    """
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = (doc.title or "Sheet1")[:31].replace("/", "_") or "Sheet1"
    row = 1
    for block in doc.blocks:
        if block.kind == "table" and block.table is not None:
            row += 1  # a blank row before a table, as people leave it
            for r, c, text, rs, cs in span_layout(block.table):
                value: object = text
                if _NUMBER.match(text.strip()):
                    value = float(text) if "." in text else int(text)
                ws.cell(row=row + r, column=c + 1, value=value)
                if rs > 1 or cs > 1:
                    ws.merge_cells(
                        start_row=row + r,
                        start_column=c + 1,
                        end_row=row + r + rs - 1,
                        end_column=c + cs,
                    )
            row += block.table.n_rows + 1
        else:
            ws.cell(row=row, column=1, value=block.text)
            row += 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def convert(data: bytes, src_ext: str, dst_ext: str, timeout: float = 120) -> bytes:
    """Convert with LibreOffice headless (private profile per call): docx→pdf, docx→doc, …

    Raises harvester.normalize.NormalizeError with the reason when conversion fails.
    """
    return soffice_convert(data, src_ext, dst_ext, timeout=timeout)
