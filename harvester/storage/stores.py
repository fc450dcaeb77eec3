"""Which blob store a location names: a directory (`BlobStore`) or ``s3://bucket/prefix``
(`S3BlobStore`). The location is what ``--blobs`` / ``$HARVESTER_BLOBS`` give and what the
database records (setting ``blob_store``)."""

from __future__ import annotations

import os
from pathlib import Path

from harvester.storage.blobs import BlobError, Blobs, BlobStore
from harvester.storage.s3blobs import (
    S3BlobStore,
    is_s3_location,
    parse_s3_location,
    s3_location,
)

BLOBS_ENV = "HARVESTER_BLOBS"  # the blob store a command uses (like --blobs)

__all__ = ["BLOBS_ENV", "is_s3_location", "normalise_location", "open_blob_store"]


def normalise_location(location: str | os.PathLike[str]) -> str:
    """The location as recorded: a directory's absolute path, or ``s3://bucket/prefix``
    without a trailing slash; BlobError saying what is wrong with a bad s3:// URL."""
    if is_s3_location(location):
        try:
            return s3_location(*parse_s3_location(str(location)))
        except ValueError as exc:
            raise BlobError(str(exc)) from None
    return str(Path(location).expanduser().resolve())


def open_blob_store(location: str | os.PathLike[str]) -> Blobs:
    """The blob store at `location` (nothing is created or contacted yet)."""
    normal = normalise_location(location)
    if is_s3_location(normal):
        return S3BlobStore(normal)
    return BlobStore(normal)
