"""Cell values: counts, signed changes and money, read as printed (never rescaled silently)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

_FULLWIDTH = tuple(zip("０１２３４５６７８９＋－．，−﹢", "0123456789+-.,-+", strict=True))
_SPACES = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
_NUMBER = re.compile(r"^[+\-]?(\d+(\.\d+)?|\d{1,3}(,\d{3})+(\.\d+)?)$")
_COUNT_UNIT = re.compile(r"(?<=\d)(件|条|个|项|次|人次|家)$")
_MONEY = re.compile(r"^(\d+(?:\.\d+)?|\d{1,3}(?:,\d{3})+(?:\.\d+)?)(亿元|万元|元|亿|万)$")
# Cells that mean "nothing entered": read as blank (null), never as zero.
BLANK_MARKS = {"", "-", "—", "——", "–", "/", "／", "\\", "无", "空", "null", "/-"}
UNIT_FACTORS = {"亿元": 10**8, "亿": 10**8, "万元": 10**4, "万": 10**4, "元": 1}
# "0" … "999" → their number: most cells, read with one look-up (int() is several times slower)
COUNTS: dict[str, int] = {str(n): n for n in range(1000)}


# Anything clean() changes: white space (as str.split sees it), full-width digits and signs,
# zero-width characters. A short text without any is its own clean form (most labels); on
# long text a character-class search is slower than the steps it would spare.
_CHANGED_BY_CLEAN = re.compile("[\\s０-９＋－．，−﹢\u200b\ufeff]")
_SHORT = 40


@lru_cache(maxsize=16384)
def clean(text: str) -> str:
    """A cell's text without any whitespace, with full-width digits and signs made ASCII."""
    if text.isalpha():  # letters only: nothing to change (white space, digits and signs are none)
        return text
    if len(text) <= _SHORT:
        text = text.strip()  # (white space goes anyway)
        if not _CHANGED_BY_CLEAN.search(text):
            return text
    for wide, narrow in _FULLWIDTH:  # `in` per character: far faster than a regular
        if wide in text:  # expression (or translate()) on Chinese text
            text = text.replace(wide, narrow)
    text = "".join(text.split())  # every Unicode white space (\s, \u00a0, \u3000), in C
    if "\u200b" in text or "\ufeff" in text:  # not white space to str.split
        text = text.replace("\u200b", "").replace("\ufeff", "")
    return text


FullWidth = tuple[tuple[str, str], ...]


def full_width_in(text: str) -> FullWidth:
    """The (full-width, ASCII) pairs of the characters clean() replaces that `text` holds,
    and the zero-width characters it holds (as pairs with "")."""
    return tuple(pair for pair in _FULLWIDTH + _ZERO_WIDTH if pair[0] in text)


_ZERO_WIDTH = (("\u200b", ""), ("\ufeff", ""))


def clean_within(text: str, wide: FullWidth) -> str:
    """clean(text) for a piece of a longer text whose full_width_in() is `wide`: only
    those characters are looked for (most texts hold one or two of the eighteen)."""
    if text.isalpha():
        return text
    for full, ascii_ in wide:
        if full in text:
            text = text.replace(full, ascii_)
    return "".join(text.split())


def _strip_count_unit(c: str) -> str:
    """`24件` → `24`: a count printed with its unit."""
    return _COUNT_UNIT.sub("", c)


def _plain_count(text: str) -> bool:
    """The common case, decided without any regular expression: ASCII digits only."""
    return text.isdigit() and text.isascii()


_UNIT_LAST = frozenset("件条个项次家")
_VALUE_END = _UNIT_LAST | frozenset("元万亿")


def value_text(c: str) -> bool:
    """A cleaned cell text that is a number, an amount of money or a count with its unit
    (each starts with a digit or a sign: anything else is decided at its first character)."""
    if not c or not (c[0].isdigit() or c[0] in "+-"):
        return False
    last = c[-1]  # and each ends with a digit, a unit of money or a count's unit
    if not (last.isdigit() or last in _VALUE_END):
        return False
    if _NUMBER.match(c) or _MONEY.match(c):
        return True
    return c[-1] in _UNIT_LAST and bool(_NUMBER.match(_strip_count_unit(c)))


def is_blank_mark(text: str) -> bool:
    if _plain_count(text):
        return False
    return clean(text) in BLANK_MARKS


def is_value(text: str) -> bool:
    """True for a cell that holds a number or an amount of money."""
    return _plain_count(text) or value_text(clean(text))


def _to_number(text: str) -> int | float:
    d = Decimal(text.replace(",", ""))
    return int(d) if d == d.to_integral_value() else float(d)


_SIGNS = ("+", "-")


def parse_number(text: str) -> int | float | None:
    """The number in a cell (`+325` → 325, `-14` → -14, `12,513` → 12513); None if blank."""
    n = COUNTS.get(text)
    if n is not None:  # a small count as int() prints it (what the next test would give)
        return n
    if text.isdigit() and text.isascii():
        return int(text)
    if text[:1] in _SIGNS and (digits := text[1:]).isdigit() and digits.isascii():
        return int(text)  # a signed count (`+325`, `-14`): what the regular expressions give
    stripped = text.strip()
    if stripped.isdigit() and stripped.isascii():  # a padded count: clean() would give this
        return int(stripped)
    if not stripped:  # white space only: clean() gives "", a blank mark
        return None
    c = clean(text)
    if c in BLANK_MARKS:
        return None
    m = _MONEY.match(c)
    if m:
        c = m.group(1)
    elif c[-1] in _UNIT_LAST:  # (a unit can end the text only then)
        c = _strip_count_unit(c)
    if not _NUMBER.match(c):
        return None
    if "." not in c:  # an integer (signed, with thousands separators): no Decimal needed
        return int(c.replace(",", ""))
    try:
        return _to_number(c)
    except InvalidOperation:
        return None


def parse_money(
    text: str, header_unit: str | None = None
) -> tuple[str | None, int | float | None, str | None]:
    """(amount_raw, amount_yuan, note) of a money cell.

    The unit printed in the cell wins; else the unit printed in the column header; else the
    amount in yuan is unknown (None) and the note says so.
    """
    raw = _SPACES.sub(" ", text).strip()
    c = clean(text)
    if c in BLANK_MARKS:
        return None, None, None
    m = _MONEY.match(c)
    if m:
        amount = Decimal(m.group(1).replace(",", "")) * UNIT_FACTORS[m.group(2)]
        return raw, _as_number(amount), None
    if _NUMBER.match(c):
        if header_unit in UNIT_FACTORS:
            amount = Decimal(c.replace(",", "")) * UNIT_FACTORS[header_unit]
            return raw, _as_number(amount), f"unit {header_unit} taken from the column header"
        return raw, None, f"amount {raw!r} has no unit; amount_yuan left null"
    return raw, None, f"amount {raw!r} is not a number"


def _as_number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)
