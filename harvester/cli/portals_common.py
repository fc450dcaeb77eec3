"""What the `harvester portals` commands share: the seeded environment, names, URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from sqlalchemy.orm import Session

from harvester.cli.common import Env, fail, open_env
from harvester.registry import ensure_seeded, resolve
from harvester.storage.db import session_scope
from harvester.storage.models import PORTAL_FAMILIES, Portal

FAMILY = click.Choice(PORTAL_FAMILIES)


def seeded_env(
    db: str | None, data_dir: Path | None, quiet: bool, as_json: bool, access: str = "write"
) -> Env:
    """The env of a `portals` command; `access="read"` (list, show) creates no database."""
    env = open_env(db, data_dir, quiet, as_json, access=access)
    with session_scope(env.engine) as session:
        added = ensure_seeded(session)
    if added:
        env.say(f"registry seeded with {added} county-level portals")
    return env


def place(p: Portal) -> str:
    return " ".join(filter(None, [p.province, p.prefecture, p.county]))


def one_portal(session: Session, name: str, province: str | None, prefecture: str | None) -> Portal:
    found = resolve(session, name, province=province, prefecture=prefecture)
    if not found:
        fail(
            f"no county-level portal named {name!r}; see `harvester portals list` or add it with `harvester portals add`"
        )
    if len(found) > 1:
        listing = "\n  ".join(f"{p.adcode or '—'}  {place(p)}" for p in found)
        fail(
            f"{name!r} is ambiguous; add --province or --prefecture, or use the adcode:\n  {listing}"
        )
    return found[0]


def check_url(url: str | None, option: str) -> None:
    if url is None or url == "":
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        fail(f"{option} must be an http(s) URL, got {url!r}")


def canonical(names: list[str], given: str | None, same: Any) -> str | None:
    """The registry's spelling of a province/prefecture the user gave in short form."""
    if not given:
        return given
    matches = sorted({n for n in names if n and same(given, n)})
    return matches[0] if len(matches) == 1 else given.strip()
