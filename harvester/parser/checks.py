"""The template's arithmetic (勾稽关系), run on every record.

Each rule yields one entry {rule, ok, message, detail}; the message names the numbers of
every violation. Nothing is ever corrected here: a failure says the source (or the parse)
is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from itertools import chain, repeat
from operator import itemgetter

from harvester.parser.template import APPLICANT_COLUMNS, RESULT_COLUMNS, REVIEW_GROUPS
from harvester.parser.types import Cell, Check, CheckDetail, Record

Rows = dict[str, list[Cell]]  # section 三 rows as lists of 7 cells (None = blank)
NOT_RESULTS = {"received", "carried_over", "handled_total", "carried_forward"}


_NUMS = (int, float)  # type(v) in _NUMS: a number, never a bool


def _num(v: object) -> bool:
    return type(v) in _NUMS


def result_keys(rows: Rows) -> list[str]:
    return [k for k in rows if k not in NOT_RESULTS]


_NUM_TYPES = set(_NUMS)


def _all_num(row: list[Cell] | tuple[Cell, ...]) -> bool:
    return set(map(type, row)) <= _NUM_TYPES  # no Python-level loop: hot in align


BALANCE = ("received", "carried_over", "handled_total", "carried_forward")
_APPLICANTS = itemgetter(slice(0, 6))  # a section 三 row's applicant columns
_TOTAL = itemgetter(6)  # and its total


def t3_violations(rows: Rows, *, numeric: bool | None = None) -> dict[str, tuple[int, list[str]]]:
    """{rule: (cells evaluated, violation messages)} for the three section 三 rules.
    `numeric`: whether every cell is a number, if the caller knows."""
    out: dict[str, tuple[int, list[str]]] = {}
    every = _all_num(list(chain.from_iterable(rows.values()))) if numeric is None else numeric
    n, bad = 0, []
    if all(k in rows for k in BALANCE):
        ra, rb, rh, rf = (rows[k] for k in BALANCE)
        for c, col in enumerate(APPLICANT_COLUMNS):
            a, b, h, f = ra[c], rb[c], rh[c], rf[c]
            if every or (
                type(a) in _NUMS and type(b) in _NUMS and type(h) in _NUMS and type(f) in _NUMS
            ):
                n += 1
                if a + b != h + f:
                    bad.append(f"{col}: 一 {a} + 二 {b} = {a + b} ≠ （七） {h} + 四 {f} = {h + f}")
    out["t3_balance"] = (n, bad)
    n, bad = 0, []
    results = [rows[k] for k in rows if k not in NOT_RESULTS]
    handled = rows.get("handled_total")
    if handled is not None and results:
        columns: list[tuple[Cell, ...]] = []  # the results' cells column by column
        for c, col in enumerate(APPLICANT_COLUMNS):
            h = handled[c]
            if not every and type(h) not in _NUMS:
                continue
            if not columns:
                columns = list(zip(*results))  # noqa: B905 (a row too short fails below, as r[c])
            parts = columns[c]
            if every or _all_num(parts):
                n += 1
                s = sum(parts)
                if s != h:
                    bad.append(f"{col}: （七）总计 {h} ≠ sum of results {s}")
    out["t3_handled_sum"] = (n, bad)
    n, bad = 0, []
    if every:  # numbers only: every row's sum compared with its total at once
        sums = list(map(sum, map(_APPLICANTS, rows.values())))
        if sums == list(map(_TOTAL, rows.values())):  # all hold (most tables)
            out["t3_row_sum"] = (len(rows), bad)
            return out
    for key, row in rows.items():
        if every or _all_num(row):
            n += 1
            s = sum(row[:6])
            if s != row[6]:
                bad.append(f"{key}: total {row[6]} ≠ sum of applicant columns {s} ({row[:6]})")
    out["t3_row_sum"] = (n, bad)
    return out


def t3_missing(rows: Rows) -> dict[str, list[str]]:
    """{rule: the null cells that kept the rule from being evaluated somewhere}."""
    out: dict[str, list[str]] = {"t3_balance": [], "t3_handled_sum": [], "t3_row_sum": []}
    needed = BALANCE
    results = result_keys(rows)
    for c, col in enumerate(APPLICANT_COLUMNS):
        if all(k in rows for k in needed):
            out["t3_balance"] += [f"applications.{k}.{col}" for k in needed if not _num(rows[k][c])]
        if "handled_total" in rows and results:
            out["t3_handled_sum"] += [
                f"applications.{k}.{col}"
                for k in [*results, "handled_total"]
                if not _num(rows[k][c])
            ]
    for key, row in rows.items():
        out["t3_row_sum"] += [
            f"applications.{key}.{col}"
            for col, v in zip(APPLICANT_COLUMNS, row, strict=True)
            if not _num(v)
        ]
    return out


_SEVEN = {len(APPLICANT_COLUMNS)}


def t3_score(rows: Rows) -> int:
    """The number of violations t3_violations finds, counted without its messages."""
    if set(map(len, rows.values())) != _SEVEN:  # rows of another width: the full reading
        return sum(len(bad) for _, bad in t3_violations(rows).values())
    return t3_column_score(rows) + sum(map(row_sum_broken, rows.values()))


def row_sum_broken(row: list[Cell]) -> bool:
    """A row of 7 numbers whose total is not the sum of its applicant columns (t3_row_sum)."""
    return _all_num(row) and sum(row[:6]) != row[6]


def _balance_breaks(four: list[list[Cell]]) -> int:
    """Columns where 一 + 二 ≠ (七) + 四 with all four cells numbers (the BALANCE rows)."""
    breaks = 0
    for a, b, h, f in zip(*four, strict=True):
        if (
            type(a) in _NUMS
            and type(b) in _NUMS
            and type(h) in _NUMS
            and type(f) in _NUMS
            and a + b != h + f
        ):
            breaks += 1
    return breaks


def t3_column_score(rows: Rows) -> int:
    """The t3_balance and t3_handled_sum violations of rows of 7 cells (no messages)."""
    score = 0
    if all(k in rows for k in BALANCE):
        score += _balance_breaks([rows[k] for k in BALANCE])
    handled = rows.get("handled_total")
    results = [r for k, r in rows.items() if k not in NOT_RESULTS]
    if handled is not None and results:
        for h, parts in zip(handled, zip(*results, strict=True), strict=True):
            if type(h) in _NUMS and _all_num(parts) and sum(parts) != h:
                score += 1
    return score


def column_scorer(rows: Rows, varying: Collection[str]) -> Callable[[Rows], int]:
    """t3_column_score of `rows` (rows of 7 cells) with the rows named in `varying`
    replaced, for scoring many readings of a few rows: the other rows' share of each column
    is added up once. The scorer takes the replacement rows ({key: row})."""
    result_keys = [k for k in rows if k not in NOT_RESULTS]
    fixed_results = [rows[k] for k in result_keys if k not in varying]
    varying_results = [k for k in result_keys if k in varying]
    columns = list(zip(*fixed_results, strict=True)) if fixed_results else [()] * 7
    fixed_num = [_all_num(col) for col in columns]
    fixed_int = [set(map(type, col)) <= _INT for col in columns]
    fixed_sum = [sum(col) if whole else 0 for col, whole in zip(columns, fixed_int, strict=True)]
    balance = all(k in rows for k in BALANCE)
    balance_varies = balance and any(k in varying for k in BALANCE)
    handled_rule = "handled_total" in rows and bool(result_keys)
    all_fixed_int = all(fixed_int)
    constant = (
        t3_column_score({k: rows[k] for k in BALANCE}) if balance and not balance_varies else 0
    )

    def score(replaced: Rows) -> int:
        def row(k: str) -> list[Cell]:
            return replaced[k] if k in replaced else rows[k]

        total = constant
        if balance_varies:
            four = [row(k) for k in BALANCE]
            if set(map(type, chain.from_iterable(four))) <= _INT:  # counts only: no type tests
                for a, b, h, f in zip(*four, strict=True):
                    if a + b != h + f:
                        total += 1
            else:
                total += _balance_breaks(four)
        if not handled_rule:
            return total
        replaced_results = [replaced[k] for k in varying_results]
        if all_fixed_int and set(map(type, chain.from_iterable(replaced_results))) <= _INT:
            sums = map(sum, zip(*replaced_results, strict=True)) if replaced_results else repeat(0)
            for h, fs, vs in zip(row("handled_total"), fixed_sum, sums, strict=False):
                if type(h) in _NUMS and fs + vs != h:
                    total += 1
            return total
        varied = list(zip(*replaced_results, strict=True))
        for c, h in enumerate(row("handled_total")):
            if type(h) not in _NUMS or not fixed_num[c]:
                continue
            parts = varied[c] if varied else ()
            if not _all_num(parts):
                continue
            if fixed_int[c] and set(map(type, parts)) <= _INT:  # integers: any order
                s = fixed_sum[c] + sum(parts)
            else:  # floats: summed in the table's order, as t3_column_score does
                s = sum(row(k)[c] for k in result_keys)
            if s != h:
                total += 1
        return total

    return score


def entry(
    rule: str,
    evaluated: int,
    bad: list[str],
    missing: list[str] | None = None,
    *,
    severity: str = "hard",
) -> Check:
    """One check. `status` is "failed" when a violation was found, else "not_evaluated" when
    an operand is null (the cells are named in detail.missing), else "ok". `ok` is false
    only for "failed" (a not-evaluated check is not a failure, but neither is it a pass)."""
    missing = sorted(set(missing or []))
    if bad:
        status = "failed"
        message = f"{rule}: " + "; ".join(bad)
    elif missing:
        status = "not_evaluated"
        shown = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        message = (
            f"{rule}: not evaluated where cells are null ({shown}); {evaluated} evaluated, all hold"
        )
    else:
        status = "ok"
        message = f"{rule}: {evaluated} evaluated, all hold"
    detail: CheckDetail = {"evaluated": evaluated, "violations": bad, "missing": missing}
    return {
        "rule": rule,
        "ok": not bad,
        "status": status,
        "severity": severity,
        "message": message,
        "detail": detail,
    }


_INT = {int}
_INT_OR_NONE = {int, type(None)}
_NO_MISSING: dict[str, list[str]] = {"t3_balance": [], "t3_handled_sum": [], "t3_row_sum": []}


def run_checks(record: Record) -> list[Check]:
    checks: list[Check] = []
    apps = record.get("applications")
    if apps:
        rows = {k: list(map(v.get, APPLICANT_COLUMNS)) for k, v in apps.items()}
        complete = _all_num(list(chain.from_iterable(rows.values())))
        missing = _NO_MISSING if complete else t3_missing(rows)
        for rule, (n, bad) in t3_violations(rows, numeric=complete).items():
            if n or missing[rule]:
                checks.append(entry(rule, n, bad, missing[rule]))
    rl = record.get("review_litigation")
    if rl:
        for group in REVIEW_GROUPS:
            cells = [rl.get(group, {}).get(c) for c in RESULT_COLUMNS]
            if all(_num(v) for v in cells):
                s = sum(cells[:4])
                bad = (
                    [] if s == cells[4] else [f"{group}: total {cells[4]} ≠ sum {s} ({cells[:4]})"]
                )
                checks.append(entry(f"t4_sum_{group}", 1, bad))
            else:
                nulls = [
                    f"review_litigation.{group}.{c}"
                    for c, v in zip(RESULT_COLUMNS, cells, strict=True)
                    if not _num(v)
                ]
                checks.append(entry(f"t4_sum_{group}", 0, [], nulls))
    n, bad = 0, []
    rows = _count_rows(record)
    cells = list(chain.from_iterable([row.values() for _, _, row in rows]))
    if set(map(type, cells)) <= _INT_OR_NONE:  # most records: counts and blanks only
        nulls = cells.count(None)
        if min(set(cells) - {None}, default=0) >= 0:  # (the smallest count, distinct ones only)
            rows = []  # every count holds: nothing more to ask
            n = len(cells) - nulls
    for section, key, row in rows:
        for col, value in row.items():
            if value is None:
                continue
            n += 1
            if type(value) is int and value >= 0:  # nearly every cell: no more to ask
                continue
            if not _num(value) or value < 0 or value != int(value):
                bad.append(f"{section}.{key}.{col} = {value}")
    if n:
        checks.append(entry("non_negative", n, bad))
    return checks


NOT_COUNTS = ("change", "amount_raw", "amount_yuan", "amount_10k_yuan")


def _count_rows(record: Record) -> list[tuple[str, str, dict[str, object]]]:
    """(section, row key, the row's count cells) of every table row."""
    out: list[tuple[str, str, dict[str, object]]] = []
    for section in ("applications", "review_litigation"):
        out.extend((section, key, row) for key, row in (record.get(section) or {}).items())
    for key, row in (record.get("proactive") or {}).items():
        counts = {col: v for col, v in row.items() if col not in NOT_COUNTS}
        out.append(("proactive", key, counts))
    return out
