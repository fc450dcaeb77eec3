"""Sections 二, 三 and 四 read from a token stream into the record's keys."""

from __future__ import annotations

import re
from typing import Any

from harvester.parser.align import align
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
from harvester.parser.values import clean, parse_money, parse_number
from harvester.parser.walk import cell_texts, find_label, label_matches, trim, values_after

Span = tuple[int, int]


def read_proactive(tokens: list[Token], span: Span, era: str) -> tuple[dict[str, Any] | None, list[str]]:
    items = T2_ITEMS[era]
    stops = tuple(p for it in items for p in it.patterns) + (r"第二十条",)
    start, end = span
    out: dict[str, Any] = {}
    warnings: list[str] = []
    found = 0
    pos = start
    for item in items:
        i, cells, nxt = _read_row(tokens, pos, end, item.patterns, len(item.columns), stops)
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
    tokens: list[Token], pos: int, end: int, patterns: tuple[str, ...], expected: int, stops: tuple[str, ...]
) -> tuple[int | None, list[Token], int]:
    """(label index, cells, next index) of the first occurrence of a row label that is
    followed by cells; a mention without cells (prose, a heading) is passed over."""
    own = tuple(p for p in stops if p not in patterns)
    first: tuple[int | None, list[Token], int] = (None, [], pos)
    start = pos
    while True:
        i = find_label(tokens, start, end, patterns)
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
            m = re.search(r"(亿元|万元|元)", clean(t.text))
            if m:
                return m.group(1)
    return None


def _proactive_row(
    columns: tuple[str, ...], texts: list[str], unit: str | None, warnings: list[str], key: str
) -> dict[str, Any]:
    texts = (list(texts) + [""] * len(columns))[: len(columns)]
    row: dict[str, Any] = {}
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


def read_applications(
    tokens: list[Token], span: Span, era: str
) -> tuple[dict[str, Any] | None, list[str], int]:
    """(section 三 rows, warnings, index after the last row read)."""
    specs = T3_ROWS[era]
    stops = tuple(p for s in specs for p in s.patterns)
    start, end = span
    raw: dict[str, list[Any]] = {}
    warnings: list[str] = []
    pos = start
    found = 0
    runs: dict[str, str] = {}
    for spec in specs:
        i, cells, nxt = _read_row(tokens, pos, end, spec.patterns, len(APPLICANT_COLUMNS), stops)
        if i is None:
            warnings.append(f"section 三: row {spec.label} not found; its cells are null")
            raw[spec.key] = [None] * len(APPLICANT_COLUMNS)
            continue
        if cells:
            found += 1
        texts = cell_texts(cells)
        if is_run(texts):
            runs[spec.key] = texts[0]
        raw[spec.key] = [parse_number(t) for t in texts]
        pos = nxt
    if not found:
        return None, [], start
    if runs:
        raw, run_warnings = resolve(raw, runs)
        warnings += run_warnings
    rows, align_warnings = align(raw)
    out = {k: dict(zip(APPLICANT_COLUMNS, v, strict=True)) for k, v in rows.items()}
    return out, warnings + align_warnings, pos


def read_review(tokens: list[Token], span: Span) -> tuple[dict[str, Any] | None, list[str]]:
    start, end = span
    cells: list[Token] = []
    seen_header = False
    for t in tokens[start:end]:
        if t.kind == "text":
            if any(c.kind == "value" for c in cells):
                break
            if any(w in clean(t.text) for w in T4_HEADER_WORDS):
                seen_header = True
            cells = []
        elif t.kind in ("value", "blank") and seen_header:
            cells.append(t)
    width = len(REVIEW_GROUPS) * len(RESULT_COLUMNS)
    cells = trim(cells, width)
    n_values = sum(1 for c in cells if c.kind == "value")
    if n_values == 0:
        return None, []
    if n_values < len(RESULT_COLUMNS):
        return None, [f"section 四: only {n_values} number(s) {cell_texts(cells)} where a table of {width} is expected; not read as the table"]
    warnings = []
    texts = cell_texts(cells)
    if len(texts) != width:
        warnings.append(
            f"section 四: {len(texts)} cells {texts} where {width} are expected; read left to right"
        )
    texts = (texts + [""] * width)[:width]
    out = {}
    for g, group in enumerate(REVIEW_GROUPS):
        part = texts[g * 5 : g * 5 + 5]
        out[group] = {col: parse_number(v) for col, v in zip(RESULT_COLUMNS, part, strict=True)}
    return out, warnings


def fallback_four(tokens: list[Token], after: int) -> Span | None:
    for i in range(after, len(tokens)):
        if label_matches(tokens[i], (r"结果维持", r"^行政复议$")):
            return (max(after, i - 1), len(tokens))
    return None
