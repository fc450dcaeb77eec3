"""RAR and 7z archives of report files, read as a user's attachment would be: every file
member with its path, within the same count, size and ratio guards as ZIP and DOCX; an
encrypted, corrupt or over-guard archive gives a one-line reason. The RAR fixtures come
from the project's own writer (tests/rar_writer.py), checked here with the Debian tool
rarfile extracts with (bsdtar)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import py7zr
import pytest
import rarfile
from rar_writer import rar_archive

from harvester.archives import archive_members
from harvester.normalize.errors import NormalizeError
from harvester.normalize.zipguard import MAX_MEMBERS

DOCX = b"PK\x03\x04 the report as docx " * 40
PDF = b"%PDF-1.4\n% the report as pdf\n%%EOF\n" * 30
MEMBERS = [("2021年报/某县2021年年报.docx", DOCX), ("2021年报/某县2021年年报.pdf", PDF)]


def sevenzip(members: list[tuple[str, bytes]], **options: object) -> bytes:
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", **options) as archive:
        for name, data in members:
            archive.writestr(data, name)
    return buf.getvalue()


def reason(data: bytes) -> str:
    with pytest.raises(NormalizeError) as caught:
        archive_members(data)
    assert "\n" not in caught.value.reason
    return caught.value.reason


@pytest.mark.skipif(shutil.which("bsdtar") is None, reason="bsdtar (libarchive-tools) missing")
def test_the_rar_writer_makes_archives_the_backend_tool_reads(tmp_path: Path) -> None:
    path = tmp_path / "reports.rar"
    path.write_bytes(rar_archive(MEMBERS))
    listing = subprocess.run(
        ["bsdtar", "-tf", str(path)], capture_output=True, text=True, check=True
    )
    assert listing.stdout.splitlines() == [name for name, _ in MEMBERS]
    for name, data in MEMBERS:
        out = subprocess.run(["bsdtar", "-x", "--to-stdout", "-f", str(path), name],
                             capture_output=True, check=True)  # fmt: skip
        assert out.stdout == data
    assert rarfile.tool_setup(force=True).get_cmdline("check_cmd", None)  # a tool is found


def test_rar_and_7z_members_are_read_with_their_paths() -> None:
    assert archive_members(rar_archive(MEMBERS)) == MEMBERS
    assert archive_members(sevenzip(MEMBERS)) == MEMBERS
    with_fork = [*MEMBERS, ("__MACOSX/2021年报/._某县2021年年报.pdf", b"\x00\x05\x16\x07")]
    assert archive_members(sevenzip(with_fork)) == MEMBERS
    assert archive_members(rar_archive(with_fork)) == MEMBERS


def test_encrypted_archives_give_a_reason() -> None:
    assert reason(rar_archive(MEMBERS, encrypted=True)) == (
        "encrypted RAR archive: member 2021年报/某县2021年年报.docx needs a password"
    )
    assert reason(sevenzip(MEMBERS, password="secret")) == (
        "encrypted 7z archive: its members need a password"
    )
    assert reason(sevenzip(MEMBERS, password="secret", header_encryption=True)) == (
        "encrypted 7z archive: its file list needs a password"
    )


def test_corrupt_archives_give_a_reason() -> None:
    rar = bytearray(rar_archive(MEMBERS))
    rar[rar.index(b"the report as pdf")] ^= 0xFF  # one byte of the PDF member flipped
    assert reason(bytes(rar)).startswith("corrupt RAR archive (2021年报/某县2021年年报.pdf:")
    assert reason(rar_archive(MEMBERS)[:200]).startswith("corrupt RAR archive (")
    assert reason(sevenzip(MEMBERS)[:-20]).startswith("corrupt 7z archive (")
    seven = bytearray(sevenzip(MEMBERS))
    seven[40] ^= 0xFF  # inside the packed stream
    assert reason(bytes(seven)).startswith("corrupt 7z archive (")


def test_archives_over_a_guard_are_refused() -> None:
    zeros = [("zeros.bin", bytes(5 * 1024 * 1024))]
    assert reason(sevenzip(zeros)).startswith(
        "archive bomb suspected in 7z archive: member zeros.bin ratio"
    )
    many = [(f"f{n}.txt", b"x") for n in range(MAX_MEMBERS + 1)]
    assert reason(rar_archive(many)) == (
        f"RAR archive has {MAX_MEMBERS + 1} members (limit {MAX_MEMBERS})"
    )
    assert reason(rar_archive([])) == "RAR archive without file members"


@pytest.mark.parametrize("kind", ["rar", "7z"])
def test_unpacked_size_limit_of_the_budget(kind: str, tmp_path: Path) -> None:
    """The document budget's unpacked-size limit (HARVESTER_NORMALIZE_MAX_UNPACKED_MB)."""
    big = [("big.pdf", os.urandom(1024 * 1024 + 10))]
    path = tmp_path / f"big.{kind}"
    path.write_bytes(rar_archive(big) if kind == "rar" else sevenzip(big))
    code = (
        "import sys; from pathlib import Path; from harvester.archives import archive_members\n"
        "from harvester.normalize.errors import NormalizeError\n"
        "try: archive_members(Path(sys.argv[1]).read_bytes())\n"
        "except NormalizeError as e: print(e.reason)\n"
    )
    env = {**os.environ, "HARVESTER_NORMALIZE_MAX_UNPACKED_MB": "1"}
    out = subprocess.run([sys.executable, "-c", code, str(path)], env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    name = "RAR" if kind == "rar" else "7z"
    assert out.stdout.strip() == (
        f"archive bomb suspected in {name} archive: member big.pdf unpacks to "
        f"{1024 * 1024 + 10} bytes (unpacked-size limit 1 MB)"
    )
