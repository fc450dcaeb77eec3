"""OFD (GB/T 33190, the national electronic-document format): the package's pages read
with lxml into text lines in reading order.

An OFD is a ZIP package: ``OFD.xml`` names the document root (``Doc_0/Document.xml``),
which lists its pages (``Pages/Page_N/Content.xml``). A page's text is ``TextObject``
elements, each placed by its ``Boundary`` ("x y w h", millimetres) and its ``TextCode``
(with its own X/Y offsets). Objects are grouped into lines by their baseline and read left
to right; a gap wider than two characters between objects is a cell border, kept as a tab
so a table row stays one line of cells (the parser reads the template's tables from such
lines as it does from plain text). Opened with the same member-count, size and
compression-ratio guards as DOCX (harvester.normalize.zipguard).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from lxml import etree

from harvester.document import Block, Document
from harvester.normalize.errors import NormalizeError
from harvester.normalize.grid import clean_text
from harvester.normalize.zipguard import open_zip, read_member

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
LINE_TOLERANCE = 1.5  # mm: objects whose baselines differ less are on one line
MAX_PAGES = 500


def is_ofd(names: set[str]) -> bool:
    return "OFD.xml" in names or "ofd.xml" in names


@dataclass(frozen=True)
class Piece:
    x: float
    y: float
    width: float
    text: str


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _xml(zf, name: str):  # noqa: ANN001, ANN202 - zipfile, lxml element
    try:
        return etree.fromstring(read_member(zf, name, "OFD"), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise NormalizeError(f"corrupt OFD ({name}: {exc})") from None


def _children(el, name: str) -> list:  # noqa: ANN001
    return [c for c in el.iter() if _local(c.tag) == name]


def _numbers(value: str | None) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", value or "")]


def _pieces(page) -> list[Piece]:  # noqa: ANN001
    out = []
    for obj in _children(page, "TextObject"):
        box = _numbers(obj.get("Boundary"))
        if len(box) < 4:
            continue
        for code in _children(obj, "TextCode"):
            text = clean_text(code.text or "")
            if not text:
                continue
            x = box[0] + (_numbers(code.get("X")) or [0.0])[0]
            y = box[1] + (_numbers(code.get("Y")) or [0.0])[0]
            out.append(Piece(x, y, box[2], text))
    return out


def _lines(pieces: list[Piece]) -> list[str]:
    rows: list[list[Piece]] = []
    for piece in sorted(pieces, key=lambda p: (p.y, p.x)):
        if rows and abs(rows[-1][0].y - piece.y) <= LINE_TOLERANCE:
            rows[-1].append(piece)
        else:
            rows.append([piece])
    lines = []
    for row in rows:
        row.sort(key=lambda p: p.x)
        parts = [row[0].text]
        for before, piece in zip(row, row[1:], strict=False):
            char = before.width / max(len(before.text), 1)
            gap = piece.x - (before.x + before.width)
            parts.append(("\t" if gap > 2 * max(char, 1.0) else "") + piece.text)
        lines.append("".join(parts))
    return lines


def _page_paths(zf, names: set[str]) -> list[str]:  # noqa: ANN001
    root = _xml(zf, "OFD.xml" if "OFD.xml" in names else "ofd.xml")
    doc_roots = [clean_text(e.text or "") for e in _children(root, "DocRoot")]
    if not doc_roots:
        raise NormalizeError("corrupt OFD: OFD.xml names no DocRoot")
    doc_path = doc_roots[0].lstrip("/")
    document = _xml(zf, doc_path)
    base = posixpath.dirname(doc_path)
    pages = []
    for page in _children(document, "Page"):
        loc = (page.get("BaseLoc") or "").lstrip("/")
        if loc:
            path = loc if loc in names else posixpath.normpath(posixpath.join(base, loc))
            pages.append(path)
    if not pages:
        raise NormalizeError("OFD without pages")
    if len(pages) > MAX_PAGES:
        raise NormalizeError(f"OFD has {len(pages)} pages (limit {MAX_PAGES})")
    return pages


def normalize_ofd(data: bytes) -> Document:
    zf = open_zip(data, "OFD")
    names = set(zf.namelist())
    doc = Document(source_format="ofd")
    for n, path in enumerate(_page_paths(zf, names), start=1):
        for line in _lines(_pieces(_xml(zf, path))):
            doc.blocks.append(Block("paragraph", line, page=n))
    if not doc.blocks:
        doc.needs_ocr = True
        doc.warnings.append("OFD without text objects: its pages are images and need OCR")
    first = next((b.text for b in doc.blocks if "报告" in b.text), None)
    doc.title = first.replace("\t", "") if first else None
    return doc
