"""Initial schema: portals, runs, fetches, blobs, reports, versions, parses, locks.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Timestamps are ``timestamp with time zone`` (UTC); the models read them back as aware
datetimes on SQLite too (harvester.storage.types.UTCDateTime).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blob",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=128), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_blob")),
    )
    op.create_table(
        "crawl_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("code_version", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.CheckConstraint(
            "kind IN ('scrape', 'crawl', 'reparse', 'demo')", name=op.f("ck_crawl_run_kind")
        ),
        sa.CheckConstraint(
            "outcome IN ('running', 'ok', 'partial', 'failed', 'interrupted')",
            name=op.f("ck_crawl_run_outcome"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_run")),
    )
    op.create_table(
        "portal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("adcode", sa.String(length=6), nullable=True),
        sa.Column("province", sa.String(length=64), nullable=False),
        sa.Column("prefecture", sa.String(length=64), nullable=True),
        sa.Column("county", sa.String(length=64), nullable=False),
        sa.Column("home_url", sa.Text(), nullable=True),
        sa.Column("column_urls", sa.JSON(), nullable=False),
        sa.Column("family", sa.String(length=16), nullable=True),
        sa.Column("encoding", sa.String(length=32), nullable=True),
        sa.Column("needs_browser", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("allowed_hosts", sa.JSON(), nullable=False),
        sa.Column("selectors", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('seed', 'user')", name=op.f("ck_portal_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal")),
        sa.UniqueConstraint("adcode", name=op.f("uq_portal_adcode")),
        sa.UniqueConstraint(
            "province", "prefecture", "county", name=op.f("uq_portal_province_prefecture_county")
        ),
    )
    op.create_index(op.f("ix_portal_county"), "portal", ["county"], unique=False)
    op.create_table(
        "run_lock",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_run_lock")),
    )
    op.create_table(
        "fetch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("portal_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_sha256", sa.String(length=64), nullable=False),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("request_headers", sa.JSON(), nullable=False),
        sa.Column("response_headers", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("referer", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("not_modified", sa.Boolean(), nullable=False),
        sa.CheckConstraint("via IN ('http', 'browser')", name=op.f("ck_fetch_via")),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portal.id"],
            name=op.f("fk_fetch_portal_id_portal"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_run.id"],
            name=op.f("fk_fetch_run_id_crawl_run"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["sha256"], ["blob.sha256"], name=op.f("fk_fetch_sha256_blob")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fetch")),
    )
    op.create_index(op.f("ix_fetch_portal_id"), "fetch", ["portal_id"], unique=False)
    op.create_index(op.f("ix_fetch_run_id"), "fetch", ["run_id"], unique=False)
    op.create_index(op.f("ix_fetch_sha256"), "fetch", ["sha256"], unique=False)
    op.create_index("ix_fetch_url_hash", "fetch", ["url_sha256"], unique=False)
    op.create_table(
        "portal_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reports_found", sa.Integer(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portal.id"],
            name=op.f("fk_portal_run_portal_id_portal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_run.id"],
            name=op.f("fk_portal_run_run_id_crawl_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_run")),
        sa.UniqueConstraint("run_id", "portal_id", name=op.f("uq_portal_run_run_id_portal_id")),
    )
    op.create_index(op.f("ix_portal_run_portal_id"), "portal_run", ["portal_id"], unique=False)
    op.create_index(op.f("ix_portal_run_run_id"), "portal_run", ["run_id"], unique=False)
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=255), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("first_seen_run", sa.Integer(), nullable=True),
        sa.Column("last_seen_run", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["first_seen_run"],
            ["crawl_run.id"],
            name=op.f("fk_report_first_seen_run_crawl_run"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["last_seen_run"],
            ["crawl_run.id"],
            name=op.f("fk_report_last_seen_run_crawl_run"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portal.id"],
            name=op.f("fk_report_portal_id_portal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
        sa.UniqueConstraint(
            "portal_id", "agency", "year", name=op.f("uq_report_portal_id_agency_year")
        ),
    )
    op.create_table(
        "report_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["report.id"],
            name=op.f("fk_report_version_report_id_report"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_run.id"],
            name=op.f("fk_report_version_run_id_crawl_run"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_version")),
        sa.UniqueConstraint(
            "report_id", "content_hash", name=op.f("uq_report_version_report_id_content_hash")
        ),
    )
    op.create_index(
        op.f("ix_report_version_report_id"), "report_version", ["report_id"], unique=False
    )
    op.create_table(
        "parse_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("parser_version", sa.String(length=32), nullable=False),
        sa.Column("normalizer_version", sa.String(length=32), nullable=False),
        sa.Column("parsed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("normalised", sa.JSON(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_version.id"],
            name=op.f("fk_parse_result_version_id_report_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parse_result")),
        sa.UniqueConstraint(
            "version_id", "parser_version", name=op.f("uq_parse_result_version_id_parser_version")
        ),
    )
    op.create_table(
        "version_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("fetch_id", sa.Integer(), nullable=True),
        sa.Column("media_type", sa.String(length=128), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('page', 'attachment')", name=op.f("ck_version_document_role")),
        sa.ForeignKeyConstraint(
            ["fetch_id"],
            ["fetch.id"],
            name=op.f("fk_version_document_fetch_id_fetch"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sha256"], ["blob.sha256"], name=op.f("fk_version_document_sha256_blob")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_version.id"],
            name=op.f("fk_version_document_version_id_report_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_version_document")),
        sa.UniqueConstraint(
            "version_id", "position", name=op.f("uq_version_document_version_id_position")
        ),
    )
    op.create_index(
        op.f("ix_version_document_sha256"), "version_document", ["sha256"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_version_document_sha256"), table_name="version_document")
    op.drop_table("version_document")
    op.drop_table("parse_result")
    op.drop_index(op.f("ix_report_version_report_id"), table_name="report_version")
    op.drop_table("report_version")
    op.drop_table("report")
    op.drop_index(op.f("ix_portal_run_run_id"), table_name="portal_run")
    op.drop_index(op.f("ix_portal_run_portal_id"), table_name="portal_run")
    op.drop_table("portal_run")
    op.drop_index("ix_fetch_url_hash", table_name="fetch")
    op.drop_index(op.f("ix_fetch_sha256"), table_name="fetch")
    op.drop_index(op.f("ix_fetch_run_id"), table_name="fetch")
    op.drop_index(op.f("ix_fetch_portal_id"), table_name="fetch")
    op.drop_table("fetch")
    op.drop_table("run_lock")
    op.drop_index(op.f("ix_portal_county"), table_name="portal")
    op.drop_table("portal")
    op.drop_table("crawl_run")
    op.drop_table("blob")
