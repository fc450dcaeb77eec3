"""Which database, data directory and blob store a command uses, and what it may create.

Read-only commands (status, export, portals list/show) create nothing: no directory, no
database file, no blob store. Commands that store may create the database; those that store
blobs record the blob store in the database (setting ``blob_store``) so that every later
command finds the same blobs from ``--db`` alone. See docs/storage.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from harvester.config import data_dir, data_dir_given, database_url
from harvester.storage.blobs import BlobStore
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

ACCESS_MODES = ("read", "write", "blobs")
EXIT_USAGE = 2


@dataclass
class Storage:
    url: str
    data_dir: Path
    engine: Engine
    blobs: BlobStore
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


def open_storage(
    db: str | None,
    data_directory: Path | None,
    *,
    access: str = "blobs",
    blob_store: Path | None = None,
    record: bool = True,
) -> Storage:
    """Raises Refusal (message and exit code) when the command must not go on. With
    `record` False (a distributed worker) the blob store is used but never recorded."""
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
    engine = make_engine(url, sqlite_begin="DEFERRED" if access == "read" else "IMMEDIATE")
    notes: list[str] = []
    with engine.begin() as connection:
        session = Session(bind=connection)
        recorded = recorded_blob_store(session)
        given = blob_store.expanduser().resolve() if blob_store is not None else None
        own = directory / "blobs"
        if recorded is not None and not data_dir_given(data_directory):
            directory = recorded.parent  # logs and the like go next to the blobs
        root = given or recorded or own
        if access == "blobs":
            if (
                given is None
                and recorded is not None
                and data_dir_given(data_directory)
                and own != recorded
            ):
                _refuse(
                    f"database {mask_url(url)} keeps its blobs in {recorded}, but --data-dir "
                    f"{directory} would store them in {own}; drop --data-dir to use the "
                    f"database's blob store, or pass --blob-store {own} to move the database "
                    "to that one (after copying the blobs there)"
                )
            has_blobs = session.scalar(select(Blob.sha256).limit(1)) is not None
            if given is None and recorded is not None and has_blobs and not recorded.is_dir():
                _refuse(
                    f"database {mask_url(url)} keeps its blobs in {recorded}, which does not "
                    "exist; if they were moved, pass --blob-store NEW_DIR",
                    1,
                )
            if given is not None and given != recorded and has_blobs and record:
                absent = [
                    sha
                    for sha in session.scalars(
                        select(Blob.sha256).order_by(Blob.stored_at).limit(20)
                    )
                    if not BlobStore(given).exists(sha)
                ]
                if absent:
                    _refuse(
                        f"--blob-store {given} does not hold the blobs of {mask_url(url)} "
                        f"(e.g. {absent[0]} is missing; the database keeps them in "
                        f"{recorded or own}); copy them there first — nothing was changed",
                        1,
                    )
            try:
                check_writable(root)
            except StorageError as exc:
                _refuse(f"blob store {root}: {exc}", 1)
            directory.mkdir(parents=True, exist_ok=True)
            previous = record_blob_store(session, root) if record else None
            if previous is not None and previous != root:
                notes.append(f"the blob store of {mask_url(url)} is now {root} (it was {previous})")
        session.close()
    recorded_now = (access == "blobs" and record) or (recorded is not None and root == recorded)
    return Storage(
        url=url,
        data_dir=directory,
        engine=engine,
        blobs=BlobStore(root),
        notes=notes,
        blobs_recorded=recorded_now,
    )
