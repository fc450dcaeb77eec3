"""The five seed reports: every value of sections 二, 三 and 四 as printed in the report.

Expected values were written by reading each seed text (harvester/world/seeds/) and are kept
in tests/fixtures/seed_expected.json: section 二 as the record has it, the rows of section 三
printed with a number other than 0 (in template order; every other row of the era's template
is all zeros), section 四's 15 numbers in order, and the checks the source itself fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from harvester.document import Block, Document
from harvester.parser import PARSER_VERSION, parse_document, parse_text
from harvester.parser.template import APPLICANT_COLUMNS, RESULT_COLUMNS, REVIEW_GROUPS, T3_ROWS
from harvester.world.seed_reports import SEED_DIR as SEEDS

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "harvester" / "schema" / "record.schema.json").read_text(
        "utf-8"
    )
)
Z = (0, 0, 0, 0, 0, 0, 0)


def t3(era: str, printed: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """Section 三 as printed: the rows given, every other row of the template all zeros."""
    keys = [s.key for s in T3_ROWS[era]]
    assert set(printed) <= set(keys)
    return {k: printed.get(k, Z) for k in keys}


def expected(entry: dict) -> dict:
    """One seed's expected values as the parser gives them (section 三 in full, section 四 flat)."""
    printed = {key: tuple(row) for key, row in entry["applications"].items()}
    return {
        **entry,
        "applications": t3(entry["era"], printed),
        "review_litigation": tuple(entry["review_litigation"]),
        "failed": set(entry["failed"]),
    }


EXPECTED = {
    name: expected(entry)
    for name, entry in json.loads(
        (Path(__file__).parent / "fixtures" / "seed_expected.json").read_text("utf-8")
    ).items()
}
NAMES = sorted(EXPECTED)


def _text(name: str) -> str:
    return (SEEDS / name).read_text("utf-8")


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    return {name: parse_text(_text(name), county="x") for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_metadata(records: dict[str, dict], name: str) -> None:
    record, want = records[name], EXPECTED[name]
    assert (record["agency"], record["year"], record["era"], record["published"]) == (
        want["agency"],
        want["year"],
        want["era"],
        want["published"],
    )
    assert record["parser_version"] == PARSER_VERSION
    jsonschema.validate(record, SCHEMA, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize("name", NAMES)
def test_section_two(records: dict[str, dict], name: str) -> None:
    assert records[name]["proactive"] == EXPECTED[name]["proactive"]


@pytest.mark.parametrize("name", NAMES)
def test_section_three_every_cell(records: dict[str, dict], name: str) -> None:
    got = records[name]["applications"]
    want = EXPECTED[name]["applications"]
    assert list(got) == list(want)  # every row of the era's template, in order, nothing else
    for key, values in want.items():
        assert got[key] == dict(zip(APPLICANT_COLUMNS, values, strict=True)), key


@pytest.mark.parametrize("name", NAMES)
def test_section_four(records: dict[str, dict], name: str) -> None:
    got = records[name]["review_litigation"]
    flat = [got[g][c] for g in REVIEW_GROUPS for c in RESULT_COLUMNS]
    assert flat == list(EXPECTED[name]["review_litigation"])


@pytest.mark.parametrize("name", NAMES)
def test_checks_run_and_report_source_violations(records: dict[str, dict], name: str) -> None:
    checks = {c["rule"]: c for c in records[name]["checks"]}
    section_three = {"t3_balance", "t3_handled_sum", "t3_row_sum"}
    section_four = {"t4_sum_review", "t4_sum_litigation_direct", "t4_sum_litigation_after_review"}
    assert section_three | section_four | {"non_negative"} <= set(checks)
    assert {r for r, c in checks.items() if not c["ok"]} == EXPECTED[name]["failed"]


def test_violation_message_names_the_numbers(records: dict[str, dict]) -> None:
    check = next(
        c for c in records["001_5f52f77d1e58bc3f.txt"]["checks"] if c["rule"] == "t3_handled_sum"
    )
    assert "170" in check["message"] and "171" in check["message"]
    assert "175" in check["message"] and "176" in check["message"]
    # and the source is not "fixed": the printed total stays
    assert records["001_5f52f77d1e58bc3f.txt"]["applications"]["handled_total"]["total"] == 175


def test_misaligned_rows_are_warned_about(records: dict[str, dict]) -> None:
    warnings = records["002_85f8403371cfae16.txt"]["warnings"]
    aligned = {w.split()[3].rstrip(":") for w in warnings if w.startswith("section 三 row")}
    assert aligned == {
        "disclosed",
        "partially_disclosed",
        "withheld_state_secret",
        "withheld_prohibited_by_law",
        "handled_total",
    }
    disclosed = next(w for w in warnings if "row disclosed" in w)
    assert "6 cells" in disclosed and "inferred 0" in disclosed and "all checks hold" in disclosed


def test_money_without_unit_is_not_rescaled(records: dict[str, dict]) -> None:
    warnings = records["001_5f52f77d1e58bc3f.txt"]["warnings"]
    assert any("189131144" in w and "no unit" in w for w in warnings)


@pytest.mark.parametrize("name", NAMES)
def test_same_record_from_a_document_of_paragraphs(records: dict[str, dict], name: str) -> None:
    """A Document whose blocks are the text's lines (as a PDF normaliser may give) parses alike."""
    doc = Document(blocks=[Block("paragraph", text=line) for line in _text(name).split("\n")])
    record = parse_document(doc, county="x")
    for key in ("agency", "year", "era", "proactive", "applications", "review_litigation"):
        assert record[key] == records[name][key], key


def test_document_metadata_wins_over_text() -> None:
    doc = Document(
        blocks=[
            Block("paragraph", text=line) for line in _text("004_7023baa7cc861516.txt").split("\n")
        ],
        published="2021-02-20",
    )
    record = parse_document(doc, url="http://x/a.html", adcode="370323", county="沂源县")
    assert record["published"] == "2021-02-20"
    assert (record["url"], record["adcode"], record["county"]) == (
        "http://x/a.html",
        "370323",
        "沂源县",
    )
