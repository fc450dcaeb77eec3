"""Tell a document's media type from its first bytes (servers often lie in Content-Type)."""

from __future__ import annotations

import zipfile
from io import BytesIO

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
OCTET = "application/octet-stream"


def sniff_media_type(data: bytes, declared: str | None = None) -> str:
    """The media type the bytes show; `declared` (a Content-Type) only breaks ties."""
    head = data[:1024]
    if head.startswith(b"%PDF"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    if head.startswith(OLE_MAGIC):
        return _ole_type(data)
    stripped = head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta")) or (
        b"<html" in head.lower()
    ):
        return "text/html"
    if stripped.startswith(b"<?xml"):
        return "application/xml"
    if stripped.startswith((b"{", b"[")):
        return "application/json"
    if head.startswith(b"{\\rtf"):
        return "application/rtf"
    declared_type = (declared or "").split(";")[0].strip().lower()
    if declared_type and declared_type != OCTET:
        return declared_type
    if not data:
        return OCTET
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return OCTET
    return "text/plain"


def _zip_type(data: bytes) -> str:
    try:
        names = zipfile.ZipFile(BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "application/zip"
    if any(n.startswith("word/") for n in names):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if any(n.startswith("xl/") for n in names):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if "mimetype" in names:
        return "application/vnd.oasis.opendocument"
    return "application/zip"


def _ole_type(data: bytes) -> str:
    if "WordDocument".encode("utf-16-le") in data:
        return "application/msword"
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "application/vnd.ms-excel"
    return "application/x-ole-storage"
