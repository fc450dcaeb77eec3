"""A record's sections 二, 三 and 四 laid out as the template prints them.

Each section becomes a grid: header rows of labels and body rows of cells. A value cell
carries its path (`applications.received.total`, as in the record and the flat export),
the value as shown (blank stays blank, never 0) and the messages of the checks that
fail on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harvester.parser.template import (
    APPLICANT_COLUMNS,
    RESULT_COLUMNS,
    REVIEW_GROUPS,
    T2_ITEMS,
    T3_GROUPS,
    T3_ROWS,
    T4_HEADERS,
)
from harvester.parser.types import Check, Record

APPLICANT_ORGS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
REVIEW_TITLES = {
    "review": "行政复议",
    "litigation_direct": "未经复议直接起诉",
    "litigation_after_review": "复议后起诉",
}


@dataclass
class Cell:
    """A label (`path` None) or a value cell of a grid."""

    text: str = ""
    path: str | None = None
    colspan: int = 1
    rowspan: int = 1
    header: bool = False
    blank: bool = False
    note: str | None = None  # e.g. the amount in yuan behind an amount as printed
    fails: list[str] = field(default_factory=list)


@dataclass
class Grid:
    section: str  # 二, 三, 四
    title: str
    head: list[list[Cell]] = field(default_factory=list)
    body: list[list[Cell]] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # record rows the template does not print


def show(value: Any) -> str:
    """A value as a reader expects it: 12, 3.5, blank for null."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_failures(checks: list[Check]) -> dict[str, list[str]]:
    """{cell path: messages of the failing checks that name it}."""
    out: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        out.setdefault(path, []).append(message)

    for check in checks:
        if check.get("ok", True):
            continue
        rule = str(check.get("rule"))
        violations = (check.get("detail") or {}).get("violations") or [check.get("message", "")]
        for violation in violations:
            head, _, _ = str(violation).partition(":")
            message = f"{rule}: {violation}"
            if rule == "t3_balance":
                for row in ("received", "carried_over", "handled_total", "carried_forward"):
                    add(f"applications.{row}.{head}", message)
            elif rule == "t3_handled_sum":
                add(f"applications.handled_total.{head}", message)
            elif rule == "t3_row_sum":
                add(f"applications.{head}.total", message)
            elif rule.startswith("t4_sum_"):
                add(f"review_litigation.{rule.removeprefix('t4_sum_')}.total", message)
            elif rule == "non_negative":
                add(str(violation).partition(" = ")[0], message)
            elif rule == "carryover_matches_previous_year":
                add(f"applications.carried_over.{head}", message)
    return out


def _value(path: str, value: Any, fails: dict[str, list[str]], note: str | None = None) -> Cell:
    return Cell(
        text=show(value), path=path, blank=value is None, note=note, fails=fails.get(path, [])
    )


def _template(record: Record) -> str:
    """The template to lay the tables out with: the era, else the one the keys fit."""
    if record.get("era") in ("2019", "2021"):
        return str(record["era"])
    apps = record.get("applications") or {}
    rules = (record.get("proactive") or {}).get("rules") or {}
    if {"other_no_correction", "other_unpaid_fee", "other_misc"} & set(apps) or "issued" in rules:
        return "2021"
    return "2019"


def proactive_grid(record: Record, template: str, fails: dict[str, list[str]]) -> Grid:
    data = record.get("proactive") or {}
    grid = Grid("二", "二、主动公开政府信息情况")
    width = max(len(item.columns) for item in T2_ITEMS[template]) + 1
    shown: set[str] = set()
    group = None
    for item in T2_ITEMS[template]:
        if item.item != group:
            group = item.item
            grid.body.append([Cell(item.item, colspan=width, header=True)])
            headers = [Cell("信息内容", header=True)] + [Cell(h, header=True) for h in item.headers]
            headers += [Cell("", header=True) for _ in range(width - len(headers))]
            grid.body.append(headers)
        row_data = data.get(item.key) or {}
        shown.add(item.key)
        row = [Cell(item.label, header=True)]
        for column in item.columns:
            path = f"proactive.{item.key}.{column}"
            if column == "amount":
                yuan = row_data.get("amount_yuan")
                note = f"{show(yuan)} 元" if yuan is not None else "unit not printed"
                row.append(
                    _value(
                        f"proactive.{item.key}.amount_raw", row_data.get("amount_raw"), fails, note
                    )
                )
            else:
                row.append(_value(path, row_data.get(column), fails))
        row += [Cell("") for _ in range(width - len(row))]
        grid.body.append(row)
    grid.extra = [f"proactive.{k}" for k in data if k not in shown]
    return grid


def applications_grid(record: Record, template: str, fails: dict[str, list[str]]) -> Grid:
    data = record.get("applications") or {}
    grid = Grid("三", "三、收到和处理政府信息公开申请情况")
    grid.head = [
        [Cell("", header=True, rowspan=3), Cell("申请人情况", header=True, colspan=7)],
        [
            Cell("自然人", header=True, rowspan=2),
            Cell("法人或其他组织", header=True, colspan=5),
            Cell("总计", header=True, rowspan=2),
        ],
        [Cell(label, header=True) for label in APPLICANT_ORGS],
    ]
    starts = {first: label for label, (first, _last) in T3_GROUPS.items()}
    shown: set[str] = set()
    for spec in T3_ROWS[template]:
        if spec.key in starts:
            grid.body.append([Cell(starts[spec.key], header=True, colspan=8)])
        row_data = data.get(spec.key) or {}
        shown.add(spec.key)
        grid.body.append(
            [Cell(spec.label, header=True)]
            + [
                _value(f"applications.{spec.key}.{c}", row_data.get(c), fails)
                for c in APPLICANT_COLUMNS
            ]
        )
    for key in data:
        if key not in shown:
            grid.extra.append(f"applications.{key}")
            row_data = data.get(key) or {}
            grid.body.append(
                [Cell(key, header=True)]
                + [
                    _value(f"applications.{key}.{c}", row_data.get(c), fails)
                    for c in APPLICANT_COLUMNS
                ]
            )
    return grid


def review_grid(record: Record, fails: dict[str, list[str]]) -> Grid:
    data = record.get("review_litigation") or {}
    n = len(RESULT_COLUMNS)
    grid = Grid("四", "四、政府信息公开行政复议、行政诉讼情况")
    grid.head = [
        [
            Cell("行政复议", header=True, colspan=n, rowspan=2),
            Cell("行政诉讼", header=True, colspan=2 * n),
        ],
        [Cell(REVIEW_TITLES[g], header=True, colspan=n) for g in REVIEW_GROUPS[1:]],
        [Cell(h, header=True) for _ in REVIEW_GROUPS for h in T4_HEADERS],
    ]
    grid.body.append(
        [
            _value(f"review_litigation.{g}.{c}", (data.get(g) or {}).get(c), fails)
            for g in REVIEW_GROUPS
            for c in RESULT_COLUMNS
        ]
    )
    grid.extra = [f"review_litigation.{k}" for k in data if k not in REVIEW_GROUPS]
    return grid


def record_grids(record: Record) -> list[Grid]:
    """The three sections of a record (a section the report lacks is left out)."""
    template = _template(record)
    fails = cell_failures(record.get("checks") or [])
    grids = []
    if record.get("proactive"):
        grids.append(proactive_grid(record, template, fails))
    if record.get("applications"):
        grids.append(applications_grid(record, template, fails))
    if record.get("review_litigation"):
        grids.append(review_grid(record, fails))
    return grids


def unplaced_failures(record: Record, grids: list[Grid]) -> list[str]:
    """Failing-check messages whose cell is not shown in any grid (so none is lost)."""
    shown = {c.path for g in grids for row in g.body for c in row if c.path}
    return [
        m
        for path, messages in cell_failures(record.get("checks") or []).items()
        if path not in shown
        for m in messages
    ]
