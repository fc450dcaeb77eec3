"""`harvester export`: records as JSONL, CSV or Parquet; the whole database as SQLite."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click
import jsonschema
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from harvester.cli.common import EXIT_FAILED, EXIT_USAGE, database_options, fail, open_env
from harvester.export import (
    ExportStats,
    column_kind,
    flat_columns,
    flatten,
    iter_records,
    validate_record,
)
from harvester.parser.types import Record
from harvester.registry import resolve
from harvester.storage.db import session_scope
from harvester.storage.models import Report

PARQUET_BATCH = 500


def county_portal_ids(session: Session, names: tuple[str, ...]) -> list[int] | None:
    """The portals `--county` names (None: no filter); an unknown or ambiguous name is a
    usage error (exit code 2)."""
    if not names:
        return None
    ids: list[int] = []
    for name in names:
        found = resolve(session, name)
        if not found:
            fail(
                f"--county {name!r}: no county-level division of that name in the registry; see `harvester portals list`"
            )
        if len(found) > 1:
            listing = "\n  ".join(
                f"{p.adcode or '—'}  {p.province} {p.prefecture or ''} {p.county}" for p in found
            )
            fail(
                f"--county {name!r} is ambiguous; pass the adcode instead:\n  {listing}", EXIT_USAGE
            )
        ids.append(found[0].id)
    return ids


@contextmanager
def _destination(
    output: Path | None, *, binary: bool = False, encoding: str = "utf-8"
) -> Iterator[tuple[Any, list[bool]]]:
    """Stdout, or a temporary file renamed onto `output` only when the export succeeded
    (the caller sets done[0]); an unfinished export never leaves a partial file behind."""
    done = [False]
    if output is None:
        yield (sys.stdout.buffer if binary else sys.stdout), done
        sys.stdout.flush()
        return
    partial = output.with_name(output.name + ".partial")
    try:
        if binary:
            yield partial, done
        else:
            with partial.open("w", encoding=encoding, newline="") as stream:
                yield stream, done
        if done[0]:
            partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)


def _valid(records: Iterator[Record], invalid: list[str]) -> Iterator[Record]:
    """The records that keep the public schema; the others are listed with the reason."""
    for record in records:
        try:
            validate_record(record)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
            invalid.append(
                f"{record.get('title') or record.get('agency')} ({record.get('url')}): at {where}: {exc.message}"
            )
            continue
        yield record


def _write_jsonl(stream: IO[str], records: Iterator[Record]) -> int:
    n = 0
    for record in records:
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        n += 1
    return n


def _write_csv(stream: IO[str], records: Iterator[Record]) -> int:
    writer: csv.DictWriter[str] | None = None
    n = 0
    for record in records:
        if writer is None:  # the header only once there is a row: empty exports write nothing
            writer = csv.DictWriter(stream, fieldnames=flat_columns())
            writer.writeheader()
        writer.writerow(flatten(record))
        n += 1
    return n


def parquet_schema() -> Any:
    import pyarrow as pa

    types = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64()}
    return pa.schema([(c, types[column_kind(c)]) for c in flat_columns()])


def _write_parquet(path: Path, records: Iterator[Record]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    writer: pq.ParquetWriter | None = None
    rows: list[dict[str, object]] = []
    n = 0

    def flush() -> None:
        nonlocal writer
        if writer is None:
            writer = pq.ParquetWriter(path, schema)
        writer.write_table(pa.Table.from_pylist(rows, schema=schema))
        rows.clear()

    try:
        for record in records:
            rows.append(flatten(record))
            n += 1
            if len(rows) >= PARQUET_BATCH:
                flush()
        if rows:
            flush()
    finally:
        if writer is not None:
            writer.close()
    return n


def _nothing_message(
    county: tuple[str, ...], year: tuple[int, ...], n_reports: int, invalid: int
) -> str:
    if invalid:
        return f"nothing exported: all {invalid} matching records break the record schema"
    asked = " ".join([f"--county {c}" for c in county] + [f"--year {y}" for y in year])
    if asked:
        return (
            f"nothing exported: no parsed report matches {asked} "
            f"({n_reports} reports stored in total); see `harvester status`"
        )
    return (
        f"nothing exported: the database holds no parsed report ({n_reports} reports stored); "
        "run `harvester scrape NAME`, or `harvester reparse` when reports are stored but unparsed"
    )


def _export_sqlite(
    db_url: str,
    output: Path,
    county: tuple[str, ...],
    year: tuple[int, ...],
    all_versions: bool,
    quiet: bool,
) -> None:
    """The whole database as one SQLite file (a snapshot has no filters)."""
    from harvester.storage.db import mask_url
    from harvester.web.snapshot import write_snapshot

    if county or year or all_versions:
        fail(
            "--format sqlite copies the whole database; --county, --year and --all-versions do not apply"
        )
    if output.resolve() == _sqlite_file(db_url):
        fail(f"cannot write the snapshot over the database itself ({output})")
    try:
        counts = write_snapshot(db_url, output)
    except Exception as exc:
        fail(f"cannot snapshot {mask_url(db_url)}: {exc}", EXIT_FAILED)
    if not quiet:
        click.echo(
            f"wrote {output}: {counts.get('report', 0)} reports, "
            f"{counts.get('report_version', 0)} versions, {counts.get('fetch', 0)} fetches; "
            f"open it with `harvester serve --db {output}`",
            err=True,
        )


def _sqlite_file(db_url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    from harvester.storage.db import is_sqlite

    if not is_sqlite(db_url):
        return None
    database = make_url(db_url).database
    return Path(database).resolve() if database and database != ":memory:" else None


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "parquet", "sqlite"]),
    default="jsonl",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--county", multiple=True, help="County name (寿县, 寿) or 6-digit adcode (repeatable)."
)
@click.option(
    "--year", multiple=True, type=int, help="Report year, the year reported on (repeatable)."
)
@click.option(
    "--all-versions", is_flag=True, help="Every stored version of each report, not only the newest."
)
@click.option(
    "--history",
    is_flag=True,
    help="Also the earlier parses of each exported version (after reparses), current first; "
    "each record's `parse.current` says which is which.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default stdout; required for parquet and sqlite).",
)
@database_options
@click.option("--quiet", "-q", is_flag=True, help="Only errors (no summary on stderr).")
def export(
    fmt: str,
    county: tuple[str, ...],
    year: tuple[int, ...],
    all_versions: bool,
    history: bool,
    output: Path | None,
    db: str | None,
    data_dir: Path | None,
    quiet: bool,
) -> None:
    """Export parsed reports: one record per report (its newest version), or per version.

    Each record is the version's current parse and carries a stable `report_id` (the same
    in any database) and the content `version` number; --history adds the earlier parses.

    JSONL follows the public record schema (docs/record-schema.md): every record is
    validated against harvester/schema/record.schema.json, and one that breaks it is left
    out, named on stderr, and makes the exit code 1. CSV (UTF-8 with a BOM when written to
    a file, for Excel) and Parquet use the flat layout of docs/export.md: one row per
    report version, one `section.row.column` column per table cell. A blank cell is empty
    (null), never 0. Nothing matching is an error (exit code 1) and writes no file.

    SQLite is a snapshot of the whole database (every table, same schema) that
    `harvester serve --db FILE` opens and Datasette can publish; the raw documents stay
    in the data directory (docs/web.md).

    \b
    Examples:
      harvester export > reports.jsonl
      harvester export --format csv --county 寿县 --year 2020 -o shouxian.csv
      harvester export --format parquet --all-versions -o all.parquet
      harvester export --county 寿县 --history      # every parse, current and earlier
      harvester export --county 340422 --county 象山县 --year 2021 --year 2022 -q -o two.jsonl
      harvester export --format sqlite -o snapshot.sqlite
    """
    if fmt in ("parquet", "sqlite") and output is None:
        fail(f"--format {fmt} needs --output FILE")
    if output is not None and not output.resolve().parent.is_dir():
        fail(f"cannot write {output}: directory {output.resolve().parent} does not exist")
    env = open_env(db, data_dir, quiet=True, access="read")
    if fmt == "sqlite":
        assert output is not None
        _export_sqlite(env.db_url, output, county, year, all_versions, quiet)
        return
    stats = ExportStats()
    invalid: list[str] = []
    with session_scope(env.engine) as session:
        portal_ids = county_portal_ids(session, county)
        records = _valid(
            iter_records(
                session,
                portal_ids=portal_ids,
                years=list(year) or None,
                all_versions=all_versions,
                history=history,
                stats=stats,
            ),
            invalid,
        )
        if fmt == "parquet":
            assert output is not None
            with _destination(output, binary=True) as (path, done):
                written = _write_parquet(path, records)
                done[0] = written > 0
        else:
            encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
            try:
                with _destination(output, encoding=encoding) as (stream, done):
                    written = (_write_jsonl if fmt == "jsonl" else _write_csv)(stream, records)
                    done[0] = written > 0
            except BrokenPipeError:  # `harvester export | head`: the reader has had enough
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise SystemExit(EXIT_FAILED) from None
        n_reports = session.scalar(select(func.count()).select_from(Report)) or 0
    for problem in invalid:
        click.echo(f"Error: record left out, it breaks the record schema: {problem}", err=True)
    if stats.unparsed and not quiet:
        click.echo(
            f"note: {len(stats.unparsed)} report versions have no parse yet and are not exported "
            f"(e.g. {stats.unparsed[0]}); run `harvester reparse`",
            err=True,
        )
    if written == 0:
        fail(_nothing_message(county, year, n_reports, len(invalid)), EXIT_FAILED)
    if not quiet:
        where = f" to {output}" if output else ""
        kind = ("parse" if history else "report version" if all_versions else "report") + (
            "" if written == 1 else "s"
        )
        click.echo(f"exported {written} {kind} as {fmt}{where}", err=True)
    if invalid:
        raise SystemExit(EXIT_FAILED)
