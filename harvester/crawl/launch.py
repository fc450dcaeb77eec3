"""The reports spider's arguments → a crawl context, for every way Scrapy may be started.

`harvester scrape/crawl/demo` start the crawl process with a run and the portal ids
(`-a run_id=… -a portal_ids=…`). A Scrapy user starts it from the repository root:

    scrapy crawl reports -a county=寿县 [-a province=安徽省] [-a since_year=2020]
    scrapy crawl reports -a portal_ids=3,7

Then the database is `-a db_url=…`, else $HARVESTER_DATABASE_URL, else the SQLite file in
the data directory (`-a data_dir=…`, $HARVESTER_DATA_DIR, ./harvester-data), as for the CLI;
the schema is brought to head and an empty registry seeded, a run row is created under the
crawl lock and closed when the spider closes. Parsing is left to `harvester reparse`.
Anything else is refused with `CrawlArgumentError`, whose message says what to pass.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester import config
from harvester.crawl.context import CrawlContext
from harvester.registry import resolve, seed_registry
from harvester.storage.db import ensure_schema, make_engine, mask_url, session_scope
from harvester.storage.models import Portal
from harvester.storage.repo import acquire_lock, start_run
from harvester.version import code_version

USAGE = (
    "the reports spider crawls registry portals: "
    "scrapy crawl reports -a county=NAME (e.g. -a county=寿县, optionally -a province=…) "
    "or -a portal_ids=1,2; optional -a db_url=… -a data_dir=… -a since_year=2020"
)
LOCK_NAME = "crawl"  # the same lock `harvester scrape` and `harvester crawl` take


class CrawlArgumentError(ValueError):
    """The spider's arguments do not name a crawl it can run."""


@dataclass(frozen=True)
class SpiderArguments:
    """The reports spider's `-a` arguments, as text (Scrapy passes them so)."""

    county: str = ""
    province: str = ""
    portal_ids: str = ""
    db_url: str = ""
    data_dir: str = ""
    run_id: str = ""
    since_year: str = ""
    distributed: str = ""
    own_run: str = ""  # set by `prepare`: the lock holder of a run made for this crawl


def _number(name: str, value: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise CrawlArgumentError(f"-a {name} expects a number, got {value!r}; {USAGE}") from None


def _portal_ids(text: str) -> list[int]:
    try:
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise CrawlArgumentError(
            f"-a portal_ids expects comma-separated numbers, got {text!r}; {USAGE}"
        ) from None


def prepare(args: SpiderArguments) -> SpiderArguments:
    """The arguments of a crawl that can start: a run, its portals, database and data
    directory. Without a run id (a Scrapy user's `scrapy crawl reports -a county=…`) the
    schema is brought to head, an empty registry seeded, the county resolved, the crawl
    lock taken and a run row made. Raises CrawlArgumentError with what to pass."""
    if not (args.county.strip() or args.portal_ids.strip()):
        raise CrawlArgumentError(f"no portal named; {USAGE}")
    _number("since_year", args.since_year)
    if _number("run_id", args.run_id) is not None:
        # Started by harvester's own commands: they made the run, the schema and the registry.
        if not (args.db_url or os.environ.get(config.DATABASE_URL_ENV)) or not args.data_dir:
            raise CrawlArgumentError(f"-a run_id needs -a db_url and -a data_dir; {USAGE}")
        if not args.portal_ids.strip():
            raise CrawlArgumentError(f"-a run_id needs -a portal_ids; {USAGE}")
        _portal_ids(args.portal_ids)
        return args
    data_dir = config.data_dir(args.data_dir or None)
    db_url = config.database_url(args.db_url or None, data_dir)
    ensure_schema(db_url)
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            ids = (
                _portal_ids(args.portal_ids)
                if args.portal_ids.strip()
                else [_county_portal(session, args.county, args.province, db_url)]
            )
            holder = f"scrapy crawl, pid {os.getpid()} on {socket.gethostname()}"
            if not acquire_lock(session, LOCK_NAME, holder):
                raise CrawlArgumentError(
                    f"another run holds the crawl lock of {mask_url(db_url)}; wait for it to finish"
                )
            arguments = {"via": "scrapy crawl", "county": args.county, "portal_ids": ids}
            run_id = start_run(session, "crawl", arguments, code_version()).id
    finally:
        engine.dispose()
    return replace(
        args,
        db_url=db_url,
        data_dir=str(data_dir),
        portal_ids=",".join(str(i) for i in ids),
        run_id=str(run_id),
        own_run=holder,
    )


def open_context(args: SpiderArguments) -> CrawlContext:
    """The crawl context the arguments describe (prepared first when they have no run)."""
    args = prepare(args)
    context = CrawlContext(
        args.db_url or os.environ[config.DATABASE_URL_ENV],
        args.data_dir,
        int(args.run_id),
        _portal_ids(args.portal_ids),
        _number("since_year", args.since_year),
        distributed=bool(args.distributed),
    )
    context.own_run = args.own_run or None
    return context


def _county_portal(session: Session, county: str, province: str, db_url: str) -> int:
    if session.scalar(select(Portal.id).limit(1)) is None:
        seed_registry(session)
    candidates = resolve(session, county, province=province or None)
    if not candidates:
        raise CrawlArgumentError(
            f"no county-level division named {county!r} in the registry of {mask_url(db_url)}; "
            "try `harvester portals list` or add it with `harvester portals add`"
        )
    if len(candidates) > 1:
        names = "; ".join(f"{p.province} {p.prefecture or ''} {p.county}" for p in candidates)
        raise CrawlArgumentError(f"{county!r} is ambiguous ({names}); add -a province=…")
    portal = candidates[0]
    if not portal.home_url:
        raise CrawlArgumentError(
            f"no portal URL is known for {portal.county}; set one with `harvester portals set`"
        )
    return portal.id
