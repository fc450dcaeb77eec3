"""`harvester serve`: the harvest in a browser (Datasette plus harvester's pages)."""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from pathlib import Path

import click

from harvester.cli.common import EXIT_FAILED, fail
from harvester.config import DATA_DIR_ENV, database_url
from harvester.storage.blobs import Blobs
from harvester.storage.db import is_sqlite, mask_url


def sqlite_path(db: str) -> Path:
    """The file behind a sqlite:/// URL (or a plain path)."""
    from sqlalchemy.engine import make_url

    if "://" not in db:
        return Path(db).expanduser().resolve()
    database = make_url(db).database
    if not database or database == ":memory:":
        fail(f"--db {db}: expected a SQLite file")
    return Path(str(database)).expanduser().resolve()


def documents_dir(data_dir: Path | None, db: str | None) -> Path:
    """--data-dir, else $HARVESTER_DATA_DIR, else the directory of a SQLite file given with
    --db when its raw documents (blobs/) are beside it, else ./harvester-data. Nothing is
    created."""
    if data_dir is not None or os.environ.get(DATA_DIR_ENV):
        return Path(data_dir or os.environ[DATA_DIR_ENV]).expanduser().resolve()
    if db and (("://" not in db) or is_sqlite(db)):
        beside = sqlite_path(db).parent
        if (beside / "blobs").is_dir():
            return beside
    return Path("harvester-data").resolve()


def recorded_store(path: Path) -> str | None:
    """The blob store the SQLite file records (setting ``blob_store``), read without
    writing; None when it records none or cannot be read (check_database says why)."""
    import sqlite3

    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = connection.execute("SELECT value FROM setting WHERE name = 'blob_store'").fetchone()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return str(row[0]) if row and row[0] else None


def blob_location(blobs: str | None, data_dir: Path | None, db: str | None, path: Path) -> str:
    """--blobs, else $HARVESTER_BLOBS, else --data-dir / $HARVESTER_DATA_DIR's blobs/, else the
    store the database records, else blobs/ beside a --db file or in ./harvester-data."""
    from harvester.storage.stores import BLOBS_ENV

    chosen = blobs or os.environ.get(BLOBS_ENV)
    if chosen:
        return chosen
    if data_dir is not None or os.environ.get(DATA_DIR_ENV):
        return str(documents_dir(data_dir, db) / "blobs")
    return recorded_store(path) or str(documents_dir(data_dir, db) / "blobs")


def open_documents(location: str) -> Blobs:
    """The blob store serve reads documents from; an S3 store must answer first."""
    from harvester.storage.blobs import BlobError, BlobStoreUnavailable
    from harvester.storage.stores import open_blob_store

    try:
        store = open_blob_store(location)
        check = getattr(store, "check_readable", None)
        if check is not None:
            check()
    except (BlobError, BlobStoreUnavailable) as exc:
        fail(str(exc), EXIT_FAILED)
        raise  # unreachable
    return store


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@click.command()
@click.option(
    "--db",
    "db",
    default=None,
    metavar="URL|FILE",
    help="The database: sqlite:///file, a SQLite file (e.g. a snapshot), or a PostgreSQL URL (served from a snapshot taken now). Default: $HARVESTER_DATABASE_URL or the data directory's SQLite file.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Where the raw documents are (<dir>/blobs). Default: ${DATA_DIR_ENV}, else the --db file's directory when blobs/ is beside it, else ./harvester-data.",
)
@click.option(
    "--blobs",
    "blobs",
    default=None,
    metavar="DIR|s3://BUCKET/PREFIX",
    help="Where the raw documents are. Default: $HARVESTER_BLOBS, else --data-dir's blobs/, else the blob store the database records.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; only loopback unless you give another.",
)
@click.option(
    "--port",
    default=8001,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
def serve(db: str | None, data_dir: Path | None, blobs: str | None, host: str, port: int) -> None:
    """Open the harvest in a browser: coverage (county × year), each report's tables with
    their checks and the documents they came from, the failing checks, and Datasette's
    tables, facets and SQL for the rest. Read-only: nothing is ever written.

    \b
    Examples:
      harvester serve                                  # then open http://127.0.0.1:8001/
      harvester serve --db harvester-data/demo/harvester.sqlite --data-dir harvester-data/demo
      harvester export --format sqlite -o snapshot.sqlite && harvester serve --db snapshot.sqlite
    """
    from harvester.web.app import ServeError, build, check_database, run

    directory = documents_dir(data_dir, db)
    url = db if db and "://" not in db else database_url(db, directory)
    snapshot_dir = None
    if "://" in url and not is_sqlite(url):
        from harvester.web.snapshot import write_snapshot

        snapshot_dir = tempfile.TemporaryDirectory(prefix="harvester-serve-")
        path = Path(snapshot_dir.name) / "harvester.sqlite"
        click.echo(
            f"taking a snapshot of {mask_url(url)} (it will not follow later changes) …", err=True
        )
        try:
            write_snapshot(url, path)
        except Exception as exc:
            fail(f"cannot read {mask_url(url)}: {exc}", EXIT_FAILED)
    else:
        path = sqlite_path(url)
    try:
        check_database(path)
        location = blob_location(blobs, data_dir, db, path)
        datasette = build(path, open_documents(location))
    except ServeError as exc:
        fail(str(exc), EXIT_FAILED)
    if not _port_free(host, port):
        fail(
            f"cannot listen on {host}:{port}: the port is in use or the address is not this machine's; try --port",
            EXIT_FAILED,
        )
    if not _loopback(host):
        click.echo(
            f"warning: listening on {host}: anyone who can reach it can read this harvest", err=True
        )
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    click.echo(f"serving {path} read-only (documents from {location})")
    click.echo(f"  {base}/-/coverage   coverage: county × year")
    click.echo(f"  {base}/-/checks     failing checks")
    click.echo(f"  {base}/             tables, facets and SQL (Datasette)")
    click.echo("Ctrl-C stops.", err=True)
    try:
        run(datasette, host, port)
    finally:
        if snapshot_dir is not None:
            snapshot_dir.cleanup()
