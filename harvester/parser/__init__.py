"""The report parser: a Document (or plain text) in, a checked record out.

`parse_document` and `parse_text` never raise: whatever the input, they return a record
per the public schema (docs/record-schema.md) whose `warnings` say what was guessed,
skipped or could not be read.
"""

from __future__ import annotations

import traceback
from typing import Any

from harvester.document import Document
from harvester.parser.record import build_record
from harvester.parser.tokens import document_tokens, text_tokens
from harvester.parser.version import PARSER_VERSION

__all__ = ["PARSER_VERSION", "parse_document", "parse_text"]

INTERNAL_ERROR = "internal parser error"


def _context(**kwargs: Any) -> dict[str, Any]:
    return kwargs


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


def parse_document(
    doc: Document,
    *,
    county: str | None = None,
    adcode: str | None = None,
    url: str | None = None,
    documents: list[dict[str, Any]] | None = None,
    agency: str | None = None,
    title: str | None = None,
    published: str | None = None,
) -> dict[str, Any]:
    """The record of one normalised document."""
    ctx = _context(
        county=county, adcode=adcode, url=url, documents=documents, agency=agency, title=title, published=published
    )
    return _safe(lambda: build_record(document_tokens(doc), doc, ctx), ctx)


def parse_text(
    text: str,
    *,
    county: str | None = None,
    adcode: str | None = None,
    url: str | None = None,
    documents: list[dict[str, Any]] | None = None,
    agency: str | None = None,
    title: str | None = None,
    published: str | None = None,
) -> dict[str, Any]:
    """The record of a report given as plain text (any of the table shapes the readers know)."""
    ctx = _context(
        county=county, adcode=adcode, url=url, documents=documents, agency=agency, title=title, published=published
    )
    return _safe(lambda: build_record(text_tokens(text), None, ctx), ctx)
