"""Database fixtures: a fresh, empty database per test (SQLite, or PostgreSQL when
HARVESTER_TEST_PG_URL names a server), an engine on the migrated schema, a session and a
blob store."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from harvester.storage.blobs import BlobStore
from harvester.storage.db import make_engine, upgrade_to_head

PG_URL_ENV = "HARVESTER_TEST_PG_URL"


def _pg_server_url() -> str | None:
    return os.environ.get(PG_URL_ENV) or None


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """URL of a new empty database, dropped after the test."""
    server = _pg_server_url()
    if server is None:
        yield f"sqlite:///{tmp_path / 'harvester-test.sqlite'}"
        return
    name = f"harvester_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on `database_url` with the schema migrated to head."""
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the migrated database; uncommitted work is rolled back afterwards."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.rollback()


@pytest.fixture
def blob_store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


DATABASE_FIXTURES = {"database_url"}  # engine, session and the CLI tests depend on it


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Against PostgreSQL, run the tests that use a database; the rest (parser,
    normalisation, world, discovery) touch no database and already ran against SQLite."""
    if _pg_server_url() is None or os.environ.get("HARVESTER_TEST_ALL") == "1":
        return
    keep = [i for i in items if DATABASE_FIXTURES & set(getattr(i, "fixturenames", ()))]
    dropped = [i for i in items if i not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
