"""Walking the token stream: find each template row by its label, in order, and read the
values that follow it."""

from __future__ import annotations

import re
from functools import lru_cache
from operator import attrgetter

from harvester.parser.tokens import END, Token

MAX_LABEL = 80
MAX_SKIP = 14  # tokens of text between a label and its first value (PDF label fragments)
MAX_ENDS = 30  # line or row ends between a label and its first value
_GRID = attrgetter("grid")
_KIND = attrgetter("kind")
_ROW_END = (END, "text")  # what ends a row once its values were read
_VALUES = [["value"] * n for n in range(64)]


@lru_cache(maxsize=256)
def any_of(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One expression that matches where any of `patterns` does."""
    if not patterns:
        return re.compile("(?!)")  # matches nowhere
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def label_matches(token: Token, patterns: tuple[str, ...]) -> bool:
    if token.kind != "text":
        return False
    c = token.key
    return len(c) <= MAX_LABEL and any_of(patterns).search(c) is not None


def find_label(tokens: list[Token], start: int, end: int, rx: re.Pattern[str]) -> int | None:
    """The index of the first text token in [start, end) that `rx` finds a label in."""
    for i in range(start, end):
        t = tokens[i]
        if t.kind == "text" and len(t.key) <= MAX_LABEL and rx.search(t.key):
            return i
    return None


def values_after(
    tokens: list[Token], i: int, end: int, expected: int, stops: re.Pattern[str]
) -> tuple[list[Token], int]:
    """The value and blank cells of the row whose label is tokens[i]; (cells, next index).

    Text before the first value is skipped (label fragments, group labels); the row ends at
    the end of its line or row once a value was read, at text after the values, or at the
    label of another row.
    """
    k = i + 1 + expected
    if 0 < expected < len(_VALUES) and k <= end and (k == end or tokens[k].kind in _ROW_END):
        row = tokens[i + 1 : k]  # the common row: exactly `expected` values, then its end
        if list(map(_KIND, row)) == _VALUES[expected]:
            return row, k
    cells: list[Token] = []
    append = cells.append
    started = False
    skipped = ends = 0
    for j in range(i + 1, end):
        t = tokens[j]
        kind = t.kind
        if kind == "value":
            started = True
            append(t)
        elif kind == "blank":
            append(t)
        elif kind == END:
            if started or (cells and len(cells) >= expected):
                return cells, j
            ends += 1
            if ends > MAX_ENDS:
                return cells, j
        else:  # text
            if started or (len(t.key) <= MAX_LABEL and stops.search(t.key)):
                return cells, j
            skipped += 1
            if skipped > MAX_SKIP:
                return cells, j
    return cells, max(end, i + 1)


def trim(cells: list[Token], expected: int) -> list[Token]:
    """Drop blanks at the row's ends that are label spans or trailing artefacts.

    In a grid a row that has the expected number of cells is kept as is (its blanks are
    blank cells); in text a blank at either end cannot be placed and is dropped.
    """
    if not cells or (cells[0].kind != "blank" and cells[-1].kind != "blank"):
        return list(cells)  # no blank at either end: nothing to drop (most rows)
    out = list(cells)
    grid = all(map(_GRID, out))
    if grid and len(out) == expected:
        return out
    while out and out[0].kind == "blank" and out[0].span and len(out) > expected:
        out.pop(0)
    while out and out[-1].kind == "blank" and out[-1].span and len(out) > expected:
        out.pop()
    if grid and len(out) == expected:
        return out
    while out and out[0].kind == "blank":
        out.pop(0)
    while out and out[-1].kind == "blank":
        out.pop()
    return out


def cell_texts(cells: list[Token]) -> list[str]:
    return [c.text if c.kind == "value" else "" for c in cells]
