"""The report parser: a Document (or plain text) in, a checked record out.

`parse_document` and `parse_text` never raise: whatever the input, they return a record
per the public schema (docs/record-schema.md) whose `warnings` say what was guessed,
skipped or could not be read.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Unpack

from harvester.document import Document
from harvester.parser.record import build_record
from harvester.parser.tokens import document_tokens, text_tokens
from harvester.parser.types import Context, Record
from harvester.parser.version import PARSER_VERSION

__all__ = ["PARSER_VERSION", "Context", "Record", "parse_document", "parse_text"]

INTERNAL_ERROR = "internal parser error"


def _safe(build: Callable[[], Record], ctx: Context) -> Record:
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


def _checked(context: Context) -> Context:
    unknown = set(context) - set(Context.__annotations__)
    if unknown:  # a caller's typo, not bad input: say so at once
        raise TypeError(f"unknown context key(s): {', '.join(sorted(unknown))}")
    return context


def parse_document(doc: Document, **context: Unpack[Context]) -> Record:
    """The record of one normalised document; `context` (county, adcode, url, documents,
    agency, title, published) is what the caller already knows and wins over the text."""
    ctx = _checked(context)
    return _safe(lambda: build_record(document_tokens(doc), doc, ctx), ctx)


def parse_text(text: str, **context: Unpack[Context]) -> Record:
    """The record of a report given as plain text (any of the table shapes the readers know);
    `context` as for parse_document."""
    ctx = _checked(context)
    return _safe(lambda: build_record(text_tokens(text), None, ctx), ctx)
