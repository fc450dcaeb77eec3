"""Normalise and parse stored report versions: a pure function of stored bytes.

The crawl stores raw bytes only. This module turns each report version's documents (the
article page and its attachments) into one parsed record, and stores it as a ParseResult
tagged with the parser and normaliser versions. `harvester reparse` runs the same code over
everything already stored, so a parser upgrade never needs a re-crawl.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.archives import MemberDocument, is_archive, member_documents
from harvester.document import Document, Picture
from harvester.normalize import (
    NORMALIZER_VERSION,
    NormalizeError,
    normalize_isolated,
)
from harvester.normalize.core import check_size
from harvester.parser import PARSER_VERSION, Context, parse_document
from harvester.parser.completeness import is_read
from harvester.parser.types import DocumentEntry, Record
from harvester.pictured import mark_record, with_pictures
from harvester.storage.blobs import BlobError, Blobs
from harvester.storage.models import Portal, Report, ReportVersion, VersionDocument
from harvester.storage.repo import current_parse, store_parse_result

HARD_RULES = {
    "t3_balance",
    "t3_handled_sum",
    "t3_row_sum",
    "t4_sum_review",
    "t4_sum_litigation_direct",
    "t4_sum_litigation_after_review",
    "non_negative",
}
TABLE_KEYS = ("proactive", "applications", "review_litigation")


class BlobUnavailable(RuntimeError):
    """A stored document's bytes cannot be read from the blob store: the parse stops rather
    than record the document as unreadable (which would replace a good result)."""


class Regression(TypedDict):
    """A new parse that reads less than the current one (kept back unless accepted)."""

    version_id: int
    title: str
    worse: list[str]
    kept_parse: int
    accepted: bool


@dataclass
class ProcessCounts:
    versions: int = 0
    parsed: int = 0
    reports_with_tables: int = 0
    failed_checks: int = 0
    unreadable_documents: int = 0
    new_results: int = 0  # stored and made current
    unchanged: int = 0  # the same as the current result: nothing stored
    failures: list[dict[str, str]] = field(default_factory=list)
    regressions: list[Regression] = field(default_factory=list)
    accepted_regressions: int = 0
    storage_failure: str | None = None  # the crawl stopped on it; nothing was processed


@dataclass
class NormalisedDocument:
    document: VersionDocument | MemberDocument
    normalised: Document | None
    error: str | None


def _normalise(doc: VersionDocument, blobs: Blobs) -> list[NormalisedDocument]:
    """Every document, page or attachment, is normalised in a child process within the
    document budget (harvester.normalize.budget): one hostile file cannot take the run
    down; over budget, it is unreadable with the reason and its stored bytes stay. An
    archive attachment (ZIP) gives one normalised document per member
    (harvester.archives)."""
    try:
        if doc.bytes is not None:
            check_size(doc.bytes)  # refused before its blob is read
    except NormalizeError as exc:
        return [NormalisedDocument(doc, None, f"{doc.url}: {exc.reason}")]
    try:
        data = blobs.get(doc.sha256)
    except (BlobError, OSError) as exc:  # never "an unreadable document": stop instead
        raise BlobUnavailable(blob_problem(doc, blobs, exc)) from exc
    if doc.role == "attachment" and is_archive(data):
        try:
            members = member_documents(
                data,
                url=doc.url,
                final_url=doc.final_url,
                fetched_at=doc.fetched_at,
                archive_sha256=doc.sha256,
            )
        except NormalizeError as exc:
            return [NormalisedDocument(doc, None, f"{doc.url}: {exc.reason}")]
        return [
            _normalised(member, raw, member.path.rsplit("/", 1)[-1], f"{doc.url} ({member.path})")
            for member, raw in members
        ]
    filename = doc.url.rsplit("/", 1)[-1] or None
    return [_normalised(doc, data, filename, doc.url)]


def _normalised(
    doc: VersionDocument | MemberDocument, data: bytes, filename: str | None, where: str
) -> NormalisedDocument:
    try:
        normalised = normalize_isolated(data, filename=filename, url=doc.final_url or doc.url)
    except NormalizeError as exc:
        return NormalisedDocument(doc, None, f"{where}: {exc.reason}")
    return NormalisedDocument(doc, normalised, None)


def joined_pages(pages: list[Document]) -> Document:
    """An article split over several pages (TRS t…_1.html) as one document, in order."""
    first = pages[0]
    pictures, offset = [], 0
    for page in pages:
        pictures += [Picture(p.url, p.position + offset) for p in page.pictures]
        offset += len(page.blocks)
    return Document(
        blocks=[block for page in pages for block in page.blocks],
        title=first.title,
        published=first.published,
        metadata=dict(first.metadata),
        attachments=[a for page in pages for a in page.attachments],
        source_format=first.source_format,
        warnings=[w for page in pages for w in page.warnings]
        + [f"article joined from {len(pages)} pages"],
        pictures=pictures,
    )


def readable_pages(normalised: list[NormalisedDocument]) -> list[NormalisedDocument]:
    """The article's pages as the reader saw them: a page whose text exists only after its
    scripts ran is read from its rendered DOM (role "rendered", same fetch) instead."""
    rendered = {
        n.document.fetch_id: n
        for n in normalised
        if n.document.role == "rendered" and n.normalised and n.document.fetch_id
    }
    pages = []
    for n in normalised:
        if n.document.role == "page":
            pages.append(rendered.get(n.document.fetch_id, n) if n.document.fetch_id else n)
    return pages


def parse_candidates(normalised: list[NormalisedDocument]) -> list[Document]:
    """What to parse: the article (its pages joined) and each attachment on its own."""
    pages = [n.normalised for n in readable_pages(normalised) if n.normalised]
    others = [n.normalised for n in normalised if n.document.role == "attachment" and n.normalised]
    joined = [joined_pages(pages)] if len(pages) > 1 else pages
    return joined + others


def _table_score(record: Record) -> int:
    score = sum(1 for key in TABLE_KEYS if record.get(key))
    return score * 10 + (1 if record.get("era") else 0)


def _documents_of(session: Session, version: ReportVersion) -> list[VersionDocument]:
    return list(
        session.scalars(
            select(VersionDocument)
            .where(VersionDocument.version_id == version.id)
            .order_by(VersionDocument.position)
        )
    )


def document_entries(documents: Iterable[VersionDocument]) -> list[DocumentEntry]:
    """The record's `documents` list: where every byte came from. Pages and attachments
    are the bytes the server sent; a "rendered" entry is a browser's DOM, and
    `rendered_from` names the sha256 of the fetched page it was rendered from."""
    documents = list(documents)
    fetched = {d.fetch_id: d.sha256 for d in documents if d.role != "rendered" and d.fetch_id}
    return [
        {
            "url": d.url,
            "final_url": d.final_url,
            "sha256": d.sha256,
            "media_type": d.media_type,
            "bytes": d.bytes,
            "fetched_at": d.fetched_at.isoformat() if d.fetched_at else None,
            "role": d.role,
            "rendered_from": fetched.get(d.fetch_id) if d.role == "rendered" else None,
        }
        for d in documents
    ]


def parse_version(
    session: Session, blobs: Blobs, version: ReportVersion
) -> tuple[Record, list[dict[str, object]], list[str]]:
    """Normalise every document of a version and parse the one that holds the tables.

    Returns (record, normalised documents as dicts, errors). The article page supplies the
    title and publication date when the attachment does not state them. The session's
    transaction is committed once the version's rows are read.
    """
    report = session.get(Report, version.report_id)
    portal = session.get(Portal, report.portal_id) if report else None
    documents = _documents_of(session, version)
    # What the database holds is read: end the transaction before the slow part (one
    # document may take a minute to normalise), so that a crawl writing to the same SQLite
    # database meanwhile (harvester.streaming) is not held up by its write lock.
    session.commit()
    normalised = [n for d in documents for n in _normalise(d, blobs)]
    errors = [n.error for n in normalised if n.error]
    page = next((n.normalised for n in readable_pages(normalised) if n.normalised), None)
    context: Context = {
        "county": portal.county if portal else None,
        "adcode": portal.adcode if portal else None,
        "url": report.url if report else None,
        "documents": document_entries(documents)
        + [n.document.entry() for n in normalised if isinstance(n.document, MemberDocument)],
        "agency": report.agency if report else None,
        "title": (page.title if page and page.title else None)
        or (report.title if report else None),
        "published": page.published if page else None,
    }
    best: Record | None = None
    candidates = parse_candidates(normalised)
    article_record: Record | None = None
    for n, candidate in enumerate(candidates):
        record = parse_document(candidate, **context)
        if n == 0 and candidate.source_format == "html":
            article_record = record
        if best is None or _table_score(record) > _table_score(best):
            best = record
    best = _with_pictures(normalised, candidates, article_record, best, context)
    if best is None:
        best = parse_document(Document(), **context)
        best["warnings"].append("no document of this report could be read: " + "; ".join(errors))
    for error in errors:
        best["warnings"].append(f"document not readable: {error}")
    dumps = [
        {
            "sha256": n.document.sha256,
            "role": n.document.role,
            **({"archive_path": n.document.path} if isinstance(n.document, MemberDocument) else {}),
            "document": n.normalised.to_dict(),
        }
        for n in normalised
        if n.normalised is not None
    ]
    return best, dumps, errors


def _with_pictures(
    normalised: list[NormalisedDocument],
    candidates: list[Document],
    article_record: Record | None,
    best: Record | None,
    context: Context,
) -> Record | None:
    """The record of the article with its pictures read in place (harvester.pictured) when
    the report has image documents and no other document reads better."""
    images = [n for n in normalised if n.document.role == "image"]
    if not images or article_record is None:
        return best
    by_url: dict[str, Document | None] = {}
    for n in images:
        by_url[n.document.url] = n.normalised
        if n.document.final_url:
            by_url.setdefault(n.document.final_url, n.normalised)
    record = parse_document(with_pictures(candidates[0], by_url), **context)
    if best is not None and _table_score(best) > _table_score(record):
        return best
    mark_record(
        record,
        article_record,
        [n.document.url for n in images],
        any(n.normalised is not None and n.normalised.ocr_used for n in images),
        [n.document.url for n in images if n.normalised is None],
    )
    return record


def hard_checks_ok(record: Record) -> bool:
    return all(c["ok"] for c in record.get("checks", []) if c["rule"] in HARD_RULES)


def blob_problem(doc: VersionDocument, blobs: Blobs, exc: Exception) -> str:
    return (
        f"blob {doc.sha256} ({doc.url}) cannot be read from blob store {blobs.location}: {exc}; "
        "nothing was parsed or replaced for it. If the blobs were moved, pass --blobs DIR|URL (alias --blob-store)"
    )


def missing_blobs(session: Session, blobs: Blobs, version_ids: list[int]) -> list[str]:
    """The documents of these versions whose blob is not in the store (cheap: no hashing)."""
    missing: list[str] = []
    for start in range(0, len(version_ids), 500):
        chunk = version_ids[start : start + 500]
        for doc in session.scalars(
            select(VersionDocument).where(VersionDocument.version_id.in_(chunk))
        ):
            if not blobs.exists(doc.sha256):
                missing.append(f"{doc.sha256} ({doc.url})")
    return missing


def result_figures(record: Record, error: str | None) -> dict[str, int]:
    """What a regression is measured by: tables read, unreadable documents, failed checks."""
    warnings = record.get("warnings") or []
    return {
        "tables": sum(1 for key in TABLE_KEYS if record.get(key)),
        "unreadable_documents": sum(
            1 for w in warnings if isinstance(w, str) and w.startswith("document not readable:")
        ),
        "failed_checks": sum(1 for c in record.get("checks") or [] if not c.get("ok")),
    }


def regression(old: dict[str, int], new: dict[str, int]) -> list[str]:
    """How the new result is worse than the old one (empty: it is not)."""
    worse: list[str] = []
    if new["tables"] < old["tables"]:
        worse.append(f"tables {old['tables']} → {new['tables']}")
    if new["unreadable_documents"] > old["unreadable_documents"]:
        worse.append(
            f"unreadable documents {old['unreadable_documents']} → {new['unreadable_documents']}"
        )
    if new["failed_checks"] > old["failed_checks"]:
        worse.append(f"failed checks {old['failed_checks']} → {new['failed_checks']}")
    return worse


def process_versions(
    session: Session,
    blobs: Blobs,
    versions: Iterable[ReportVersion],
    *,
    progress: Callable[[str], None] | None = None,
    accept_regressions: bool = False,
    run_id: int | None = None,
) -> ProcessCounts:
    """Parse each version and add its ParseResult; earlier results are kept.

    The new result becomes current unless it is identical to the current one (nothing is
    stored) or it is worse (fewer tables, more unreadable documents, more failed checks):
    then it is stored but not made current, and listed in `regressions`, unless
    `accept_regressions`. A blob missing from the store raises BlobUnavailable.
    """
    counts = ProcessCounts()
    for version in versions:
        counts.versions += 1
        record, dumps, errors = parse_version(session, blobs, version)
        counts.unreadable_documents += len(errors)
        ok = hard_checks_ok(record)
        has_tables = is_read(record)  # tables present and read above READ_THRESHOLD
        counts.reports_with_tables += int(has_tables)
        counts.failed_checks += sum(1 for c in record.get("checks", []) if not c["ok"])
        error = "; ".join(errors) or None
        title = record.get("title") or f"version {version.id}"
        previous = current_parse(session, version.id)
        make_current = True
        if previous is not None:
            if (
                previous.parser_version == PARSER_VERSION
                and previous.normalizer_version == NORMALIZER_VERSION
                and previous.record == record
                and previous.error == error
            ):
                if not previous.is_current:
                    previous.is_current = True
                counts.unchanged += 1
                counts.parsed += 1
                session.commit()
                if progress:
                    progress(title)
                continue
            worse = regression(
                result_figures(previous.record or {}, previous.error),
                result_figures(record, error),
            )
            if worse:
                entry: Regression = {
                    "version_id": version.id,
                    "title": title,
                    "worse": worse,
                    "kept_parse": previous.id,
                    "accepted": accept_regressions,
                }
                counts.regressions.append(entry)
                make_current = accept_regressions
                counts.accepted_regressions += int(accept_regressions)
        store_parse_result(
            session,
            version,
            parser_version=PARSER_VERSION,
            normalizer_version=NORMALIZER_VERSION,
            normalised={"documents": dumps},
            record=record,
            checks=record.get("checks", []),
            warnings=record.get("warnings", []),
            ok=ok and has_tables,
            error=error,
            make_current=make_current,
            run_id=run_id,
        )
        session.commit()
        counts.parsed += 1
        counts.new_results += int(make_current)
        if progress:
            progress(title)
    return counts
