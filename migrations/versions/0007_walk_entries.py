"""Where a portal's last full walk entered its lists: re-crawls skip home and hubs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

- ``walk_entry`` (portal_id, found_run, found_at, home_url, kind, url, meta): the 年报 lists
  a portal's last full walk reached from its home page, hubs and unit pages, the JSON unit
  lists it read on the way and the hosts it moved to. A re-crawl within the revisit cadence
  starts at these lists (harvester.crawl.walks); the lists themselves are read every run.
- ``portal_run.walked_from``: where a portal's walk began in the run ("home page", "known
  lists", "registry columns"; NULL for runs before this migration).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "walk_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("found_run", sa.Integer(), nullable=True),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("home_url", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portal.id"],
            name=op.f("fk_walk_entry_portal_id_portal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["found_run"],
            ["crawl_run.id"],
            name=op.f("fk_walk_entry_found_run_crawl_run"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walk_entry")),
    )
    op.create_index(op.f("ix_walk_entry_portal_id"), "walk_entry", ["portal_id"])
    with op.batch_alter_table("portal_run") as batch:
        batch.add_column(sa.Column("walked_from", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portal_run") as batch:
        batch.drop_column("walked_from")
    op.drop_index(op.f("ix_walk_entry_portal_id"), table_name="walk_entry")
    op.drop_table("walk_entry")
