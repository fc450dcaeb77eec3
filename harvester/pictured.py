"""Reports whose tables are pictures: the article page with its pictures read back in place,
and the record marked as read by OCR.

The spider stores an article's body pictures as documents of the report (role ``image``,
harvester.normalize.pictures); each was normalised on its own (OCR when tesseract with
``chi_sim`` is installed, harvester.normalize.ocr). Here their blocks go back into the page
where each picture stood, so a table pictured under its section heading is read as that
section's table. The record then says so: ``needs_ocr`` true, ``ocr`` with the pictures,
whether OCR ran, and the path of every value that came from a picture, and a warning
naming the pictures. Without OCR the record still says its tables are pictures.
"""

from __future__ import annotations

import functools
import re
from difflib import SequenceMatcher
from typing import Any

from harvester.document import Block, Cell, Document, Table
from harvester.parser import template
from harvester.parser.types import Record

SECTIONS = ("proactive", "applications", "review_litigation")
SNAP_RATIO = 0.7  # a label read by OCR this close to a template label is that label
_CJK = re.compile(r"[\u3400-\u9fff]")
_ASCII_PUNCT = str.maketrans({"(": "（", ")": "）", ",": "，", ":": "：", ";": "；"})


@functools.cache
def template_labels() -> tuple[str, ...]:
    """Every label the report template prints (rows, groups, items, headers)."""
    labels: set[str] = set(template.T3_GROUPS) | set(template.T4_HEADERS)
    for rows in template.T3_ROWS.values():
        labels.update(row.label for row in rows)
    for items in template.T2_ITEMS.values():
        for item in items:
            labels.update((item.label, item.item, *item.headers))
    return tuple(sorted(label for label in labels if len(_CJK.findall(label)) >= 2))


def snap_label(text: str) -> str:
    """An OCR'd cell text as the template label it is closest to, when close enough
    (OCR misreads a character or a stop: 公天 for 公开, "3," for "3.")."""
    if len(_CJK.findall(text)) < 2:
        return text
    fixed = re.sub(r"^(\d)\s*[,，、]", r"\1.", re.sub(r"\s+", "", text)).translate(_ASCII_PUNCT)
    best, ratio = fixed, 0.0
    for label in template_labels():
        score = SequenceMatcher(None, fixed, label).ratio()
        if score > ratio:
            best, ratio = label, score
    return best if ratio >= SNAP_RATIO else fixed


def snapped(blocks: list[Block]) -> list[Block]:
    """OCR'd blocks with their table labels snapped to the template's."""
    out = []
    for block in blocks:
        if block.kind == "table" and block.table is not None:
            rows = [
                [Cell(snap_label(c.text), c.rowspan, c.colspan, c.merged, c.origin) for c in row]
                for row in block.table.rows
            ]
            block = Block("table", table=Table(rows=rows), page=block.page)
        out.append(block)
    return out


def with_pictures(page: Document, pictures: dict[str, Document | None]) -> Document:
    """The page with each picture's blocks where the picture stood (pictures the page does
    not place go at the end). `pictures` maps a picture's URL to its normalised document
    (None: not readable)."""
    blocks = list(page.blocks)
    placed = {p.url for p in page.pictures}
    for picture in sorted(page.pictures, key=lambda p: p.position, reverse=True):
        doc = pictures.get(picture.url)
        if doc is not None:
            blocks[picture.position : picture.position] = snapped(doc.blocks)
    for url, doc in pictures.items():
        if url not in placed and doc is not None:
            blocks.extend(snapped(doc.blocks))
    read = [doc for doc in pictures.values() if doc is not None]
    return Document(
        blocks=blocks,
        title=page.title,
        published=page.published,
        metadata=dict(page.metadata),
        attachments=list(page.attachments),
        source_format=page.source_format,
        needs_ocr=True,
        ocr_used=any(doc.ocr_used for doc in read),
        warnings=[w for w in page.warnings if "need OCR" not in w]
        + [w for doc in read for w in doc.warnings if not w.startswith("OCR: read by")],
        pictures=list(page.pictures),
    )


def value_paths(record: Record) -> dict[str, object]:
    """Every table value of a record by its path (``applications.received.total``)."""
    out: dict[str, object] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}", sub)
        elif value is not None:
            out[prefix] = value

    for section in SECTIONS:
        if record.get(section):
            walk(section, record[section])
    return out


def mark_record(
    record: Record,
    page_record: Record | None,
    urls: list[str],
    ocr_used: bool,
    unreadable: list[str],
) -> None:
    """Mark a record built with pictures: the pictures, whether OCR read them, the values
    they gave (those the page's own text did not), and a warning naming them."""
    own = value_paths(page_record or {})
    values = sorted(p for p, v in value_paths(record).items() if own.get(p) != v)
    record["needs_ocr"] = True
    record["ocr"] = {"pictures": urls, "read": ocr_used, "values": values}
    named = ", ".join(urls[:10]) + (f" and {len(urls) - 10} more" if len(urls) > 10 else "")
    if ocr_used:
        record["warnings"].insert(
            0,
            f"OCR: {len(values)} value(s) read by OCR from {len(urls)} picture(s) of the "
            f"report's tables ({named}); check them against the pictures (their paths are "
            "in ocr.values)",
        )
    else:
        record["warnings"].insert(
            0,
            f"OCR needed: the report's tables are {len(urls)} picture(s) ({named}) and no "
            "OCR read them (install tesseract with chi_sim and run `harvester reparse`)",
        )
    for url in unreadable:
        record["warnings"].append(f"picture not readable: {url}")
