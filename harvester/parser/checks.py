"""The template's arithmetic (勾稽关系), run on every record.

Each rule yields one entry {rule, ok, message, detail}; the message names the numbers of
every violation. Nothing is ever corrected here: a failure says the source (or the parse)
is wrong.
"""

from __future__ import annotations

from typing import Any

from harvester.parser.template import APPLICANT_COLUMNS, RESULT_COLUMNS, REVIEW_GROUPS

Rows = dict[str, list[Any]]  # section 三 rows as lists of 7 cells (None = blank)
NOT_RESULTS = {"received", "carried_over", "handled_total", "carried_forward"}


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def result_keys(rows: Rows) -> list[str]:
    return [k for k in rows if k not in NOT_RESULTS]


def t3_violations(rows: Rows) -> dict[str, tuple[int, list[str]]]:
    """{rule: (cells evaluated, violation messages)} for the three section 三 rules."""
    out: dict[str, tuple[int, list[str]]] = {}
    n, bad = 0, []
    needed = ("received", "carried_over", "handled_total", "carried_forward")
    if all(k in rows for k in needed):
        for c, col in enumerate(APPLICANT_COLUMNS):
            a, b, h, f = (rows[k][c] for k in needed)
            if all(_num(v) for v in (a, b, h, f)):
                n += 1
                if a + b != h + f:
                    bad.append(f"{col}: 一 {a} + 二 {b} = {a + b} ≠ （七） {h} + 四 {f} = {h + f}")
    out["t3_balance"] = (n, bad)
    n, bad = 0, []
    results = result_keys(rows)
    if "handled_total" in rows and results:
        for c, col in enumerate(APPLICANT_COLUMNS):
            parts = [rows[k][c] for k in results]
            h = rows["handled_total"][c]
            if _num(h) and all(_num(v) for v in parts):
                n += 1
                s = sum(parts)
                if s != h:
                    bad.append(f"{col}: （七）总计 {h} ≠ sum of results {s}")
    out["t3_handled_sum"] = (n, bad)
    n, bad = 0, []
    for key, row in rows.items():
        if all(_num(v) for v in row):
            n += 1
            s = sum(row[:6])
            if s != row[6]:
                bad.append(f"{key}: total {row[6]} ≠ sum of applicant columns {s} ({row[:6]})")
    out["t3_row_sum"] = (n, bad)
    return out


def t3_missing(rows: Rows) -> dict[str, list[str]]:
    """{rule: the null cells that kept the rule from being evaluated somewhere}."""
    out: dict[str, list[str]] = {"t3_balance": [], "t3_handled_sum": [], "t3_row_sum": []}
    needed = ("received", "carried_over", "handled_total", "carried_forward")
    results = result_keys(rows)
    for c, col in enumerate(APPLICANT_COLUMNS):
        if all(k in rows for k in needed):
            out["t3_balance"] += [f"applications.{k}.{col}" for k in needed if not _num(rows[k][c])]
        if "handled_total" in rows and results:
            out["t3_handled_sum"] += [
                f"applications.{k}.{col}" for k in [*results, "handled_total"] if not _num(rows[k][c])
            ]
    for key, row in rows.items():
        out["t3_row_sum"] += [f"applications.{key}.{col}" for col, v in zip(APPLICANT_COLUMNS, row, strict=True) if not _num(v)]
    return out


def t3_score(rows: Rows) -> int:
    return sum(len(bad) for _, bad in t3_violations(rows).values())


def _entry(rule: str, evaluated: int, bad: list[str], missing: list[str] | None = None) -> dict[str, Any]:
    """One check. `status` is "failed" when a violation was found, else "not_evaluated" when
    an operand is null (the cells are named in detail.missing), else "ok". `ok` is false
    only for "failed" (a not-evaluated check is not a failure, but neither is it a pass)."""
    missing = sorted(set(missing or []))
    if bad:
        status = "failed"
        message = f"{rule}: " + "; ".join(bad)
    elif missing:
        status = "not_evaluated"
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        message = f"{rule}: not evaluated where cells are null ({shown}); {evaluated} evaluated, all hold"
    else:
        status = "ok"
        message = f"{rule}: {evaluated} evaluated, all hold"
    detail = {"evaluated": evaluated, "violations": bad, "missing": missing}
    return {"rule": rule, "ok": not bad, "status": status, "message": message, "detail": detail}


def run_checks(record: dict[str, Any]) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []
    apps = record.get("applications")
    if apps:
        rows = {k: [v.get(c) for c in APPLICANT_COLUMNS] for k, v in apps.items()}
        missing = t3_missing(rows)
        for rule, (n, bad) in t3_violations(rows).items():
            if n or missing[rule]:
                checks.append(_entry(rule, n, bad, missing[rule]))
    rl = record.get("review_litigation")
    if rl:
        for group in REVIEW_GROUPS:
            cells = [rl.get(group, {}).get(c) for c in RESULT_COLUMNS]
            if all(_num(v) for v in cells):
                s = sum(cells[:4])
                bad = [] if s == cells[4] else [f"{group}: total {cells[4]} ≠ sum {s} ({cells[:4]})"]
                checks.append(_entry(f"t4_sum_{group}", 1, bad))
            else:
                nulls = [f"review_litigation.{group}.{c}" for c, v in zip(RESULT_COLUMNS, cells, strict=True) if not _num(v)]
                checks.append(_entry(f"t4_sum_{group}", 0, [], nulls))
    n, bad = 0, []
    for where, value in _counts(record):
        if value is None:
            continue
        n += 1
        if not _num(value) or value < 0 or value != int(value):
            bad.append(f"{where} = {value}")
    if n:
        checks.append(_entry("non_negative", n, bad))
    return checks


def _counts(record: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for section in ("applications", "review_litigation"):
        for key, row in (record.get(section) or {}).items():
            out.extend((f"{section}.{key}.{col}", v) for col, v in row.items())
    for key, row in (record.get("proactive") or {}).items():
        for col, v in row.items():
            if col in ("change", "amount_raw", "amount_yuan", "amount_10k_yuan"):
                continue
            out.append((f"proactive.{key}.{col}", v))
    return out
