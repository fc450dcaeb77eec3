"""Get-or-create of rows under a unique constraint, safe against concurrent writers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

T = TypeVar("T")

INSERT_ATTEMPTS = 5


def insert_or_get(
    session: Session, make: Callable[[], T], find: Callable[[], T | None]
) -> tuple[T, bool]:
    """Insert the row `make()` builds in a savepoint; on a unique clash return `find()`."""
    last_error: IntegrityError | None = None
    for _ in range(INSERT_ATTEMPTS):
        existing = find()
        if existing is not None:
            return existing, False
        try:
            with session.begin_nested():
                row = make()
                session.add(row)
                session.flush()
            return row, True
        except IntegrityError as exc:  # someone else inserted it between find() and flush()
            last_error = exc
    raise RuntimeError(
        f"expected to insert or find the row after {INSERT_ATTEMPTS} attempts, "
        f"the insert kept clashing: {last_error}"
    )
