"""harvester.writers: files written from a Document keep text, spans and encoding."""

from __future__ import annotations

import io
import re
import subprocess

import pytest
from lxml import html as lxml_html

from harvester.document import Block, Document
from harvester.normalize.grid import RawCell, build_table
from harvester.writers import convert, render_docx, render_html, render_xlsx

TITLE = "寿县2020年政府信息公开工作年度报告"


def _doc() -> Document:
    table = build_table(
        [
            [RawCell("信息内容", 2, 1), RawCell("申请人情况", 1, 2), RawCell("总计", 2, 1)],
            [RawCell("自然人"), RawCell("法人或其他组织")],
            [RawCell("一、本年新收政府信息公开申请数量"), RawCell("31"), RawCell("4"), RawCell("35")],
        ]
    )
    return Document(
        blocks=[
            Block("heading", TITLE, level=1),
            Block("paragraph", "一、总体情况"),
            Block("table", table=table),
        ],
        title=TITLE,
        published="2021-01-20",
        metadata={"索引号": "11341521/2021-00012", "发布机构": "寿县人民政府办公室"},
    )


def test_render_html_gbk_word_style_keeps_spans_and_meta() -> None:
    data = render_html(_doc(), encoding="gbk", word_style=True)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("gb18030")
    assert "charset=gbk" in text
    tree = lxml_html.document_fromstring(text)
    table = tree.xpath('//table[@class="MsoNormalTable"]')[0]
    first = table.xpath("./tbody/tr")[0].xpath("./td")
    assert [td.get("rowspan") for td in first] == ["2", None, "2"]
    assert [td.get("colspan") for td in first] == [None, "2", None]
    assert tree.xpath('//meta[@name="PubDate"]/@content')[0].startswith("2021-01-20")
    assert "11341521/2021-00012" in text


def test_render_docx_and_xlsx_merge_cells() -> None:
    import docx
    from openpyxl import load_workbook

    d = docx.Document(io.BytesIO(render_docx(_doc())))
    t = d.tables[0]
    assert t.cell(0, 1)._tc is t.cell(0, 2)._tc  # horizontal merge
    assert t.cell(0, 0)._tc is t.cell(1, 0)._tc  # vertical merge
    assert t.cell(2, 3).text == "35"
    wb = load_workbook(io.BytesIO(render_xlsx(_doc())))
    ws = wb.active
    assert {str(r) for r in ws.merged_cells.ranges} == {"A4:A5", "B4:C4", "D4:D5"}
    assert ws["D6"].value == 35


def test_convert_docx_to_pdf_with_libreoffice() -> None:
    pdf = convert(render_docx(_doc()), "docx", "pdf")
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    assert "政府信息公开工作年度报告" in re.sub(r"\s", "", text)
    assert "35" in text
