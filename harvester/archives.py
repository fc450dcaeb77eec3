"""Archive attachments (ZIP, RAR, 7z of report files): each member a document of the report.

Portals attach an archive holding the report as DOCX and PDF (or one file per body). The
archive is opened with the same member-count, size and compression-ratio guards as DOCX
(harvester.normalize.archive_formats); every file member (no directories, no ``__MACOSX``
resource forks, at most ``MAX_MEMBERS``) is normalised on its own, in the same isolated
child process as any document, and appears in the record's ``documents`` with its own
sha256 and ``archive: {sha256, path}`` (the archive's digest and the member's path inside
it). An encrypted, corrupt or over-guard archive is a document not readable, with its
one-line reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from harvester.normalize.archive_formats import READERS, file_members
from harvester.normalize.errors import NormalizeError
from harvester.normalize.sniff import MEDIA_TYPES, sniff

MAX_MEMBERS = 50  # files of one archive normalised


@dataclass(frozen=True)
class MemberDocument:
    """A member of an archive attachment, shaped as a version document for processing."""

    url: str  # the archive's URL
    final_url: str | None
    sha256: str  # the member's own digest
    bytes: int
    media_type: str
    fetched_at: datetime | None
    archive_sha256: str
    path: str  # inside the archive
    role: str = "attachment"

    def entry(self) -> dict[str, object]:
        return {
            "url": self.url,
            "final_url": self.final_url,
            "sha256": self.sha256,
            "media_type": self.media_type,
            "bytes": self.bytes,
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "role": self.role,
            "archive": {"sha256": self.archive_sha256, "path": self.path},
        }


def archive_kind(data: bytes) -> str | None:
    """zip, rar or 7z for an archive attachment, else None."""
    kind = sniff(data)
    return kind if kind in READERS else None


def is_archive(data: bytes) -> bool:
    return archive_kind(data) is not None


def archive_members(data: bytes) -> list[tuple[str, bytes]]:
    """(path, bytes) of an archive's file members, in archive order (guards first)."""
    kind = archive_kind(data)
    if kind is None:
        raise NormalizeError("not a ZIP, RAR or 7z archive")
    return file_members(kind, data, MAX_MEMBERS)


def member_documents(
    data: bytes,
    *,
    url: str,
    final_url: str | None,
    fetched_at: datetime | None,
    archive_sha256: str,
) -> list[tuple[MemberDocument, bytes]]:
    """Each member as a document (with its bytes)."""
    out = []
    for path, member in archive_members(data):
        kind = sniff(member, path.rsplit("/", 1)[-1])
        out.append(
            (
                MemberDocument(
                    url=url,
                    final_url=final_url,
                    sha256=hashlib.sha256(member).hexdigest(),
                    bytes=len(member),
                    media_type=MEDIA_TYPES.get(kind, "application/octet-stream"),
                    fetched_at=fetched_at,
                    archive_sha256=archive_sha256,
                    path=path,
                ),
                member,
            )
        )
    return out
