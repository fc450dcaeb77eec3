"""The report parser: a Document (or plain text) in, a checked record out.

`parse_document` and `parse_text` never raise: whatever the input, they return a record
per the public schema (docs/record-schema.md) whose `warnings` say what was guessed,
skipped or could not be read.
"""

from __future__ import annotations

import traceback
from typing import Any, TypedDict, Unpack

from harvester.document import Document
from harvester.parser.record import build_record
from harvester.parser.tokens import document_tokens, text_tokens
from harvester.parser.version import PARSER_VERSION

__all__ = ["PARSER_VERSION", "parse_document", "parse_text"]

INTERNAL_ERROR = "internal parser error"


class ReportContext(TypedDict, total=False):
    """What is known of a report besides its content: where it was found and what its
    page said (the record takes these over, or checks the text against them)."""

    county: str | None
    adcode: str | None
    url: str | None
    documents: list[dict[str, Any]] | None
    agency: str | None
    title: str | None
    published: str | None


def _context(given: ReportContext) -> dict[str, Any]:
    """Every context key, None where not given; an unknown key is the caller's error."""
    unknown = set(given) - set(ReportContext.__annotations__)
    if unknown:
        raise TypeError(f"unknown report context: {', '.join(sorted(unknown))}")
    return {key: given.get(key) for key in ReportContext.__annotations__}


def _safe(build: Any, ctx: dict[str, Any]) -> dict[str, Any]:
    try:
        return build()
    except Exception as exc:  # never raise: the failure is recorded in the record itself
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return {
            "county": ctx.get("county"),
            "adcode": ctx.get("adcode"),
            "agency": ctx.get("agency"),
            "year": None,
            "era": None,
            "title": ctx.get("title"),
            "url": ctx.get("url"),
            "published": ctx.get("published"),
            "documents": list(ctx.get("documents") or []),
            "checks": [],
            "warnings": [
                f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc} "
                f"(at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})"
            ],
            "parser_version": PARSER_VERSION,
        }


def parse_document(doc: Document, **context: Unpack[ReportContext]) -> dict[str, Any]:
    """The record of one normalised document."""
    ctx = _context(context)
    return _safe(lambda: build_record(document_tokens(doc), doc, ctx), ctx)


def parse_text(text: str, **context: Unpack[ReportContext]) -> dict[str, Any]:
    """The record of a report given as plain text (any of the table shapes the readers know)."""
    ctx = _context(context)
    return _safe(lambda: build_record(text_tokens(text), None, ctx), ctx)
