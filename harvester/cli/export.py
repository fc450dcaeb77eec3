"""`harvester export`: records as JSONL, CSV or Parquet."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click
import jsonschema

from harvester.cli.common import EXIT_FAILED, database_options, fail, open_env
from harvester.export import flat_columns, flatten, iter_records, validate_record
from harvester.storage.db import session_scope


@click.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl", show_default=True)
@click.option("--county", multiple=True, help="County name or adcode (repeatable).")
@click.option("--year", multiple=True, type=int, help="Report year (repeatable).")
@click.option("--all-versions", is_flag=True, help="Every stored version, not only the newest.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default stdout; required for parquet).")
@database_options
def export(fmt: str, county: tuple[str, ...], year: tuple[int, ...], all_versions: bool, output: Path | None, db: str | None, data_dir: Path | None) -> None:
    """Export parsed reports.

    JSONL follows the public record schema (docs/record-schema.md; every record is validated
    against harvester/schema/record.schema.json before it is written). CSV and Parquet use
    the flat layout of docs/data-dictionary.md: one row per report version, one column per
    table cell.

    \b
    Examples:
      harvester export > reports.jsonl
      harvester export --format csv --county 寿县 --year 2020 -o shouxian.csv
      harvester export --format parquet --all-versions -o all.parquet
    """
    if fmt == "parquet" and output is None:
        fail("--format parquet needs --output FILE")
    env = open_env(db, data_dir, quiet=True)
    with session_scope(env.engine) as session:
        records = list(iter_records(session, counties=list(county) or None, years=list(year) or None, all_versions=all_versions))
    for record in records:
        try:
            validate_record(record)
        except jsonschema.ValidationError as exc:
            fail(f"record {record.get('title')!r} ({record.get('url')}) breaks the schema at {list(exc.absolute_path)}: {exc.message}", EXIT_FAILED)
    if fmt == "jsonl":
        stream = output.open("w", encoding="utf-8") if output else sys.stdout
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        if output:
            stream.close()
    elif fmt == "csv":
        stream = output.open("w", encoding="utf-8-sig", newline="") if output else sys.stdout
        writer = csv.DictWriter(stream, fieldnames=flat_columns())
        writer.writeheader()
        for record in records:
            writer.writerow(flatten(record))
        if output:
            stream.close()
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = [flatten(r) for r in records]
        table = pa.Table.from_pylist(rows, schema=None) if rows else pa.table({c: [] for c in flat_columns()})
        pq.write_table(table, output)
    click.echo(f"exported {len(records)} records", err=True)
