"""Image documents: the article-body pictures of a report (tables published as images).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

A version document's role may now be ``image``: a picture from the article body, fetched
and stored like an attachment and read by OCR (harvester.normalize.ocr).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "role IN ('page', 'attachment')"
NEW = "role IN ('page', 'attachment', 'image')"


def _role_check(condition: str) -> None:
    with op.batch_alter_table("version_document") as batch:
        batch.drop_constraint(op.f("ck_version_document_role"), type_="check")
        batch.create_check_constraint("role", condition)


def upgrade() -> None:
    _role_check(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM version_document WHERE role = 'image'")
    _role_check(OLD)
