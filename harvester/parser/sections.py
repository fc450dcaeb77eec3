"""Sections 二, 三 and 四 read from a token stream into the record's keys."""

from __future__ import annotations

import re
from functools import lru_cache
from operator import attrgetter

from harvester.parser.align import align
from harvester.parser.checks import Rows
from harvester.parser.runsplit import is_run, resolve
from harvester.parser.template import (
    APPLICANT_COLUMNS,
    RESULT_COLUMNS,
    REVIEW_GROUPS,
    T2_ITEMS,
    T3_ROWS,
    T4_HEADER_WORDS,
)
from harvester.parser.tokens import Token
from harvester.parser.types import Cell, Proactive, ProactiveRow, Table
from harvester.parser.values import COUNTS, parse_money, parse_number
from harvester.parser.walk import (
    any_of,
    cell_texts,
    find_label,
    label_matches,
    trim,
    values_after,
)

Span = tuple[int, int]
_TEXT = attrgetter("text")


Expressions = tuple[re.Pattern[str], re.Pattern[str]]  # a row's label, the labels ending it


@lru_cache(maxsize=8)
def _expressions(era: str, section: str) -> tuple[Expressions, ...]:
    """Per row of the section, in template order: its label expression and the expression
    of the labels that end it (the other rows'), compiled once per template."""
    if section == "two":
        rows = [it.patterns for it in T2_ITEMS[era]]
        stops = tuple(p for ps in rows for p in ps) + (r"第二十条",)
    else:
        rows = [s.patterns for s in T3_ROWS[era]]
        stops = tuple(p for ps in rows for p in ps)
    return tuple((any_of(ps), any_of(tuple(p for p in stops if p not in ps))) for ps in rows)


def read_proactive(tokens: list[Token], span: Span, era: str) -> tuple[Proactive | None, list[str]]:
    items = T2_ITEMS[era]
    expressions = _expressions(era, "two")
    start, end = span
    out: Proactive = {}
    warnings: list[str] = []
    found = 0
    pos = start
    for item, (label, stop) in zip(items, expressions, strict=True):
        i, cells, nxt = _read_row(tokens, pos, end, label, len(item.columns), stop)
        if i is None:
            out[item.key] = _proactive_row(item.columns, [], None, warnings, item.key)
            warnings.append(f"section 二: row {item.label} not found; its cells are null")
            continue
        if cells:
            found += 1
        unit = _header_unit(tokens, pos, i) if item.key == "procurement" else None
        texts = cell_texts(cells)
        if len(texts) != len(item.columns) and texts:
            warnings.append(
                f"section 二 row {item.label}: {len(texts)} cells {texts} where {len(item.columns)} "
                "are expected; read left to right"
            )
        out[item.key] = _proactive_row(item.columns, texts, unit, warnings, item.key)
        pos = nxt
    return (out if found else None), warnings


def _read_row(
    tokens: list[Token],
    pos: int,
    end: int,
    label: re.Pattern[str],
    expected: int,
    own: re.Pattern[str],
) -> tuple[int | None, list[Token], int]:
    """(label index, cells, next index) of the first occurrence of a row label that is
    followed by cells (up to a label `own` finds); a mention without cells (prose, a
    heading) is passed over."""
    first: tuple[int | None, list[Token], int] = (None, [], pos)
    start = pos
    while True:
        i = find_label(tokens, start, end, label)
        if i is None:
            return first
        cells, nxt = values_after(tokens, i, end, expected, own)
        cells = trim(cells, expected)
        if cells:
            return i, cells, nxt
        if first[0] is None:
            first = (i, [], nxt)
        start = i + 1


def _header_unit(tokens: list[Token], start: int, end: int) -> str | None:
    for t in tokens[start:end]:
        if t.kind == "text" and "金额" in t.text:
            m = re.search(r"(亿元|万元|元)", t.key)
            if m:
                return m.group(1)
    return None


def _proactive_row(
    columns: tuple[str, ...], texts: list[str], unit: str | None, warnings: list[str], key: str
) -> ProactiveRow:
    texts = (list(texts) + [""] * len(columns))[: len(columns)]
    row: ProactiveRow = {}
    for col, text in zip(columns, texts, strict=True):
        if col == "amount":
            raw, yuan, note = parse_money(text, unit)
            row["amount_raw"] = raw
            row["amount_yuan"] = yuan
            if note:
                warnings.append(f"section 二 {key}: {note}")
        else:
            row[col] = parse_number(text)
    return row


def _numbers(cells: list[Token]) -> list[Cell]:
    """The numbers of a row's value cells (a blank cell: None)."""
    counts = list(map(COUNTS.get, map(str.strip, map(_TEXT, cells))))
    if None not in counts:  # small counts only, maybe padded (most rows): what the loop gives
        return counts  # (and every cell a value: a blank's text is never a count)
    return [
        int(t)
        if t.isdigit() and t.isascii()
        else int(bare)  # a padded count: parse_number would give the same
        if (bare := t.strip()).isdigit() and bare.isascii()
        else parse_number(t)
        if t
        else None
        for t in cell_texts(cells)
    ]


def read_applications(
    tokens: list[Token], span: Span, era: str
) -> tuple[Table | None, list[str], int]:
    """(section 三 rows, warnings, index after the last row read)."""
    specs = T3_ROWS[era]
    expressions = _expressions(era, "three")
    start, end = span
    raw: Rows = {}
    warnings: list[str] = []
    pos = start
    found = 0
    runs: dict[str, str] = {}
    for spec, (label, stop) in zip(specs, expressions, strict=True):
        i, cells, nxt = _read_row(tokens, pos, end, label, len(APPLICANT_COLUMNS), stop)
        if i is None:
            warnings.append(f"section 三: row {spec.label} not found; its cells are null")
            raw[spec.key] = [None] * len(APPLICANT_COLUMNS)
            continue
        if cells:
            found += 1
        if len(cells) == 1 and is_run(texts := cell_texts(cells)):
            runs[spec.key] = texts[0]
        raw[spec.key] = _numbers(cells)
        pos = nxt
    if not found:
        return None, [], start
    if runs:
        raw, run_warnings = resolve(raw, runs)
        warnings += run_warnings
    rows, align_warnings = align(raw)
    out = {k: dict(zip(APPLICANT_COLUMNS, v, strict=True)) for k, v in rows.items()}
    return out, warnings + align_warnings, pos


def read_review(tokens: list[Token], span: Span) -> tuple[Table | None, list[str]]:
    start, end = span
    cells: list[Token] = []
    has_value = False  # a value among `cells`
    seen_header = False
    for t in tokens[start:end]:
        kind = t.kind
        if kind == "text":
            if has_value:
                break
            if not seen_header and any(w in t.key for w in T4_HEADER_WORDS):
                seen_header = True
            cells = []
        elif seen_header and (kind == "value" or kind == "blank"):
            cells.append(t)
            has_value = has_value or kind == "value"
    width = len(REVIEW_GROUPS) * len(RESULT_COLUMNS)
    cells = trim(cells, width)
    n_values = sum(1 for c in cells if c.kind == "value")
    if n_values == 0:
        return None, []
    if n_values < len(RESULT_COLUMNS):
        return None, [
            f"section 四: only {n_values} number(s) {cell_texts(cells)} where a table of {width} is expected; not read as the table"
        ]
    warnings = []
    texts = cell_texts(cells)
    if len(texts) != width:
        warnings.append(
            f"section 四: {len(texts)} cells {texts} where {width} are expected; read left to right"
        )
    texts = (texts + [""] * width)[:width]
    out: Table = {}
    for g, group in enumerate(REVIEW_GROUPS):
        part = texts[g * 5 : g * 5 + 5]
        out[group] = {col: parse_number(v) for col, v in zip(RESULT_COLUMNS, part, strict=True)}
    return out, warnings


def fallback_four(tokens: list[Token], after: int) -> Span | None:
    for i in range(after, len(tokens)):
        if label_matches(tokens[i], (r"结果维持", r"^行政复议$")):
            return (max(after, i - 1), len(tokens))
    return None
