"""Stored reports without a crawl, for the command-line tests.

Builds what a crawl would leave behind, through the same storage API the spiders use:
portals, a run, one Fetch and Blob per downloaded document (record_fetch), and report
versions (store_report_version). The reports are consistent random records
(harvester.synth.random_record) rendered as real HTML pages (harvester.writers.render_html)
or DOCX attachments, so parsing them gives back known numbers.
"""

from __future__ import annotations

import copy
import os
import random
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from harvester.items import FetchedDocument, ReportDocument
from harvester.parser.checks import run_checks
from harvester.processing import ProcessCounts, process_versions
from harvester.storage.blobs import BlobStore
from harvester.storage.db import make_engine, session_scope, upgrade_to_head
from harvester.storage.fetches import fetched_document, record_fetch, store_blob
from harvester.storage.models import Portal, PortalRun, ReportVersion
from harvester.storage.repo import (
    finish_portal_run,
    finish_run,
    start_portal_run,
    start_run,
    store_report_version,
)
from harvester.storage.types import utcnow
from harvester.synth import random_record, report_document
from harvester.writers import render_docx, render_html

ROOT = Path(__file__).parent.parent
SCHEMA_PATH = ROOT / "harvester" / "schema" / "record.schema.json"
# (province, prefecture, county, adcode, home page)
SHOUXIAN = ("安徽省", "淮南市", "寿县", "340422", "http://www.shouxian.example/")
XIANGSHAN = ("浙江省", "宁波市", "象山县", "330225", "http://www.xiangshan.example/")
TABLES = ("proactive", "applications", "review_litigation")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class StoredReport:
    """One stored report version and the truth it was rendered from."""

    record: dict[str, Any]
    county: str
    adcode: str | None
    portal_id: int
    report_id: int
    version_id: int
    url: str
    sha256: list[str] = field(default_factory=list)


def stored_documents(
    session: Session, blobs: BlobStore, bodies: Iterable[bytes], fetched_at: datetime
) -> list[ReportDocument]:
    """The bodies stored as blobs (no fetch rows), as a report version's documents: the
    first its page, the others attachments, at http://127.0.0.1/doc0, doc1, …"""
    documents = []
    for index, body in enumerate(bodies):
        blob, _ = store_blob(session, blobs, body)
        url = f"http://127.0.0.1/doc{index}"
        fetched = FetchedDocument(
            url=url,
            final_url=url,
            status=200,
            media_type=blob.media_type or "",
            fetched_at=fetched_at,
            via="http",
            sha256=blob.sha256,
            bytes=blob.size,
            complete=True,
        )
        documents.append(ReportDocument("page" if index == 0 else "attachment", url, fetched))
    return documents


class ReportStore:
    """A database and blob store filled the way a crawl fills them."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        upgrade_to_head(database_url)
        self.database_url = database_url
        self.data_dir = data_dir
        self.engine = make_engine(database_url)
        self.blobs = BlobStore(data_dir / "blobs")
        self.portals: dict[str, int] = {}

    def close(self) -> None:
        self.engine.dispose()

    def env(self) -> dict[str, str]:
        """The environment a user's shell would have for this database."""
        return {
            **os.environ,
            "HARVESTER_DATABASE_URL": self.database_url,
            "HARVESTER_DATA_DIR": str(self.data_dir),
            "COLUMNS": "200",
        }

    def portal(self, place: tuple[str, str, str, str, str]) -> int:
        province, prefecture, county, adcode, home = place
        if adcode in self.portals:
            return self.portals[adcode]
        with session_scope(self.engine) as session:
            row = Portal(
                province=province,
                prefecture=prefecture,
                county=county,
                adcode=adcode,
                home_url=home,
            )
            session.add(row)
            session.flush()
            self.portals[adcode] = row.id
        return self.portals[adcode]

    def run(
        self,
        kind: str = "crawl",
        outcome: str = "ok",
        portal_outcomes: dict[int, Any] | None = None,
    ) -> int:
        """A finished run; `portal_outcomes` {portal_id: (outcome, reports_found, [reasons])}."""
        with session_scope(self.engine) as session:
            run = start_run(session, kind, {"test": True}, "test")
            for portal_id, (p_outcome, found, reasons) in (portal_outcomes or {}).items():
                portal_run = start_portal_run(session, run.id, portal_id)
                finish_portal_run(
                    session,
                    portal_run,
                    reports_found=found,
                    documents=found,
                    failures=[{"url": None, "reason": r} for r in reasons],
                    outcome=p_outcome,
                )
            finish_run(session, run, outcome, {"portals": len(portal_outcomes or {})}, [])
            return run.id

    def _fetch(
        self, session: Session, run_id: int, portal_id: int, url: str, body: bytes, media_type: str
    ) -> FetchedDocument:
        fetched_at = utcnow()
        return fetched_document(
            record_fetch(
                session,
                self.blobs,
                run_id=run_id,
                portal_id=portal_id,
                url=url,
                final_url=url,
                method="GET",
                status=200,
                request_headers={"User-Agent": "harvester-test"},
                response_headers={"Content-Type": media_type, "Content-Length": str(len(body))},
                fetched_at=fetched_at,
                duration_ms=5,
                body=body,
                expected_length=len(body),
                via="http",
                referer=None,
                error=None,
            )
        )

    def add(
        self,
        place: tuple[str, str, str, str, str],
        record: dict[str, Any],
        *,
        run_id: int,
        as_docx: bool = False,
        path: str | None = None,
    ) -> StoredReport:
        """Store `record` as a report of the portal at `place`: an HTML article page with the
        whole report, or (as_docx) a short article page with the report as a DOCX attachment."""
        portal_id = self.portal(place)
        home = place[4]
        url = home + (path or f"xxgk/nb/{record['year']}-{record['agency']}.html")
        document = report_document(record)
        with session_scope(self.engine) as session:
            if as_docx:
                page = render_html(
                    report_document(
                        {
                            **record,
                            "proactive": None,
                            "applications": None,
                            "review_litigation": None,
                        }
                    )
                )
                attachment = url.replace(".html", ".docx")
                docs = [
                    ReportDocument(
                        "page", url, self._fetch(session, run_id, portal_id, url, page, "text/html")
                    ),
                    ReportDocument(
                        "attachment",
                        attachment,
                        self._fetch(
                            session, run_id, portal_id, attachment, render_docx(document), DOCX
                        ),
                    ),
                ]
            else:
                html = render_html(document)
                docs = [
                    ReportDocument(
                        "page", url, self._fetch(session, run_id, portal_id, url, html, "text/html")
                    )
                ]
            report, version, _ = store_report_version(
                session,
                portal_id=portal_id,
                agency=record["agency"],
                year=record["year"],
                title=record["title"],
                url=url,
                run_id=run_id,
                documents=docs,
            )
            return StoredReport(
                record=record,
                county=place[2],
                adcode=place[3],
                portal_id=portal_id,
                report_id=report.id,
                version_id=version.id,
                url=url,
                sha256=[d.sha256 for d in docs],
            )

    def parse(self, version_ids: list[int] | None = None) -> ProcessCounts:
        """Parse stored versions in this process (as a crawl does after fetching)."""
        with session_scope(self.engine) as session:
            query = select(ReportVersion).order_by(ReportVersion.id)
            if version_ids is not None:
                query = query.where(ReportVersion.id.in_(version_ids))
            return process_versions(session, self.blobs, list(session.scalars(query)))

    def count(self, model: Any) -> int:
        with session_scope(self.engine) as session:
            return session.scalar(select(func.count()).select_from(model)) or 0

    def portal_runs(self) -> list[PortalRun]:
        with session_scope(self.engine) as session:
            return list(session.scalars(select(PortalRun).order_by(PortalRun.id)))


def report(
    seed: int, era: str, *, agency: str, year: int, county: str | None = None
) -> dict[str, Any]:
    """A consistent random report (every check holds)."""
    return random_record(random.Random(seed), era, agency=agency, year=year, county=county)


def with_broken_balance(record: dict[str, Any]) -> dict[str, Any]:
    """The same report with one cell wrong, so that t3_balance and t3_row_sum fail."""
    broken = copy.deepcopy(record)
    broken["applications"]["received"]["natural_person"] += 7
    broken["checks"] = run_checks(broken)
    return broken


def chained(previous: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """`previous` changed so that its 结转下年度 equals `current`'s 上年结转 (and its own
    balance still holds, by adjusting 本年新收); None when that would need a negative count."""
    fixed = copy.deepcopy(previous)
    apps = fixed["applications"]
    apps["carried_forward"] = dict(current["applications"]["carried_over"])
    for column in apps["received"]:
        value = (
            apps["handled_total"][column]
            + apps["carried_forward"][column]
            - apps["carried_over"][column]
        )
        if value < 0:
            raise ValueError("needs a negative count; pick other seeds")
        apps["received"][column] = value
    fixed["checks"] = run_checks(fixed)
    assert all(c["ok"] for c in fixed["checks"]), fixed["checks"]
    return fixed


def harvester(
    env: dict[str, str] | None, *args: str, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """Run the `harvester` command as a user does, in a subprocess (env None: inherited)."""
    return subprocess.run(
        [sys.executable, "-m", "harvester", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )


def tables(record: dict[str, Any]) -> dict[str, Any]:
    return {key: record.get(key) for key in TABLES}
