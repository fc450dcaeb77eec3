"""`harvester export` as a user runs it: JSONL per the shipped record schema, the flat CSV
layout of docs/export.md, Parquet with the same rows, filters, old versions, empty results
and records that break the schema. The database is filled the way a crawl fills it
(tests/stored_reports.py) and parsed by the real normaliser and parser."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select, update
from stored_reports import (
    ROOT,
    SCHEMA_PATH,
    SHOUXIAN,
    XIANGSHAN,
    ReportStore,
    StoredReport,
    chained,
    harvester,
    report,
    tables,
)

from harvester.export import flat_columns
from harvester.storage.db import session_scope
from harvester.storage.models import ParseResult

SCHEMA = json.loads(SCHEMA_PATH.read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[ReportStore]:
    store = ReportStore(database_url, tmp_path / "data")
    yield store
    store.close()


@pytest.fixture
def three(store: ReportStore) -> dict[tuple[str, int], StoredReport]:
    """寿县 2020 (2019 template) and 2021 (2021 template), 象山县 2021 as a DOCX attachment."""
    run = store.run()
    stored = {
        ("寿县", 2020): store.add(
            SHOUXIAN, report(1, "2019", agency="寿县人民政府", year=2020, county="寿县"), run_id=run
        ),
        ("寿县", 2021): store.add(
            SHOUXIAN, report(2, "2021", agency="寿县人民政府", year=2021, county="寿县"), run_id=run
        ),
        ("象山县", 2021): store.add(
            XIANGSHAN,
            report(3, "2021", agency="象山县人民政府办公室", year=2021, county="象山县"),
            run_id=run,
            as_docx=True,
        ),
    }
    counts = store.parse()
    assert (
        counts.parsed == 3 and counts.reports_with_tables == 3 and counts.unreadable_documents == 0
    )
    return stored


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def by_key(records: list[dict]) -> dict[tuple[str, int], dict]:
    return {(r["county"], r["year"]): r for r in records}


def test_jsonl_keeps_the_schema_and_the_numbers(
    store: ReportStore, three: dict, tmp_path: Path
) -> None:
    out = tmp_path / "reports.jsonl"
    result = harvester(store.env(), "export", "--format", "jsonl", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "exported 3 reports" in result.stderr
    records = read_jsonl(out)
    assert len(records) == 3
    for record in records:
        errors = sorted(VALIDATOR.iter_errors(record), key=str)
        assert not errors, errors[0]
    got = by_key(records)
    assert set(got) == set(three)
    for key, stored in three.items():
        record = got[key]
        assert tables(record) == tables(stored.record), key
        assert (record["agency"], record["era"], record["adcode"]) == (
            stored.record["agency"],
            stored.record["era"],
            stored.adcode,
        )
        assert record["url"] == stored.url
        assert [d["sha256"] for d in record["documents"]] == stored.sha256
        own = [c for c in record["checks"] if c["rule"] != "carryover_matches_previous_year"]
        assert own and all(c["ok"] for c in own)
    # 寿县 2021 follows a stored 2020 report of the same agency: the carry-over is compared.
    assert "carryover_matches_previous_year" in {c["rule"] for c in got[("寿县", 2021)]["checks"]}
    docx = got[("象山县", 2021)]["documents"]
    assert [d["role"] for d in docx] == ["page", "attachment"]
    # Numbers are JSON numbers, not strings.
    line = next(line for line in out.read_text("utf-8").splitlines() if '"象山县"' in line)
    received = three[("象山县", 2021)].record["applications"]["received"]["total"]
    assert f'"total": {received}' in line
    # Without -o the same lines go to stdout.
    stdout = harvester(store.env(), "export", "--quiet")
    assert stdout.returncode == 0 and stdout.stderr == ""
    assert [json.loads(line) for line in stdout.stdout.splitlines()] == records


def documented_columns() -> list[str]:
    """The columns docs/export.md lists, in order (its `| n | `column` |` table)."""
    text = (ROOT / "docs" / "export.md").read_text("utf-8")
    return re.findall(r"^\| \d+ \| `([^`]+)` \|", text, flags=re.MULTILINE)


def test_csv_is_the_documented_flat_table(store: ReportStore, three: dict, tmp_path: Path) -> None:
    out = tmp_path / "reports.csv"
    result = harvester(store.env(), "export", "--format", "csv", "--year", "2021", "-o", str(out))
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        rows = list(reader)
        header = reader.fieldnames
    assert header == flat_columns() == documented_columns()
    assert len(set(header)) == len(header)
    assert sorted((r["county"], r["year"]) for r in rows) == [("寿县", "2021"), ("象山县", "2021")]
    row = next(r for r in rows if r["county"] == "象山县")
    truth = three[("象山县", 2021)].record
    assert row["applications.received.total"] == str(truth["applications"]["received"]["total"])
    assert row["review_litigation.review.upheld"] == str(
        truth["review_litigation"]["review"]["upheld"]
    )
    assert row["proactive.licensing.decisions"] == str(truth["proactive"]["licensing"]["decisions"])
    assert row["adcode"] == "330225" and row["era"] == "2021"
    # A column of the other template is empty (null), never 0.
    assert row["proactive.procurement.amount_raw"] == "" and row["applications.other.total"] == ""
    assert row["checks_failed"] == ""
    assert row["sha256"].split() == three[("象山县", 2021)].sha256
    assert row["documents"].split()[0] == three[("象山县", 2021)].url
    # To stdout: the same table (without the BOM Excel wants in files).
    stdout = harvester(store.env(), "export", "--format", "csv", "--year", "2021", "-q")
    assert stdout.returncode == 0 and stdout.stderr == ""
    assert list(csv.DictReader(io.StringIO(stdout.stdout))) == rows


def test_parquet_has_the_same_rows(store: ReportStore, three: dict, tmp_path: Path) -> None:
    csv_out, parquet_out = tmp_path / "r.csv", tmp_path / "r.parquet"
    assert harvester(store.env(), "export", "--format", "csv", "-o", str(csv_out)).returncode == 0
    result = harvester(store.env(), "export", "--format", "parquet", "-o", str(parquet_out))
    assert result.returncode == 0, result.stderr
    table = pq.read_table(parquet_out)
    assert table.column_names == flat_columns()
    assert str(table.schema.field("year").type) == "int64"
    assert str(table.schema.field("applications.received.total").type) == "double"
    with csv_out.open(encoding="utf-8-sig", newline="") as stream:
        csv_rows = list(csv.DictReader(stream))
    parquet_rows = table.to_pylist()
    assert len(parquet_rows) == len(csv_rows) == 3

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    for p_row, c_row in zip(parquet_rows, csv_rows, strict=True):
        assert {k: text(v) for k, v in p_row.items()} == c_row
    shouxian_2020 = next(r for r in parquet_rows if r["year"] == 2020)
    truth = three[("寿县", 2020)].record["proactive"]["procurement"]
    assert shouxian_2020["proactive.procurement.amount_raw"] == truth["amount_raw"]
    assert shouxian_2020["proactive.procurement.amount_yuan"] == truth["amount_yuan"]
    # parquet has to go to a file
    no_file = harvester(store.env(), "export", "--format", "parquet")
    assert no_file.returncode == 2 and "--output" in no_file.stderr


def test_filters_and_old_versions(store: ReportStore, three: dict, tmp_path: Path) -> None:
    # A corrected 寿县 2021 report: a second version with other numbers.
    run = store.run()
    corrected = report(22, "2021", agency="寿县人民政府", year=2021, county="寿县")
    second = store.add(SHOUXIAN, corrected, run_id=run, path="xxgk/nb/2021-corrected.html")
    assert second.report_id == three[("寿县", 2021)].report_id
    assert second.version_id != three[("寿县", 2021)].version_id
    store.parse([second.version_id])

    def export(*args: str) -> list[dict]:
        out = tmp_path / "out.jsonl"
        result = harvester(store.env(), "export", "-q", "-o", str(out), *args)
        assert result.returncode == 0, result.stderr
        return read_jsonl(out)

    newest = by_key(export("--county", "寿县"))
    assert set(newest) == {("寿县", 2020), ("寿县", 2021)}
    assert tables(newest[("寿县", 2021)]) == tables(corrected)
    assert {r["county"] for r in export("--county", "330225")} == {"象山县"}
    assert {r["county"] for r in export("--county", "寿")} == {"寿县"}  # the short form
    assert [(r["county"], r["year"]) for r in export("--county", "寿县", "--year", "2020")] == [
        ("寿县", 2020)
    ]
    assert {(r["county"], r["year"]) for r in export("--year", "2021")} == {
        ("寿县", 2021),
        ("象山县", 2021),
    }
    every = export("--all-versions", "--county", "寿县", "--year", "2021")
    assert len(every) == 2
    assert {json.dumps(tables(r), sort_keys=True) for r in every} == {
        json.dumps(tables(corrected), sort_keys=True),
        json.dumps(tables(three[("寿县", 2021)].record), sort_keys=True),
    }
    assert len({r["documents"][0]["sha256"] for r in every}) == 2
    assert len(export("--all-versions")) == 4

    unknown = harvester(store.env(), "export", "--county", "不存在县")
    assert unknown.returncode == 2 and "不存在县" in unknown.stderr


def test_nothing_to_export_is_a_clear_error(
    store: ReportStore, three: dict, tmp_path: Path
) -> None:
    out = tmp_path / "none.csv"
    result = harvester(store.env(), "export", "--format", "csv", "--year", "1999", "-o", str(out))
    assert result.returncode == 1
    assert "nothing exported" in result.stderr and "--year 1999" in result.stderr
    assert not out.exists() and list(tmp_path.glob("none.csv*")) == []
    assert result.stdout == ""


def test_an_empty_database_says_what_to_do(store: ReportStore) -> None:
    result = harvester(store.env(), "export", "--format", "csv")
    assert result.returncode == 1 and result.stdout == ""
    assert "no parsed report" in result.stderr and "harvester scrape" in result.stderr


def test_unparsed_versions_and_records_breaking_the_schema_are_reported(
    store: ReportStore, three: dict, tmp_path: Path
) -> None:
    run = store.run()
    store.add(
        XIANGSHAN,
        report(4, "2021", agency="象山县人民政府办公室", year=2022, county="象山县"),
        run_id=run,
    )
    with session_scope(store.engine) as session:  # a parse whose record breaks the contract
        parse = session.scalar(
            select(ParseResult).where(ParseResult.version_id == three[("寿县", 2020)].version_id)
        )
        broken = dict(parse.record, year="二〇二〇")
        session.execute(update(ParseResult).where(ParseResult.id == parse.id).values(record=broken))
    out = tmp_path / "r.jsonl"
    result = harvester(store.env(), "export", "-o", str(out))
    assert result.returncode == 1, result.stderr
    assert "breaks the record schema" in result.stderr and "year" in result.stderr
    assert (
        "1 report versions have no parse yet" in result.stderr
        and "harvester reparse" in result.stderr
    )
    assert sorted((r["county"], r["year"]) for r in read_jsonl(out)) == [
        ("寿县", 2021),
        ("象山县", 2021),
    ]


def test_carryover_is_checked_against_the_previous_year(store: ReportStore, tmp_path: Path) -> None:
    run = store.run()
    current = report(5, "2021", agency="寿县人民政府", year=2021, county="寿县")
    seed = next(s for s in range(100, 200) if _chains(s, current))
    previous = chained(
        report(seed, "2021", agency="寿县人民政府", year=2020, county="寿县"), current
    )
    store.add(SHOUXIAN, previous, run_id=run)
    store.add(SHOUXIAN, current, run_id=run)
    other = report(6, "2021", agency="寿县人民政府", year=2022, county="寿县")  # does not chain
    store.add(SHOUXIAN, other, run_id=run)
    store.parse()
    out = tmp_path / "r.jsonl"
    assert harvester(store.env(), "export", "-q", "-o", str(out)).returncode == 0
    checks = {r["year"]: {c["rule"]: c for c in r["checks"]} for r in read_jsonl(out)}
    assert "carryover_matches_previous_year" not in checks[2020]  # no 2019 report stored
    assert checks[2021]["carryover_matches_previous_year"]["ok"] is True
    mismatch = other["applications"]["carried_over"] != current["applications"]["carried_forward"]
    assert checks[2022]["carryover_matches_previous_year"]["ok"] is not mismatch
    if mismatch:
        assert "上年结转" in checks[2022]["carryover_matches_previous_year"]["message"]


def _chains(seed: int, current: dict) -> bool:
    try:
        chained(report(seed, "2021", agency="寿县人民政府", year=2020, county="寿县"), current)
    except ValueError:
        return False
    return True
