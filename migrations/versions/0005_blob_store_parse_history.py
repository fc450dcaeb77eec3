"""The database knows its blob store; every parse result is kept, one marked current.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

- ``setting`` (name, value): ``blob_store`` is the absolute path of the directory holding
  this database's blobs, written by the first command that stores blobs.
- ``parse_result`` loses its unique (version_id, parser_version): a reparse adds a row
  instead of overwriting one. ``is_current`` marks the result exports use (the newest parse of
  each version when upgrading); ``run_id`` is the run that made it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "setting",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_setting")),
    )
    with op.batch_alter_table("parse_result") as batch:
        batch.drop_constraint("uq_parse_result_version_id_parser_version", type_="unique")
        batch.add_column(
            sa.Column("is_current", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_parse_result_run_id_crawl_run"),
            "crawl_run",
            ["run_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_parse_result_version_id"), ["version_id"], unique=False)
    # The newest parse of each version (the one exports used so far) becomes current.
    op.execute(
        """
        UPDATE parse_result SET is_current = TRUE
        WHERE id IN (
            SELECT p.id FROM parse_result p
            WHERE NOT EXISTS (
                SELECT 1 FROM parse_result q
                WHERE q.version_id = p.version_id
                  AND (q.parsed_at > p.parsed_at OR (q.parsed_at = p.parsed_at AND q.id > p.id))
            )
        )
        """
    )


def downgrade() -> None:
    # The old schema holds one parse per (version, parser version): keep the current one of
    # each such pair, else the newest.
    op.execute(
        """
        DELETE FROM parse_result
        WHERE id NOT IN (
            SELECT COALESCE(MAX(CASE WHEN is_current THEN id END), MAX(id))
            FROM parse_result GROUP BY version_id, parser_version
        )
        """
    )
    with op.batch_alter_table("parse_result") as batch:
        batch.drop_index(op.f("ix_parse_result_version_id"))
        batch.drop_constraint(op.f("fk_parse_result_run_id_crawl_run"), type_="foreignkey")
        batch.drop_column("run_id")
        batch.drop_column("is_current")
        batch.create_unique_constraint(
            op.f("uq_parse_result_version_id_parser_version"), ["version_id", "parser_version"]
        )
    op.drop_table("setting")
