"""Bad input never crashes or hangs: each case ends in NormalizeError with a clear reason,
within a time limit and bounded memory, and the next document still goes through."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pytest

from harvester.document import Block, Document
from harvester.normalize import NormalizeError, normalize_bytes, normalize_isolated
from harvester.normalize.grid import RawCell, build_table
from harvester.normalize.office import soffice_convert
from harvester.writers import render_docx

ENCRYPT = (
    'pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
    '"DocumentOpenPassword":{"type":"string","value":"secret"}}'
)


def _small_doc() -> Document:
    table = build_table([[RawCell("信息内容"), RawCell("总计")], [RawCell("一、本年新收"), RawCell("12")]])
    return Document(blocks=[Block("paragraph", "寿县2021年政府信息公开工作年度报告"), Block("table", table=table)])


@pytest.fixture(scope="module")
def good_docx() -> bytes:
    return render_docx(_small_doc())


@pytest.fixture(scope="module")
def pdfs(good_docx: bytes) -> dict[str, bytes]:
    return {
        "plain": soffice_convert(good_docx, "docx", "pdf"),
        "encrypted": soffice_convert(good_docx, "docx", "pdf", export_filter=ENCRYPT),
    }


def _zip_bomb(path: Path) -> None:
    """A DOCX whose document.xml unpacks to 300 MB (written in chunks, never in RAM)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b"<w:p/>" * (1 << 17)  # 768 KiB
            for _ in range(400):
                fh.write(chunk)


def _expect_error(data, match: str, *, limit: float = 20.0, **kw) -> str:
    started = time.monotonic()
    with pytest.raises(NormalizeError, match=match) as err:
        normalize_isolated(data, timeout=limit, memory_mb=512, **kw)
    assert time.monotonic() - started < limit
    assert err.value.reason  # a clear reason, no traceback text
    return err.value.reason


def _next_still_works(good_docx: bytes) -> None:
    doc = normalize_isolated(good_docx, filename="next.docx")
    assert doc.tables()[0].texts()[1] == ["一、本年新收", "12"]


def test_empty_file(good_docx: bytes) -> None:
    _expect_error(b"", "empty", filename="a.pdf")
    _next_still_works(good_docx)


def test_truncated_docx_and_pdf(good_docx: bytes, pdfs: dict[str, bytes]) -> None:
    _expect_error(good_docx[: len(good_docx) // 2], "corrupt DOCX", filename="a.docx")
    _expect_error(pdfs["plain"][: len(pdfs["plain"]) * 2 // 3], "truncated PDF", filename="a.pdf")
    _next_still_works(good_docx)


def test_encrypted_pdf(good_docx: bytes, pdfs: dict[str, bytes]) -> None:
    assert b"/Encrypt" in pdfs["encrypted"]
    _expect_error(pdfs["encrypted"], "encrypted PDF", filename="a.pdf")
    _next_still_works(good_docx)


def test_docx_zip_bomb(tmp_path: Path, good_docx: bytes) -> None:
    bomb = tmp_path / "bomb.docx"
    _zip_bomb(bomb)
    assert bomb.stat().st_size < 2_000_000
    reason = _expect_error(bomb, "zip bomb", limit=10.0, filename="bomb.docx")
    assert "word/document.xml" in reason
    _next_still_works(good_docx)


def test_huge_file_is_refused_before_reading(tmp_path: Path, good_docx: bytes) -> None:
    big = tmp_path / "big.pdf"
    with open(big, "wb") as fh:
        fh.write(b"%PDF-1.4\n")
        fh.truncate(200 * 1024 * 1024)  # sparse: no 200 MB written, none read
    started = time.monotonic()
    with pytest.raises(NormalizeError, match="too large"):
        normalize_isolated(big, filename="big.pdf")
    with pytest.raises(NormalizeError, match="too large"):
        normalize_bytes(big, filename="big.pdf")
    assert time.monotonic() - started < 2.0
    _next_still_works(good_docx)


def test_pdf_named_doc_is_read_as_pdf(pdfs: dict[str, bytes], good_docx: bytes) -> None:
    doc = normalize_isolated(pdfs["plain"], filename="report.doc", url="http://x.gov.cn/a/report.doc")
    assert doc.source_format == "pdf"
    assert doc.tables()[0].texts()[1] == ["一、本年新收", "12"]
    assert any("named as doc but the content is pdf" in w for w in doc.warnings)
    # and a broken one is reported as a PDF problem, never handed to LibreOffice
    _expect_error(pdfs["plain"][:5000], "PDF", filename="report.doc")
    _next_still_works(good_docx)


def test_garbage_with_document_names(good_docx: bytes) -> None:
    noise = bytes(range(256)) * 64
    _expect_error(noise, "unknown binary format", filename="x.docx")
    _expect_error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise, "neither Word nor Excel", filename="x.doc")
    _next_still_works(good_docx)


def test_wall_timeout_kills_child_and_its_libreoffice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, good_docx: bytes
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    doc_bytes = soffice_convert(good_docx, "docx", "doc")
    started = time.monotonic()
    with pytest.raises(NormalizeError, match="timed out"):
        normalize_isolated(doc_bytes, filename="slow.doc", timeout=1.0)
    assert time.monotonic() - started < 5.0
    time.sleep(0.5)
    leftovers = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if str(tmp_path).encode() in cmd:
                leftovers.append(cmd[:120])
    assert leftovers == []
    assert list(tmp_path.iterdir()) == []  # the child's work directory is gone too
    _next_still_works(good_docx)


def test_memory_limit_is_enforced(good_docx: bytes) -> None:
    # under every cheap limit (no table at all), but a tree far larger than 48 MB
    html = ("<html><body><div class=TRS_Editor>" + "<p>12345 一二三</p>" * 400000 + "</div></body></html>").encode()
    started = time.monotonic()
    with pytest.raises(NormalizeError, match="memory limit exceeded"):
        normalize_isolated(html, filename="a.html", memory_mb=48, timeout=60)
    assert time.monotonic() - started < 20
    _next_still_works(good_docx)


def test_in_process_errors_are_normalize_errors(good_docx: bytes) -> None:
    for data in (b"", good_docx[:100], b"PK\x03\x04" + b"\x00" * 50, b"%PDF-1.4\n%%EOF"):
        with pytest.raises(NormalizeError):
            normalize_bytes(io.BytesIO(data).getvalue())
