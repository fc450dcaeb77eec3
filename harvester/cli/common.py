"""What every command shares: database and data-directory options, output modes."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Engine

from harvester.cli.storage import Refusal, open_storage
from harvester.storage.blobs import Blobs

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes: 0 success, 1 the job ran but failed (portal not crawlable, checks), 2 usage
# errors (unknown or ambiguous names, bad arguments), 3 another run holds the lock.
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3


@dataclass
class Env:
    """The resolved environment of one command invocation."""

    db_url: str
    data_dir: Path
    engine: Engine
    blobs: Blobs
    quiet: bool
    as_json: bool
    console: Console
    blobs_recorded: bool = True  # the database records `blobs` as its blob store

    def say(self, *objects: Any, **kwargs: Any) -> None:
        """Human output (suppressed by --quiet and --json)."""
        if not self.quiet and not self.as_json:
            self.console.print(*objects, **kwargs)

    def emit_json(self, payload: Any) -> None:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


def _remember_blob_store(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    if value is not None:
        ctx.meta["harvester.blob_store"] = value
    return value


def database_options(func: F) -> F:
    """Add --db, --data-dir and --blobs (alias --blob-store)."""
    func = click.option(
        "--blobs",
        "--blob-store",
        "blob_store",
        metavar="DIR|s3://BUCKET/PREFIX",
        default=None,
        expose_value=False,  # read by open_env from the click context
        callback=_remember_blob_store,
        help="The blob store: a directory or an S3 bucket (endpoint and credentials from "
        "AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Default: "
        "$HARVESTER_BLOBS, else the one the database records. A command that stores records "
        "it; use it after moving the blobs. --blob-store is the same option.",
    )(func)
    return database_url_options(func)


def database_url_options(func: F) -> F:
    """Add --db and --data-dir (commands that touch no blobs: `harvester db …`)."""
    func = click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Working data directory (default SQLite file, logs; blobs of a new database). "
        "Default: $HARVESTER_DATA_DIR or ./harvester-data.",
    )(func)
    func = click.option(
        "--db",
        "db",
        default=None,
        metavar="URL",
        help="Database URL (sqlite:///file or postgresql+psycopg://…). Default: $HARVESTER_DATABASE_URL or a SQLite file in the data directory.",
    )(func)
    return func


def output_options(func: F) -> F:
    """Add --quiet and --json."""
    func = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")(
        func
    )
    func = click.option("--quiet", "-q", is_flag=True, help="Only errors.")(func)
    return func


def open_env(
    db: str | None,
    data_directory: Path | None,
    quiet: bool = False,
    as_json: bool = False,
    *,
    access: str = "blobs",
    blob_store: str | None = None,
    record_blob_store: bool = True,
) -> Env:
    """Resolve the data directory, database and blob store for one command.

    `access` is what the command may do: ``read`` creates nothing (a missing database is an
    error naming what to run), ``write`` may create the database and its schema, ``blobs``
    also stores blobs: it records the blob store in the database and checks it is writable.
    """
    console = Console(stderr=as_json)
    if blob_store is None:  # --blobs of the command being run, if any
        ctx = click.get_current_context(silent=True)
        blob_store = ctx.meta.get("harvester.blob_store") if ctx is not None else None
    try:
        storage = open_storage(
            db, data_directory, access=access, blob_store=blob_store, record=record_blob_store
        )
    except Refusal as refusal:
        if as_json:  # --json output stays valid JSON
            sys.stdout.write(
                json.dumps(
                    {"error": refusal.message, "exit_code": refusal.code}, ensure_ascii=False
                )
                + "\n"
            )
        fail(refusal.message, refusal.code)
        raise  # unreachable
    env = Env(
        db_url=storage.url,
        data_dir=storage.data_dir,
        engine=storage.engine,
        blobs=storage.blobs,
        quiet=quiet,
        as_json=as_json,
        console=console,
        blobs_recorded=storage.blobs_recorded,
    )
    for note in storage.notes:
        click.echo(f"note: {note}", err=True)
    return env


def proxy_option(func: F) -> F:
    """Add --proxy (the global proxy of a crawl)."""
    return click.option(
        "--proxy",
        metavar="URL",
        default=None,
        help="Fetch through this HTTP(S) proxy, http://[user:password@]host:port (default: $HARVESTER_PROXY); a portal's own proxy wins.",
    )(func)


def use_proxy(proxy: str | None) -> str | None:
    """Check --proxy (else $HARVESTER_PROXY) and hand it to the crawl process through the
    environment (never its command line); the proxy's name, without credentials, or None."""
    from harvester.proxies import PROXY_ENV, ProxyError, global_proxy, proxy_name

    try:
        url = global_proxy(proxy)
    except ProxyError as exc:
        fail(str(exc))
        raise  # unreachable
    if url:
        os.environ[PROXY_ENV] = url
    return proxy_name(url)


def fail(message: str, code: int = EXIT_USAGE) -> None:
    """Print an error to stderr and exit with `code`."""
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(code)


def handles_interrupt(func: F) -> F:
    """Turn Ctrl-C into a clean exit with code 130 after the command's own cleanup."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KeyboardInterrupt:
            click.echo(
                "interrupted: the run is recorded as interrupted; run again to resume", err=True
            )
            raise SystemExit(130) from None
        except Exception as exc:  # a full or unwritable disk: one line, no traceback
            from harvester.storage.db import mask_url
            from harvester.storage.location import storage_failure

            database = os.environ.get("HARVESTER_DATABASE_URL")
            message = storage_failure(exc, mask_url(database) if database else None)
            if message is None:
                raise
            fail(message, EXIT_FAILED)

    return wrapper  # type: ignore[return-value]


@contextmanager
def phase_progress(env: Env, what: str, total: int | None) -> Iterator[Callable[[str], None]]:
    """Progress of one long phase: a Rich bar on a terminal, else one line when it starts and
    one when it ends (nothing with --quiet or --json). Yields `step(title)`, called per item."""
    if env.quiet or env.as_json:
        yield lambda _title: None
        return
    started = time.monotonic()
    if env.console.is_terminal:
        columns = (
            TextColumn(f"[bold]{what}[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[title]}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=env.console, transient=False) as progress:
            task = progress.add_task(what, total=total, title="")
            yield lambda title: progress.update(task, advance=1, title=title[:40])
        return
    done = [0]
    env.console.print(f"{what}: {total} …" if total is not None else f"{what} …")

    def step(_title: str) -> None:
        done[0] += 1

    yield step
    env.console.print(f"{what}: {done[0]} done in {time.monotonic() - started:.1f} s")
