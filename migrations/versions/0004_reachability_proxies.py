"""Portal reachability (`harvester portals check`), the URL's source, proxies.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

portal: url_source (where its home URL came from), url_verified_at (when a check last found
it answering), check_result / check_detail / checked_at / check_final_url (the last
`harvester portals check`), proxy (the portal's own proxy URL, or "direct").
fetch: proxy (which proxy carried the exchange, by scheme://host:port, never credentials).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PORTAL_COLUMNS = (
    ("url_source", sa.String(length=64)),
    ("url_verified_at", sa.DateTime(timezone=True)),
    ("check_result", sa.String(length=16)),
    ("check_detail", sa.Text()),
    ("checked_at", sa.DateTime(timezone=True)),
    ("check_final_url", sa.Text()),
    ("proxy", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("portal") as batch:
        for name, type_ in PORTAL_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("fetch") as batch:
        batch.add_column(sa.Column("proxy", sa.String(length=255), nullable=True))
    # Existing rows: a seeded URL came from the packaged registry, a user's from the user.
    op.execute(
        "UPDATE portal SET url_source = CASE WHEN source = 'user' THEN 'user' ELSE 'registry.csv' END "
        "WHERE home_url IS NOT NULL AND home_url <> ''"
    )


def downgrade() -> None:
    with op.batch_alter_table("fetch") as batch:
        batch.drop_column("proxy")
    with op.batch_alter_table("portal") as batch:
        for name, _ in reversed(PORTAL_COLUMNS):
            batch.drop_column(name)
