"""Assembling the record: metadata, sections, checks, warnings."""

from __future__ import annotations

from harvester.document import Document
from harvester.parser import metadata as meta
from harvester.parser.checks import run_checks
from harvester.parser.completeness import completeness
from harvester.parser.era import detect_era
from harvester.parser.prose import read_prose
from harvester.parser.sections import fallback_four, read_applications, read_proactive, read_review
from harvester.parser.segment import section_ranges
from harvester.parser.textcheck import legacy_tables, text_vs_table
from harvester.parser.tokens import Loose, Token, loose_tokens
from harvester.parser.types import Context, Record
from harvester.parser.version import PARSER_VERSION


def _lines(loose: Loose) -> list[str]:
    return [t.text for t in loose.tokens if t.kind == "text"]


def _choose_era(
    tokens: list[Token], ranges: dict[str, tuple[int, int]]
) -> tuple[str | None, str, str | None]:
    """(era for the record, evidence, template to read the tables with)."""
    era, evidence = detect_era(tokens)
    if era in ("2019", "2021"):
        return era, evidence, era
    if era == "legacy":
        return era, evidence, None
    if "three" in ranges:  # tables without enough labels: read with the template that fits
        best = None
        for template in ("2021", "2019"):
            rows, _, _ = read_applications(tokens, ranges["three"], template)
            filled = sum(1 for r in (rows or {}).values() if any(v is not None for v in r.values()))
            if rows is not None and (best is None or filled > best[0]):
                best = (filled, template)
        if best and best[0] >= 20:  # a full section 三: its （六） rows tell the template
            return (
                best[1],
                f"section 三 laid out as the {best[1]} template ({best[0]} rows)",
                best[1],
            )
        if best:
            return None, evidence, best[1]
    return None, evidence, None


def build_record(tokens: list[Token], doc: Document | None, ctx: Context) -> Record:
    warnings: list[str] = list(doc.warnings) if doc else []
    if doc is not None and doc.ocr_used:
        warnings.insert(
            0,
            "OCR: every value of this record was read by OCR from images of the report; "
            "check them against the source before use",
        )
    elif doc is not None and doc.needs_ocr:
        warnings.insert(0, "OCR needed: the report's tables are images and no OCR was run")
    loose = loose_tokens(tokens)
    lines = _lines(loose)
    given = ctx.get("title") or (doc.title if doc and doc.title else None)
    if given:
        title, identity = given, meta.title_identity(given)
        if identity is None:  # a page title such as 政府信息公开_某县人民政府: ask the text itself
            identity = meta.find_title_identity(lines)[1]
    else:  # the title found in the text, with its identity
        title, identity = meta.find_title_identity(lines)
    year = identity[1] if identity else None
    stated = meta.report_year_from_text(lines)
    if year is None:
        year = stated
        if year is None:
            warnings.append("report year not found in the title or the 统计期限 sentence")
    elif stated is not None and stated != year:
        warnings.append(
            f"title says {year} but the 统计期限 sentence says {stated}; kept the title's"
        )
    agency = ctx.get("agency") or (identity[0] if identity else None)
    if agency is None and doc and doc.metadata.get("发布机构"):
        agency = doc.metadata["发布机构"]
    if agency is None:
        agency = meta.signature_body(lines)
    if agency is None:
        agency = meta.publisher_from_text(lines)
    published = None
    for source in (ctx.get("published"), doc.published if doc else None):
        if source and published is None:
            published = meta.iso_date(source)
            if published is None:
                warnings.append(f"publication date {source!r} is not a date; ignored")
    published = published or meta.published_from_text(lines)

    ranges, seg_warnings = section_ranges(tokens, loose)
    warnings.extend(seg_warnings)
    era, evidence, template = _choose_era(tokens, ranges)
    record: Record = {
        "county": ctx.get("county"),
        "adcode": ctx.get("adcode"),
        "agency": agency,
        "year": year,
        "era": era,
        "title": title,
        "url": ctx.get("url"),
        "published": published,
        "documents": list(ctx.get("documents") or []),
    }
    if doc is not None and (doc.needs_ocr or doc.ocr_used):
        record["needs_ocr"] = True
    if era is None:
        warnings.append(f"era unknown: {evidence}")
    if template is not None:
        if era is None:
            warnings.append(f"tables read with the {template} template (best fit)")
        if "two" in ranges:
            proactive, w = read_proactive(tokens, ranges["two"], template)
            warnings.extend(w)
            if proactive:
                record["proactive"] = proactive
        after = ranges["two"][0] if "two" in ranges else 0
        if "three" in ranges:
            apps, w, after = read_applications(tokens, ranges["three"], template)
            warnings.extend(w)
            if apps:
                record["applications"] = apps
        span = ranges.get("four") or fallback_four(tokens, after)
        if span:
            review, w = read_review(tokens, span)
            warnings.extend(w)
            if review:
                record["review_litigation"] = review
    for key, label in (("proactive", "二"), ("applications", "三"), ("review_litigation", "四")):
        if key not in record and era in ("2019", "2021"):
            warnings.append(f"section {label}: no table found")
    figures = read_prose(tokens, loose)
    if figures:
        record["prose_figures"] = figures
    if era == "legacy" and figures:  # no fixed tables: the prose is the only source
        tables, filled, w = legacy_tables(figures)
        record.update(tables)
        warnings.extend(w)
        if filled:
            record["from_prose"] = filled
            warnings.append(
                f"legacy report: {len(filled)} figure(s) read from the prose "
                f"({', '.join(filled)}); the other cells are null"
            )
    checks = run_checks(record)
    prose_check = text_vs_table(record, figures) if era != "legacy" else None
    if prose_check is not None:
        checks.append(prose_check)
    record["checks"] = checks
    if template is not None:
        record["completeness"] = completeness(record, template)
    record["warnings"] = warnings
    record["parser_version"] = PARSER_VERSION
    return record
