"""A minimal RAR 4.x writer for test fixtures (no free tool creates RAR archives).

Follows the RAR 4.x technical note (``technote.txt`` of the RAR distribution): the marker
block, an archive header, one file header per member followed by its data, and the end of
archive block; every header carries the low 16 bits of the CRC32 of its bytes after the
CRC field. Members are stored (method 0x30, no compression). A name with non-ASCII
characters is written in UTF-8 under the unicode-name flag (no OEM name before it), as
unrar, libarchive and rarfile read it. `encrypted=True` sets a member's password flag
(its data is left as is: a reader must refuse it without a password).
"""

from __future__ import annotations

import struct
import zlib
from datetime import datetime

MARKER = b"Rar!\x1a\x07\x00"
MAIN_HEAD, FILE_HEAD, END_HEAD = 0x73, 0x74, 0x7B
LONG_BLOCK = 0x8000  # ADD_SIZE present (PACK_SIZE in file headers)
UNICODE_NAME = 0x0200
PASSWORD = 0x0004
END_NO_MORE = 0x4000
HOST_WIN32 = 2
STORED = 0x30
UNPACK_VERSION = 29  # RAR 2.9 format


def _block(kind: int, flags: int, body: bytes) -> bytes:
    head = struct.pack("<BHH", kind, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(head) & 0xFFFF) + head


def _dos_time(when: datetime) -> int:
    return (
        (when.year - 1980) << 25
        | when.month << 21
        | when.day << 16
        | when.hour << 11
        | when.minute << 5
        | when.second // 2
    )


def file_block(
    name: str,
    data: bytes,
    *,
    encrypted: bool = False,
    when: datetime = datetime(2024, 1, 15, 9, 30),
) -> bytes:
    """A stored member: its file header and its data."""
    raw_name = name.replace("/", "\\").encode("utf-8")
    flags = LONG_BLOCK
    if not name.isascii():
        flags |= UNICODE_NAME
    if encrypted:
        flags |= PASSWORD
    body = struct.pack(
        "<IIBIIBBHI",
        len(data),  # PACK_SIZE
        len(data),  # UNP_SIZE
        HOST_WIN32,
        zlib.crc32(data),
        _dos_time(when),
        UNPACK_VERSION,
        STORED,
        len(raw_name),
        0x20,  # FILE_ATTR: archive
    )
    return _block(FILE_HEAD, flags, body + raw_name) + data


def rar_archive(members: list[tuple[str, bytes]], *, encrypted: bool = False) -> bytes:
    """A RAR 4.x archive of stored members, in order."""
    out = [MARKER, _block(MAIN_HEAD, 0, b"\x00" * 6)]
    out += [file_block(name, data, encrypted=encrypted) for name, data in members]
    out.append(_block(END_HEAD, END_NO_MORE, b""))
    return b"".join(out)
