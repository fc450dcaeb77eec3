"""Which database, data directory and blob store a command uses, and what it may create.

Read-only commands (status, export, portals list/show) create nothing: no directory, no
database file, no blob store. Commands that store may create the database; those that store
blobs record the blob store (a directory or s3://bucket/prefix) in the database (setting
``blob_store``) so that every later command finds the same blobs from ``--db`` alone. See
docs/storage.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from harvester.config import data_dir, data_dir_given, database_url
from harvester.storage.blobs import BlobError, Blobs, BlobStore, BlobStoreUnavailable
from harvester.storage.db import (
    SchemaError,
    check_url_usable,
    current_revision,
    ensure_schema,
    head_revision,
    make_engine,
    mask_url,
    sqlite_path,
)
from harvester.storage.location import (
    StorageError,
    check_writable,
    record_blob_store,
    recorded_blob_store,
)
from harvester.storage.models import Blob
from harvester.storage.stores import (
    BLOBS_ENV,
    is_s3_location,
    normalise_location,
    open_blob_store,
)

ACCESS_MODES = ("read", "write", "blobs")
EXIT_USAGE = 2


@dataclass
class Storage:
    url: str
    data_dir: Path
    engine: Engine
    blobs: Blobs
    notes: list[str] = field(default_factory=list)
    blobs_recorded: bool = False  # the database records this blob store


class Refusal(Exception):
    """The command cannot use this database or blob store; `message` says what to do."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _refuse(message: str, code: int = EXIT_USAGE) -> None:
    raise Refusal(message, code)


def _create_hint(url: str) -> str:
    return (
        f"run `harvester db upgrade --db {mask_url(url)}` or a scrape "
        "(`harvester scrape NAME`, `harvester demo`) to create one"
    )


def _check_readable(url: str) -> None:
    """A database a read-only command can use as it is: present, at the current schema."""
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        _refuse(f"no database at {path}; {_create_hint(url)}")
    try:
        revision = current_revision(url)
    except Exception as exc:
        _refuse(f"cannot open database {mask_url(url)}: {exc}", 1)
    head = head_revision()
    if revision is None:
        _refuse(f"database {mask_url(url)} has no harvester schema; {_create_hint(url)}")
    if revision != head:
        _refuse(
            f"database {mask_url(url)} is at schema revision {revision}, this harvester needs "
            f"{head}; run `harvester db upgrade --db {mask_url(url)}` (or upgrade harvester)"
        )


def _blob_store(location: str) -> Blobs:
    try:
        return open_blob_store(location)
    except (BlobError, BlobStoreUnavailable) as exc:
        _refuse(str(exc))
        raise  # unreachable


def _given_location(blob_store: str | Path | None) -> str | None:
    """--blobs (alias --blob-store), else $HARVESTER_BLOBS, normalised; None when neither."""
    raw = blob_store if blob_store not in (None, "") else os.environ.get(BLOBS_ENV)
    if not raw:
        return None
    try:
        return normalise_location(raw)
    except BlobError as exc:
        _refuse(f"--blobs: {exc}")  # not the URL itself: it may carry a secret
        raise  # unreachable


def _check_store(store: Blobs, *, write: bool) -> None:
    """Prove the store can be used before anything is recorded: one line, exit code 1."""
    try:
        if isinstance(store, BlobStore):
            if write:
                check_writable(store.root)
        elif write:
            store.check_writable()  # type: ignore[attr-defined]
        else:
            store.check_readable()  # type: ignore[attr-defined]
    except StorageError as exc:
        _refuse(f"blob store {store.location}: {exc}", 1)
    except BlobStoreUnavailable as exc:
        _refuse(str(exc), 1)


def open_storage(
    db: str | None,
    data_directory: Path | None,
    *,
    access: str = "blobs",
    blob_store: str | Path | None = None,
    record: bool = True,
) -> Storage:
    """Raises Refusal (message and exit code) when the command must not go on. With
    `record` False (a distributed worker) the blob store is used but never recorded.
    `blob_store` is --blobs: a directory or s3://bucket/prefix ($HARVESTER_BLOBS when None)."""
    if access not in ACCESS_MODES:
        raise ValueError(f"expected access one of {ACCESS_MODES}, got {access!r}")
    directory = data_dir(data_directory)
    url = database_url(db, directory)
    try:
        check_url_usable(url)
    except SchemaError as exc:
        _refuse(str(exc))
    if access == "read":
        _check_readable(url)
    else:
        try:
            ensure_schema(url)
        except Exception as exc:
            raise click.ClickException(f"cannot open database {mask_url(url)}: {exc}") from exc
    given = _given_location(blob_store)
    engine = make_engine(url, sqlite_begin="DEFERRED" if access == "read" else "IMMEDIATE")
    notes: list[str] = []
    with engine.begin() as connection:
        session = Session(bind=connection)
        recorded = recorded_blob_store(session)
        local_recorded = recorded is not None and not is_s3_location(recorded)
        own = str(directory / "blobs")
        if local_recorded and not data_dir_given(data_directory):
            directory = Path(str(recorded)).parent  # logs and the like go next to the blobs
        location = given or recorded or own
        store = _blob_store(location)
        if access == "blobs":
            if (
                given is None
                and local_recorded
                and data_dir_given(data_directory)
                and own != recorded
            ):
                _refuse(
                    f"database {mask_url(url)} keeps its blobs in {recorded}, but --data-dir "
                    f"{directory} would store them in {own}; drop --data-dir to use the "
                    f"database's blob store, or pass --blobs {own} (alias --blob-store) to move "
                    "the database to that one (after copying the blobs there)"
                )
            has_blobs = session.scalar(select(Blob.sha256).limit(1)) is not None
            if given is None and local_recorded and has_blobs and not Path(str(recorded)).is_dir():
                _refuse(
                    f"database {mask_url(url)} keeps its blobs in {recorded}, which does not "
                    "exist; if they were moved, pass --blobs NEW_DIR (alias --blob-store)",
                    1,
                )
            if given is not None and given != recorded and has_blobs and record:
                if not isinstance(store, BlobStore):
                    _check_store(store, write=False)
                try:
                    absent = [
                        sha
                        for sha in session.scalars(
                            select(Blob.sha256).order_by(Blob.stored_at).limit(20)
                        )
                        if not store.exists(sha)
                    ]
                except BlobStoreUnavailable as exc:
                    _refuse(str(exc), 1)
                if absent:
                    _refuse(
                        f"--blobs {given} does not hold the blobs of {mask_url(url)} "
                        f"(e.g. {absent[0]} is missing; the database keeps them in "
                        f"{recorded or own}); copy them there first — nothing was changed",
                        1,
                    )
            _check_store(store, write=True)
            directory.mkdir(parents=True, exist_ok=True)
            previous = record_blob_store(session, location) if record else None
            if previous is not None and previous != location:
                notes.append(
                    f"the blob store of {mask_url(url)} is now {location} (it was {previous})"
                )
        session.close()
    recorded_now = (access == "blobs" and record) or (recorded is not None and location == recorded)
    return Storage(
        url=url,
        data_dir=directory,
        engine=engine,
        blobs=store,
        notes=notes,
        blobs_recorded=recorded_now,
    )
