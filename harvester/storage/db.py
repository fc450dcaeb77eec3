"""Engines, sessions and schema migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Serialises concurrent `upgrade` runs against one PostgreSQL database.
MIGRATION_ADVISORY_LOCK = 0x68617276  # "harv"


class SchemaError(RuntimeError):
    """The database's schema is not one this code can use or upgrade."""


def mask_url(url: Any) -> str:
    """The URL with its password replaced by ``***``: use wherever a URL is shown or logged."""
    raw = str(url) if not isinstance(url, str) else url
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", raw)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for another backend)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database).expanduser()


def check_url_usable(url: str) -> None:
    """Refuse database URLs nothing could be kept in: an in-memory or empty SQLite URL (each
    process, the crawl's own included, would see its own empty database)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise SchemaError(f"{mask_url(url)} is not a database URL: {exc}") from exc
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database or ""
    memory = (
        database in ("", ":memory:")
        or "mode=memory" in database
        or parsed.query.get("mode") == "memory"
    )
    if memory:
        raise SchemaError(
            f"{mask_url(url)} is an in-memory SQLite database: nothing would be kept, and the "
            "crawl process would see another, empty one; give a file instead, e.g. "
            "--db sqlite:///harvester.sqlite (or omit --db for the data directory's own)"
        )


def make_engine(
    url: str, *, foreign_keys: bool = True, sqlite_begin: str = "IMMEDIATE", **kwargs: Any
) -> Engine:
    """An engine for `url`.

    SQLite: WAL journal, foreign keys on, a busy timeout, and ``BEGIN IMMEDIATE`` for every
    transaction, so two writers queue instead of failing with "database is locked" when a
    read transaction tries to become a write transaction; savepoints work. A read-only
    command that must not wait behind a writer may pass ``sqlite_begin="DEFERRED"``.
    Keep write transactions short (commit per item): SQLite has one writer at a time.
    """
    if sqlite_begin not in ("IMMEDIATE", "DEFERRED"):
        raise ValueError(f"expected sqlite_begin IMMEDIATE or DEFERRED, got {sqlite_begin!r}")
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(f"BEGIN {sqlite_begin}")

    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- migrations --------------------------------------------------------------------------


def migrations_dir() -> Path:
    """The Alembic script directory, found through the installed ``migrations`` package."""
    location = importlib.resources.files("migrations")
    path = Path(str(location))
    if not (path / "env.py").is_file():
        raise SchemaError(f"expected Alembic's env.py in {path}, found none; reinstall harvester")
    return path


def alembic_config(url: str, connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    # Alembic's ini interpolation treats % specially; the URL may hold escaped characters.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory(str(migrations_dir())).get_heads()
    if len(heads) != 1:
        raise SchemaError(f"expected one head revision in {migrations_dir()}, found {heads}")
    return heads[0]


@contextmanager
def _migration_connection(url: str) -> Iterator[Connection]:
    """One transaction for a whole migration, holding a lock so concurrent upgrades queue."""
    engine = make_engine(url, foreign_keys=False, poolclass=_null_pool())
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_ADVISORY_LOCK}
                )
            yield connection
            if connection.dialect.name == "sqlite":
                problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise SchemaError(
                        f"migration left rows with broken foreign keys: {problems[:5]}"
                    )
    finally:
        engine.dispose()


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool


def upgrade_to_head(url: str) -> str:
    """Apply every pending migration; return the revision the database is at."""
    return upgrade(url, "head")


def upgrade(url: str, revision: str = "head") -> str:
    from alembic import command

    with _migration_connection(url) as connection:
        command.upgrade(alembic_config(url, connection), revision)
    return current_revision(url) or "base"


def downgrade(url: str, revision: str) -> str:
    """Undo migrations down to `revision` (``base`` drops every table)."""
    from alembic import command

    with _migration_connection(url) as connection:
        command.downgrade(alembic_config(url, connection), revision)
    return current_revision(url) or "base"


def current_revision(url: str) -> str | None:
    """The database's Alembic revision, or None for an empty (never migrated) database."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url, poolclass=_null_pool())
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def ensure_schema(url: str) -> str:
    """Bring an empty or older database to the current schema; refuse one we cannot read.

    The decision is taken inside the migration transaction, under its lock, so commands
    started at the same moment on an empty database upgrade it once and all succeed.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect

    head = head_revision()
    if current_revision(url) == head:
        return head
    with _migration_connection(url) as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        if current == head:
            return head
        if current is None:
            from harvester.storage.models import Base

            tables = set(inspect(connection).get_table_names())
            ours = tables & set(Base.metadata.tables)
            if ours:
                raise SchemaError(
                    f"database {mask_url(url)} has harvester tables ({', '.join(sorted(ours))}) "
                    "but no migration revision; expected an empty database or one made by "
                    "`harvester db upgrade`"
                )
        else:
            try:
                ScriptDirectory(str(migrations_dir())).get_revision(current)
            except Exception as exc:
                raise SchemaError(
                    f"database {mask_url(url)} is at revision {current}, which this version of "
                    f"harvester does not know (its newest is {head}); upgrade harvester"
                ) from exc
        command.upgrade(alembic_config(url, connection), "head")
    return head
