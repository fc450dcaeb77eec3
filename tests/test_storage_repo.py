"""Runs, fetches, report versions and parse results as the crawler and commands store them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session
from stored_reports import stored_documents

from harvester.items import FetchedDocument, ReportDocument
from harvester.storage.blobs import BlobStore
from harvester.storage.db import mask_url, session_scope
from harvester.storage.fetches import (
    fetched_document,
    record_fetch,
)
from harvester.storage.models import (
    Blob,
    CrawlRun,
    Fetch,
    ParseResult,
    Portal,
    Report,
    ReportVersion,
    VersionDocument,
)
from harvester.storage.repo import (
    current_parse,
    finish_portal_run,
    finish_run,
    start_portal_run,
    start_run,
    store_parse_result,
    store_report_version,
)

T0 = datetime(2024, 3, 1, 8, 30, tzinfo=UTC)
PDF = b"%PDF-1.7\n2023 annual report body\n%%EOF"
PAGE = "<html><head><title>寿县2023年政府信息公开工作年度报告</title></head></html>".encode()


def make_portal(session: Session, county: str = "寿县") -> Portal:
    portal = Portal(province="安徽省", prefecture="淮南市", county=county, adcode=None)
    session.add(portal)
    session.flush()
    return portal


def fetch(
    session: Session, blobs: BlobStore, run_id: int | None, portal_id: int | None, **kw
) -> Fetch:  # type: ignore[no-untyped-def]
    values = {
        "run_id": run_id,
        "portal_id": portal_id,
        "url": "http://127.0.0.1/report.pdf",
        "final_url": "http://127.0.0.1/report.pdf",
        "method": "GET",
        "status": 200,
        "request_headers": {"User-Agent": "harvester-test"},
        "response_headers": {"Content-Type": "application/octet-stream"},
        "fetched_at": T0,
        "duration_ms": 12,
        "body": PDF,
        "expected_length": len(PDF),
        "via": "http",
        "referer": "http://127.0.0.1/list.html",
        "error": None,
    }
    values.update(kw)
    return record_fetch(session, blobs, **values)


def docs_for(session: Session, blobs: BlobStore, *bodies: bytes) -> list[ReportDocument]:
    return stored_documents(session, blobs, bodies, T0)


A_HTML = "http://127.0.0.1/a.html"


def store(
    session: Session,
    portal: Portal,
    documents: list[ReportDocument],
    run_id: int | None = None,
    title: str | None = None,
    url: str | None = None,
    year: int = 2023,
) -> tuple[Report, ReportVersion, bool]:
    """寿县人民政府's report of `year` stored with these documents (store_report_version)."""
    return store_report_version(
        session,
        portal_id=portal.id,
        agency="寿县人民政府",
        year=year,
        title=title,
        url=url,
        run_id=run_id,
        documents=documents,
    )


# --- runs ------------------------------------------------------------------------------


def test_run_is_recorded_from_start_to_finish(session: Session) -> None:
    run = start_run(session, "scrape", {"county": "寿县"}, "0.1.0+gabc")
    assert run.id is not None and run.outcome == "running" and run.pid and run.host
    failures = [{"portal": "寿县", "url": "http://127.0.0.1/x", "reason": "HTTP 404"}]
    finish_run(session, run, "partial", {"reports": 1}, failures)
    session.commit()
    stored = session.scalar(
        select(CrawlRun).where(CrawlRun.id == run.id).execution_options(populate_existing=True)
    )
    assert stored.outcome == "partial"
    assert stored.failures == failures
    assert stored.counts == {"reports": 1}
    assert stored.finished_at is not None and stored.finished_at.tzinfo is not None
    assert stored.finished_at >= stored.started_at
    with pytest.raises(ValueError, match="expected a final outcome"):
        finish_run(session, run, "running", {}, [])
    with pytest.raises(ValueError, match="expected run kind"):
        start_run(session, "harvest", {}, "x")


def test_portal_without_reports_is_a_recorded_failure(session: Session) -> None:
    portal = make_portal(session)
    run = start_run(session, "crawl", {}, "v")
    portal_run = start_portal_run(session, run.id, portal.id)
    assert start_portal_run(session, run.id, portal.id).id == portal_run.id
    finish_portal_run(session, portal_run, reports_found=0, documents=0)
    session.commit()
    session.refresh(portal_run)  # read back what the database holds
    assert portal_run.outcome == "failed"
    assert portal_run.failures == [{"url": None, "reason": "no annual report found on the portal"}]


def test_database_constraints_reject_invalid_values(session: Session) -> None:
    session.add(CrawlRun(kind="crawl", code_version="v", outcome="maybe"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    make_portal(session)
    session.add(Portal(province="安徽省", prefecture="淮南市", county="寿县"))
    with pytest.raises(IntegrityError):
        session.flush()


# --- fetches ---------------------------------------------------------------------------


def test_complete_fetch_keeps_bytes_and_provenance(session: Session, blob_store: BlobStore) -> None:
    portal = make_portal(session)
    run = start_run(session, "scrape", {}, "v")
    row = fetch(session, blob_store, run.id, portal.id)
    session.commit()
    assert row.complete is True and row.error is None and row.not_modified is False
    assert row.bytes == len(PDF)
    assert blob_store.get(row.sha256) == PDF
    blob = session.get(Blob, row.sha256)
    assert blob.size == len(PDF)
    assert blob.media_type == "application/pdf"  # sniffed, not the server's octet-stream
    assert row.referer == "http://127.0.0.1/list.html"
    assert row.request_headers == {"User-Agent": "harvester-test"}
    session.expire_all()
    again = session.get(Fetch, row.id)
    assert again.fetched_at == T0 and again.fetched_at.tzinfo is not None
    document = fetched_document(again)  # what a conditional request asks with
    assert document.stored and document.fetch_id == row.id


def test_truncated_body_is_never_complete(session: Session, blob_store: BlobStore) -> None:
    row = fetch(session, blob_store, None, None, body=PDF[:10], expected_length=len(PDF))
    session.commit()
    assert row.complete is False
    assert row.sha256 is None
    assert row.error == f"truncated: got 10 of {len(PDF)} bytes"
    assert row.bytes == 10
    assert session.scalar(select(func.count()).select_from(Blob)) == 0
    assert [p for p in blob_store.root.rglob("*") if p.is_file()] == []
    assert not fetched_document(row).stored


def test_failed_and_not_modified_fetches_are_recorded(
    session: Session, blob_store: BlobStore
) -> None:
    failed = fetch(
        session,
        blob_store,
        None,
        None,
        status=None,
        body=None,
        expected_length=None,
        error="TimeoutError: took longer than 30 s",
    )
    assert (failed.complete, failed.sha256, failed.error) == (
        False,
        None,
        "TimeoutError: took longer than 30 s",
    )
    cached = fetch(session, blob_store, None, None, status=304, body=b"", expected_length=0)
    assert cached.not_modified is True and cached.sha256 is None and cached.complete is False


# --- report versions -------------------------------------------------------------------


def test_new_version_only_when_content_changes(session: Session, blob_store: BlobStore) -> None:
    portal = make_portal(session)
    run1 = start_run(session, "crawl", {}, "v")
    docs = docs_for(session, blob_store, PAGE, PDF)
    report, v1, created = store(session, portal, docs, run1.id, "报告", A_HTML)
    assert created is True
    assert report.first_seen_run == run1.id

    run2 = start_run(session, "crawl", {}, "v")
    same_report, same, created = store(session, portal, docs, run2.id, "报告", A_HTML)
    assert created is False and same.id == v1.id and same_report.id == report.id
    assert same_report.first_seen_run == run1.id and same_report.last_seen_run == run2.id

    changed = docs_for(session, blob_store, PAGE, PDF + b"\n% corrected figures")
    _, v2, created = store(session, portal, changed, run2.id, "报告（更正）", A_HTML)
    session.commit()
    assert created is True and v2.id != v1.id and v2.content_hash != v1.content_hash
    assert session.scalar(select(func.count()).select_from(Report)) == 1
    versions = session.scalars(select(ReportVersion).order_by(ReportVersion.id)).all()
    assert [v.id for v in versions] == [v1.id, v2.id]  # the old version is kept

    def shas(version_id: int) -> list[str]:
        return list(
            session.scalars(
                select(VersionDocument.sha256)
                .where(VersionDocument.version_id == version_id)
                .order_by(VersionDocument.position)
            )
        )

    assert shas(v1.id) == [d.sha256 for d in docs]
    assert shas(v2.id) == [d.sha256 for d in changed]
    roles = session.scalars(
        select(VersionDocument.role)
        .where(VersionDocument.version_id == v1.id)
        .order_by(VersionDocument.position)
    ).all()
    assert roles == ["page", "attachment"]


def test_document_order_is_part_of_the_content(session: Session, blob_store: BlobStore) -> None:
    portal = make_portal(session)
    docs = docs_for(session, blob_store, PAGE, PDF, b"%PDF-1.4 second attachment")
    _, first, _ = store(session, portal, docs, year=2022)
    swapped = [docs[0], replace(docs[2], role="attachment"), docs[1]]
    _, second, created = store(session, portal, swapped, year=2022)
    assert created and second.id != first.id


def test_report_version_refuses_documents_without_stored_bytes(session: Session) -> None:
    portal = make_portal(session)
    with pytest.raises(ValueError, match="expected the sha256 of a stored blob"):
        store(
            session,
            portal,
            [
                ReportDocument(
                    "attachment",
                    "http://127.0.0.1/x.pdf",
                    FetchedDocument("http://127.0.0.1/x.pdf", "", 200, "", T0, "http"),
                )
            ],
        )


# --- parse results ---------------------------------------------------------------------


def test_every_parse_result_is_kept_and_one_is_current(
    session: Session, blob_store: BlobStore
) -> None:
    portal = make_portal(session)
    _, version, _ = store(session, portal, docs_for(session, blob_store, PDF))
    common = {
        "normalizer_version": "n1",
        "normalised": {"documents": []},
        "checks": [],
        "warnings": [],
    }
    first = store_parse_result(
        session, version, parser_version="p1", record={"year": 2023}, ok=False, error="x", **common
    )
    again = store_parse_result(
        session,
        version,
        parser_version="p1",
        record={"year": 2023, "era": "2021"},
        ok=True,
        error=None,
        **common,
    )
    other = store_parse_result(
        session, version, parser_version="p2", record={}, ok=False, error=None, **common
    )
    kept_back = store_parse_result(
        session,
        version,
        parser_version="p2",
        record={"worse": True},
        ok=False,
        error=None,
        make_current=False,
        **common,
    )
    session.commit()
    assert len({first.id, again.id, other.id, kept_back.id}) == 4  # every parse is kept
    session.expire_all()
    stored = session.get(ParseResult, first.id)
    assert stored.record == {"year": 2023} and stored.error == "x"  # never overwritten
    current = [
        p.id for p in session.scalars(select(ParseResult).where(ParseResult.is_current.is_(True)))
    ]
    assert current == [other.id]  # the newest made current; the kept-back one is not
    assert current_parse(session, version.id).id == other.id
    assert session.scalar(select(func.count()).select_from(ParseResult)) == 4


# --- mask_url --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "postgresql+psycopg://harv:s3cr%40t@db.example:5432/h",
            "postgresql+psycopg://harv:***@db.example:5432/h",
        ),
        ("postgresql://u:p@h/d?sslmode=require", "postgresql://u:***@h/d?sslmode=require"),
        (
            "postgresql+psycopg://postgres@127.0.0.1:55432/postgres",
            "postgresql+psycopg://postgres@127.0.0.1:55432/postgres",
        ),
        ("sqlite:////tmp/x.sqlite", "sqlite:////tmp/x.sqlite"),
        ("not a url://user:pw@host", "not a url://user:***@host"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_timestamps_are_utc_aware(engine: Engine) -> None:
    with session_scope(engine) as session:
        run = start_run(session, "demo", {}, "v")
        run_id = run.id
    with session_scope(engine) as session:
        run = session.get(CrawlRun, run_id)
        assert run.started_at.tzinfo is not None
        assert abs(run.started_at - datetime.now(UTC)) < timedelta(minutes=1)
        with pytest.raises(StatementError, match="expected a timezone-aware datetime"):
            run.finished_at = datetime(2024, 1, 1)  # noqa: DTZ001
            session.flush()
        session.rollback()


# --- browser pages: the server's bytes and the rendered DOM -------------------------------

SHELL = '<html><head><title>德清县</title></head><body><ul id="list"></ul></body></html>'


def rendered_page(
    session: Session, blobs: BlobStore, dom: str, portal_id: int
) -> tuple[ReportDocument, ...]:
    """A browser-fetched page: the shell the server sent, and the DOM its script filled."""
    from harvester.crawl.wire import render_digest

    row = fetch(
        session,
        blobs,
        None,
        portal_id,
        url="http://127.0.0.1/art.html",
        final_url="http://127.0.0.1/art.html",
        response_headers={"Content-Type": "text/html; charset=utf-8"},
        body=SHELL.encode(),
        expected_length=None,
        via="browser",
        rendered=dom.encode(),
    )
    document = replace(fetched_document(row), rendered_digest=render_digest(dom))
    from spiders.pages import page_documents

    return page_documents(ReportDocument("page", row.url, document))


def test_a_rendered_dom_is_a_derived_document_and_markup_is_no_change(
    session: Session, blob_store: BlobStore
) -> None:
    from harvester.processing import document_entries

    portal = make_portal(session, "德清县")
    text = "<p>德清县2023年政府信息公开工作年度报告</p>"
    first = rendered_page(
        session,
        blob_store,
        f"<html><body><table><tr><td>{text}</td></tr></table></body></html>",
        portal.id,
    )
    assert [d.role for d in first] == ["page", "rendered"]
    assert blob_store.get(first[0].sha256) == SHELL.encode()  # the fetch blob: the wire
    identity = {"portal_id": portal.id, "agency": "德清县", "year": 2023, "title": None}
    report, version, created = store_report_version(
        session, **identity, url=first[0].url, run_id=None, documents=first
    )
    assert created
    rows = session.scalars(
        select(VersionDocument).where(VersionDocument.version_id == version.id)
    ).all()
    entries = document_entries(rows)
    assert [(e["role"], e["rendered_from"]) for e in entries] == [
        ("page", None),
        ("rendered", first[0].sha256),
    ]
    assert entries[1]["sha256"] == first[1].sha256 != first[0].sha256
    # Chromium adds <tbody> on the next render: other bytes, same page — no new version.
    again = rendered_page(
        session,
        blob_store,
        f"<html><body><table><tbody><tr><td>{text}</td></tr></tbody></table></body></html>",
        portal.id,
    )
    assert again[1].sha256 != first[1].sha256
    _r, same, created = store_report_version(
        session, **identity, url=again[0].url, run_id=None, documents=again
    )
    assert not created and same.id == version.id
    # The text the script writes changed: a new version.
    changed = rendered_page(
        session, blob_store, "<html><body><p>德清县2023年年报（更正）</p></body></html>", portal.id
    )
    _r, newer, created = store_report_version(
        session, **identity, url=changed[0].url, run_id=None, documents=changed
    )
    assert created and newer.id != version.id
