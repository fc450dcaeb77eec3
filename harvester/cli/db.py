"""`harvester db`: create, upgrade, inspect and downgrade the database schema."""

from __future__ import annotations

from pathlib import Path

import click

from harvester.cli.common import database_url_options
from harvester.config import data_dir, database_url
from harvester.storage.db import (
    SchemaError,
    check_url_usable,
    current_revision,
    downgrade,
    head_revision,
    mask_url,
    sqlite_path,
    upgrade,
)


def _url(db: str | None, directory: Path | None) -> str:
    url = db or database_url(None, data_dir(directory))
    try:
        check_url_usable(url)
    except SchemaError as exc:
        raise click.UsageError(str(exc)) from exc
    return url


@click.group("db")
def db() -> None:
    """Manage the database schema (Alembic migrations).

    \b
    Examples:
      harvester db upgrade                       # create or upgrade the default database
      harvester db current --db postgresql+psycopg://user@host/harvester
      harvester db downgrade base                # drop every harvester table
    """


@db.command("upgrade")
@database_url_options
def upgrade_command(db: str | None, data_dir: Path | None) -> None:
    """Apply every pending migration (creates the schema in an empty database).

    \b
    Examples:
      harvester db upgrade
      harvester db upgrade --db postgresql+psycopg://user@host/harvester
    """
    url = _url(db, data_dir)
    try:
        revision = upgrade(url, "head")
    except Exception as exc:
        raise click.ClickException(f"upgrading {mask_url(url)} failed: {exc}") from exc
    click.echo(f"{mask_url(url)}: at revision {revision} (head {head_revision()})")


@db.command("current")
@database_url_options
def current_command(db: str | None, data_dir: Path | None) -> None:
    """Show the database's schema revision and whether it is up to date.

    \b
    Examples:
      harvester db current
      harvester db current --data-dir /srv/harvester
    """
    url = _url(db, data_dir)
    path = sqlite_path(url)
    if path is not None and not path.is_file():  # looking must not create the file
        click.echo(
            f"{mask_url(url)}: empty (no database at {path}; nothing was created) — "
            f"`harvester db upgrade --db {mask_url(url)}` creates one"
        )
        return
    try:
        revision = current_revision(url)
    except Exception as exc:
        raise click.ClickException(
            f"reading the revision of {mask_url(url)} failed: {exc}"
        ) from exc
    head = head_revision()
    state = "up to date" if revision == head else f"behind head {head}; run `harvester db upgrade`"
    click.echo(f"{mask_url(url)}: {revision or 'empty (no schema)'} — {state}")


@db.command("downgrade")
@click.argument("revision")
@database_url_options
def downgrade_command(revision: str, db: str | None, data_dir: Path | None) -> None:
    """Undo migrations down to REVISION (`base` removes every harvester table and its data).

    \b
    Examples:
      harvester db downgrade base --db sqlite:///scratch.sqlite
      harvester db downgrade base        # drop every harvester table
    """
    url = _url(db, data_dir)
    try:
        reached = downgrade(url, revision)
    except Exception as exc:
        raise click.ClickException(
            f"downgrading {mask_url(url)} to {revision} failed: {exc}"
        ) from exc
    click.echo(f"{mask_url(url)}: at revision {reached}")
