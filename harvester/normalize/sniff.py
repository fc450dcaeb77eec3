"""The real type of a document, from its bytes (the extension and media type only hint)."""

from __future__ import annotations

import io
import re
import zipfile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_HINT = re.compile(rb"<\s*(!doctype\s+html|html|head|body|meta|title|div|table|p|script)[\s>/]", re.I)


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def sniff(data: bytes, filename: str | None = None, media_type: str | None = None) -> str:
    """One of pdf, docx, xlsx, doc, wps, xls, rtf, html, image, zip, text, binary."""
    head = data[:2048]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(OLE_MAGIC):
        return _ole_kind(data, filename)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(data)
    if stripped.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")):
        return "image"
    if _HTML_HINT.search(head[:1024]):
        return "html"
    if _looks_text(head):
        return "text"
    return "binary"


def _ole_kind(data: bytes, filename: str | None) -> str:
    # Directory entries hold stream names in UTF-16LE; look for the ones we know.
    if _utf16("WordDocument") in data:
        ext = (filename or "").rsplit(".", 1)[-1].lower()
        return "wps" if ext == "wps" else "doc"
    if _utf16("Workbook") in data or _utf16("Book") in data:
        return "xls"
    if _utf16("WpsCustomData") in data or _utf16("WPS") in data:
        return "wps"
    return "ole"


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        # no readable central directory (truncated?): judge by local member names
        if b"word/document.xml" in data or b"word/_rels" in data:
            return "docx"
        if b"xl/workbook.xml" in data or b"xl/worksheets" in data:
            return "xlsx"
        return "zip"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names:
        return "odf"
    return "zip"


def _looks_text(head: bytes) -> bool:
    if not head:
        return False
    if b"\x00" in head:
        return head.startswith((b"\xff\xfe", b"\xfe\xff"))
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls <= len(head) // 100


OCTET = "application/octet-stream"
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odf": "application/vnd.oasis.opendocument",
    "zip": "application/zip",
    "doc": "application/msword",
    "wps": "application/vnd.ms-works",
    "xls": "application/vnd.ms-excel",
    "ole": "application/x-ole-storage",
    "rtf": "application/rtf",
    "html": "text/html",
}
_IMAGE_TYPES = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


def media_type(data: bytes, declared: str | None = None) -> str:
    """The media type the bytes show (from `sniff`); the declared Content-Type only names
    what the bytes leave open (plain text, JSON, XML, unknown binary)."""
    kind = sniff(data)
    if kind in MEDIA_TYPES:
        return MEDIA_TYPES[kind]
    if kind == "image":
        return next(t for magic, t in _IMAGE_TYPES if data.startswith(magic))
    stripped = data[:1024].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    if stripped.startswith(b"<?xml"):
        return "application/xml"
    if stripped.startswith((b"{", b"[")) and kind == "text":
        return "application/json"
    declared_type = (declared or "").split(";")[0].strip().lower()
    if declared_type and declared_type != OCTET:
        return declared_type
    return "text/plain" if kind == "text" else OCTET
