"""Per-portal bookkeeping during a crawl, turned into the portal's outcome at the end."""

from __future__ import annotations

from dataclasses import dataclass, field

from harvester.crawl.walks import WalkNote
from harvester.storage.types import Failure


@dataclass
class PortalInfo:
    """What the spider needs of a registry row (read once, at the start of the crawl)."""

    id: int
    name: str
    home_url: str
    family: str | None = None
    column_urls: list[str] = field(default_factory=list)
    allowed_hosts: list[str] = field(default_factory=list)
    selectors: dict[str, str] = field(default_factory=dict)
    needs_browser: bool = False
    encoding: str | None = None


@dataclass
class PortalState:
    portal: PortalInfo
    columns: list[str] = field(default_factory=list)
    list_pages: int = 0
    pages_asked: set[str] = field(default_factory=set)  # further list pages requested
    list_pages_capped: bool = False
    report_links: int = 0
    articles: int = 0
    skipped: int = 0
    older: int = 0  # report links before the run's since_year, not followed
    reports: int = 0
    new_versions: int = 0
    attachments: int = 0
    pictures: int = 0  # article-body pictures stored (tables published as images)
    home_error: str | None = None
    failures: list[Failure] = field(default_factory=list)
    learnt_browser: bool = False  # a challenge: the registry row gets needs_browser
    rendered_lists: int = 0  # script-filled lists rendered in the browser
    detected_family: str | None = None
    browser_cookies: dict[str, str] = field(default_factory=dict)
    challenge_passed: bool = False  # a browser load got past a 412/521 challenge
    plain_refused: bool = False  # …but plain requests with its cookies are challenged again
    subcolumn_depth: dict[str, int] = field(default_factory=dict)  # url → least depth asked
    units: dict[str, str] = field(default_factory=dict)  # unit page URL → body name (listed)
    units_walked: set[str] = field(default_factory=set)  # unit pages whose 年报 column was found
    units_without_column: dict[str, str] = field(default_factory=dict)  # URL → why not
    coverage: list[Failure] = field(default_factory=list)  # unit lists not walked, …
    agencies: set[str] = field(default_factory=set)  # bodies of the reports stored
    not_reasked: set[str] = field(default_factory=set)  # known report pages left unasked
    walk_notes: list[WalkNote] = field(default_factory=list)  # lists the navigation reached
    replayed: bool = False  # started at the lists of the last walk (harvester.crawl.walks)
    rewalked: bool = False  # …and walked from the home page after all (a known list failed)
    known_unit_lists: set[str] = field(default_factory=set)  # JSON unit lists not re-read
    started: bool = False  # the spider began handing over its start requests
    starting: bool = False  # …and has not handed over all of them yet

    def coverage_gap(self, reason: str, url: str | None = None) -> None:
        entry: Failure = {"reason": reason, "coverage": True}
        if url:
            entry["url"] = url
        self.coverage.append(entry)

    def coverage_problems(self) -> list[Failure]:
        """What the platform shows and the crawl did not reach, headline first: bodies
        without a 年报 column, unit lists not walked, reports of one body only while the
        platform lists many."""
        out: list[Failure] = []
        missing = self.units_without_column
        if missing:
            names = "、".join(self.units.get(u, u) for u in list(missing)[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            out.append(
                {
                    "reason": f"{len(missing)} bodies without a 年报 column ({names}{more})",
                    "coverage": True,
                }
            )
            for url, why in missing.items():
                out.append(
                    {"reason": f"{self.units.get(url, url)}: {why}", "url": url, "coverage": True}
                )
        out.extend(self.coverage)
        if len(self.units) >= 2 and len(self.agencies) == 1:
            out.append(
                {
                    "reason": f"reports from one body only ({next(iter(self.agencies))}) while "
                    f"the platform lists {len(self.units)} bodies",
                    "coverage": True,
                }
            )
        return out

    def walked_from(self) -> str:
        """Where this process began the portal's walk (``portal_run.walked_from``)."""
        if self.portal.column_urls:
            return "registry columns"
        return "known lists" if self.replayed and not self.rewalked else "home page"

    def fail(self, reason: str, url: str | None = None) -> None:
        entry: Failure = {"reason": reason}
        if url:
            entry["url"] = url
        self.failures.append(entry)

    def counts(self) -> dict[str, int]:
        return {
            "columns": len(self.columns),
            "list_pages": self.list_pages,
            "report_links": self.report_links,
            "articles": self.articles,
            "skipped": self.skipped,
            "older": self.older,
            "reports": self.reports,
            "not_reasked": len(self.not_reasked),
            "new_versions": self.new_versions,
            "attachments": self.attachments,
            "pictures": self.pictures,
            "units": len(self.units),
            "units_without_column": len(self.units_without_column),
        }

    def outcome(self, close_reason: str = "finished") -> tuple[str, list[Failure]]:
        """ok only when reports were stored and every body the platform lists was reached;
        partial when reports were stored but coverage has gaps (coverage_problems, first);
        otherwise failed with the first reason that applies."""
        failures = list(self.failures)
        if close_reason != "finished":
            failures.insert(0, {"reason": f"crawl ended early ({close_reason})"})
        if self.reports and close_reason == "finished":
            gaps = self.coverage_problems()
            return ("partial", gaps + failures) if gaps else ("ok", failures)
        if self.home_error and not self.columns:
            reason = f"portal unreachable: {self.home_error}"
        elif not self.columns:
            reason = "no 年报 column found"
        elif not self.report_links and self.older:
            reason = f"no report of the requested years ({self.older} older report links skipped)"
        elif not self.report_links:
            reason = "column found but no report links"
        elif not self.reports:
            reason = "report links found but no report could be stored"
        else:
            reason = f"crawl ended early ({close_reason})"
        return "failed", [{"reason": reason}, *self.coverage_problems(), *failures]
