"""The file members of ZIP, RAR and 7z archives, read within the same guards as DOCX.

Before anything is decompressed, the archive's own listing is checked as
harvester.normalize.zipguard checks a DOCX: at most ``MAX_MEMBERS`` entries, no member and
no total above the unpacked-size limit of the document budget, no member above 1 MB whose
compression ratio passes ``MAX_RATIO`` (for a solid 7z, whose members share one packed
stream, the ratio of the whole archive). Reading never takes more than a member's declared
size (headers can lie). RAR is read through rarfile: stored members directly, compressed
ones through the extraction tool it finds (bsdtar from libarchive-tools, unar or unrar);
7z through py7zr. An encrypted, corrupt or over-guard archive raises `NormalizeError`
with a one-line reason.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from harvester.normalize.budget import BUDGET, MB
from harvester.normalize.errors import NormalizeError
from harvester.normalize.zipguard import MAX_MEMBERS, MAX_RATIO, open_zip, read_member

Entry = tuple[str, int, int | None]  # path, unpacked size, packed size (None: not known)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _limit() -> str:
    return f"unpacked-size limit {BUDGET.max_unpacked_bytes // MB} MB"


def check_entries(entries: list[Entry], what: str, archive_bytes: int) -> None:
    """The zipguard checks over an archive's listing (every entry, directories too)."""
    if len(entries) > MAX_MEMBERS:
        raise NormalizeError(f"{what} has {len(entries)} members (limit {MAX_MEMBERS})")
    total = 0
    for path, size, packed in entries:
        total += size
        if size > BUDGET.max_unpacked_bytes:
            raise NormalizeError(
                f"archive bomb suspected in {what}: member {path} unpacks to {size} bytes "
                f"({_limit()})"
            )
        if packed is not None and size > MB and size > MAX_RATIO * max(packed, 1):
            raise NormalizeError(
                f"archive bomb suspected in {what}: member {path} ratio "
                f"{size // max(packed, 1)}:1 (limit {MAX_RATIO}:1)"
            )
    if total > BUDGET.max_unpacked_bytes:
        raise NormalizeError(
            f"archive bomb suspected in {what}: {total} bytes unpacked in total ({_limit()})"
        )
    if total > MB and total > MAX_RATIO * max(archive_bytes, 1):
        raise NormalizeError(
            f"archive bomb suspected in {what}: {total} bytes from {archive_bytes} "
            f"(ratio {total // max(archive_bytes, 1)}:1, limit {MAX_RATIO}:1)"
        )


def _wanted(path: str) -> bool:
    """A file member worth normalising: no macOS resource forks, no hidden files."""
    return not path.startswith("__MACOSX/") and not path.rsplit("/", 1)[-1].startswith(".")


# -- ZIP ------------------------------------------------------------------------------------------


def _zip_name(info: zipfile.ZipInfo) -> str:
    """A member's path as the archiver meant it: names without the UTF-8 flag are CP437 by
    the ZIP spec but GBK in practice on Chinese portals."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def zip_members(data: bytes, limit: int) -> list[tuple[str, bytes]]:
    zf = open_zip(data, "ZIP archive")
    out = []
    for info in zf.infolist():
        path = _zip_name(info)
        if info.is_dir() or not _wanted(path):
            continue
        if info.flag_bits & 0x1:
            raise NormalizeError(f"encrypted ZIP archive: member {path} needs a password")
        out.append((path, read_member(zf, info.filename, "ZIP archive")))
        if len(out) >= limit:
            break
    return out


# -- RAR ------------------------------------------------------------------------------------------


def rar_members(data: bytes, limit: int) -> list[tuple[str, bytes]]:
    import rarfile

    what = "RAR archive"
    try:
        rf = rarfile.RarFile(io.BytesIO(data), charset="gb18030")
        infos = rf.infolist()
    except rarfile.PasswordRequired:
        raise NormalizeError("encrypted RAR archive: its file list needs a password") from None
    except (rarfile.Error, EOFError, OSError, ValueError, IndexError) as exc:
        raise NormalizeError(f"corrupt RAR archive ({_one_line(exc)})") from None
    if rf.needs_password() and not infos:
        raise NormalizeError("encrypted RAR archive: its file list needs a password")
    check_entries([(i.filename, i.file_size, i.compress_size) for i in infos], what, len(data))
    out = []
    for info in infos:
        path = info.filename
        if info.is_dir() or not info.is_file() or not _wanted(path):
            continue
        if info.needs_password():
            raise NormalizeError(f"encrypted RAR archive: member {path} needs a password")
        try:
            with rf.open(info) as fh:
                raw = fh.read(info.file_size + 1)
        except rarfile.RarCannotExec:
            raise NormalizeError(
                f"RAR archive: member {path} is compressed and no RAR extraction tool "
                "(bsdtar from libarchive-tools, unar or unrar) is installed"
            ) from None
        except (rarfile.Error, EOFError, OSError, ValueError) as exc:
            raise NormalizeError(f"corrupt RAR archive ({path}: {_one_line(exc)})") from None
        if len(raw) > info.file_size:
            raise NormalizeError(f"archive bomb suspected in {what}: {path} larger than declared")
        out.append((path, raw))
        if len(out) >= limit:
            break
    return out


# -- 7z -------------------------------------------------------------------------------------------


def _capped_factory(sizes: dict[str, int]) -> Any:
    """A py7zr writer factory keeping each member in memory, never past its declared size."""
    from py7zr.io import Py7zIO, WriterFactory

    class Capped(Py7zIO):
        def __init__(self, cap: int) -> None:
            self.cap = cap
            self.buffer = io.BytesIO()
            self.over = False

        def write(self, s: Any) -> int:
            room = self.cap - self.buffer.tell()
            if len(s) > room:
                self.over = True
                s = bytes(s[: max(room, 0)])
            return self.buffer.write(s)

        def read(self, size: int | None = None) -> bytes:
            return self.buffer.read(size)

        def seek(self, offset: int, whence: int = 0) -> int:
            return self.buffer.seek(offset, whence)

        def flush(self) -> None:
            return None

        def size(self) -> int:
            return len(self.buffer.getbuffer())

    class Factory(WriterFactory):
        def __init__(self) -> None:
            self.products: dict[str, Capped] = {}

        def create(self, filename: str) -> Py7zIO:
            product = Capped(sizes.get(filename, 0))
            self.products[filename] = product
            return product

    return Factory()


def sevenzip_members(data: bytes, limit: int) -> list[tuple[str, bytes]]:
    import py7zr

    what = "7z archive"
    try:
        archive = py7zr.SevenZipFile(io.BytesIO(data))
    except py7zr.PasswordRequired:
        raise NormalizeError("encrypted 7z archive: its file list needs a password") from None
    except Exception as exc:  # py7zr raises many kinds on hostile bytes; each is a reason
        raise NormalizeError(f"corrupt 7z archive ({_one_line(exc)})") from None
    with archive:
        infos = archive.list()
        check_entries(
            [(i.filename, i.uncompressed or 0, i.compressed) for i in infos], what, len(data)
        )
        if archive.needs_password():
            raise NormalizeError("encrypted 7z archive: its members need a password")
        files = [i for i in infos if not i.is_directory and _wanted(i.filename)][:limit]
        sizes = {i.filename: i.uncompressed or 0 for i in files}
        factory = _capped_factory(sizes)
        try:
            archive.extract(targets=list(sizes), factory=factory)
        except Exception as exc:  # CRC errors, truncated streams, bad headers
            raise NormalizeError(f"corrupt 7z archive ({_one_line(exc)})") from None
    out = []
    for path in sizes:
        product = factory.products.get(path)
        if product is None:
            raise NormalizeError(f"corrupt 7z archive (member {path} not extracted)")
        if product.over:
            raise NormalizeError(f"archive bomb suspected in {what}: {path} larger than declared")
        out.append((path, product.buffer.getvalue()))
    return out


READERS = {"zip": zip_members, "rar": rar_members, "7z": sevenzip_members}
NAMES = {"zip": "ZIP", "rar": "RAR", "7z": "7z"}


def file_members(kind: str, data: bytes, limit: int) -> list[tuple[str, bytes]]:
    """(path, bytes) of the archive's file members in archive order, at most `limit`."""
    out = READERS[kind](data, limit)
    if not out:
        raise NormalizeError(f"{NAMES[kind]} archive without file members")
    return out
