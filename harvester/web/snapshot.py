"""`harvester export --format sqlite`: the whole database as one SQLite file.

The snapshot has the same schema and revision as any harvester database (it is made by the
migrations), so `harvester serve` opens it and Datasette can publish it. From SQLite the
copy is SQLite's online backup (consistent even while a crawl writes); from PostgreSQL the
rows are copied table by table in one read transaction. The file is written next to its
destination and renamed into place only when complete; it is a single file (no WAL).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from harvester.storage.db import is_sqlite, make_engine, upgrade_to_head

BATCH = 500


def _sqlite_backup(source: str, target: Path) -> None:
    database = make_url(source).database
    if not database or not Path(database).is_file():
        raise FileNotFoundError(f"no SQLite database at {database}")
    src = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
        dst.commit()
    finally:
        dst.close()
        src.close()


def _copy_rows(source: str, target: Path) -> None:
    from harvester.storage.models import Base

    target_url = f"sqlite:///{target}"
    upgrade_to_head(target_url)
    src = make_engine(source)
    dst = make_engine(target_url, foreign_keys=False)
    try:
        with src.connect() as reader, dst.begin() as writer:
            if reader.dialect.name == "postgresql":
                reader.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            for table in Base.metadata.sorted_tables:
                order = list(table.primary_key.columns)
                result = reader.execution_options(yield_per=BATCH).execute(
                    select(table).order_by(*order)
                )
                for rows in result.mappings().partitions(BATCH):
                    writer.execute(table.insert(), [dict(r) for r in rows])
    finally:
        src.dispose()
        dst.dispose()


def write_snapshot(source: str, output: Path) -> dict[str, int]:
    """Copy the database at URL `source` into the SQLite file `output`; {table: rows}."""
    from harvester.storage.models import Base

    partial = output.with_name(output.name + ".partial")
    for leftover in (
        partial,
        partial.with_name(partial.name + "-wal"),
        partial.with_name(partial.name + "-shm"),
    ):
        leftover.unlink(missing_ok=True)
    try:
        if is_sqlite(source):
            _sqlite_backup(source, partial)
        else:
            _copy_rows(source, partial)
        connection = sqlite3.connect(partial)
        try:
            connection.execute("PRAGMA journal_mode = DELETE")
            counts = {
                table.name: connection.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]
                for table in Base.metadata.sorted_tables
            }
        finally:
            connection.close()
        partial.replace(output)
        return counts
    finally:
        for leftover in (
            partial,
            partial.with_name(partial.name + "-wal"),
            partial.with_name(partial.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
