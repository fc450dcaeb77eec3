"""The schema comes from migrations only, and they match the models exactly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from harvester.cli import main
from harvester.storage.db import (
    SchemaError,
    current_revision,
    downgrade,
    ensure_schema,
    head_revision,
    make_engine,
    upgrade_to_head,
)
from harvester.storage.models import Base

EXPECTED_TABLES = {
    "portal",
    "crawl_run",
    "portal_run",
    "fetch",
    "blob",
    "report",
    "report_version",
    "version_document",
    "parse_result",
    "run_lock",
    "setting",
}


@contextmanager
def engine_on(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    with engine_on(url) as engine:
        return set(inspect(engine).get_table_names())


def test_models_and_migrations_do_not_drift(database_url: str) -> None:
    upgrade_to_head(database_url)
    with engine_on(database_url) as engine, engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration for: {diff}"


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    assert current_revision(database_url) is None
    assert upgrade_to_head(database_url) == head_revision()
    assert _tables(database_url) >= EXPECTED_TABLES | {"alembic_version"}

    assert downgrade(database_url, "base") == "base"
    assert _tables(database_url) - {"alembic_version"} == set()
    assert current_revision(database_url) is None

    assert upgrade_to_head(database_url) == head_revision()
    assert _tables(database_url) >= EXPECTED_TABLES


def test_ensure_schema_creates_an_empty_database_and_is_idempotent(database_url: str) -> None:
    assert ensure_schema(database_url) == head_revision()
    assert ensure_schema(database_url) == head_revision()
    assert _tables(database_url) >= EXPECTED_TABLES


def test_ensure_schema_refuses_tables_made_without_migrations(database_url: str) -> None:
    with engine_on(database_url) as engine:
        Base.metadata.create_all(engine)  # what the project never does outside this test
    with pytest.raises(SchemaError, match="no migration revision"):
        ensure_schema(database_url)


def test_cli_upgrade_current_downgrade(database_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["db", "current", "--db", database_url])
    assert result.exit_code == 0, result.output
    assert "empty" in result.output

    result = runner.invoke(main, ["db", "upgrade", "--db", database_url])
    assert result.exit_code == 0, result.output
    assert f"at revision {head_revision()}" in result.output
    result = runner.invoke(main, ["db", "current", "--db", database_url])
    assert "up to date" in result.output

    result = runner.invoke(main, ["db", "downgrade", "base", "--db", database_url])
    assert result.exit_code == 0, result.output
    assert current_revision(database_url) is None


def test_cli_takes_the_url_from_the_environment(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARVESTER_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert current_revision(database_url) == head_revision()


def test_cli_error_names_the_database_without_its_password() -> None:
    url = "postgresql+psycopg://harvester:topsecret@127.0.0.1:1/nowhere"
    result = CliRunner().invoke(main, ["db", "upgrade", "--db", url])
    assert result.exit_code != 0
    assert "topsecret" not in result.output
    assert "harvester:***@127.0.0.1:1/nowhere" in result.output


def test_migrations_are_found_from_the_installed_package(tmp_path: Path) -> None:
    """Not via the current directory: from elsewhere, the package locates its migrations."""
    code = "from harvester.storage.db import migrations_dir, head_revision; print(migrations_dir(), head_revision())"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert (Path(out[0]) / "env.py").is_file()
    assert out[1] == head_revision()


def _ensure(url: str, barrier: object, results: object) -> None:
    try:
        barrier.wait(timeout=60)  # type: ignore[attr-defined]
        results.put(ensure_schema(url))  # type: ignore[attr-defined]
    except BaseException as exc:
        results.put(f"{type(exc).__name__}: {exc}")  # type: ignore[attr-defined]


def test_concurrent_first_commands_upgrade_once(database_url: str) -> None:
    """Two commands started at once on an empty database both succeed; one applies 0001."""
    import multiprocessing

    from sqlalchemy import text

    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(3), context.Queue()
    processes = [
        context.Process(target=_ensure, args=(database_url, barrier, results)) for _ in range(3)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(60)
    assert outcomes == [head_revision()] * 3
    with engine_on(database_url) as engine, engine.connect() as connection:
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [r[0] for r in rows] == [head_revision()]


def test_ensure_schema_refuses_a_newer_unknown_revision(database_url: str) -> None:
    from sqlalchemy import text

    upgrade_to_head(database_url)
    with engine_on(database_url) as engine, engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaError, match="at revision 9999_future, which this version"):
        ensure_schema(database_url)


def _parses(url: str) -> list[tuple[int, str, bool | None]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("parse_result")}
            current = "is_current" if "is_current" in columns else "NULL"
            rows = connection.exec_driver_sql(
                f"SELECT id, parser_version, {current} FROM parse_result ORDER BY id"
            ).all()
    finally:
        engine.dispose()
    return [(i, p, None if c is None else bool(c)) for i, p, c in rows]


def test_0005_keeps_every_parse_and_marks_the_newest_current(database_url: str) -> None:
    """A database of 0001 with two parses of one version: after the upgrade both are kept and
    the newer is current; a reparse adds a third; the downgrade keeps one per parser version,
    the current one where there is a choice."""
    from alembic import command

    from harvester.storage.db import _migration_connection, alembic_config

    with _migration_connection(database_url) as connection:
        command.upgrade(alembic_config(database_url, connection), "0001")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO portal (id, province, county, column_urls, needs_browser, enabled, "
                "notes, allowed_hosts, selectors, source, created_at, updated_at) VALUES "
                "(1, '安徽省', '寿县', '[]', false, true, '', '[]', '{}', 'seed', "
                "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
            )
            connection.exec_driver_sql(
                "INSERT INTO report (id, portal_id, agency, year) VALUES (1, 1, '寿县人民政府', 2023)"
            )
            connection.exec_driver_sql(
                "INSERT INTO report_version (id, report_id, content_hash, created_at) "
                "VALUES (1, 1, 'abc', '2026-01-01 00:00:00+00:00')"
            )
            for version, at in (("0.9", "2026-01-01"), ("1.0", "2026-02-01")):
                connection.exec_driver_sql(
                    "INSERT INTO parse_result (version_id, parser_version, normalizer_version, "
                    "parsed_at, normalised, record, checks, warnings, ok) VALUES "
                    f"(1, '{version}', '1', '{at} 00:00:00+00:00', '{{}}', '{{}}', '[]', "
                    "'[]', true)"
                )
    finally:
        engine.dispose()
    assert upgrade_to_head(database_url) == head_revision()
    assert _parses(database_url) == [(1, "0.9", False), (2, "1.0", True)]

    from harvester.storage.db import session_scope
    from harvester.storage.models import ReportVersion
    from harvester.storage.repo import store_parse_result

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            version = session.get(ReportVersion, 1)
            store_parse_result(
                session,
                version,
                parser_version="1.0",
                normalizer_version="1",
                normalised={},
                record={"again": True},
                checks=[],
                warnings=[],
                ok=True,
                error=None,
            )
    finally:
        engine.dispose()
    assert _parses(database_url) == [(1, "0.9", False), (2, "1.0", False), (3, "1.0", True)]
    assert downgrade(database_url, "0001") == "0001"
    assert _parses(database_url) == [(1, "0.9", None), (3, "1.0", None)]
