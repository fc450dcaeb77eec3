"""OFD packages (GB/T 33190) of reports, as portals attach them: each line of the report a
row of ``TextObject``s on A4 pages, table cells placed in columns (harvester.normalize.ofd
reads them back)."""

from __future__ import annotations

import io
import zipfile

from harvester.document import Document

NS = "http://www.ofdspec.org/2016"
PAGE_W, PAGE_H = 210.0, 297.0
LINE_H = 6.0
TOP = 20.0
CHAR_MM = 3.6  # one CJK character at the 3.5 mm size used here
LINES_PER_PAGE = int((PAGE_H - 2 * TOP) / LINE_H)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _page_xml(lines: list[str], first_id: int) -> str:
    objects = []
    oid = first_id
    for n, line in enumerate(lines):
        y = TOP + n * LINE_H
        x = 15.0
        for cell in line.split("\t"):
            width = max(len(cell), 1) * CHAR_MM
            if cell:
                objects.append(
                    f'<ofd:TextObject ID="{oid}" Boundary="{x:.1f} {y:.1f} {width:.1f} {LINE_H}" '
                    f'Font="1" Size="3.5"><ofd:TextCode X="0" Y="4.5">{_esc(cell)}</ofd:TextCode>'
                    "</ofd:TextObject>"
                )
                oid += 1
            x += width + 3 * CHAR_MM
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
        f'<ofd:Layer ID="{first_id - 1}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'
    )


def render_ofd(doc: Document) -> bytes:
    """The document's text (tables as tab-separated rows) as an OFD package."""
    lines = [line for line in doc.text().splitlines() if line.strip()]
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" '
            'DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>harvester-world</ofd:DocID>'
            "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        page_refs = "".join(
            f'<ofd:Page ID="{n + 1}" BaseLoc="Pages/Page_{n}/Content.xml"/>'
            for n in range(len(pages))
        )
        zf.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}">'
            f"<ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W} {PAGE_H}"
            "</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData>"
            f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>",
        )
        for n, page in enumerate(pages):
            zf.writestr(f"Doc_0/Pages/Page_{n}/Content.xml", _page_xml(page, 1000 * (n + 1)))
    return buf.getvalue()
