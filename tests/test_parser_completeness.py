"""Honest completeness: a check whose operands are null is `not_evaluated` with the missing
cells named, and every record says how many of the template's cells it read."""

from __future__ import annotations

import json
import random
from pathlib import Path

import jsonschema

from harvester.parser import parse_text
from harvester.synth import random_record, report_text

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "harvester" / "schema" / "record.schema.json").read_text(
        "utf-8"
    )
)


def _drop_lines(text: str, *labels: str) -> str:
    return "\n".join(
        line for line in text.split("\n") if not any(label in line for label in labels)
    )


def test_complete_record_all_checks_ok_and_full_completeness() -> None:
    record = random_record(random.Random(4), "2021", agency="青山县人民政府", year=2021)
    got = parse_text(report_text(record, "tabs"))
    jsonschema.validate(got, SCHEMA)
    assert got["checks"] and all(c["status"] == "ok" for c in got["checks"])
    comp = got["completeness"]
    for section in ("proactive", "applications", "review_litigation", "overall"):
        assert comp[section]["read"] == comp[section]["expected"] > 0, section
        assert comp[section]["ratio"] == 1.0


def test_missing_rows_make_checks_not_evaluated_and_lower_completeness() -> None:
    record = random_record(random.Random(4), "2021", agency="青山县人民政府", year=2021)
    text = _drop_lines(report_text(record, "tabs"), "上年结转", "结转下年度继续办理", "行政复议")
    got = parse_text(text)
    jsonschema.validate(got, SCHEMA)
    checks = {c["rule"]: c for c in got["checks"]}
    balance = checks["t3_balance"]
    assert balance["status"] == "not_evaluated"
    assert balance["ok"] is True  # not a failure ...
    assert (
        "applications.carried_over.natural_person" in balance["detail"]["missing"]
    )  # ... but named
    assert "applications.carried_forward.total" in balance["detail"]["missing"]
    assert "not evaluated" in balance["message"]
    assert checks["t3_handled_sum"]["status"] == "ok"  # its operands are all read
    comp = got["completeness"]["applications"]
    assert comp["expected"] == 7 * len(record["applications"])
    assert comp["read"] == comp["expected"] - 14
    assert got["completeness"]["overall"]["ratio"] < 1.0


def test_seven_cells_of_a_table_is_low_completeness() -> None:
    text = (
        "青山县人民政府2021年政府信息公开工作年度报告\n"
        "三、收到和处理政府信息公开申请情况\n"
        "一、本年新收政府信息公开申请数量\t5\t0\t0\t1\t0\t3\t9\n"
    )
    got = parse_text(text)
    jsonschema.validate(got, SCHEMA)
    comp = got["completeness"]
    assert comp["applications"]["read"] == 7
    assert comp["overall"]["ratio"] < 0.05
    checks = {c["rule"]: c for c in got["checks"]}
    # every section 三 rule is reported, none as a plain pass: the other 24 rows are null
    for rule in ("t3_balance", "t3_handled_sum", "t3_row_sum"):
        assert checks[rule]["status"] == "not_evaluated", rule
    assert checks["t3_row_sum"]["detail"]["evaluated"] == 1  # the one row read holds (5+1+3 = 9)
    assert "applications.disclosed.total" in checks["t3_handled_sum"]["detail"]["missing"]


def test_a_report_counts_as_read_only_above_the_threshold() -> None:
    from harvester.parser.completeness import READ_THRESHOLD, is_read
    from harvester.synth_prose import legacy_report_text

    record = random_record(random.Random(4), "2021", agency="青山县人民政府", year=2021)
    full = parse_text(report_text(record, "tabs"))
    assert is_read(full)
    seven = parse_text(
        "青山县人民政府2021年政府信息公开工作年度报告\n"
        "三、收到和处理政府信息公开申请情况\n"
        "一、本年新收政府信息公开申请数量\t5\t0\t0\t1\t0\t3\t9\n"
    )
    assert "applications" in seven and not is_read(seven)  # tables, but 7 of ~190 cells
    assert seven["completeness"]["overall"]["ratio"] < READ_THRESHOLD
    legacy = parse_text(
        legacy_report_text(
            "青山县人民政府",
            2015,
            {
                "applications.received.total": 4,
                "applications.disclosed.total": 3,
                "applications.partially_disclosed.total": 1,
                "review_litigation.review.total": 0,
                "review_litigation.litigation.total": 0,
            },
        )
    )
    assert legacy["era"] == "legacy" and is_read(legacy)
    assert not is_read(parse_text("青山县人民政府2021年政府信息公开工作年度报告\n无。\n"))
