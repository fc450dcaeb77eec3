"""Read-only queries behind the web pages (SQLite only: `serve` opens SQLite files).

Every function takes a connection or session on an engine opened with `mode=ro`, so
nothing here can write. A report is counted by the newest parse of its newest version,
as `harvester status` counts it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from harvester.carryover import CARRYOVER_RULE, carryover_check, previous_year_record
from harvester.storage.blobs import Blobs
from harvester.storage.models import (
    Blob,
    CrawlRun,
    Fetch,
    ParseResult,
    Portal,
    Report,
    ReportVersion,
    VersionDocument,
)
from harvester.summary import latest_parse

# The newest version of every report and the newest parse of every version.
NEWEST = """
WITH nv AS (SELECT report_id, max(id) AS version_id FROM report_version GROUP BY report_id),
np AS (
    SELECT id, version_id, ok FROM (
        SELECT id, version_id, ok,
               row_number() OVER (PARTITION BY version_id ORDER BY parsed_at DESC, id DESC) AS n
        FROM parse_result
    ) WHERE n = 1
)
"""

# What a page template is rendered with: named values of any kind, as Jinja takes them.
TemplateContext = dict[str, Any]


CHECKS_SHOWN = 1000  # rows of the failing-checks page; the filters narrow it down


@dataclass
class WebState:
    """What the pages need: the read-only engine, the blob store, Datasette's name for the
    database (for links to its table views)."""

    engine: Engine
    blobs: Blobs
    database: str


def readonly_engine(path: Path) -> Engine:
    """An engine that opens the SQLite file read-only (SQLite refuses every write)."""
    return create_engine(
        f"sqlite:///file:{path}?mode=ro&uri=true",
        connect_args={"check_same_thread": False},
    )


def schema_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


# --- coverage ---------------------------------------------------------------------------


def _last_runs(connection: Connection) -> dict[int, tuple[str, list[str]]]:
    """{portal_id: (outcome of its newest portal run, reasons)}."""
    import json

    rows = connection.execute(
        text(
            "SELECT portal_id, outcome, failures FROM portal_run WHERE id IN "
            "(SELECT max(id) FROM portal_run GROUP BY portal_id)"
        )
    )
    out: dict[int, tuple[str, list[str]]] = {}
    for portal_id, outcome, failures in rows:
        items = json.loads(failures) if isinstance(failures, str) else (failures or [])
        reasons = [str(f.get("reason") if isinstance(f, dict) else f) for f in items]
        out[portal_id] = (outcome, reasons)
    return out


def coverage(connection: Connection, province: str | None, show_all: bool) -> TemplateContext:
    """The county × year matrix: per cell the bodies whose report was found, how many of
    them fail a check or are not parsed; per county its last run; per province totals."""
    cells: dict[int, dict[int, dict[str, int]]] = defaultdict(dict)
    for portal_id, year, bodies, failing, unparsed in connection.execute(
        text(
            NEWEST
            + """
            SELECT r.portal_id, r.year, count(*),
                   sum(CASE WHEN np.ok = 0 THEN 1 ELSE 0 END),
                   sum(CASE WHEN np.id IS NULL THEN 1 ELSE 0 END)
            FROM report r
            LEFT JOIN nv ON nv.report_id = r.id
            LEFT JOIN np ON np.version_id = nv.version_id
            GROUP BY r.portal_id, r.year
            """
        )
    ):
        cells[portal_id][year] = {"bodies": bodies, "failing": failing, "unparsed": unparsed}
    last = _last_runs(connection)
    portals = connection.execute(
        text(
            "SELECT id, province, prefecture, county, adcode FROM portal "
            "ORDER BY province, coalesce(prefecture, ''), coalesce(adcode, ''), county, id"
        )
    ).all()
    years = sorted({y for per in cells.values() for y in per})
    totals: dict[str, TemplateContext] = {}
    groups: dict[str, dict[str | None, list[TemplateContext]]] = {}
    for pid, prov, pref, county, adcode in portals:
        crawled = pid in last or pid in cells
        total = totals.setdefault(
            prov,
            {"province": prov, "portals": 0, "crawled": 0, "failed": 0, "years": defaultdict(int)},
        )
        total["portals"] += 1
        total["crawled"] += int(crawled)
        outcome, reasons = last.get(pid, (None, []))
        total["failed"] += int(outcome == "failed")
        for year, cell in cells.get(pid, {}).items():
            total["years"][year] += cell["bodies"]
        if (province and prov != province) or not (crawled or show_all):
            continue
        row = []
        for year in years:
            cell = cells.get(pid, {}).get(year)
            if cell:
                state = "found"
            elif outcome == "failed":
                state = "failed"
            elif crawled:
                state = "none"
            else:
                state = "uncrawled"
            row.append({"year": year, "state": state, **(cell or {})})
        groups.setdefault(prov, {}).setdefault(pref, []).append(
            {
                "id": pid,
                "county": county,
                "adcode": adcode,
                "outcome": outcome,
                "reasons": reasons,
                "cells": row,
                "reports": sum(c.get("bodies", 0) for c in row),
            }
        )
    peak = max((c["bodies"] for per in cells.values() for c in per.values()), default=0)
    rows = [{**t, "years": [t["years"].get(y, 0) for y in years]} for t in totals.values()]
    idle = [t for t in rows if not t["crawled"]]
    return {
        "years": years,
        "peak": peak,
        "groups": groups,
        "totals": [t for t in rows if t["crawled"] or show_all],
        "all": {
            "portals": sum(t["portals"] for t in rows),
            "crawled": sum(t["crawled"] for t in rows),
            "failed": sum(t["failed"] for t in rows),
            "years": [sum(t["years"][i] for t in rows) for i in range(len(years))],
        },
        "idle": {"provinces": len(idle), "portals": sum(t["portals"] for t in idle)},
        "province": province,
        "show_all": show_all,
    }


def reports_of_cell(
    connection: Connection, portal_id: int, year: int | None
) -> list[TemplateContext]:
    """The reports of one portal (and year), each with its newest parse's state."""
    where = "r.portal_id = :portal" + (" AND r.year = :year" if year is not None else "")
    rows = connection.execute(
        text(
            NEWEST
            + f"""
            SELECT r.id, r.agency, r.year, r.title, r.url, np.ok, np.id
            FROM report r
            LEFT JOIN nv ON nv.report_id = r.id
            LEFT JOIN np ON np.version_id = nv.version_id
            WHERE {where}
            ORDER BY r.year DESC, r.agency, r.id
            """
        ),
        {"portal": portal_id, "year": year},
    )
    return [
        {
            "id": rid,
            "agency": agency,
            "year": y,
            "title": title,
            "url": url,
            "state": "unparsed" if parse_id is None else ("ok" if ok else "failing"),
        }
        for rid, agency, y, title, url, ok, parse_id in rows
    ]


# --- failing checks ---------------------------------------------------------------------


def _carryover_failures(connection: Connection) -> list[TemplateContext]:
    """The cross-report check: 上年结转 of each report against 结转下年度 of the same
    agency's report for the previous year (as `harvester export` adds it)."""
    import json

    rows = connection.execute(
        text(
            NEWEST
            + """
            , rec AS (
                SELECT r.id AS report_id, r.portal_id, r.agency, r.year,
                       json_extract(p.record, '$.applications.carried_over') AS over,
                       json_extract(p.record, '$.applications.carried_forward') AS forward
                FROM report r JOIN nv ON nv.report_id = r.id
                JOIN np ON np.version_id = nv.version_id
                JOIN parse_result p ON p.id = np.id
            )
            SELECT a.report_id, a.over, b.forward, b.year
            FROM rec a JOIN rec b ON b.portal_id = a.portal_id AND b.agency = a.agency
                 AND b.year = a.year - 1
            WHERE a.over IS NOT NULL AND b.forward IS NOT NULL
            """
        )
    )
    out = []
    for report_id, over, forward, previous_year in rows:
        check = carryover_check(
            {"applications": {"carried_over": json.loads(over)}},
            {"applications": {"carried_forward": json.loads(forward)}, "year": previous_year},
        )
        if check is not None and not check["ok"]:
            out.append({"report_id": report_id, "rule": check["rule"], "message": check["message"]})
    return out


def failing_checks(
    connection: Connection, rule: str | None, province: str | None, year: int | None
) -> TemplateContext:
    """Every failing check of every report's newest parse, with the filters' choices."""
    rows = connection.execute(
        text(
            NEWEST
            + """
            SELECT r.id, json_extract(c.value, '$.rule'), json_extract(c.value, '$.message')
            FROM report r JOIN nv ON nv.report_id = r.id
            JOIN np ON np.version_id = nv.version_id
            JOIN parse_result p ON p.id = np.id, json_each(p.checks) c
            WHERE json_extract(c.value, '$.ok') = 0
            """
        )
    ).all()
    found = [{"report_id": r, "rule": ru, "message": m} for r, ru, m in rows]
    found += _carryover_failures(connection)
    reports = {
        rid: (prov, pref, county, agency, y, title, pid)
        for rid, prov, pref, county, agency, y, title, pid in connection.execute(
            text(
                "SELECT r.id, p.province, p.prefecture, p.county, r.agency, r.year, r.title, p.id "
                "FROM report r JOIN portal p ON p.id = r.portal_id"
            )
        )
    }
    items = []
    for f in found:
        prov, pref, county, agency, y, title, pid = reports[f["report_id"]]
        items.append(
            {
                **f,
                "province": prov,
                "prefecture": pref,
                "county": county,
                "portal_id": pid,
                "agency": agency,
                "year": y,
                "title": title,
            }
        )
    choices = {
        "rules": sorted({i["rule"] for i in items}),
        "provinces": sorted({i["province"] for i in items}),
        "years": sorted({i["year"] for i in items}, reverse=True),
    }
    shown = [
        i
        for i in items
        if (rule is None or i["rule"] == rule)
        and (province is None or i["province"] == province)
        and (year is None or i["year"] == year)
    ]
    shown.sort(
        key=lambda i: (i["province"], i["prefecture"] or "", i["county"], -i["year"], i["agency"])
    )
    by_rule: dict[str, int] = defaultdict(int)
    for i in shown:
        by_rule[i["rule"]] += 1
    return {
        "rows": shown[:CHECKS_SHOWN],
        "matching": len(shown),
        "total": len(items),
        "by_rule": dict(sorted(by_rule.items())),
        "choices": choices,
        "rule": rule,
        "province": province,
        "year": year,
    }


# --- one report -------------------------------------------------------------------------


def report_detail(
    session: Session, report_id: int, version_id: int | None
) -> TemplateContext | None:
    """A report, one of its versions (the newest unless asked), that version's newest
    parse (with the carry-over check added), its documents with their fetches, and every
    version of the report."""
    report = session.get(Report, report_id)
    if report is None:
        return None
    portal = session.get(Portal, report.portal_id)
    versions = list(
        session.scalars(
            select(ReportVersion)
            .where(ReportVersion.report_id == report.id)
            .order_by(ReportVersion.id.desc())
        )
    )
    version = next((v for v in versions if v.id == version_id), None) if version_id else None
    if version is None:
        version = versions[0] if versions else None
    parse = latest_parse(session, version.id) if version else None
    record = dict(parse.record) if parse else None
    if record is not None:
        previous = previous_year_record(session, report)
        check = carryover_check(record, previous) if previous else None
        if check is not None:
            record["checks"] = [
                *(c for c in record.get("checks", []) if c.get("rule") != CARRYOVER_RULE),
                check,
            ]
    documents = []
    if version is not None:
        rows = session.execute(
            select(VersionDocument, Fetch, Blob)
            .outerjoin(Fetch, Fetch.id == VersionDocument.fetch_id)
            .outerjoin(Blob, Blob.sha256 == VersionDocument.sha256)
            .where(VersionDocument.version_id == version.id)
            .order_by(VersionDocument.position)
        )
        documents = [{"doc": d, "fetch": f, "blob": b} for d, f, b in rows]
    parses = {
        vid: ok
        for vid, ok in session.execute(
            select(ParseResult.version_id, ParseResult.ok)
            .where(ParseResult.version_id.in_([v.id for v in versions]))
            .order_by(ParseResult.parsed_at, ParseResult.id)
        )
    }
    runs = {
        r.id: r
        for r in session.scalars(
            select(CrawlRun).where(CrawlRun.id.in_([v.run_id for v in versions if v.run_id]))
        )
    }
    return {
        "report": report,
        "portal": portal,
        "version": version,
        "versions": [
            {"version": v, "ok": parses.get(v.id), "run": runs.get(v.run_id or -1)}
            for v in versions
        ],
        "parse": parse,
        "record": record,
        "documents": documents,
        "normalised": _normalised_flags(parse),
    }


def _normalised_flags(parse: ParseResult | None) -> dict[str, bool]:
    """Whether the version's documents were read by OCR, and whether any has a table at
    all (when none has, the values were read from running text)."""
    if parse is None:
        return {"ocr": False, "tables": False}
    docs = [d.get("document") or {} for d in (parse.normalised or {}).get("documents", [])]
    ocr = any(d.get("ocr_used") for d in docs) or any(
        str(w).startswith("OCR:") for w in parse.warnings or []
    )
    tables = any(b.get("kind") == "table" for d in docs for b in d.get("blocks", []))
    return {"ocr": ocr, "tables": tables}


def document_text(session: Session, document_id: int) -> TemplateContext | None:
    """A stored document and its normalised form from the newest parse of its version."""
    from harvester.document import Document

    doc = session.get(VersionDocument, document_id)
    if doc is None:
        return None
    version = session.get(ReportVersion, doc.version_id)
    report = session.get(Report, version.report_id) if version else None
    parse = latest_parse(session, doc.version_id)
    normalised = None
    if parse is not None:
        for entry in (parse.normalised or {}).get("documents", []):
            if entry.get("sha256") == doc.sha256 and entry.get("role") == doc.role:
                normalised = Document.from_dict(entry.get("document") or {})
                break
    return {"doc": doc, "report": report, "parse": parse, "document": normalised}


def blob_media_type(session: Session, sha256: str) -> tuple[str, str | None] | None:
    """(stored media type, the file name a document with these bytes had), None when no
    such blob is stored."""
    from urllib.parse import unquote, urlsplit

    row = session.get(Blob, sha256)
    if row is None:
        return None
    url = session.scalar(
        select(func.coalesce(VersionDocument.final_url, VersionDocument.url))
        .where(VersionDocument.sha256 == sha256)
        .limit(1)
    )
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) if url else None
    return row.media_type, name or None
