"""Initial schema: portals, runs, fetches, blobs, reports, versions, parses, locks.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Timestamps are ``timestamp with time zone`` (UTC); the models read them back as aware
datetimes on SQLite too (harvester.storage.types.UTCDateTime).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    """The integer primary-key column every table but blob and run_lock has."""
    return _int("id")


def _str(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _text(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _int(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _bigint(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def _bool(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean(), nullable=False)


def _json(name: str) -> sa.Column:
    """A JSON column; every one is NOT NULL (an empty list or object by default)."""
    return sa.Column(name, sa.JSON(), nullable=False)


def _when(name: str, nullable: bool = False) -> sa.Column:
    """A UTC timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _table(
    name: str,
    *columns: sa.Column,
    checks: Mapping[str, str] | None = None,
    fks: Sequence[tuple[str, ...]] = (),
    key: str = "id",
    unique: Sequence[tuple[str, ...]] = (),
) -> None:
    """`op.create_table` with its constraints named as the models name them: a check per
    column → condition, a foreign key per (column, "table.column"[, ondelete]), the primary
    key on `key`, a unique constraint per tuple of columns."""
    op.create_table(
        name,
        *columns,
        *(
            sa.CheckConstraint(sql, name=op.f(f"ck_{name}_{c}"))
            for c, sql in (checks or {}).items()
        ),
        *(_fk(name, *fk) for fk in fks),
        sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{name}")),
        *(sa.UniqueConstraint(*u, name=op.f(f"uq_{name}_{'_'.join(u)}")) for u in unique),
    )


def _fk(
    table: str, column: str, target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    """`table.column` references `target` ("other_table.column"), named as the models name it."""
    name = op.f(f"fk_{table}_{column}_{target.split('.')[0]}")
    return sa.ForeignKeyConstraint([column], [target], name=name, ondelete=ondelete)


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    _table(
        "blob",
        _str("sha256", 64),
        _bigint("size"),
        _str("media_type", 128),
        _when("stored_at"),
        key="sha256",
    )
    _table(
        "crawl_run",
        _id(),
        _str("kind", 16),
        _json("arguments"),
        _str("code_version", 64),
        _when("started_at"),
        _when("finished_at", nullable=True),
        _json("counts"),
        _str("outcome", 16),
        _json("failures"),
        _int("pid", nullable=True),
        _str("host", 255, nullable=True),
        checks={
            "kind": "kind IN ('scrape', 'crawl', 'reparse', 'demo')",
            "outcome": "outcome IN ('running', 'ok', 'partial', 'failed', 'interrupted')",
        },
    )
    _table(
        "portal",
        _id(),
        _str("adcode", 6, nullable=True),
        _str("province", 64),
        _str("prefecture", 64, nullable=True),
        _str("county", 64),
        _text("home_url", nullable=True),
        _json("column_urls"),
        _str("family", 16, nullable=True),
        _str("encoding", 32, nullable=True),
        _bool("needs_browser"),
        _bool("enabled"),
        _text("notes"),
        _json("allowed_hosts"),
        _json("selectors"),
        _str("source", 8),
        _when("created_at"),
        _when("updated_at"),
        checks={"source": "source IN ('seed', 'user')"},
        unique=[("adcode",), ("province", "prefecture", "county")],
    )
    _index("portal", "county")
    _table(
        "run_lock",
        _str("name", 64),
        _str("holder", 255),
        _int("pid", nullable=True),
        _str("host", 255, nullable=True),
        _when("acquired_at"),
        _when("heartbeat_at"),
        key="name",
    )
    _table(
        "fetch",
        _id(),
        _int("run_id", nullable=True),
        _int("portal_id", nullable=True),
        _text("url"),
        _str("url_sha256", 64),
        _text("final_url", nullable=True),
        _str("method", 8),
        _int("status", nullable=True),
        _json("request_headers"),
        _json("response_headers"),
        _when("fetched_at"),
        _int("duration_ms", nullable=True),
        _bigint("bytes", nullable=True),
        _str("sha256", 64, nullable=True),
        _bool("complete"),
        _str("via", 8),
        _text("referer", nullable=True),
        _text("error", nullable=True),
        _bool("not_modified"),
        checks={"via": "via IN ('http', 'browser')"},
        fks=[
            ("portal_id", "portal.id", "SET NULL"),
            ("run_id", "crawl_run.id", "SET NULL"),
            ("sha256", "blob.sha256"),
        ],
    )
    _index("fetch", "portal_id")
    _index("fetch", "run_id")
    _index("fetch", "sha256")
    op.create_index("ix_fetch_url_hash", "fetch", ["url_sha256"], unique=False)
    _table(
        "portal_run",
        _id(),
        _int("run_id"),
        _int("portal_id"),
        _str("outcome", 16),
        _int("reports_found"),
        _int("documents"),
        _json("failures"),
        _when("started_at"),
        _when("finished_at", nullable=True),
        fks=[("portal_id", "portal.id", "CASCADE"), ("run_id", "crawl_run.id", "CASCADE")],
        unique=[("run_id", "portal_id")],
    )
    _index("portal_run", "portal_id")
    _index("portal_run", "run_id")
    _table(
        "report",
        _id(),
        _int("portal_id"),
        _str("agency", 255),
        _int("year"),
        _text("title", nullable=True),
        _text("url", nullable=True),
        _int("first_seen_run", nullable=True),
        _int("last_seen_run", nullable=True),
        fks=[
            ("first_seen_run", "crawl_run.id", "SET NULL"),
            ("last_seen_run", "crawl_run.id", "SET NULL"),
            ("portal_id", "portal.id", "CASCADE"),
        ],
        unique=[("portal_id", "agency", "year")],
    )
    _table(
        "report_version",
        _id(),
        _int("report_id"),
        _str("content_hash", 64),
        _when("created_at"),
        _int("run_id", nullable=True),
        fks=[("report_id", "report.id", "CASCADE"), ("run_id", "crawl_run.id", "SET NULL")],
        unique=[("report_id", "content_hash")],
    )
    _index("report_version", "report_id")
    _table(
        "parse_result",
        _id(),
        _int("version_id"),
        _str("parser_version", 32),
        _str("normalizer_version", 32),
        _when("parsed_at"),
        _json("normalised"),
        _json("record"),
        _json("checks"),
        _json("warnings"),
        _bool("ok"),
        _text("error", nullable=True),
        fks=[("version_id", "report_version.id", "CASCADE")],
        unique=[("version_id", "parser_version")],
    )
    _table(
        "version_document",
        _id(),
        _int("version_id"),
        _int("position"),
        _str("role", 16),
        _text("url"),
        _text("final_url", nullable=True),
        _str("sha256", 64),
        _int("fetch_id", nullable=True),
        _str("media_type", 128, nullable=True),
        _bigint("bytes", nullable=True),
        _when("fetched_at", nullable=True),
        checks={"role": "role IN ('page', 'attachment')"},
        fks=[
            ("fetch_id", "fetch.id", "SET NULL"),
            ("sha256", "blob.sha256"),
            ("version_id", "report_version.id", "CASCADE"),
        ],
        unique=[("version_id", "position")],
    )
    _index("version_document", "sha256")


def downgrade() -> None:
    # Referencing tables first; dropping a table drops its indexes with it.
    for table in (
        "version_document",
        "parse_result",
        "report_version",
        "report",
        "portal_run",
        "fetch",
        "run_lock",
        "portal",
        "crawl_run",
        "blob",
    ):
        op.drop_table(table)
