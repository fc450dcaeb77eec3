"""The database schema: what was crawled, fetched, stored, versioned and parsed.

Every table here is created and changed only by the Alembic migrations in ``migrations/``;
``tests/test_migrations.py`` fails when the two disagree. See docs/storage.md.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from harvester.parser.types import Check, Record
from harvester.storage.types import Failure, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RUN_KINDS = ("scrape", "crawl", "reparse", "demo")
RUN_OUTCOMES = ("running", "ok", "partial", "failed", "interrupted")
FETCH_VIA = ("http", "browser")
DOCUMENT_ROLES = ("page", "attachment", "image", "rendered")
# The roles whose bytes are what a server sent; "rendered" is derived (a browser's DOM).
FETCHED_ROLES = ("page", "attachment", "image")
PORTAL_SOURCES = ("seed", "user")
# `harvester portals check` results; "dead" portals are skipped by `harvester crawl`.
CHECK_RESULTS = ("ok", "moved", "challenge", "stub", "blocked", "http_error", "dead")
PORTAL_FAMILIES = ("trs", "hanweb", "lonsun", "vsb", "shandong", "gkmlpt", "generic")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        list[str]: JSON(),
    }


class Portal(Base):
    """One county-level government portal in the registry."""

    __tablename__ = "portal"
    __table_args__ = (
        UniqueConstraint("adcode"),
        UniqueConstraint("province", "prefecture", "county"),
        CheckConstraint(_in("source", PORTAL_SOURCES), name="source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    adcode: Mapped[str | None] = mapped_column(String(6))
    province: Mapped[str] = mapped_column(String(64))
    prefecture: Mapped[str | None] = mapped_column(String(64))
    county: Mapped[str] = mapped_column(String(64), index=True)
    home_url: Mapped[str | None] = mapped_column(Text)
    column_urls: Mapped[list[str]] = mapped_column(default=list)
    family: Mapped[str | None] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(32))
    needs_browser: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    allowed_hosts: Mapped[list[str]] = mapped_column(default=list)
    selectors: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(8), default="seed")
    # Where home_url came from ("registry.csv: <its source>", "user", "check": a move found
    # by `harvester portals check --follow-moves`) and when a check last found it answering.
    url_source: Mapped[str | None] = mapped_column(String(64))
    url_verified_at: Mapped[datetime | None] = mapped_column()
    # The last `harvester portals check`: one of CHECK_RESULTS, what it saw, when, where
    # the home page ended up (another host: the portal moved).
    check_result: Mapped[str | None] = mapped_column(String(16))
    check_detail: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime | None] = mapped_column()
    check_final_url: Mapped[str | None] = mapped_column(Text)
    # The portal's own proxy URL (credentials never shown), "direct" for none even when a
    # global proxy is set; None: the global proxy, if any (docs/operations.md "Proxies").
    proxy: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Portal {self.id} {self.province}/{self.prefecture or '-'}/{self.county}>"


class CrawlRun(Base):
    """One invocation of scrape, crawl, reparse or demo, with its outcome."""

    __tablename__ = "crawl_run"
    __table_args__ = (
        CheckConstraint(_in("kind", RUN_KINDS), name="kind"),
        CheckConstraint(_in("outcome", RUN_OUTCOMES), name="outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    arguments: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    code_version: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    counts: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    failures: Mapped[list[Failure]] = mapped_column(JSON, default=list)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))


class PortalRun(Base):
    """What one run did on one portal; no report found is a failure with a reason."""

    __tablename__ = "portal_run"
    __table_args__ = (UniqueConstraint("run_id", "portal_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portal.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    reports_found: Mapped[int] = mapped_column(Integer, default=0)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[list[Failure]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    # Where the walk began: "home page", "known lists" (those the last full walk reached,
    # within the revisit cadence: harvester.crawl.walks) or "registry columns".
    walked_from: Mapped[str | None] = mapped_column(String(16))


class Blob(Base):
    """Raw bytes, stored once by content under <data dir>/blobs/ab/cd/<sha256>."""

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(128))
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class Fetch(Base):
    """One HTTP exchange (or browser page load), successful or not."""

    __tablename__ = "fetch"
    __table_args__ = (
        CheckConstraint(_in("via", FETCH_VIA), name="via"),
        Index("ix_fetch_url_hash", "url_sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_run.id", ondelete="SET NULL"), index=True
    )
    portal_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    url_sha256: Mapped[str] = mapped_column(String(64))
    final_url: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(8), default="GET")
    status: Mapped[int | None] = mapped_column(Integer)
    request_headers: Mapped[dict[str, str | list[str]]] = mapped_column(JSON, default=dict)
    response_headers: Mapped[dict[str, str | list[str]]] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"), index=True)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    via: Mapped[str] = mapped_column(String(8), default="http")
    referer: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    not_modified: Mapped[bool] = mapped_column(Boolean, default=False)
    # The proxy that carried the exchange, as scheme://host:port (never its credentials).
    proxy: Mapped[str | None] = mapped_column(String(255))
    # A browser fetch: the DOM Chromium rendered from `sha256` (the server's bytes), when
    # the crawl read it (docs/storage.md "Fetched and rendered documents").
    rendered_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))


class Report(Base):
    """One annual report: an agency's report for a year, as found on a portal."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("portal_id", "agency", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portal.id", ondelete="CASCADE"))
    agency: Mapped[str] = mapped_column(String(255))
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    first_seen_run: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_run.id", ondelete="SET NULL")
    )
    last_seen_run: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_run.id", ondelete="SET NULL")
    )


class ReportVersion(Base):
    """One distinct content of a report: its documents' hashes, in order."""

    __tablename__ = "report_version"
    __table_args__ = (UniqueConstraint("report_id", "content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))


class VersionDocument(Base):
    """A document (article page or attachment) of a report version, with its provenance.

    Role ``rendered``: the DOM a browser rendered from the page fetched by `fetch_id`
    (derived, not on the wire); kept when the page's text exists only after its scripts."""

    __tablename__ = "version_document"
    __table_args__ = (
        UniqueConstraint("version_id", "position"),
        CheckConstraint(_in("role", DOCUMENT_ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_version.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"), index=True)
    fetch_id: Mapped[int | None] = mapped_column(ForeignKey("fetch.id", ondelete="SET NULL"))
    media_type: Mapped[str | None] = mapped_column(String(128))
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    fetched_at: Mapped[datetime | None] = mapped_column()


class ParseResult(Base):
    """One parse of a version: its normalised documents and parsed record.

    Every parse is kept (a reparse adds a row, it never overwrites one); `is_current` marks the
    one exports and status use, at most one per version.
    """

    __tablename__ = "parse_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("report_version.id", ondelete="CASCADE"), index=True
    )
    parser_version: Mapped[str] = mapped_column(String(32))
    normalizer_version: Mapped[str] = mapped_column(String(32))
    parsed_at: Mapped[datetime] = mapped_column(default=utcnow)
    normalised: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    record: Mapped[Record] = mapped_column(JSON, default=dict)
    checks: Mapped[list[Check]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(default=list)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))


class ListedReport(Base):
    """A report page as a portal's list shows it, and when it was last fetched in full:
    what the revisit policy (harvester.crawl.revisit) decides a re-crawl's asks by."""

    __tablename__ = "listed_report"
    __table_args__ = (UniqueConstraint("portal_id", "url_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portal.id", ondelete="CASCADE"))
    url_key: Mapped[str] = mapped_column(String(64))  # sha256 of `url` (URLs may be long)
    url: Mapped[str] = mapped_column(Text)  # the report page as the list links it
    entry: Mapped[str] = mapped_column(Text)  # the list entry's text, whitespace-normalised
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)  # page + documents fetched
    checked_run: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))


class WalkEntry(Base):
    """Where a portal's last full walk entered its lists: a 年报 list the home page, a hub or
    a unit page led to (``list``), a JSON unit list read on the way (``unit_list``), a host
    the portal moved to (``host``). A re-crawl within the revisit cadence starts at these
    lists instead of walking the home page and hubs again (harvester.crawl.walks)."""

    __tablename__ = "walk_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portal.id", ondelete="CASCADE"), index=True)
    found_run: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))
    found_at: Mapped[datetime] = mapped_column(default=utcnow)
    home_url: Mapped[str] = mapped_column(Text)  # the registry's home page walked from
    kind: Mapped[str] = mapped_column(String(16))  # list | unit_list | host
    url: Mapped[str] = mapped_column(Text)
    # The list request's hints: kind, column_depth, body_hint, year_hint, column_text, and
    # for a unit's column the unit ([page URL, name]) and whether it counts as a column.
    meta: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class Setting(Base):
    """A fact about this database, by name; ``blob_store`` is where its blobs live."""

    __tablename__ = "setting"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RunLock(Base):
    """A named lock: one crawl at a time per database."""

    __tablename__ = "run_lock"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
