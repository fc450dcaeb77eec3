"""The prose against the tables: figures the text states are read with their sentences;
the soft check text_vs_table flags a contradiction and never changes a value; legacy
(pre-2019) reports get the figures their prose states, marked as read from prose."""

from __future__ import annotations

import json
import random
from pathlib import Path

import jsonschema
import pytest

from harvester.parser import parse_text
from harvester.parser.prose import read_prose
from harvester.parser.tokens import text_tokens
from harvester.synth import one_line_text, random_record, report_text
from harvester.synth_prose import STATED, legacy_report_text, prose_summary, with_prose
from harvester.world.seed_reports import SEED_DIR as SEEDS

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "harvester" / "schema" / "record.schema.json").read_text(
        "utf-8"
    )
)
VALUE_KEYS = ("proactive", "applications", "review_litigation")


def _check(record: dict) -> dict:
    return next(c for c in record["checks"] if c["rule"] == "text_vs_table")


def _figures(text: str) -> list[tuple[str, float]]:
    return [(f["field"], f["value"]) for f in read_prose(text_tokens(text))]


@pytest.mark.parametrize(
    ("sentence", "figures"),
    [
        ("全年共收到政府信息公开申请3件，已全部办结。", [("applications.received.total", 3)]),
        ("本年度未收到政府信息公开申请。", [("applications.received.total", 0)]),
        ("新收政府信息公开申请数量为１２件。", [("applications.received.total", 12)]),
        ("共受理申请5件（含上年结转1件）。", [("applications.received_and_carried_over.total", 5)]),
        (
            "上年结转2件，办结政府信息公开申请7件。",
            [("applications.carried_over.total", 2), ("applications.handled_total.total", 7)],
        ),
        ("结转下年度继续办理2件。", [("applications.carried_forward.total", 2)]),
        ("本年新制发规范性文件6件。", [("proactive.normative_documents.issued", 6)]),
        ("制定规章一件。", [("proactive.rules.issued", 1)]),
        (
            "受理申请5件，其中同意公开3件，部分同意公开1件，不同意公开1件。",
            [
                ("applications.received.total", 5),
                ("applications.disclosed.total", 3),
                ("applications.partially_disclosed.total", 1),
            ],
        ),
        (
            "发生行政复议2起、行政诉讼1起。",
            [("review_litigation.review.total", 2), ("review_litigation.litigation.total", 1)],
        ),
        ("行政复议结果纠正2件。", [("review_litigation.review.corrected", 2)]),
        (
            "全年未发生因政府信息公开引起的行政复议和行政诉讼。",
            [("review_litigation.review.total", 0), ("review_litigation.litigation.total", 0)],
        ),
        ("本年度依申请公开未收取任何费用。", [("fees_charged_yuan", 0)]),
        # not figures of the report's tables
        ("未发生行政诉讼败诉情况。", []),
        ("全年办理人大代表建议205件，办结200件。", []),
        ("全年主动公开政府信息70385条。", []),
        ("不同意公开1件。", []),
    ],
)
def test_prose_phrasings(sentence: str, figures: list[tuple[str, float]]) -> None:
    assert _figures(sentence) == figures


@pytest.mark.parametrize("era", ["2019", "2021"])
@pytest.mark.parametrize("one_line", [False, True])
def test_prose_agreeing_with_the_tables(era: str, one_line: bool) -> None:
    record = random_record(random.Random(21), era, agency="青山县人民政府", year=2021)
    text = with_prose(report_text(record, "tabs"), prose_summary(record))
    got = parse_text(one_line_text(text) if one_line else text)
    jsonschema.validate(got, SCHEMA)
    for key in VALUE_KEYS:
        assert got[key] == record[key], key
    check = _check(got)
    assert (check["status"], check["ok"], check["severity"]) == ("ok", True, "soft")
    assert check["detail"]["evaluated"] == len(STATED)
    assert sorted(
        c["field"].replace(".made", ".issued") for c in check["detail"]["comparisons"]
    ) == sorted(STATED)
    assert all("件" in f["sentence"] or "未发生" in f["sentence"] for f in got["prose_figures"])


@pytest.mark.parametrize("era", ["2019", "2021"])
@pytest.mark.parametrize("one_line", [False, True])
def test_prose_contradicting_the_table_is_flagged_and_changes_nothing(
    era: str, one_line: bool
) -> None:
    record = random_record(random.Random(22), era, agency="青山县公安局", year=2022)
    received = record["applications"]["received"]["total"]
    assert received > 0
    prose = prose_summary(
        record, {"applications.received.total": 0, "review_litigation.review.total": 7}
    )
    text = with_prose(report_text(record, "pdf"), prose)
    got = parse_text(one_line_text(text) if one_line else text)
    jsonschema.validate(got, SCHEMA)
    for key in VALUE_KEYS:  # the tables win: no value is changed by the prose
        assert got[key] == record[key], key
    check = _check(got)
    assert (check["status"], check["ok"], check["severity"]) == ("failed", False, "soft")
    assert f"applications.received.total: the text says 0, the table {received}" in check["message"]
    assert "全年未收到政府信息公开申请" in check["message"]
    review = record["review_litigation"]["review"]["total"]
    assert (
        f"review_litigation.review.total: the text says 7, the table {review}" in check["message"]
    )
    assert len(check["detail"]["violations"]) == (2 if review != 7 else 1)
    # the template's arithmetic still holds: the hard checks pass
    assert all(c["ok"] for c in got["checks"] if c["severity"] == "hard")


def test_null_table_cell_is_not_evaluated() -> None:
    record = random_record(random.Random(23), "2021", agency="青山县人民政府", year=2021)
    text = with_prose(report_text(record, "tabs"), prose_summary(record))
    text = "\n".join(
        line for line in text.split("\n") if "上年结转政府信息公开申请数量" not in line
    )
    got = parse_text(text)
    check = _check(got)
    assert check["status"] == "not_evaluated" and check["ok"]
    assert check["detail"]["missing"] == ["applications.carried_over.total"]
    assert check["detail"]["evaluated"] == len(STATED) - 1


def test_seeds_prose_agrees_with_their_tables() -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        got = parse_text(path.read_text("utf-8"))
        checks = [c for c in got["checks"] if c["rule"] == "text_vs_table"]
        assert all(c["status"] == "ok" for c in checks), (path.name, checks)
    got = parse_text((SEEDS / "001_5f52f77d1e58bc3f.txt").read_text("utf-8"))
    assert [(f["field"], f["value"]) for f in got["prose_figures"]] == [
        ("applications.received.total", 172),
        ("applications.handled_total.total", 175),
        ("review_litigation.review.corrected", 2),
    ]
    assert "新收政府信息申请申请172件" in got["prose_figures"][0]["sentence"]


def test_seed_with_a_wrong_prose_figure() -> None:
    text = (SEEDS / "001_5f52f77d1e58bc3f.txt").read_text("utf-8")
    assert "申请172件" in text
    want = parse_text(text)
    got = parse_text(text.replace("申请172件", "申请127件"))
    for key in VALUE_KEYS:
        assert got[key] == want[key], key
    check = _check(got)
    assert check["status"] == "failed"
    assert check["detail"]["violations"] == [
        f"applications.received.total: the text says 127, the table 172 («{got['prose_figures'][0]['sentence']}»)"
    ]


def _assert_only_totals(apps: dict, totals: dict[str, int]) -> None:
    """Legacy rows from prose: the stated totals, every other cell null."""
    assert {k: v["total"] for k, v in apps.items()} == totals
    assert all(v is None for row in apps.values() for c, v in row.items() if c != "total")


LEGACY = """某县人民政府2015年政府信息公开工作年度报告
本报告根据《中华人民共和国政府信息公开条例》（国务院令第492号）要求编制。
一、概述
2015年，我县扎实推进政府信息公开工作。
二、主动公开政府信息情况
2015年共主动公开政府信息1234条。
三、依申请公开政府信息情况
共受理申请12件，其中同意公开10件，部分同意公开1件，不同意公开1件。
四、政府信息公开的收费及减免情况
未收取任何费用。
统计指标\t单位\t统计数
（一）主动公开政府信息数\t条\t1234
二、依申请公开情况\t\t
（一）收到申请数\t件\t12
1.同意公开答复数\t件\t10
五、因政府信息公开申请行政复议、提起行政诉讼的情况
无。
"""


def test_hand_written_legacy_report_gives_only_the_figures_its_prose_states() -> None:
    record = parse_text(LEGACY)
    assert (record["era"], record["agency"], record["year"]) == ("legacy", "某县人民政府", 2015)
    assert "proactive" not in record and "review_litigation" not in record
    _assert_only_totals(
        record["applications"], {"received": 12, "disclosed": 10, "partially_disclosed": 1}
    )
    assert record["from_prose"] == [
        "applications.disclosed.total",
        "applications.partially_disclosed.total",
        "applications.received.total",
    ]
    assert not any(c["status"] == "failed" for c in record["checks"])


def _legacy_figures(received: int, review: int, lawsuits: int) -> dict[str, int]:
    return {
        "applications.received.total": received,
        "applications.disclosed.total": received - 2,
        "applications.partially_disclosed.total": 1,
        "review_litigation.review.total": review,
        "review_litigation.litigation.total": lawsuits,
    }


@pytest.mark.parametrize("one_line", [False, True])
def test_legacy_report_figures_from_prose(one_line: bool) -> None:
    text = legacy_report_text("青山县人民政府", 2015, _legacy_figures(14, 0, 0))
    got = parse_text(one_line_text(text) if one_line else text)
    jsonschema.validate(got, SCHEMA)
    assert (got["era"], got["agency"], got["year"]) == ("legacy", "青山县人民政府", 2015)
    _assert_only_totals(
        got["applications"], {"received": 14, "disclosed": 12, "partially_disclosed": 1}
    )
    assert {g: r["total"] for g, r in got["review_litigation"].items()} == {
        "review": 0,
        "litigation_direct": 0,
        "litigation_after_review": 0,
    }
    assert got["from_prose"] == sorted(
        [
            "applications.received.total",
            "applications.disclosed.total",
            "applications.partially_disclosed.total",
            "review_litigation.review.total",
            "review_litigation.litigation_direct.total",
            "review_litigation.litigation_after_review.total",
        ]
    )
    assert ("fees_charged_yuan", 0) in [(f["field"], f["value"]) for f in got["prose_figures"]]
    assert any("read from the prose" in w for w in got["warnings"])
    assert not any(c["rule"] == "text_vs_table" for c in got["checks"])
    assert not any(c["status"] == "failed" for c in got["checks"])


def test_legacy_lawsuits_without_their_kind_stay_null() -> None:
    text = legacy_report_text("青山县交通运输局", 2016, _legacy_figures(5, 2, 1), fees_yuan=12.5)
    got = parse_text(text)
    rl = got["review_litigation"]
    assert rl["review"]["total"] == 2
    assert (
        rl["litigation_direct"]["total"] is None and rl["litigation_after_review"]["total"] is None
    )
    assert any(
        "lawsuit(s) stated without saying whether after a review" in w for w in got["warnings"]
    )
    assert ("fees_charged_yuan", 12.5) in [(f["field"], f["value"]) for f in got["prose_figures"]]
    assert got["agency"] == "青山县交通运输局"
