"""normalize_bytes: dispatch raw bytes to the normaliser of their real type."""

from __future__ import annotations

import os
from pathlib import Path

from harvester.document import Block, Document
from harvester.normalize.budget import BUDGET
from harvester.normalize.errors import NormalizeError
from harvester.normalize.sniff import sniff

MAX_BYTES = BUDGET.max_bytes
DECLARED = {
    ".pdf": "pdf",
    ".doc": "doc",
    ".docx": "docx",
    ".wps": "wps",
    ".xls": "xls",
    ".xlsx": "xlsx",
    ".et": "xls",
    ".rtf": "rtf",
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",
}


def check_size(size: int, limit: int | None = None) -> None:
    limit = MAX_BYTES if limit is None else limit
    if size == 0:
        raise NormalizeError("empty document (0 bytes)")
    if size > limit:
        raise NormalizeError(
            f"document too large: {size} bytes > limit {limit} (document-size limit)"
        )


def read_input(data: bytes | os.PathLike[str] | str, limit: int | None = None) -> bytes:
    """Bytes, or a path whose size is checked before it is read."""
    if isinstance(data, bytes | bytearray | memoryview):
        check_size(len(data), limit)
        return bytes(data)
    path = Path(data)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NormalizeError(f"cannot read {path.name}: {exc.strerror}") from None
    check_size(size, limit)
    return path.read_bytes()


def _declared(filename: str | None) -> str | None:
    if not filename:
        return None
    name = filename.split("?", 1)[0].lower()
    ext = os.path.splitext(name)[1]
    return DECLARED.get(ext)


def normalize_bytes(
    data: bytes | os.PathLike[str],
    *,
    filename: str | None = None,
    url: str | None = None,
    media_type: str | None = None,
) -> Document:
    """Normalise one document in this process. Raises NormalizeError with a reason."""
    raw = read_input(data)
    kind = sniff(raw, filename, media_type)
    declared = _declared(filename) or _declared(url)
    try:
        doc = _dispatch(raw, kind, url=url, media_type=media_type)
    except NormalizeError:
        raise
    except MemoryError:
        raise NormalizeError(f"out of memory while reading {kind}") from None
    except RecursionError:
        raise NormalizeError(f"{kind} nested too deeply") from None
    except (ImportError, OSError) as exc:
        if "map" in str(exc) or "alloc" in str(exc).lower():
            raise NormalizeError(
                f"out of memory while reading {kind} ({type(exc).__name__})"
            ) from None
        raise NormalizeError(f"unreadable {kind}: {type(exc).__name__}: {exc}"[:300]) from None
    except Exception as exc:  # a library choking on a hostile file is a reason, not a crash
        raise NormalizeError(f"unreadable {kind}: {type(exc).__name__}: {exc}"[:300]) from None
    if (
        declared
        and declared != kind
        and not (declared in {"doc", "wps"} and kind in {"doc", "wps"})
    ):
        doc.warnings.append(f"named as {declared} but the content is {kind}")
    return doc


def _dispatch(raw: bytes, kind: str, *, url: str | None, media_type: str | None) -> Document:
    if kind == "pdf":
        from harvester.normalize.pdf import normalize_pdf

        return normalize_pdf(raw)
    if kind == "docx":
        from harvester.normalize.docx import normalize_docx

        return normalize_docx(raw)
    if kind in {"doc", "wps", "rtf"}:
        from harvester.normalize.office import normalize_office

        return normalize_office(raw, kind)
    if kind in {"xls", "xlsx"}:
        from harvester.normalize.xls import normalize_xls, normalize_xlsx

        return normalize_xls(raw) if kind == "xls" else normalize_xlsx(raw)
    if kind == "html":
        from harvester.normalize.html import normalize_html

        return normalize_html(raw, url=url, media_type=media_type)
    if kind == "image":
        from harvester.normalize.ocr import normalize_image

        return normalize_image(raw)
    if kind == "text":
        from harvester.normalize.charset import decode_text

        text, warnings = decode_text(raw, media_type)
        lines = [ln.strip() for ln in text.splitlines()]
        if not any(lines):
            raise NormalizeError("empty document (whitespace only)")
        doc = Document(blocks=[Block("paragraph", ln) for ln in lines if ln], source_format="text")
        doc.warnings.extend(warnings)
        return doc
    if kind == "ofd":
        from harvester.normalize.ofd import normalize_ofd

        return normalize_ofd(raw)
    if kind in {"rar", "7z"}:
        raise NormalizeError(
            f"{kind} archive: read as a report attachment (each member a document), "
            "not as one document"
        )
    if kind == "ole":
        raise NormalizeError("OLE2 container that is neither Word nor Excel")
    if kind in {"zip", "odf"}:
        raise NormalizeError(
            f"unsupported archive type ({kind}): no word/document.xml or xl/workbook.xml"
        )
    raise NormalizeError("unknown binary format")
