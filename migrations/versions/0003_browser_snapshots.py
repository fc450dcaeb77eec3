"""Browser snapshots: the rendered DOM of a browser fetch, apart from the server's bytes.

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-03

A browser-fetched page keeps the HTTP response body the server sent as its fetch blob
(``fetch.sha256``, like any plain fetch); the DOM Chromium rendered from it, when the
crawl read one, is a separate blob named by ``fetch.rendered_sha256``. A report version
lists that snapshot as a document of role ``rendered`` when the page's text exists only
after the scripts ran (docs/storage.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ROLES = "role IN ('page', 'attachment')"
NEW_ROLES = "role IN ('page', 'attachment', 'rendered')"


def upgrade() -> None:
    with op.batch_alter_table("fetch") as batch:
        batch.add_column(sa.Column("rendered_sha256", sa.String(length=64), nullable=True))
        batch.create_foreign_key(
            op.f("fk_fetch_rendered_sha256_blob"), "blob", ["rendered_sha256"], ["sha256"]
        )
    with op.batch_alter_table("version_document") as batch:
        batch.drop_constraint(op.f("ck_version_document_role"), type_="check")
        batch.create_check_constraint(op.f("ck_version_document_role"), NEW_ROLES)


def downgrade() -> None:
    op.execute("DELETE FROM version_document WHERE role = 'rendered'")
    with op.batch_alter_table("version_document") as batch:
        batch.drop_constraint(op.f("ck_version_document_role"), type_="check")
        batch.create_check_constraint(op.f("ck_version_document_role"), OLD_ROLES)
    with op.batch_alter_table("fetch") as batch:
        batch.drop_constraint(op.f("fk_fetch_rendered_sha256_blob"), type_="foreignkey")
        batch.drop_column("rendered_sha256")
