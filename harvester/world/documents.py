"""The world's generated reports: Documents of the year's template (harvester.synth),
titled as published, and any report Document as an article's body HTML."""

from __future__ import annotations

import random

from harvester.document import Block, Document
from harvester.synth import random_record, report_document
from harvester.world.seed_reports import carried_forward_of
from harvester.writers import body_html


def era_of(year: int) -> str:
    return "2019" if year <= 2020 else "2021"


def generated_document(
    rng: random.Random, title: str, agency: str, year: int, county: str
) -> Document:
    """A generated report of the year's template, its first heading the published title."""
    record = random_record(
        rng,
        era_of(year),
        agency=agency,
        year=year,
        county=county,
        carried_over=carried_forward_of(county, agency, year - 1),
        carried_forward=carried_forward_of(county, agency, year),
    )
    doc = report_document(record)
    doc.title = title
    if doc.blocks and doc.blocks[0].kind == "heading":
        doc.blocks[0] = Block("heading", title, level=1)
    else:
        doc.blocks.insert(0, Block("heading", title, level=1))
    return doc


def fragment_html(doc: Document) -> str:
    """The report's body as an article body: paragraphs and tables with their spans."""
    return body_html(doc).strip()
