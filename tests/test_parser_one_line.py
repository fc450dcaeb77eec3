"""Report texts saved with the whole body on one line (web-archive page texts, browser
copy-paste): headings, row labels and cells are found by their labels and order."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.parser import parse_text
from harvester.synth import TEXT_SHAPES, one_line_text, random_record, report_text
from harvester.world.seed_reports import SEED_DIR as SEEDS

KEYS = ("agency", "year", "era", "published", "proactive", "applications", "review_litigation")
VALUE_KEYS = ("proactive", "applications", "review_litigation")


def _cells(section: object) -> int:
    if isinstance(section, dict):
        return sum(_cells(v) for v in section.values())
    return 0 if section is None else 1


@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_seed_on_one_line_reads_as_the_seed(seed: str) -> None:
    text = (SEEDS / seed).read_text("utf-8")
    flat = one_line_text(text)
    assert "\n" not in flat.rstrip("\n")
    want = parse_text(text)
    got = parse_text(flat)
    for key in KEYS:
        assert got[key] == want[key], key
    # the seed tables were read at all (this is not two empty records agreeing)
    assert sum(_cells(got[k]) for k in VALUE_KEYS) > 100
    assert not any("heading not found" in w for w in got["warnings"])


@pytest.mark.parametrize("era", ["2019", "2021"])
@pytest.mark.parametrize("shape", TEXT_SHAPES)
def test_synth_report_on_one_line_every_value(era: str, shape: str) -> None:
    record = random_record(random.Random(7), era, agency="青山县公安局", year=2021)
    got = parse_text(one_line_text(report_text(record, shape)))
    for key in KEYS:
        assert got[key] == record[key], key
    assert all(c["ok"] for c in got["checks"]), got["checks"]


def test_one_line_excerpt_from_the_issue() -> None:
    """The issue's example: section 二 flattened into one line among prose."""
    record = random_record(random.Random(3), "2021", agency="青山县人民政府", year=2022)
    flat = one_line_text(report_text(record, "tabs"))
    assert "二、主动公开政府信息情况" in flat and "规范性文件" in flat
    got = parse_text(flat)
    assert got["proactive"] == record["proactive"]
    assert got["proactive"]["normative_documents"] == record["proactive"]["normative_documents"]


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    era=st.sampled_from(["2019", "2021"]),
    shape=st.sampled_from(TEXT_SHAPES),
)
def test_property_one_line_parses_back_exactly(seed: int, era: str, shape: str) -> None:
    record = random_record(random.Random(seed), era, agency="某某镇人民政府", year=2023)
    got = parse_text(one_line_text(report_text(record, shape)))
    for key in KEYS:
        assert got[key] == record[key], key
