"""Hostile documents of issue 17, generated small on disk (each under 15 MB) and fast.

Each function writes one file and returns its path; the tests run `harvester parse` on
them and measure the whole process tree (tests/test_budget_limits.py), bench/bench_budget.py
measures the cost at the budget's edge."""

from __future__ import annotations

import random
import zipfile
import zlib
from pathlib import Path


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of numbered objects (object 1 is the catalog) with a valid xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def pdf_stream_bomb(path: Path, unpacked_mb: int = 1024) -> Path:
    """One page whose content stream inflates to ``unpacked_mb`` MB (about 1 MB on disk)."""
    chunk = b"0 0 m " * (1 << 16) + b"0 0 m\n" * 16  # 393,312 bytes... rounded below
    chunk = chunk[: 1 << 18]
    comp = zlib.compressobj(9)
    head = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)  # the same bytes every time
    repeats = (unpacked_mb << 20) // len(chunk)
    checksum = 1
    for _ in range(repeats):  # adler32 of the whole unpacked stream
        checksum = zlib.adler32(chunk, checksum)
    body = head + again * (repeats - 1) + comp.flush()[:-4] + checksum.to_bytes(4, "big")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        _stream(bytes(body), b"/Filter /FlateDecode "),
    ]
    path.write_bytes(_pdf(objects))
    return path


def pdf_many_pages(path: Path, pages: int = 200_000) -> Path:
    """A PDF of ``pages`` empty pages (about 10 MB), every page its own object."""
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    path.write_bytes(_pdf(objects))
    return path


def pdf_deep_graph(path: Path, depth: int = 5000) -> Path:
    """A PDF whose /Info dictionary nests ``depth`` arrays deep, each an object of its own."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    first = len(objects) + 1
    for i in range(depth):
        objects.append(b"<< /Next %d 0 R /Also %d 0 R >>" % (first + i + 1, first + i + 1))
    objects.append(b"(end)")
    data = _pdf(objects)
    data = data.replace(b"/Root 1 0 R", b"/Root 1 0 R /Info %d 0 R" % first)
    path.write_bytes(data)
    return path


def html_cells(path: Path, cells: int = 1_000_000, columns: int = 10) -> Path:
    """One HTML table of ``cells`` cells (about 14 MB for 10⁶)."""
    row = "<tr>" + "<td>12</td>" * columns + "</tr>"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(
            "<html><head><meta charset=utf-8><title>2021年政府信息公开工作年度报告</title></head><body><table>"
        )
        for _ in range(cells // columns):
            fh.write(row)
        fh.write("</table></body></html>")
    return path


def _random_texts(n: int, seed: int = 17) -> list[str]:
    """``n`` random numbers: 20,000 distinct ones repeated (each repeat farther back than
    the 32 KiB window of deflate, so the file compresses no better than random cells)."""
    rnd = random.Random(seed)
    distinct = [str(rnd.randrange(10**6)) for _ in range(min(n, 20_000))]
    return (distinct * (n // len(distinct) + 1))[:n]


CONTENT_TYPES_HEAD = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
)


def docx_cells(path: Path, cells: int = 1_000_000, columns: int = 10) -> Path:
    """A DOCX with one table of ``cells`` random numbers (compression ratio far under a bomb's)."""
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    texts = _random_texts(cells)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(
            "[Content_Types].xml",
            CONTENT_TYPES_HEAD + '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/></Relationships>',
        )
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(f'<?xml version="1.0"?><w:document {w}><w:body><w:tbl>'.encode())
            for r in range(0, cells, columns):
                cells_xml = "".join(
                    f"<w:tc><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:tc>"
                    for t in texts[r : r + columns]
                )
                fh.write(f"<w:tr>{cells_xml}</w:tr>".encode())
            fh.write(b"</w:tbl></w:body></w:document>")
    return path


def xlsx_cells(path: Path, cells: int = 1_000_000, columns: int = 10) -> Path:
    """An XLSX with one sheet of ``cells`` numeric cells."""
    texts = _random_texts(cells)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(
            "[Content_Types].xml",
            CONTENT_TYPES_HEAD + '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>"
            )
            for r in range(0, cells, columns):
                row = "".join(f"<c><v>{t}</v></c>" for t in texts[r : r + columns])
                fh.write(f'<row r="{r // columns + 1}">{row}</row>'.encode())
            fh.write(b"</sheetData></worksheet>")
    return path


def ole_random(path: Path, size: int = 2 << 20) -> Path:
    """An OLE/CFB signature followed by random bytes, named .doc."""
    rnd = random.Random(17)
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rnd.randbytes(size))
    return path
