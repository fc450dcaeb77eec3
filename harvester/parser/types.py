"""The shapes the parser passes around and returns (docs/record-schema.md is the contract).

A record is JSON-shaped and open (sections a report lacks are absent), so it stays a
`Record` mapping; its parts whose shape is fixed are typed here.
"""

from __future__ import annotations

from typing import Any, TypedDict

Number = int | float
Cell = Number | None  # a count as printed; None = blank or unreadable, never 0
Row = dict[str, Cell]  # one table row: column key → cell
Table = dict[str, Row]  # row key → row (sections 三 and 四)
ProactiveRow = dict[str, Number | str | None]  # section 二 rows also carry amount_raw (text)
Proactive = dict[str, ProactiveRow]
Record = dict[str, Any]  # the exported record (record.schema.json)


class Context(TypedDict, total=False):
    """What the caller already knows about a report; it wins over what the text says."""

    county: str | None
    adcode: str | None
    url: str | None
    documents: list[dict[str, Any]] | None
    agency: str | None
    title: str | None
    published: str | None


class CheckDetail(TypedDict, total=False):
    evaluated: int
    violations: list[str]
    missing: list[str]
    # text_vs_table only: the figures compared
    comparisons: list[ProseComparison]


class Check(TypedDict):
    rule: str
    ok: bool
    status: str  # "ok" | "failed" | "not_evaluated"
    severity: str  # "hard" (the template's arithmetic) | "soft" (text_vs_table)
    message: str
    detail: CheckDetail


class ProseFigure(TypedDict):
    """A figure the prose states: the record field it is about, the number, the sentence."""

    field: str  # e.g. applications.received.total; see prose.TABLE_SUMS for virtual fields
    value: Number
    sentence: str


class ProseComparison(TypedDict):
    field: str  # e.g. applications.received.total
    prose: Number
    table: Cell
    sentence: str


class SectionCompleteness(TypedDict):
    read: int
    expected: int
    ratio: float
