"""Report pages as the lists show them: the memory of the revisit policy.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

- ``listed_report`` (portal_id, url_key, url, entry, report_id, checked_at, checked_run):
  a report page a list links, the list entry's text, the report it is, and when the page
  and its documents were last fetched in full. A re-crawl asks a page again only when its
  entry changed or its check is older than the revisit cadence (harvester.crawl.revisit).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listed_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("url_key", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_run", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portal.id"],
            name=op.f("fk_listed_report_portal_id_portal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["report.id"],
            name=op.f("fk_listed_report_report_id_report"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["checked_run"],
            ["crawl_run.id"],
            name=op.f("fk_listed_report_checked_run_crawl_run"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listed_report")),
        sa.UniqueConstraint(
            "portal_id", "url_key", name=op.f("uq_listed_report_portal_id_url_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("listed_report")
