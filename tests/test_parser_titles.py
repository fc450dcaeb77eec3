"""Titles with labels and markup, markdown headings, signature-only and 发布机构 agencies."""

from __future__ import annotations

import random

import pytest

from harvester.parser import parse_text
from harvester.synth import one_line_text, random_record, report_text


def _report(agency: str = "青山县公安局", year: int = 2021) -> tuple[dict, str, str]:
    record = random_record(random.Random(11), "2021", agency=agency, year=year)
    lines = report_text(record, "tabs").split("\n")
    return record, lines[0], "\n".join(lines[1:])


@pytest.mark.parametrize(
    "wrap",
    [
        "标题: {}",
        "标题：{}",
        "文章标题：{}",
        "# {}",
        "## {}",
        "**{}**",
        "# **{}**",
        "> {}",
    ],
)
def test_label_or_markup_before_the_title(wrap: str) -> None:
    record, title, rest = _report()
    got = parse_text(wrap.format(title) + "\n" + rest)
    assert got["agency"] == "青山县公安局"
    assert got["year"] == 2021
    assert got["title"] == title
    assert got["applications"] == record["applications"]


def test_markdown_title_split_over_two_headings() -> None:
    record, title, rest = _report("青山县人民政府", 2022)
    assert title.startswith("青山县人民政府")
    text = "# 青山县人民政府\n## 2022年政府信息公开工作年度报告\n" + rest
    got = parse_text(text)
    assert (got["agency"], got["year"]) == ("青山县人民政府", 2022)


def test_labelled_title_on_one_line() -> None:
    record, title, rest = _report()
    got = parse_text(one_line_text("标题: " + title + "\n" + rest))
    assert (got["agency"], got["year"]) == ("青山县公安局", 2021)
    assert got["applications"] == record["applications"]


def test_signature_block_names_the_agency_when_the_title_does_not() -> None:
    record, _title, rest = _report()
    text = "2021年政府信息公开工作年度报告\n" + rest + "\n青山县交通运输局\n2022年1月20日\n"
    got = parse_text(text)
    assert got["agency"] == "青山县交通运输局"
    assert got["year"] == 2021
    assert got["published"] == "2022-01-20"


def test_publisher_field_when_nothing_else_names_the_agency() -> None:
    record, _title, rest = _report()
    rest = "\n".join(line for line in rest.split("\n") if line.strip() != "青山县公安局")  # no signature
    text = "发布机构：青山县水利局 发布日期：2022-01-25\n2021年政府信息公开工作年度报告\n" + rest
    got = parse_text(text)
    assert got["agency"] == "青山县水利局"
    assert got["published"] == "2022-01-25"
