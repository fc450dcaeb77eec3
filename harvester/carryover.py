"""The cross-report check: 上年结转 of a report against 结转下年度 of the same body's report
for the year before (added by `harvester export` and the web view, not by the parser, which
sees one report at a time)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.parser.types import Check, Record
from harvester.storage.models import Report
from harvester.summary import latest_parse, latest_version

CARRYOVER_RULE = "carryover_matches_previous_year"


def carryover_check(record: Record, previous: Record) -> Check | None:
    """二、上年结转 of this report against 四、结转下年度继续办理 of the same agency's report for
    the previous year, per applicant column; None when no column can be compared."""
    this = (record.get("applications") or {}).get("carried_over")
    before = (previous.get("applications") or {}).get("carried_forward")
    if not isinstance(this, dict) or not isinstance(before, dict):
        return None
    compared = 0
    bad: list[str] = []
    for column, value in this.items():
        prior = before.get(column)
        if isinstance(value, int | float) and isinstance(prior, int | float):
            compared += 1
            if value != prior:
                bad.append(
                    f"{column}: 上年结转 {value} ≠ {previous.get('year')} 结转下年度 {prior}"
                )
    if not compared:
        return None
    ok = not bad
    return {
        "rule": CARRYOVER_RULE,
        "ok": ok,
        "message": f"{CARRYOVER_RULE}: {compared} evaluated, all hold"
        if ok
        else f"{CARRYOVER_RULE}: " + "; ".join(bad),
        "detail": {"evaluated": compared, "violations": bad, "previous_year": previous.get("year")},
    }


def previous_year_record(session: Session, report: Report) -> Record | None:
    """The current record of the same body's report for the year before (the carry-over
    check compares the two)."""
    previous = session.scalar(
        select(Report).where(
            Report.portal_id == report.portal_id,
            Report.agency == report.agency,
            Report.year == report.year - 1,
        )
    )
    version = latest_version(session, previous.id) if previous else None
    parse = latest_parse(session, version.id) if version else None
    return parse.record if parse else None
