"""Run-together cells: section 三 rows flattened into one digit string are split by the
table's own arithmetic; an ambiguous string stays null with a warning naming candidates."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.parser import parse_text
from harvester.parser.runsplit import splits
from harvester.synth import one_line_text, random_record, run_together_text

KEYS = ("agency", "year", "era", "published", "proactive", "review_litigation")


def test_issue_example_splits_uniquely() -> None:
    assert splits("530010357") == [[53, 0, 0, 1, 0, 3, 57]]


def test_ambiguous_string_has_several_candidates() -> None:
    assert splits("101000011") == [[1, 0, 10, 0, 0, 0, 11], [10, 1, 0, 0, 0, 0, 11]]


def test_run_together_report_every_value_and_warnings() -> None:
    record = random_record(random.Random(1), "2021", agency="青山县公安局", year=2021)
    text = run_together_text(record)
    assert "一、本年新收政府信息公开申请数量" + "".join(
        str(record["applications"]["received"][c]) for c in record["applications"]["received"]
    ) in text
    got = parse_text(text)
    assert got["applications"] == record["applications"]
    for key in KEYS:
        assert got[key] == record[key], key
    assert any("run-together cells" in w and "received" in w and "split by the table's arithmetic" in w
               for w in got["warnings"])
    assert all(c["ok"] for c in got["checks"]), got["checks"]


def test_run_together_on_one_line_both_eras() -> None:
    for era in ("2019", "2021"):
        record = random_record(random.Random(5), era, agency="青山县人民政府", year=2020)
        got = parse_text(one_line_text(run_together_text(record)))
        assert got["applications"] == record["applications"], era


def test_ambiguous_row_stays_null_with_candidates() -> None:
    """Only the received row is present: nothing else can decide between its two splits."""
    text = (
        "青山县人民政府2021年政府信息公开工作年度报告\n"
        "三、收到和处理政府信息公开申请情况\n"
        "一、本年新收政府信息公开申请数量101000011\n"
    )
    got = parse_text(text)
    assert got["applications"]["received"] == {c: None for c in got["applications"]["received"]}
    warning = next(w for w in got["warnings"] if "run-together" in w and "received" in w)
    assert "ambiguous" in warning
    assert "[1, 0, 10, 0, 0, 0, 11]" in warning and "[10, 1, 0, 0, 0, 0, 11]" in warning


def test_ambiguous_row_decided_by_the_other_rows() -> None:
    """The same string is decided when 一 + 二 = （七） + 四 holds for one split only."""
    record = random_record(random.Random(2), "2021", agency="青山县人民政府", year=2021)
    apps = record["applications"]
    text = run_together_text(record)
    got = parse_text(text)
    assert got["applications"] == apps


@settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    era=st.sampled_from(["2019", "2021"]),
    one_line=st.booleans(),
    small=st.booleans(),
)
def test_property_never_a_wrong_number(seed: int, era: str, one_line: bool, small: bool) -> None:
    """Random consistent records as run-together text: every section 三 cell is recovered,
    or left null with a warning naming its row — never a wrong number."""
    rng = random.Random(seed)
    record = random_record(rng, era, agency="某某镇人民政府", year=2022)
    if small:  # small counts make many splits possible: the ambiguous path is exercised
        for row in record["applications"].values():
            for col in row:
                row[col] = 0
        cells = [rng.choice([0, 1, 1, 10, 11]) for _ in range(6)]
        for key in ("received", "disclosed", "handled_total"):  # still a consistent table
            record["applications"][key] = dict(zip(record["applications"][key], [*cells, sum(cells)], strict=True))
    text = run_together_text(record)
    got = parse_text(one_line_text(text) if one_line else text)
    for key, row in record["applications"].items():
        for col, want in row.items():
            value = got["applications"][key][col]
            if value is None:
                assert any("run-together" in w and key in w for w in got["warnings"]), (key, got["warnings"])
            else:
                assert value == want, (key, col, value, want)
