"""DOCX structure (document order, merged cells, nested tables, headings) and PDF tables
without rulings."""

from __future__ import annotations

import io
import re
import zipfile

import docx
import pytest

from harvester.document import Block, Document
from harvester.normalize import normalize_bytes
from harvester.normalize.grid import RawCell, build_table
from harvester.writers import convert, render_docx

LABELS = ["一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开", "（七）总计"]
VALUES = [[31, 2, 0, 1, 0, 1, 35], [4, 0, 0, 0, 0, 0, 4], [20, 1, 0, 0, 0, 1, 22], [28, 2, 0, 1, 0, 1, 32]]


def _nested_docx() -> bytes:
    d = docx.Document()
    d.add_heading("寿县2021年政府信息公开工作年度报告", level=0)
    d.add_heading("三、收到和处理政府信息公开申请情况", level=1)
    d.add_paragraph("before")
    outer = d.add_table(rows=1, cols=1)  # a layout table wrapping the real one
    cell = outer.cell(0, 0)
    cell.paragraphs[0].text = ""
    inner = cell.add_table(rows=3, cols=3)
    inner.cell(0, 0).merge(inner.cell(1, 0)).text = "信息内容"
    inner.cell(0, 1).merge(inner.cell(0, 2)).text = "申请人情况"
    inner.cell(1, 1).text = "自然人"
    inner.cell(1, 2).text = "总计"
    inner.cell(2, 0).text = "一、本年新收政府信息公开申请数量"
    inner.cell(2, 1).text = "31"
    inner.cell(2, 2).text = "35"
    d.add_paragraph("after")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_order_headings_nested_and_merged() -> None:
    doc = normalize_bytes(_nested_docx(), filename="a.docx")
    kinds = [(b.kind, b.text or "") for b in doc.blocks]
    assert kinds[0] == ("heading", "寿县2021年政府信息公开工作年度报告")
    assert doc.blocks[0].level == 1 and doc.blocks[1].level == 2
    assert doc.title == "寿县2021年政府信息公开工作年度报告"
    order = [k if k != "paragraph" else t for k, t in kinds[2:]]
    assert order == ["before", "table", "after"]  # the empty layout table is dropped
    table = doc.tables()[0]
    assert table.texts() == [
        ["信息内容", "申请人情况", "申请人情况"],
        ["信息内容", "自然人", "总计"],
        ["一、本年新收政府信息公开申请数量", "31", "35"],
    ]
    assert table.rows[1][0].merged and table.rows[1][0].origin == (0, 0)
    assert table.rows[0][0].rowspan == 2 and table.rows[0][1].colspan == 2


def _unruled_docx() -> bytes:
    rows = [[RawCell("信息内容")] + [RawCell(c) for c in ["自然人", "商业企业", "科研机构", "社会公益", "法律服务", "其他", "总计"]]]
    rows += [[RawCell(label)] + [RawCell(str(v)) for v in vals] for label, vals in zip(LABELS, VALUES, strict=True)]
    data = render_docx(
        Document(blocks=[Block("paragraph", "三、收到和处理政府信息公开申请情况"), Block("table", table=build_table(rows)),
                         Block("paragraph", "四、政府信息公开行政复议、行政诉讼情况")])
    )
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename == "word/document.xml":  # no table style: no rulings
                body = re.sub(rb'<w:tblStyle w:val="[^"]*"/>', b"", body)
            zo.writestr(info, body)
    return out.getvalue()


@pytest.fixture(scope="module")
def unruled_pdf() -> bytes:
    return convert(_unruled_docx(), "docx", "pdf")


def test_pdf_table_without_rulings(unruled_pdf: bytes) -> None:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(unruled_pdf)) as pdf:
        assert not pdf.pages[0].lines and not pdf.pages[0].rects  # really unruled
    doc = normalize_bytes(unruled_pdf, filename="a.pdf")
    tables = doc.tables()
    assert len(tables) == 1
    got = [[c for c in row if c] for row in tables[0].texts()]
    assert got == [[label] + [str(v) for v in vals] for label, vals in zip(LABELS, VALUES, strict=True)]
    texts = [b.text for b in doc.blocks if b.kind == "paragraph"]
    assert texts[0] == "三、收到和处理政府信息公开申请情况"
    assert texts[-1] == "四、政府信息公开行政复议、行政诉讼情况"


def test_pictures_instead_of_text_need_ocr() -> None:
    from PIL import Image

    png = io.BytesIO()
    Image.new("L", (400, 300), 255).save(png, format="PNG")
    d = docx.Document()
    d.add_paragraph("寿县2021年政府信息公开工作年度报告")
    d.add_picture(io.BytesIO(png.getvalue()))
    buf = io.BytesIO()
    d.save(buf)
    doc = normalize_bytes(buf.getvalue(), filename="scan.docx")
    assert doc.needs_ocr and any("needs OCR" in w for w in doc.warnings)
    page = (
        "<html><head><meta charset=utf-8><title>年报</title></head><body>"
        "<div class=TRS_Editor><p>寿县2021年政府信息公开工作年度报告</p>"
        "<p><img src='/images/2022/nb_1.jpg'></p><p><img src='/images/2022/nb_2.jpg'></p></div></body></html>"
    )
    doc = normalize_bytes(page.encode("utf-8"), url="http://www.shouxian.gov.cn/a.html")
    assert doc.needs_ocr
    with_text = normalize_bytes(_nested_docx(), filename="a.docx")
    assert not with_text.needs_ocr
