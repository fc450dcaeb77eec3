"""Exported records: JSONL per the public record schema, and a flat CSV/Parquet layout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.storage.models import ParseResult, Portal, Report, ReportVersion
from harvester.summary import latest_parse

META_COLUMNS = ["county", "adcode", "agency", "year", "era", "title", "url", "published", "parser_version"]
SECTIONS = ("proactive", "applications", "review_litigation")


@cache
def record_schema() -> dict[str, Any]:
    text = resources.files("harvester").joinpath("schema/record.schema.json").read_text("utf-8")
    return json.loads(text)


def validate_record(record: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when the record breaks the public contract."""
    jsonschema.validate(record, record_schema())


def _section_columns(schema: dict[str, Any], section: str) -> list[str]:
    """Dotted column names of a section, in the schema's order (rows × columns)."""
    node = schema["properties"][section]
    columns: list[str] = []
    for row, row_schema in node.get("properties", {}).items():
        for col in _object_properties(schema, row_schema):
            columns.append(f"{section}.{row}.{col}")
    return columns


def _object_properties(schema: dict[str, Any], node: dict[str, Any]) -> list[str]:
    if "$ref" in node:
        ref = node["$ref"].split("/")[-1]
        node = schema.get("$defs", schema.get("definitions", {}))[ref]
    if "properties" in node:
        return list(node["properties"])
    # Both templates' columns (a 2019 and a 2021 row of section 二 differ): the union.
    props: list[str] = []
    for alt in node.get("anyOf", []) + node.get("oneOf", []):
        for prop in _object_properties(schema, alt) if isinstance(alt, dict) else []:
            if prop not in props:
                props.append(prop)
    return props


@cache
def flat_columns() -> list[str]:
    schema = record_schema()
    columns = list(META_COLUMNS)
    for section in SECTIONS:
        columns.extend(_section_columns(schema, section))
    columns += ["checks_failed", "warnings", "documents", "sha256"]
    return columns


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """One CSV row: metadata, every table cell as `section.row.column`, check summary."""
    row: dict[str, Any] = {key: record.get(key) for key in META_COLUMNS}
    for column in flat_columns():
        parts = column.split(".")
        if len(parts) != 3:
            continue
        section, key, col = parts
        value = ((record.get(section) or {}).get(key) or {})
        row[column] = value.get(col) if isinstance(value, dict) else None
    row["checks_failed"] = ";".join(sorted({c["rule"] for c in record.get("checks", []) if not c["ok"]}))
    row["warnings"] = " | ".join(record.get("warnings", []))
    docs = record.get("documents", [])
    row["documents"] = " ".join(d["url"] for d in docs)
    row["sha256"] = " ".join(d["sha256"] for d in docs if d.get("sha256"))
    return row


def iter_records(
    session: Session,
    *,
    counties: list[str] | None = None,
    years: list[int] | None = None,
    all_versions: bool = False,
) -> Iterator[dict[str, Any]]:
    """Parsed records, newest version per report unless `all_versions`."""
    query = select(Report, Portal).join(Portal, Portal.id == Report.portal_id)
    if counties:
        query = query.where((Portal.county.in_(counties)) | (Portal.adcode.in_(counties)))
    if years:
        query = query.where(Report.year.in_(years))
    for report, _portal in session.execute(query.order_by(Portal.adcode, Report.agency, Report.year)):
        versions = list(
            session.scalars(
                select(ReportVersion).where(ReportVersion.report_id == report.id).order_by(ReportVersion.id.desc())
            )
        )
        for version in versions if all_versions else versions[:1]:
            parse: ParseResult | None = latest_parse(session, version.id)
            if parse is not None:
                yield parse.record
