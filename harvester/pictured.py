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

from typing import Any

from harvester.document import Document

SECTIONS = ("proactive", "applications", "review_litigation")


def with_pictures(page: Document, pictures: dict[str, Document | None]) -> Document:
    """The page with each picture's blocks where the picture stood (pictures the page does
    not place go at the end). `pictures` maps a picture's URL to its normalised document
    (None: not readable)."""
    blocks = list(page.blocks)
    placed = {p.url for p in page.pictures}
    for picture in sorted(page.pictures, key=lambda p: p.position, reverse=True):
        doc = pictures.get(picture.url)
        if doc is not None:
            blocks[picture.position : picture.position] = doc.blocks
    for url, doc in pictures.items():
        if url not in placed and doc is not None:
            blocks.extend(doc.blocks)
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


def value_paths(record: dict[str, Any]) -> dict[str, Any]:
    """Every table value of a record by its path (``applications.received.total``)."""
    out: dict[str, Any] = {}

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
    record: dict[str, Any],
    page_record: dict[str, Any] | None,
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
