"""What a running portal of the world tells its users: where it is, what it is, and which
reports a crawl must store from it."""

from __future__ import annotations

from dataclasses import dataclass

from harvester.world.plan import PortalPlan


@dataclass(frozen=True)
class ExpectedReport:
    """A report a crawl must store: the agency as its title names the issuing body."""

    agency: str
    year: int


@dataclass(frozen=True)
class PortalSpec:
    county: str
    province: str
    prefecture: str
    adcode: str
    family: str  # what a crawl should recognise ("generic" for the special portals)
    kind: str  # the builder: a family, or gbk / jslist / challenge
    home_url: str
    expected: tuple[ExpectedReport, ...]  # by agency, then newest year first

    @classmethod
    def of(cls, plan: PortalPlan, family: str, home_url: str) -> PortalSpec:
        return cls(
            county=plan.county,
            province=plan.province,
            prefecture=plan.prefecture,
            adcode=plan.adcode,
            family=family,
            kind=plan.family,
            home_url=home_url,
            expected=tuple(ExpectedReport(a, y) for a, y in plan.expected()),
        )

    def expected_pairs(self) -> set[tuple[str, int]]:
        return {(e.agency, e.year) for e in self.expected}
