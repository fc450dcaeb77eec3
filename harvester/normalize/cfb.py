"""Structure checks on OLE2 / Compound File Binary containers (DOC, WPS, XLS) before any
converter sees them: a file that is not a valid container never starts LibreOffice.

Checked: the header (byte order, versions, sector sizes), the FAT and its DIFAT chain, the
directory chain (in range, no loops), and, when asked for, one stream (``WordDocument``…)
whose sector chain must hold its declared size. For Word streams the FIB magic is checked
too. Everything is read from the bytes in memory; the cost is linear in the file size.
"""

from __future__ import annotations

import struct

from harvester.normalize.errors import NormalizeError

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
MAX_DIRECTORY_ENTRIES = 100_000
WORD_FIB_MAGIC = {0xA5EC, 0xA5DC}  # Word 97–2003, Word 6/95


class CfbError(NormalizeError):
    def __init__(self, detail: str) -> None:
        super().__init__(f"not a valid OLE/CFB container ({detail}): not converted")


class _Container:
    def __init__(self, data: bytes) -> None:
        self.data = data
        if len(data) < 512 or not data.startswith(MAGIC):
            raise CfbError("no OLE2 header")
        (minor, major, order, shift, mini_shift) = struct.unpack_from("<HHHHH", data, 24)
        if order != 0xFFFE:
            raise CfbError(f"byte order mark {order:#06x}, expected 0xfffe")
        if (major, shift) not in {(3, 9), (4, 12)}:
            raise CfbError(f"version {major} with sector shift {shift}")
        if mini_shift != 6:
            raise CfbError(f"mini sector shift {mini_shift}")
        self.sector = 1 << shift
        if len(data) < self.sector + 128:
            raise CfbError("shorter than its header sector")
        self.n_sectors = (len(data) - self.sector + self.sector - 1) // self.sector
        (n_fat, self.first_dir, _sig, self.cutoff, _mini_start, _n_mini, difat_start, n_difat) = (
            struct.unpack_from("<IIIIIIII", data, 44)
        )
        if n_fat == 0 or n_fat > self.n_sectors:
            raise CfbError(f"{n_fat} FAT sectors in a file of {self.n_sectors} sectors")
        self.per_sector = self.sector // 4
        fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s != FREESECT][:n_fat]
        seen: set[int] = set()
        sid = difat_start
        for _ in range(n_difat):
            if len(fat_sectors) >= n_fat:
                break
            self._check_id(sid, "DIFAT")
            if sid in seen:
                raise CfbError("DIFAT chain loops")
            seen.add(sid)
            entries = struct.unpack_from(f"<{self.per_sector}I", data, self._offset(sid))
            fat_sectors.extend(s for s in entries[:-1] if s != FREESECT)
            sid = entries[-1]
        if len(fat_sectors) < n_fat:
            raise CfbError(f"{len(fat_sectors)} of {n_fat} FAT sectors listed")
        fat: list[int] = []
        for sid in fat_sectors[:n_fat]:
            self._check_id(sid, "FAT")
            fat.extend(struct.unpack_from(f"<{self.per_sector}I", data, self._offset(sid)))
        self.fat = fat

    def _offset(self, sid: int) -> int:
        offset = (sid + 1) * self.sector
        if offset + self.sector > len(self.data):
            raise CfbError(f"sector {sid} beyond the end of the file")
        return offset

    def _check_id(self, sid: int, what: str) -> None:
        if sid >= self.n_sectors:
            raise CfbError(f"{what} sector {sid} out of range (file has {self.n_sectors})")

    def chain(self, start: int, what: str, limit: int | None = None) -> list[int]:
        """The sectors of a chain, checked: in range, no loop, ends with ENDOFCHAIN."""
        out: list[int] = []
        seen: set[int] = set()
        sid = start
        cap = self.n_sectors if limit is None else min(limit, self.n_sectors)
        while sid != ENDOFCHAIN:
            if sid >= len(self.fat) or sid >= self.n_sectors:
                raise CfbError(f"{what} chain leaves the file at sector {sid}")
            if sid in seen:
                raise CfbError(f"{what} chain loops at sector {sid}")
            seen.add(sid)
            out.append(sid)
            if len(out) >= cap:
                break
            sid = self.fat[sid]
        return out

    def entries(self) -> list[tuple[str, int, int, int]]:
        """Directory entries: (name, type, start sector, size)."""
        sectors = self.chain(self.first_dir, "directory")
        out = []
        for sid in sectors:
            base = self._offset(sid)
            for k in range(self.sector // 128):
                raw = self.data[base + 128 * k : base + 128 * (k + 1)]
                name_len = struct.unpack_from("<H", raw, 64)[0]
                kind = raw[66]
                start, size = struct.unpack_from("<IQ", raw, 116)
                if name_len > 64 or name_len % 2 or kind not in {1, 2, 5}:
                    continue  # unused or malformed: only the streams we need matter
                name = raw[: max(name_len - 2, 0)].decode("utf-16-le", "replace")
                out.append((name, kind, start, size))
                if len(out) > MAX_DIRECTORY_ENTRIES:
                    raise CfbError(f"more than {MAX_DIRECTORY_ENTRIES} directory entries")
        if not out or out[0][1] != 5:
            raise CfbError("no root entry")
        return out

    def stream_head(self, start: int, size: int, name: str, want: int = 64) -> bytes:
        """Check a regular (non-mini) stream's chain covers ``size``; its first bytes."""
        if size > len(self.data):
            raise CfbError(f"stream {name} declares {size} bytes in a file of {len(self.data)}")
        needed = (size + self.sector - 1) // self.sector
        sectors = self.chain(start, f"stream {name}", needed)
        if len(sectors) < needed:
            raise CfbError(f"stream {name} holds {len(sectors)} of its {needed} sectors")
        head = self.data[self._offset(sectors[0]) : self._offset(sectors[0]) + want] if sectors else b""
        return head


def check_cfb(data: bytes, streams: tuple[str, ...] = (), *, word: bool = False) -> None:
    """Raise NormalizeError unless ``data`` is a well-formed CFB container holding one of
    ``streams`` (any, when empty); ``word``: that stream must start with a Word FIB."""
    box = _Container(data)
    entries = box.entries()
    if not streams:
        return
    found = [e for e in entries if e[1] == 2 and e[0] in streams]
    if not found:
        raise CfbError(f"no {' or '.join(streams)} stream in the directory")
    name, _kind, start, size = found[0]
    if size < 32:
        raise CfbError(f"stream {name} is {size} bytes long")
    if size < box.cutoff:
        return  # a mini stream: too small to be a document that needs checking here
    head = box.stream_head(start, size, name)
    if word:
        ident = struct.unpack_from("<H", head, 0)[0] if len(head) >= 2 else 0
        if ident not in WORD_FIB_MAGIC:
            raise CfbError(f"stream {name} does not start with a Word FIB (magic {ident:#06x})")
