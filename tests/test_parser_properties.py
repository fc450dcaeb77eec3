"""Properties: any consistent report, in any serialisation, parses back exactly; corrupted
inputs never break the parser (no exception, a schema-valid record, reasons in warnings)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.document import Block, Cell, Document, Table
from harvester.parser import INTERNAL_ERROR, parse_document, parse_text
from harvester.synth import TEXT_SHAPES, random_record, report_document, report_text

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "harvester" / "schema" / "record.schema.json").read_text("utf-8")
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
KEYS = ("agency", "year", "era", "published", "proactive", "applications", "review_litigation")
AGENCIES = ("寿县人民政府", "象山县人民政府办公室", "舞阳县交通运输局", "大荔县", "某某镇人民政府")
SETTINGS = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

records = st.builds(
    lambda seed, era, agency, year: random_record(random.Random(seed), era, agency=agency, year=year),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["2019", "2021"]),
    st.sampled_from(AGENCIES),
    st.integers(2019, 2025),
)


def _same(got: dict, want: dict) -> None:
    for key in KEYS:
        assert got.get(key) == want.get(key), key
    assert all(c["ok"] for c in got["checks"]), got["checks"]
    assert {c["rule"] for c in got["checks"]} >= {"t3_balance", "t3_handled_sum", "t3_row_sum", "non_negative"}
    # the only warning a consistent report may get: a procurement amount printed without unit
    unitless = (want.get("proactive", {}).get("procurement") or {}).get("amount_raw")
    expected = [] if not unitless or want["proactive"]["procurement"]["amount_yuan"] is not None else [
        f"section 二 procurement: amount {unitless!r} has no unit; amount_yuan left null"
    ]
    assert got["warnings"] == expected, got["warnings"]


@SETTINGS
@given(records)
def test_document_grids_parse_back_exactly(record: dict) -> None:
    got = parse_document(report_document(record))
    _same(got, record)
    VALIDATOR.validate(got)


@SETTINGS
@given(records, st.sampled_from(TEXT_SHAPES))
def test_text_serialisations_parse_back_exactly(record: dict, shape: str) -> None:
    _same(parse_text(report_text(record, shape)), record)


@SETTINGS
@given(records)
def test_document_text_view_parses_back_exactly(record: dict) -> None:
    """Document.text() (tables as tab rows, merged copies blank) is one more serialisation."""
    _same(parse_text(report_document(record).text()), record)


def _corrupt_text(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(8)
        i = rng.randrange(len(lines)) if lines else 0
        if not lines:
            lines = [""]
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2 and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif op == 3:
            lines.insert(i, "".join(chr(rng.randint(32, 0x9FFF)) for _ in range(rng.randint(0, 30))))
        elif op == 4 and lines[i]:
            a = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:a] + lines[i][a + rng.randint(1, 5) :]
        elif op == 5:
            lines = lines[: rng.randrange(len(lines) + 1)]
        elif op == 6 and lines[i]:
            lines[i] = lines[i].replace("0", rng.choice(["", "-", "O", "十", "1.5", "|", "\t"]))
        elif op == 7:
            lines.insert(i, rng.choice(["-3-", "\t", "|||", "一、总体情况", "三、收到和处理政府信息公开申请情况", "\t\t7\t"]))
    return "\n".join(lines)


def _corrupt_document(doc: Document, rng: random.Random) -> Document:
    for _ in range(rng.randint(1, 6)):
        tables = [b for b in doc.blocks if b.kind == "table" and b.table is not None]
        op = rng.randrange(6)
        if op == 0 and doc.blocks:
            del doc.blocks[rng.randrange(len(doc.blocks))]
        elif tables:
            table = rng.choice(tables).table
            assert table is not None
            if not table.rows:
                continue
            row = rng.choice(table.rows)
            if op == 1:
                table.rows.remove(row)
            elif op == 2 and row:
                del row[rng.randrange(len(row))]  # no longer rectangular
            elif op == 3 and row:
                row[rng.randrange(len(row))] = Cell(rng.choice(["", "x", "-1", "1e9", "３", "（七）总计"]))
            elif op == 4 and row:
                c = row[rng.randrange(len(row))]
                c.merged = not c.merged
            elif op == 5:
                table.rows.insert(rng.randrange(len(table.rows) + 1), [Cell("9")] * rng.randint(0, 12))
    doc.blocks.append(Block("table", table=Table(rows=[])))
    return doc


@SETTINGS
@given(records, st.sampled_from(TEXT_SHAPES), st.integers(0, 2**32 - 1))
def test_corrupted_text_never_raises(record: dict, shape: str, seed: int) -> None:
    text = _corrupt_text(report_text(record, shape), random.Random(seed))
    got = parse_text(text)
    assert not any(w.startswith(INTERNAL_ERROR) for w in got["warnings"]), got["warnings"]
    VALIDATOR.validate(got)
    # a number of section 三 read differently from the report (a blank cell read as null is
    # faithful, not different) never passes silently: a warning or a failed check says so
    changed = [
        (row, col)
        for row, cells in (got.get("applications") or {}).items()
        for col, value in cells.items()
        if value is not None
        and record["applications"].get(row, {}).get(col) is not None
        and value != record["applications"][row][col]
    ]
    if changed:
        assert got["warnings"] or not all(c["ok"] for c in got["checks"]), changed


@SETTINGS
@given(records, st.integers(0, 2**32 - 1))
def test_corrupted_documents_never_raise(record: dict, seed: int) -> None:
    doc = _corrupt_document(report_document(record), random.Random(seed))
    got = parse_document(doc)
    assert not any(w.startswith(INTERNAL_ERROR) for w in got["warnings"]), got["warnings"]
    VALIDATOR.validate(got)


@settings(max_examples=60, deadline=None, database=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    got = parse_text(text)
    assert not any(w.startswith(INTERNAL_ERROR) for w in got["warnings"]), got["warnings"]
    VALIDATOR.validate(got)


def _misalign(text: str, record: dict, rng: random.Random) -> tuple[str, set[str]]:
    """Tab rows of section 三 that lose a zero cell or gain an extra one (as seed 002)."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("一、本年新收"))
    stop = next(i for i, line in enumerate(lines) if line.startswith("四、结转下年度"))
    touched: set[str] = set()
    for i in rng.sample(range(start, stop + 1), rng.randint(1, 3)):
        cells = lines[i].split("\t")
        values = [j for j, c in enumerate(cells) if c.strip().isdigit()]
        zeros = [j for j in values if cells[j] == "0"]
        if zeros and rng.random() < 0.5:
            del cells[rng.choice(zeros)]
        else:
            cells.insert(rng.choice(values) + rng.randint(0, 1), "0")
        lines[i] = "\t".join(cells)
        touched.add(next(c for c in cells if c.strip() and not c.strip().isdigit()))
    return "\n".join(lines), touched


@SETTINGS
@given(records, st.integers(0, 2**32 - 1))
def test_misaligned_rows_are_recovered_or_flagged(record: dict, seed: int) -> None:
    text, touched = _misalign(report_text(record, "tabs"), record, random.Random(seed))
    got = parse_text(text)
    aligned = [w for w in got["warnings"] if w.startswith("section 三 row")]
    assert aligned, touched  # every misaligned row is reported
    if got["applications"] != record["applications"]:
        # a wrong reading is only possible when the totals cannot tell: then it says so
        assert any("ambiguous" in w or "violation" in w for w in aligned), aligned
