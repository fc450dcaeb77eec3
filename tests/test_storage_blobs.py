"""The blob store keeps bytes by content, writes atomically and notices corruption."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from harvester.normalize.sniff import media_type as sniff_media_type
from harvester.storage.blobs import BlobError, BlobStore


def test_put_get_roundtrip_and_layout(blob_store: BlobStore) -> None:
    data = "2023年政府信息公开工作年度报告".encode()
    sha, created = blob_store.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert created is True
    assert blob_store.path(sha) == blob_store.root / sha[:2] / sha[2:4] / sha
    assert blob_store.path(sha).read_bytes() == data
    assert blob_store.get(sha) == data
    assert blob_store.exists(sha) and blob_store.verify(sha)


def test_same_bytes_are_stored_once(blob_store: BlobStore) -> None:
    sha, first = blob_store.put(b"%PDF-1.7 same")
    again, second = blob_store.put(b"%PDF-1.7 same")
    assert (again, first, second) == (sha, True, False)
    files = [p for p in blob_store.root.rglob("*") if p.is_file()]
    assert files == [blob_store.path(sha)]


def test_corruption_is_detected_and_put_repairs_it(blob_store: BlobStore) -> None:
    data = b"original bytes"
    sha, _ = blob_store.put(data)
    target = blob_store.path(sha)
    os.chmod(target, 0o644)
    target.write_bytes(b"flipped bytes!")
    assert blob_store.verify(sha) is False
    with pytest.raises(BlobError, match=f"expected sha256 {sha}"):
        blob_store.get(sha)
    assert blob_store.put(data) == (sha, True)
    assert blob_store.get(sha) == data


def test_missing_blob_and_bad_names(blob_store: BlobStore) -> None:
    missing = "0" * 64
    assert not blob_store.exists(missing)
    assert not blob_store.verify(missing)
    with pytest.raises(BlobError, match="not found"):
        blob_store.get(missing)
    for bad in ("../../etc/passwd", "ABC", "g" * 64, "A" * 64):
        with pytest.raises(BlobError, match="64-character"):
            blob_store.path(bad)


def test_failed_write_leaves_no_blob_and_no_temporary_file(
    blob_store: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(src: str, dst: str) -> None:
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", crash)
    data = b"bytes that never land"
    with pytest.raises(OSError, match="disk full"):
        blob_store.put(data)
    sha = hashlib.sha256(data).hexdigest()
    assert not blob_store.exists(sha)
    assert [p for p in blob_store.root.rglob("*") if p.is_file()] == []


def test_concurrent_writers_of_the_same_blob(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    data = os.urandom(1 << 20)
    stores = [BlobStore(tmp_path / "blobs") for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda s: s.put(data), stores))
    sha = hashlib.sha256(data).hexdigest()
    assert {r[0] for r in results} == {sha}
    assert stores[0].get(sha) == data
    assert [p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == [sha]


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (b"%PDF-1.4\n...", "text/html", "application/pdf"),
        (
            bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 64 + "WordDocument".encode("utf-16-le"),
            None,
            "application/msword",
        ),
        (b"\xef\xbb\xbf  <!DOCTYPE html><html><head>", "application/octet-stream", "text/html"),
        (b"<HTML><BODY>x", None, "text/html"),
        (b"\x00\x01\x02\xff\xfe", None, "application/octet-stream"),
        (b"\x00\x01\x02\xff\xfe", "image/png; x=1", "image/png"),
    ],
)
def test_sniff_media_type(data: bytes, declared: str | None, expected: str) -> None:
    assert sniff_media_type(data, declared) == expected


def test_sniff_docx(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "a.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    assert sniff_media_type(path.read_bytes()) == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
