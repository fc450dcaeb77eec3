"""Where harvester keeps its data and which database it uses."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "HARVESTER_DATA_DIR"
DATABASE_URL_ENV = "HARVESTER_DATABASE_URL"


def data_dir(override: str | os.PathLike[str] | None = None, *, create: bool = False) -> Path:
    """The working data directory: ``--data-dir``, ``$HARVESTER_DATA_DIR`` or ``./harvester-data``.

    Created only with `create` (by commands that store); read-only commands never create it.
    """
    raw = override or os.environ.get(DATA_DIR_ENV) or "harvester-data"
    path = Path(raw).expanduser().resolve()
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir_given(override: str | os.PathLike[str] | None = None) -> bool:
    """Whether the user chose the data directory (``--data-dir`` or the environment)."""
    return bool(override or os.environ.get(DATA_DIR_ENV))


def database_url(override: str | None = None, data_directory: Path | None = None) -> str:
    """``--db``, then ``$HARVESTER_DATABASE_URL``, then a SQLite file in the data directory."""
    if override:
        return override
    env = os.environ.get(DATABASE_URL_ENV)
    if env:
        return env
    directory = data_directory or data_dir()
    return f"sqlite:///{directory / 'harvester.sqlite'}"
