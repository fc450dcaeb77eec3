"""The prose's figures against the tables (`text_vs_table`), and legacy records filled from
the prose.

`text_vs_table` is a soft check: a published report whose prose says 0 applications while
its table says 3 is flagged with the sentence, but no value is ever changed. A figure whose
table cell is null is not evaluated (the cell is named).
"""

from __future__ import annotations

from harvester.parser.checks import entry
from harvester.parser.prose import FEES, LITIGATION, TABLE_SUMS
from harvester.parser.template import APPLICANT_COLUMNS, RESULT_COLUMNS, REVIEW_GROUPS
from harvester.parser.types import Cell, Check, ProseComparison, ProseFigure, Record, Row

RULE = "text_vs_table"
# 2019 names section 二's first column 本年新制作数量 (made), 2021 本年制发件数 (issued).
ERA_FIELDS = {"2019": {".issued": ".made"}}


def _cell(record: Record, field: str) -> tuple[bool, Cell]:
    """(the table has this cell's row, its value)."""
    section, row, col = field.split(".")
    table = record.get(section)
    if not isinstance(table, dict) or row not in table:
        return False, None
    value = table[row].get(col)
    return True, value if isinstance(value, int | float) else None


def table_value(record: Record, field: str) -> tuple[bool, Cell, list[str]]:
    """(the table covers the field, its value or None, the null cells it depends on)."""
    parts = TABLE_SUMS.get(field, (field,))
    values: list[Cell] = []
    missing: list[str] = []
    present = False
    for part in parts:
        has, value = _cell(record, part)
        present = present or has
        values.append(value)
        if value is None:
            missing.append(part)
    if missing:
        return present, None, missing
    return present, sum(v for v in values if v is not None), []


def _era_field(field: str, era: str | None) -> str:
    for old, new in ERA_FIELDS.get(era or "", {}).items():
        if field.endswith(old):
            return field[: -len(old)] + new
    return field


def text_vs_table(record: Record, figures: list[ProseFigure]) -> Check | None:
    """The soft check, or None when the prose states no figure the tables hold."""
    bad: list[str] = []
    missing: list[str] = []
    compared: list[ProseComparison] = []
    for figure in figures:
        if figure["field"] == FEES:
            continue
        field = _era_field(figure["field"], record.get("era"))
        present, value, nulls = table_value(record, field)
        if not present:
            continue
        compared.append(
            {
                "field": field,
                "prose": figure["value"],
                "table": value,
                "sentence": figure["sentence"],
            }
        )
        if nulls:
            missing.extend(nulls)
        elif value != figure["value"]:
            bad.append(
                f"{field}: the text says {figure['value']}, the table {value} "
                f"(«{figure['sentence']}»)"
            )
    if not compared:
        return None
    evaluated = sum(1 for c in compared if c["table"] is not None)
    check = entry(RULE, evaluated, bad, missing, severity="soft")
    check["detail"]["comparisons"] = compared
    return check


def legacy_tables(figures: list[ProseFigure]) -> tuple[Record, list[str], list[str]]:
    """(applications and review_litigation of a legacy report from its prose, the fields
    filled, warnings). Only the stated cells are filled; the rest stay null. A field stated
    twice with different numbers stays null with a warning."""
    values: dict[str, set[float]] = {}
    for figure in figures:
        values.setdefault(figure["field"], set()).add(figure["value"])
    warnings: list[str] = []
    chosen: dict[str, Cell] = {}
    for field, found in values.items():
        if len(found) == 1:
            chosen[field] = next(iter(found))
        else:
            shown = ", ".join(str(v) for v in sorted(found))
            warnings.append(f"prose: {field} stated as {shown}; left null")
    lawsuits = chosen.pop(LITIGATION, None)
    if lawsuits == 0:  # none at all: none of either kind
        chosen["review_litigation.litigation_direct.total"] = 0
        chosen["review_litigation.litigation_after_review.total"] = 0
    elif lawsuits is not None:
        warnings.append(
            f"prose: {lawsuits} lawsuit(s) stated without saying whether after a review; "
            "litigation cells left null"
        )
    chosen.pop(FEES, None)  # no table field: kept in prose_figures only
    tables: Record = {}
    filled: list[str] = []
    for field, value in chosen.items():
        if value is None:
            continue
        section, row, col = field.split(".")
        if field in TABLE_SUMS or section not in ("applications", "review_litigation"):
            continue
        columns = APPLICANT_COLUMNS if section == "applications" else RESULT_COLUMNS
        rows: dict[str, Row] = tables.setdefault(section, {})
        rows.setdefault(row, dict.fromkeys(columns))[col] = value
        filled.append(field)
    if "review_litigation" in tables:
        for group in REVIEW_GROUPS:
            tables["review_litigation"].setdefault(group, dict.fromkeys(RESULT_COLUMNS))
    return tables, sorted(filled), warnings
