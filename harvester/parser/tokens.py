"""Readers: every serialisation of a report becomes one stream of tokens.

A token is a piece of text (a label, a heading, a prose line), a value (a number or an
amount), a blank cell, or the end of a row. Readers exist for Document grids (merged
cells included) and for plain text in the shapes real reports take: one cell per line
(rows separated by blank lines), tab-separated rows, pipe rows, and PDF text where a row
is one line ending in numbers. Word artefacts and page-number lines are dropped.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from harvester.document import Document, Table
from harvester.parser.values import (
    BLANK_MARKS,
    FullWidth,
    clean,
    clean_within,
    full_width_in,
    is_value,
    value_text,
)

_NOISE = re.compile(r"\[(bookmark|image|footnote|comment)[^\]]*\]", re.IGNORECASE)
_PAGE_NUMBER = re.compile(
    r"^\s*([-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,3}\s*页(\s*[，,/]?\s*共\s*\d{1,3}\s*页)?|\d{1,3}\s*/\s*\d{1,3})\s*$"
)
_PAGE_NUMBER_MAX = 40  # a page-number line is short
_PAGE_HINT = re.compile("[/页\\-—–－]")  # and holds one of these, or _PAGE_NUMBER cannot match
_WS = re.compile(r"[ \u00a0\u2000-\u200b\u3000]+")


class Token:
    """A piece of text, a value, a blank cell or the end of a row (≈ 400 per report: a
    plain slotted class, built positionally, is the cheapest to make)."""

    __slots__ = ("kind", "text", "cell", "span", "grid", "key")

    def __init__(
        self,
        kind: str,  # "text" | "value" | "blank" | "end"
        text: str = "",
        cell: bool = False,  # a table cell, not free text (every value and blank is a cell)
        span: bool = False,  # the blank copy of a merged cell
        grid: bool = False,  # from a Document grid: the cell's column position is trustworthy
        key: str = "",  # a text token's text as labels are matched: clean(text)
    ) -> None:
        self.kind = kind
        self.text = text
        self.cell = cell
        self.span = span
        self.grid = grid
        self.key = key

    def __repr__(self) -> str:
        return f"Token({self.kind!r}, {self.text!r}, cell={self.cell}, span={self.span}, grid={self.grid})"


class Loose(NamedTuple):
    """The tokens outside table cells, in order — free text (kind "text") and row ends;
    every value and blank token is a cell — and their indices in the token list."""

    at: list[int]
    tokens: list[Token]


def loose_tokens(tokens: list[Token]) -> Loose:
    """The tokens that are no table cell: the one pass over every token that the readers
    of free text (metadata lines, headings, prose) share."""
    at = [i for i, t in enumerate(tokens) if not t.cell]
    return Loose(at, list(map(tokens.__getitem__, at)))


END = "end"
# One shared end-of-row token: tokens are never changed once made, except a grid cell's
# `grid` flag (set on cell tokens only), so every row can end with the same object.
END_TOKEN = Token(END)


def text_token(text: str, *, cell: bool = False) -> Token:
    return Token("text", text, cell, False, False, clean(text))


def cell_token(text: str, *, span: bool = False, wide: FullWidth | None = None) -> Token:
    """The token of a table cell; `wide`: full_width_in() of the text the cell is from,
    if known (clean_within is then clean, without the search for what it may change)."""
    if span:
        return Token("blank", "", True, True)
    if text.isdigit() and text.isascii():  # most cells: a plain count
        return Token("value", text, True)
    if not text:  # an empty cell (clean("") is a blank mark)
        return Token("blank", "", True)
    if text.isalpha():  # letters only (most labels): its own clean form, never a value
        return (
            Token("blank", text, True)
            if text in BLANK_MARKS
            else Token("text", text, True, False, False, text)
        )
    stripped = text.strip()
    if stripped.isdigit() and stripped.isascii():  # a count with white space around it
        return Token("value", text, True)  # (clean(text) would be `stripped`: a value)
    c = clean(text) if wide is None else clean_within(text, wide)
    if c in BLANK_MARKS:
        return Token("blank", text, True)
    first = c[0]  # (c is not empty: "" is a blank mark) a value starts with a digit or sign
    if (first.isdigit() or first in "+-") and value_text(c):
        return Token("value", text, True)
    return Token("text", stripped, True, False, False, c)  # clean() drops what strip() does


def grid_tokens(table: Table) -> list[Token]:
    """Tokens of a rectangular grid: merged copies are blank span tokens, rows end with END."""
    out: list[Token] = []
    for row in table.rows:
        for cell in row:
            token = cell_token(cell.text, span=cell.merged)
            token.grid = True
            out.append(token)
        out.append(END_TOKEN)
    return out


_GLUED = re.compile(r"^(.*[^\d\s.,，:：。+\-])([0-9]{2,})$")


def _unglue(parts: list[str]) -> list[str]:
    """A short label with its row's digits glued on (`（一）予以公开4290260564`) becomes the
    label and one digit string; the row reader splits the string by the table's arithmetic."""
    out: list[str] = []
    for part in parts:
        m = _GLUED.match(part) if len(part) > 2 and part[-1].isdigit() else None
        if m and len(m.group(1)) <= 60 and not re.search(r"\d", m.group(1)[-1]):
            out.extend((m.group(1), m.group(2)))
        else:
            out.append(part)
    return out


# The last character of any text is_value accepts (a digit, a unit, or white space clean drops).
_VALUE_LAST = frozenset("0123456789０１２３４５６７８９件条个项次家元万亿\ufeff\u200b")


def _may_be_value(part: str) -> bool:
    return bool(part) and part[-1] in _VALUE_LAST and is_value(part)


def _ws_split(text: str) -> list[str]:
    """_WS.split(text), without the regular expression (slow on Chinese text) when the text
    holds no white space at all (most lines)."""
    if (
        len(text.split(None, 1)) == 1  # no white space inside the text: none at its ends?
        and text[0].strip()
        and text[-1].strip()
        and "\u200b" not in text  # the one character of _WS that is not white space
    ):
        return [text]
    return _WS.split(text)


_LINE_SPACE = " \t\u00a0\u3000"  # stripped from a free line's ends


def _free_line(line: str, wide: FullWidth) -> list[Token]:
    """A line that is not a table row of a known shape: prose, a heading or a PDF row."""
    stripped = line.strip(_LINE_SPACE)
    if not stripped:
        return [END_TOKEN]
    if stripped[-1] not in _VALUE_LAST:  # prose, a heading: its last piece is no value
        return [
            Token("text", stripped, False, False, False, clean_within(stripped, wide)),
            END_TOKEN,
        ]
    parts = _unglue(_ws_split(stripped))
    n_values = 0
    while n_values < len(parts) and _may_be_value(parts[len(parts) - 1 - n_values]):
        n_values += 1
    if n_values == len(parts) or (n_values and len(parts) - n_values >= 1):
        label = " ".join(parts[: len(parts) - n_values])
        values = parts[len(parts) - n_values :]
        if n_values and _looks_like_row(label, values):
            out = [text_token(label)] if label else []
            out.extend(Token("value", v, True) for v in values)
            out.append(END_TOKEN)
            return out
    return [text_token(stripped), END_TOKEN]


def _looks_like_row(label: str, values: list[str]) -> bool:
    """A PDF row: a short label (or none) followed by numbers, not a sentence ending in one."""
    if not label:
        return True
    return len(clean(label)) <= 60 and not label.rstrip().endswith(("：", ":", "，", ","))


ONE_LINE_MIN = 300  # a free line this long holding table labels is a whole flattened body


def _one_line_body(line: str, wide: FullWidth) -> list[Token] | None:
    """A report body flattened onto one line (web-archive page texts, browser copy-paste):
    every space-separated piece becomes its own token, so headings, row labels and cells
    are found by their labels and order instead of by line starts. `wide`: full_width_in()
    of the text."""
    if len(line) < ONE_LINE_MIN or not any(map(line.__contains__, _ONE_LINE_MARKS)):
        return None
    out: list[Token] = []
    for part in _unglue(_ws_split(line.replace("|", " ").strip(" \t\u00a0\u3000"))):
        if not part:
            continue
        # is_blank_mark, is_value and text_token, with clean(part) made once, as clean_within
        plain = part.isdigit() and part.isascii()
        c = part if plain else clean_within(part, wide)
        if not plain and c in BLANK_MARKS and part.strip():
            out.append(Token("blank", part, True))
        elif plain or value_text(c):
            out.append(Token("value", part, True))
        else:
            out.append(Token("text", part, False, False, False, c))
    out.append(END_TOKEN)
    return out


_ONE_LINE_MARKS = ("第二十条", "本年新收", "行政复议", "主动公开")  # (str `in`: no regex scan)


def _pipe_cells(line: str) -> list[str]:
    cells = line.split("|")
    if cells and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip():
        cells = cells[:-1]
    return cells


def text_tokens(text: str) -> list[Token]:
    """Tokens of plain text in any of the shapes above (the shape is decided per line).

    Lines are read once each; a one-cell or blank line seen before in the same text, and a
    cell of a tab or pipe row seen before, give the same token object (tokens of text are
    never changed), so repeated cells (`0`, `—`) cost one dictionary look-up. Nothing is
    kept between calls."""
    out: list[Token] = []
    append = out.append
    extend = out.extend
    seen: dict[str, Token | None] = {}  # one-cell or blank line → its token (None: a page number)
    cells: dict[str, Token] = {}  # a cell of a tab or pipe row → its token
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    wide = full_width_in(text)  # (a line holds no full-width character the text lacks)
    # whether the text holds a tab, a pipe, a `[` at all: when not, no line is searched for one
    tab, pipe, noise = "\t" in text, "|" in text, "[" in text
    for raw in text.split("\n"):
        if raw in seen:
            token = seen[raw]
            if token is not None:
                append(token)
            continue
        line = _NOISE.sub("", raw) if noise and "[" in raw else raw
        tabs = line.count("\t") if tab and "\t" in line else 0  # (`in` is the faster test)
        if tabs == 1 and line[0] == "\t":  # one cell per line
            cell = line[1:]
            if cell.isdigit() and cell.isascii():  # a plain count, most lines
                token = Token("value", cell, True)
            else:
                token = cell_token(cell, wide=wide)
                if (  # a page number (always a text token, and its key holds a digit)
                    token.kind == "text"
                    and len(line) <= _PAGE_NUMBER_MAX
                    and not token.key.isalpha()
                    and _PAGE_HINT.search(line)
                    and _PAGE_NUMBER.match(line)
                ):
                    token = None
            seen[raw] = token
            if token is not None:
                append(token)
            continue
        n = len(line)
        if n <= _PAGE_NUMBER_MAX and _PAGE_HINT.search(line) and _PAGE_NUMBER.match(line):
            continue
        if tabs:
            for c in line.split("\t"):
                token = cells.get(c)
                if token is None:
                    token = cells[c] = cell_token(c, wide=wide)
                append(token)
            append(END_TOKEN)
        elif not n or line.isspace():
            seen[raw] = END_TOKEN
            append(END_TOKEN)
        elif n >= ONE_LINE_MIN and (one_line := _one_line_body(line, wide)):
            extend(one_line)
        elif pipe and line.count("|") >= 2:
            for c in _pipe_cells(line):
                token = cells.get(c)
                if token is None:
                    token = cells[c] = cell_token(c, wide=wide)
                append(token)
            append(END_TOKEN)
        else:  # a free line; prose or a heading (its last character no value's) read here
            stripped = line.strip(_LINE_SPACE)  # (what _free_line would do, without its call)
            if stripped and stripped[-1] not in _VALUE_LAST:
                append(Token("text", stripped, False, False, False, clean_within(stripped, wide)))
                append(END_TOKEN)
            else:
                extend(_free_line(line, wide))
    return out


def document_tokens(doc: Document) -> list[Token]:
    out: list[Token] = []
    for block in doc.blocks:
        if block.kind == "table" and block.table is not None:
            out.append(END_TOKEN)
            out.extend(grid_tokens(block.table))
        else:  # a paragraph may itself hold text-table lines: no END of its own
            out.extend(text_tokens(block.text))
    return out
