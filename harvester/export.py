"""Exported records: JSONL per the public record schema, and a flat CSV/Parquet layout.

The flat layout (docs/export.md) has one row per report version: the record's metadata,
one column per table cell named `section.row.column` (derived from the shipped JSON
Schema, rows in the printed template's order), then a summary of checks, warnings and
documents. `flat_columns()` is the single source of the column list.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.carryover import CARRYOVER_RULE, carryover_check, previous_year_record
from harvester.parser.types import Record
from harvester.storage.models import ParseResult, Portal, Report, ReportVersion
from harvester.summary import latest_parse

META_COLUMNS = [
    "report_id",
    "version",
    "county",
    "adcode",
    "agency",
    "year",
    "era",
    "title",
    "url",
    "published",
    "parser_version",
    "parse.current",
    "parse.parsed_at",
]
TAIL_COLUMNS = ["checks_failed", "warnings", "documents", "sha256"]
SECTIONS = ("proactive", "applications", "review_litigation")
# Section 三 rows as the template prints them (the 2021 （六） rows right after the 2019 one);
# rows the schema has and this list lacks keep the schema's order, after these.
APPLICATION_ROWS = (
    "received",
    "carried_over",
    "disclosed",
    "partially_disclosed",
    "withheld_state_secret",
    "withheld_prohibited_by_law",
    "withheld_security_stability",
    "withheld_third_party",
    "withheld_internal_affairs",
    "withheld_process_info",
    "withheld_enforcement_file",
    "withheld_query_matter",
    "unavailable_not_held",
    "unavailable_needs_creation",
    "unavailable_unclear",
    "rejected_petition",
    "rejected_duplicate",
    "rejected_publication",
    "rejected_excessive",
    "rejected_confirmation",
    "other",
    "other_no_correction",
    "other_unpaid_fee",
    "other_misc",
    "handled_total",
    "carried_forward",
)
BATCH = 200


@cache
def record_schema() -> Record:
    text = resources.files("harvester").joinpath("schema/record.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = record_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_record(record: Record) -> None:
    """Raise jsonschema.ValidationError when the record breaks the public contract."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(record))
    if error is not None:
        raise error


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> Record:
    if "$ref" in node:
        ref = node["$ref"].split("/")[-1]
        return schema.get("$defs", schema.get("definitions", {}))[ref]
    return node


def _object_properties(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{column: its schema} of a row object; for a row whose columns differ between the two
    templates (anyOf/oneOf), the union of both."""
    node = _resolve(schema, node)
    if "properties" in node:
        return dict(node["properties"])
    props: dict[str, dict[str, Any]] = {}
    for alt in node.get("anyOf", []) + node.get("oneOf", []):
        if isinstance(alt, dict):
            for name, prop in _object_properties(schema, alt).items():
                props.setdefault(name, prop)
    return props


def _section_rows(schema: dict[str, Any], section: str) -> list[str]:
    rows = list(schema["properties"][section].get("properties", {}))
    if section == "applications":
        known = [r for r in APPLICATION_ROWS if r in rows]
        rows = known + [r for r in rows if r not in known]
    return rows


@cache
def _cell_types() -> dict[str, str]:
    """{`section.row.column`: "number" | "string"} in column order."""
    schema = record_schema()
    types: dict[str, str] = {}
    for section in SECTIONS:
        node = schema["properties"][section].get("properties", {})
        for row in _section_rows(schema, section):
            for col, prop in _object_properties(schema, node[row]).items():
                kinds = prop.get("type", [])
                kinds = [kinds] if isinstance(kinds, str) else kinds
                types[f"{section}.{row}.{col}"] = "string" if "string" in kinds else "number"
    return types


@cache
def _flat_columns() -> tuple[str, ...]:
    return (*META_COLUMNS, *_cell_types(), *TAIL_COLUMNS)


def flat_columns() -> list[str]:
    """Every column of the CSV/Parquet layout, in order."""
    return list(_flat_columns())


def column_kind(column: str) -> str:
    """ "integer" (year, version), "number" (table cells) or "string" (everything else)."""
    if column in ("year", "version"):
        return "integer"
    return _cell_types().get(column, "string")


def flatten(record: Record) -> dict[str, object]:
    """One CSV row: metadata, every table cell as `section.row.column`, check summary.

    A cell the report leaves blank, or a table the report does not have, is None (an empty
    CSV cell), never 0.
    """
    parse = record.get("parse") or {}
    row: dict[str, object] = {
        key: parse.get(key.split(".", 1)[1]) if key.startswith("parse.") else record.get(key)
        for key in META_COLUMNS
    }
    if isinstance(row["parse.current"], bool):
        row["parse.current"] = "true" if row["parse.current"] else "false"
    for column in _cell_types():
        section, key, col = column.split(".")
        value = (record.get(section) or {}).get(key)
        row[column] = value.get(col) if isinstance(value, dict) else None
    row["checks_failed"] = ";".join(
        sorted({c["rule"] for c in record.get("checks", []) if not c.get("ok")})
    )
    row["warnings"] = " | ".join(record.get("warnings", []))
    # The flat row names what was on the wire; a browser's rendered DOM is in the JSONL.
    docs = [d for d in record.get("documents", []) if d.get("role") != "rendered"]
    row["documents"] = " ".join(d["url"] for d in docs)
    row["sha256"] = " ".join(d["sha256"] for d in docs if d.get("sha256"))
    return row


def report_key(
    *,
    adcode: str | None,
    province: str,
    prefecture: str | None,
    county: str,
    agency: str,
    year: int,
) -> str:
    """The stable id of a report: the same report gets the same id in any database.

    ``<adcode>-<year>-<h>``, where <h> is the first 10 hex digits of the SHA-256 of the
    issuing body's name, NFKC-normalised with whitespace removed. A portal without an adcode
    stands in with ``p`` and the first 6 hex digits of the SHA-256 of
    ``province/prefecture/county``. See docs/record-schema.md.
    """
    body = "".join(unicodedata.normalize("NFKC", agency).split())
    place = (
        adcode
        or "p"
        + hashlib.sha256(
            "/".join([province, prefecture or "", county]).encode("utf-8")
        ).hexdigest()[:6]
    )
    return f"{place}-{year}-{hashlib.sha256(body.encode('utf-8')).hexdigest()[:10]}"


def _identity(report: Report, portal: Portal | None, ordinal: int, parse: ParseResult) -> Record:
    return {
        "report_id": report_key(
            adcode=portal.adcode if portal else None,
            province=portal.province if portal else "",
            prefecture=portal.prefecture if portal else None,
            county=portal.county if portal else "",
            agency=report.agency,
            year=report.year,
        ),
        "version": ordinal,
        "parse": {
            "parsed_at": parse.parsed_at.isoformat() if parse.parsed_at else None,
            "current": bool(parse.is_current),
            "normalizer_version": parse.normalizer_version,
        },
    }


@dataclass
class ExportStats:
    """What iter_records saw besides the records it yielded."""

    versions: int = 0
    unparsed: list[str] = field(default_factory=list)


def _previous_record(
    session: Session, report: Report, cache_: dict[tuple[int, str, int], Record | None]
) -> Record | None:
    key = (report.portal_id, report.agency, report.year - 1)
    if key not in cache_:
        cache_[key] = previous_year_record(session, report)
    return cache_[key]


def iter_records(
    session: Session,
    *,
    counties: list[str] | None = None,
    portal_ids: list[int] | None = None,
    years: list[int] | None = None,
    all_versions: bool = False,
    history: bool = False,
    stats: ExportStats | None = None,
) -> Iterator[Record]:
    """Parsed records, the newest version of each report unless `all_versions` (then every
    version, newest first), each from the current parse of that version (with `history`,
    every stored parse of it, the current one first, then the earlier ones newest first).

    Each record carries its `report_id` (report_key), its `version` (1 for the report's first
    stored content, counting up) and `parse` (when it was parsed, whether it is current).

    `counties` are exact county names or adcodes, `portal_ids` portal keys; both narrow the
    selection. A version never parsed is not yielded but counted in `stats.unparsed`. The
    cross-report check `carryover_matches_previous_year` is added when the previous year's
    report of the same agency on the same portal is stored and parsed.
    """
    stats = stats if stats is not None else ExportStats()
    query = select(Report.id).join(Portal, Portal.id == Report.portal_id)
    if counties:
        query = query.where(Portal.county.in_(counties) | Portal.adcode.in_(counties))
    if portal_ids is not None:
        query = query.where(Portal.id.in_(portal_ids))
    if years:
        query = query.where(Report.year.in_(years))
    query = query.order_by(Portal.adcode, Portal.county, Report.agency, Report.year, Report.id)
    report_ids = list(session.scalars(query))
    previous_cache: dict[tuple[int, str, int], Record | None] = {}
    for start in range(0, len(report_ids), BATCH):
        for report_id in report_ids[start : start + BATCH]:
            report = session.get(Report, report_id)
            assert report is not None
            versions = list(
                session.scalars(
                    select(ReportVersion)
                    .where(ReportVersion.report_id == report.id)
                    .order_by(ReportVersion.id.desc())
                )
            )
            portal = session.get(Portal, report.portal_id)
            for index, version in enumerate(versions if all_versions else versions[:1]):
                stats.versions += 1
                parse = latest_parse(session, version.id)
                if parse is None:
                    stats.unparsed.append(f"{report.agency} {report.year} (version {version.id})")
                    continue
                parses = [parse]
                if history:
                    parses += [
                        p
                        for p in session.scalars(
                            select(ParseResult)
                            .where(ParseResult.version_id == version.id)
                            .order_by(ParseResult.parsed_at.desc(), ParseResult.id.desc())
                        )
                        if p.id != parse.id
                    ]
                for one in parses:
                    record = {
                        **_identity(report, portal, len(versions) - index, one),
                        **one.record,
                    }
                    previous = _previous_record(session, report, previous_cache)
                    check = carryover_check(record, previous) if previous else None
                    if check is not None:
                        record["checks"] = [
                            *(
                                c
                                for c in record.get("checks", [])
                                if c.get("rule") != CARRYOVER_RULE
                            ),
                            check,
                        ]
                    yield record
        session.expunge_all()


# --- the data dictionary of the flat layout (docs/export.md) ------------------------------

APPLICANT_LABELS = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "nonprofit": "社会公益组织",
    "legal_service": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
}
REVIEW_LABELS = {
    "review": "行政复议",
    "litigation_direct": "行政诉讼 · 未经复议直接起诉",
    "litigation_after_review": "行政诉讼 · 复议后起诉",
}
META_MEANINGS = {
    "county": "the portal's county-level name (寿县)",
    "adcode": "6-digit administrative division code, empty when unknown",
    "agency": "the issuing body (寿县人民政府)",
    "year": "the report year (the year reported on)",
    "era": "template: 2019, 2021, legacy or empty",
    "title": "the report title as published",
    "url": "the article page (or the document itself when linked directly)",
    "published": "publication date YYYY-MM-DD, empty when unknown",
    "parser_version": "version of the parser that produced the record",
    "report_id": "stable id of the report, the same in any database: `<adcode>-<year>-<hash of the issuing body>` (docs/record-schema.md)",
    "version": "version number of the report's content: 1 for the first stored content, counting up when the portal changes it",
    "parse.current": "true for the parse exports use; false for an earlier (or kept-back) parse shown by `--history`",
    "parse.parsed_at": "when this parse was made (UTC, ISO 8601)",
    "checks_failed": "rules of the failed checks, `;`-separated, sorted (empty: every evaluated check holds)",
    "warnings": "the record's warnings, ` | `-separated",
    "documents": "URLs of the version's documents (article page, attachments), space-separated, in order (a browser's rendered DOM is listed only in the JSONL record)",
    "sha256": "SHA-256 of each document's bytes as the server sent them, space-separated, same order as `documents`",
}


def _cell_meanings() -> dict[str, tuple[str, str]]:
    """{column: (templates, meaning)} for every table cell column."""
    from harvester.parser.template import RESULT_COLUMNS as RESULTS
    from harvester.parser.template import T2_ITEMS, T3_ROWS, T4_HEADERS

    out: dict[str, tuple[str, str]] = {}
    for column in _cell_types():
        section, row, col = column.split(".")
        eras: list[str] = []
        meaning = ""
        if section == "applications":
            for era, specs in T3_ROWS.items():
                for spec in specs:
                    if spec.key == row:
                        eras.append(era)
                        meaning = f"三 {spec.label} · {APPLICANT_LABELS.get(col, col)}"
        elif section == "review_litigation":
            eras = ["2019", "2021"]
            meaning = f"四 {REVIEW_LABELS.get(row, row)} · {dict(zip(RESULTS, T4_HEADERS, strict=True)).get(col, col)}"
        else:
            for era, items in T2_ITEMS.items():
                for item in items:
                    if item.key != row:
                        continue
                    headers = dict(zip(item.columns, item.headers, strict=True))
                    if col in headers:
                        eras.append(era)
                        meaning = f"二 {item.label} · {headers[col]}"
                    elif col.startswith("amount_") and "amount" in headers:
                        eras.append(era)
                        how = (
                            "as printed, with its unit"
                            if col == "amount_raw"
                            else "in yuan (empty when no unit is printed)"
                        )
                        meaning = f"二 {item.label} · {headers['amount']} {how}"
        out[column] = ("both" if len(eras) > 1 else (eras[0] if eras else "?"), meaning)
    return out


def column_dictionary() -> list[dict[str, str]]:
    """Every flat column with its type, template and meaning, in order."""
    cells = _cell_meanings()
    rows = []
    for column in flat_columns():
        template, meaning = cells.get(column, ("", META_MEANINGS.get(column, "")))
        rows.append(
            {
                "column": column,
                "kind": column_kind(column),
                "template": template,
                "meaning": meaning,
            }
        )
    return rows


DOC_START = "<!-- columns:start (generated by `python -m harvester.export docs/export.md`) -->"
DOC_END = "<!-- columns:end -->"


def columns_markdown() -> str:
    lines = ["| # | column | type | template | meaning |", "|---|---|---|---|---|"]
    for n, row in enumerate(column_dictionary(), 1):
        lines.append(
            f"| {n} | `{row['column']}` | {row['kind']} | {row['template']} | {row['meaning']} |"
        )
    return "\n".join(lines)


def update_doc(path: str) -> None:
    """Rewrite the generated column table of docs/export.md from flat_columns()."""
    from pathlib import Path

    doc = Path(path)
    text = doc.read_text("utf-8")
    head, _, rest = text.partition(DOC_START)
    _, _, tail = rest.partition(DOC_END)
    doc.write_text(f"{head}{DOC_START}\n{columns_markdown()}\n{DOC_END}{tail}", "utf-8")


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 2:
        update_doc(sys.argv[1])
    else:
        print(columns_markdown())
