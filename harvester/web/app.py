"""Building the Datasette app over a harvest, and running it.

`build` opens the SQLite file read-only (Datasette's own connections use `mode=ro`, so do
harvester's pages), registers the plugin and the metadata; `run` serves it with uvicorn.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from harvester.storage.blobs import Blobs
from harvester.web.data import WebState, readonly_engine, schema_revision
from harvester.web.metadata import metadata

TEMPLATES = Path(__file__).parent / "templates"
SETTINGS = {
    "default_page_size": 50,
    "sql_time_limit_ms": 5000,
    "facet_time_limit_ms": 500,
    "allow_download": True,
}


class ServeError(RuntimeError):
    """The database cannot be served as it is (missing, not harvester's, an old schema)."""


def check_database(path: Path) -> None:
    """Refuse a file that is missing or not at this code's schema (without writing it)."""
    from harvester.storage.db import head_revision

    if not path.is_file():
        raise ServeError(
            f"no database at {path}; run `harvester demo` or `harvester scrape NAME` first"
        )
    engine = readonly_engine(path)
    try:
        revision = schema_revision(engine)
    except Exception as exc:
        raise ServeError(f"{path} is not a readable SQLite database: {exc}") from exc
    finally:
        engine.dispose()
    head = head_revision()
    if revision is None:
        raise ServeError(f"{path} is not a harvester database (it has no schema revision)")
    if revision != head:
        raise ServeError(
            f"{path} is at schema revision {revision}, this harvester reads {head}: "
            f"run `harvester db upgrade --db sqlite:///{path}` first (serve never writes)"
        )


def build(path: Path, blobs: Blobs) -> Any:
    """The Datasette instance for the SQLite file at `path`, its documents from `blobs`."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from harvester.web import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="harvester-web")
    name = path.stem
    datasette = Datasette(
        files=[str(path)],
        metadata=metadata(name),
        template_dir=str(TEMPLATES),
        settings=SETTINGS,
        cors=False,
    )
    names = [key for key in datasette.databases if key != "_internal"]
    if names != [name]:
        raise ServeError(f"expected Datasette to name the database {name!r}, got {names}")
    state = WebState(engine=readonly_engine(path), blobs=blobs, database=name)
    setattr(datasette, plugin.STATE_ATTRIBUTE, state)
    return datasette


def run(datasette: Any, host: str, port: int) -> None:
    """Serve until interrupted."""
    import uvicorn

    asyncio.run(datasette.invoke_startup())
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")
