"""Completeness: how many of the cells the template defines were read, per section.

A record with 7 of ~175 cells (an OCR'd scan, a glued row) passes every check it can
evaluate; its completeness says how little was read.
"""

from __future__ import annotations

from harvester.parser.template import (
    APPLICANT_COLUMNS,
    RESULT_COLUMNS,
    REVIEW_GROUPS,
    T2_ITEMS,
    T3_ROWS,
)
from harvester.parser.types import Record, SectionCompleteness


def _read(value: object) -> bool:
    return value is not None


def completeness(record: Record, template: str) -> dict[str, SectionCompleteness]:
    """{section: {read, expected, ratio}} for 二, 三 and 四, and the overall ratio."""
    out: dict[str, tuple[int, int]] = {}
    pro = record.get("proactive") or {}
    read = 0
    expected = 0
    for item in T2_ITEMS[template]:
        row = pro.get(item.key) or {}
        for col in item.columns:
            expected += 1
            if col == "amount":
                read += _read(row.get("amount_raw")) or _read(row.get("amount_yuan"))
            else:
                read += _read(row.get(col))
    out["proactive"] = (read, expected)
    apps = record.get("applications") or {}
    rows = T3_ROWS[template]
    # a row holds exactly the applicant columns (the schema says so): count its non-nulls
    out["applications"] = (
        sum(len(r) - [*r.values()].count(None) for s in rows if (r := apps.get(s.key))),
        len(rows) * len(APPLICANT_COLUMNS),
    )
    rl = record.get("review_litigation") or {}
    out["review_litigation"] = (
        sum(_read((rl.get(g) or {}).get(c)) for g in REVIEW_GROUPS for c in RESULT_COLUMNS),
        len(REVIEW_GROUPS) * len(RESULT_COLUMNS),
    )
    result: dict[str, SectionCompleteness] = {
        k: {"read": r, "expected": e, "ratio": round(r / e, 4) if e else 0.0}
        for k, (r, e) in out.items()
    }
    total_r = sum(r for r, _ in out.values())
    total_e = sum(e for _, e in out.values())
    result["overall"] = {
        "read": total_r,
        "expected": total_e,
        "ratio": round(total_r / total_e, 4) if total_e else 0.0,
    }
    return result


# A report counts as read (harvester status, the scrape summary, processing counts) only
# when at least this share of its template's cells was read; a legacy report (no fixed
# tables) when its prose gave figures.
READ_THRESHOLD = 0.5
TABLE_KEYS = ("proactive", "applications", "review_litigation")


def is_read(record: Record) -> bool:
    """True when the record's tables were read well enough to count (READ_THRESHOLD)."""
    if not any(record.get(key) for key in TABLE_KEYS):
        return False
    comp = record.get("completeness")
    if comp:
        return comp["overall"]["ratio"] >= READ_THRESHOLD
    return bool(record.get("from_prose"))
