"""The seed reports: real reports as plain text (harvester/world/seeds/, package data; the
tests read them from here too), as the world publishes them, and the carried-over counts
they fix for the generated reports beside them."""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from pathlib import Path

from harvester.document import Document
from harvester.parser import parse_text
from harvester.parser.template import APPLICANT_COLUMNS
from harvester.synth import report_document
from harvester.world.catalog import PROFILES

SEED_DIR = Path(__file__).with_name("seeds")


def seed_path(name: str) -> Path:
    """A seed report's file (file name prefix like "000")."""
    for path in sorted(SEED_DIR.glob("*.txt")):
        if path.name.startswith(name):
            return path
    raise FileNotFoundError(f"no seed {name!r} in {SEED_DIR}")


def seed_text(name: str) -> str:
    """A seed report's text (file name prefix like "000")."""
    return seed_path(name).read_text(encoding="utf-8")


def seed_document(text: str, title: str, agency: str, year: int) -> Document:
    """A seed report as published: the real report's tables laid out as the template is.

    The seed is a real report as plain text; the parser (whose reading of every seed is
    asserted cell by cell in tests/test_parser_seeds.py) gives its numbers, and the page
    shows them as the HTML / Word tables real portals publish.
    """
    record = parse_text(text)
    record.update(title=title, agency=agency, year=year)
    doc = report_document(record)
    doc.title = title
    return doc


def carried_forward_of(county: str, agency: str, year: int) -> list[int]:
    """结转下年度 of a body's report (six applicant columns), the same whichever report asks:
    a body's reports agree from one year to the next, as real ones should — the generated
    reports beside a seed (a real report) take its 上年结转 and 结转下年度."""
    known = seed_carries().get((county, agency, year))
    if known is not None:
        return known
    rng = random.Random(f"{county}|{agency}|{year}|carried")
    return [rng.randint(0, 5) for _ in range(6)]


@functools.cache
def seed_carries() -> dict[tuple[str, str, int], list[int]]:
    """(county, agency, year) → 结转下年度 fixed by the seed reports of the catalog."""
    carries: dict[tuple[str, str, int], list[int]] = {}
    for profile in PROFILES:
        if profile.seed is None:
            continue
        seed = profile.seed
        rows = parse_text(seed_text(seed.seed)).get("applications") or {}
        carries[(profile.county, seed.agency, seed.year)] = _applicants(rows, "carried_forward")
        carries[(profile.county, seed.agency, seed.year - 1)] = _applicants(rows, "carried_over")
    return carries


def _applicants(rows: Mapping[str, Mapping[str, int | None]], row: str) -> list[int]:
    """A row of section 三's table: its six applicant columns."""
    values = rows.get(row) or {}
    return [int(values.get(c) or 0) for c in APPLICANT_COLUMNS[:6]]
