"""Metadata, era detection and section segmentation."""

from __future__ import annotations

import random

import pytest

from harvester.parser import parse_text
from harvester.parser.metadata import title_identity
from harvester.synth import random_record, report_text
from harvester.world.seed_reports import SEED_DIR as SEEDS


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("寿县人民政府2020年政府信息公开年度报告", ("寿县人民政府", 2020)),
        (
            "宁波市象山县人民政府办公室2020年政府信息公开工作年度报告",
            ("象山县人民政府办公室", 2020),
        ),
        ("县政府办公室2021年政府信息公开工作年度报告", ("县政府办公室", 2021)),
        ("大荔县2020年政府信息公开工作年度报告", ("大荔县", 2020)),
        ("2020年寿县政府信息公开工作年度报告", ("寿县", 2020)),
        ("寿县市场监督管理局2020年度政府信息公开工作年度报告", ("寿县市场监督管理局", 2020)),
        ("安徽省六安市寿县人民政府关于2019年政府信息公开工作年度报告", ("寿县人民政府", 2019)),
        ("六安市人民政府2020年政府信息公开工作年度报告", ("六安市人民政府", 2020)),
        ("寿县 人民政府 2022 年 政府信息公开 工作 年度报告", ("寿县人民政府", 2022)),
        ("寿县人民政府办公室关于2020年政府信息公开工作的年度报告", ("寿县人民政府办公室", 2020)),
        ("寿县政府信息公开工作2021年度报告", ("寿县", 2021)),
        ("关于印发寿县2020年政府信息公开工作年度报告的通知", ("寿县", 2020)),
        ("寿县人民政府2020年政务公开工作年度报告_寿县人民政府", ("寿县人民政府", 2020)),
        ("关于开展政务公开培训的通知", None),
        ("寿县2020年度预算公开", None),
        ("2020年政府信息公开工作年度报告", None),
        ("", None),
    ],
)
def test_title_identity(title: str, expected: tuple[str, int] | None) -> None:
    assert title_identity(title) == expected


def test_year_from_the_statistics_sentence_not_the_publication_date() -> None:
    text = (
        "政府信息公开工作年度报告\n报告所列数据的统计期限自2020年1月1日起至2020年12月31日止。\n"
        "一、总体情况\n无。\n某县人民政府\n2021年3月5日\n"
    )
    record = parse_text(text)
    assert record["year"] == 2020
    assert record["published"] == "2021-03-05"
    undated = parse_text("政府信息公开工作年度报告\n一、总体情况\n无。\n2021年3月5日\n")
    assert undated["year"] is None  # never the publication year
    assert any("report year not found" in w for w in undated["warnings"])


def test_published_from_a_labelled_date() -> None:
    record = parse_text(
        "寿县人民政府2020年政府信息公开工作年度报告\n发布日期：2021-01-28\n一、总体情况\n"
    )
    assert record["published"] == "2021-01-28"


def test_quoted_title_names_the_body_and_year() -> None:
    record = parse_text((SEEDS / "003_c60e880bc4ce4b0e.txt").read_text("utf-8"))
    assert (record["title"], record["agency"], record["year"]) == (
        "大荔县2020年政府信息公开工作年度报告",
        "大荔县",
        2020,
    )


def test_era_comes_from_the_labels_not_the_year() -> None:
    rng = random.Random(7)
    old_template_late = random_record(rng, "2019", agency="寿县人民政府", year=2022)
    new_template_early = random_record(rng, "2021", agency="寿县人民政府", year=2020)
    assert parse_text(report_text(old_template_late, "tabs"))["era"] == "2019"
    assert parse_text(report_text(new_template_early, "tabs"))["era"] == "2021"


def test_thin_evidence_leaves_the_era_unknown() -> None:
    record = parse_text(
        "某镇人民政府2020年政府信息公开工作年度报告\n一、总体情况\n本镇全年公开信息20条。\n"
    )
    assert record["era"] is None
    assert any(w.startswith("era unknown") for w in record["warnings"])
    assert "applications" not in record


def _renumber(text: str) -> str:
    return (
        text.replace("一、总体情况", "1、 总体情况\n一、总体情况")  # duplicated heading
        .replace("二、主动公开政府信息情况", "—、主动公开政府信息情况")
        .replace("三、收到和处理政府信息公开申请情况", "3、 收到和处理政府信息公开申请情况")
        .replace("四、政府信息公开行政复议", "四. 政府信息公开行政复议")
        .replace("五、存在的主要问题及改进情况", "五、政府信息公开工作存在的主要问题及改进情况")
    )


@pytest.mark.parametrize("shape", ["cells", "tabs", "pipes", "pdf"])
def test_corrupted_heading_numbering(shape: str) -> None:
    record = random_record(random.Random(3), "2019", agency="寿县人民政府", year=2020)
    got = parse_text(_renumber(report_text(record, shape)))
    for key in ("proactive", "applications", "review_litigation"):
        assert got[key] == record[key]


def test_missing_heading_falls_back_to_the_table_labels() -> None:
    record = random_record(random.Random(4), "2021", agency="寿县人民政府", year=2021)
    text = report_text(record, "tabs").replace("三、收到和处理政府信息公开申请情况\n", "")
    got = parse_text(text)
    assert got["applications"] == record["applications"]
    assert got["proactive"] == record["proactive"]
    assert any("table located by its labels" in w for w in got["warnings"])


def test_source_violation_is_reported_not_fixed() -> None:
    record = random_record(random.Random(5), "2019", agency="寿县人民政府", year=2020)
    total = record["applications"]["handled_total"]["natural_person"]
    text = report_text(record, "pipes")
    lines = text.split("\n")
    i = next(i for i, line in enumerate(lines) if line.startswith("四、结转下年度"))
    cells = lines[i].split(" | ")
    cells[3] = str(int(cells[3]) + 5)  # the report misprints one cell
    lines[i] = " | ".join(cells)
    got = parse_text("\n".join(lines))
    assert got["applications"]["carried_forward"]["natural_person"] == int(cells[3])
    assert got["applications"]["handled_total"]["natural_person"] == total
    failed = {c["rule"]: c["message"] for c in got["checks"] if not c["ok"]}
    assert set(failed) == {"t3_balance", "t3_row_sum"}
    assert cells[3] in failed["t3_balance"]


def test_prose_mentions_of_row_labels_are_passed_over() -> None:
    record = random_record(random.Random(8), "2019", agency="寿县人民政府", year=2020)
    text = report_text(record, "cells").replace(
        "二、主动公开政府信息情况\n",
        "二、主动公开政府信息情况\n全年未制定规章。\n规范性文件\n行政许可事项已全部公开。\n",
    )
    got = parse_text(text)
    assert got["proactive"] == record["proactive"]


def test_counts_printed_with_units_and_full_width_digits() -> None:
    record = random_record(random.Random(9), "2019", agency="寿县人民政府", year=2020)
    row = record["applications"]["received"]
    values = [str(row[c]) for c in row]
    text = report_text(record, "tabs")
    line = next(x for x in text.split("\n") if x.startswith("一、本年新收"))
    fancy = [v + "件" for v in values[:3]] + [
        v.translate(str.maketrans("0123456789", "０１２３４５６７８９")) for v in values[3:]
    ]
    got = parse_text(
        text.replace(line, "一、本年新收政府信息公开申请数量\t\t\t" + "\t".join(fancy))
    )
    assert got["applications"]["received"] == row


def test_section_four_needs_a_table_not_a_stray_number() -> None:
    record = random_record(random.Random(10), "2021", agency="寿县人民政府", year=2021)
    text = report_text(record, "pdf")
    head, _, tail = text.partition("四、政府信息公开行政复议、行政诉讼情况\n")
    table_end = tail.index("五、")
    got = parse_text(
        head
        + "四、政府信息公开行政复议、行政诉讼情况\n因政府信息公开被申请行政复议 0\n"
        + tail[table_end:]
    )
    assert "review_litigation" not in got
    assert any(w.startswith("section 四: only 1 number") for w in got["warnings"])


def test_page_title_without_identity_falls_back_to_the_text() -> None:
    text = (SEEDS / "004_7023baa7cc861516.txt").read_text("utf-8")
    record = parse_text(text, title="政府信息公开年报_沂源县人民政府门户网站")
    assert record["title"] == "政府信息公开年报_沂源县人民政府门户网站"  # as published
    assert (record["agency"], record["year"]) == ("沂源县人民政府", 2020)


@pytest.mark.parametrize("era", ["2019", "2021"])
def test_section_three_alone_tells_the_template(era: str) -> None:
    record = random_record(random.Random(12), era, agency="某某镇人民政府", year=2020)
    text = report_text(record, "tabs")
    start = text.index("三、收到和处理政府信息公开申请情况")
    end = text.index("四、政府信息公开行政复议")
    got = parse_text("某某镇人民政府2020年政府信息公开工作年度报告\n" + text[start:end])
    assert got["era"] == era
    assert got["applications"] == record["applications"]
    assert "proactive" not in got


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2021-2-19", "2021-02-19"),
        ("2021/02/19 10:30:00", "2021-02-19"),
        ("2021年2月19日", "2021-02-19"),
    ],
)
def test_publication_dates_are_iso(given: str, expected: str) -> None:
    record = parse_text("寿县人民政府2020年政府信息公开工作年度报告\n", published=given)
    assert record["published"] == expected


def test_a_publication_date_that_is_not_a_date_is_ignored_with_a_warning() -> None:
    record = parse_text(
        "寿县人民政府2020年政府信息公开工作年度报告\n2021年3月1日\n", published="昨天"
    )
    assert record["published"] == "2021-03-01"
    assert any("'昨天' is not a date" in w for w in record["warnings"])
