"""`harvester worker --redis URL`: join distributed crawl runs announced in Redis.

Start one or more on each crawling machine, each with the same database and a data
directory on storage shared with the coordinator (blobs are named by their hash, so
several machines can write one store). Then `harvester crawl --distributed --redis URL`
announces a run; every worker joins it with its own crawl process, sharing the request
queue, the duplicate filter and each host's politeness (concurrency and delay held over all
workers, middlewares/politeness.py), and the coordinator returns when all have finished.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from harvester.cli.common import (
    database_options,
    handles_interrupt,
    open_env,
    proxy_option,
    use_proxy,
)
from harvester.storage.db import mask_url
from harvester.storage.stores import BLOBS_ENV


@click.command()
@click.option(
    "--redis",
    "redis_url",
    default="redis://127.0.0.1:6379/0",
    show_default=True,
    help="Redis URL shared with `harvester crawl --distributed`.",
)
@click.option("--once", is_flag=True, help="Exit after crawling one run.")
@click.option(
    "--idle-exit",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Exit after this long without a run to join (default: wait forever).",
)
@proxy_option
@database_options
@handles_interrupt
def worker(
    redis_url: str,
    once: bool,
    idle_exit: float | None,
    proxy: str | None,
    db: str | None,
    data_dir: Path | None,
) -> None:
    """Join distributed crawl runs (scrapy-redis) as one more crawling process.

    \b
    Examples:
      harvester worker --redis redis://10.0.0.5:6379/0 --db postgresql+psycopg://u@10.0.0.5/harvester
      harvester worker --once --idle-exit 600
      harvester worker --proxy http://10.0.0.9:3128   # this machine's vantage point
    """
    from harvester.crawling import run_worker

    # The coordinator records the database's blob store; a worker (maybe on another machine,
    # the store mounted elsewhere) only uses it, or the --blob-store it is given.
    use_proxy(proxy)
    env = open_env(db, data_dir, record_blob_store=False)
    env.engine.dispose()
    # Given --blobs / $HARVESTER_BLOBS: this machine's way to the run's store. Otherwise
    # each run's blobs go where its coordinator stores them (the run's announcement says).
    context = click.get_current_context(silent=True)
    explicit = bool(
        (context is not None and context.meta.get("harvester.blob_store"))
        or os.environ.get(BLOBS_ENV)
    )
    click.echo(
        f"worker on {mask_url(redis_url)}, database {mask_url(env.db_url)}, data {env.data_dir}",
        err=True,
    )
    try:
        code = run_worker(
            redis_url,
            env.db_url,
            env.data_dir,
            once=once,
            idle_timeout=idle_exit,
            say=lambda text: click.echo(text, err=True),
            blob_location=env.blobs.location if explicit else None,
        )
    except Exception as exc:  # redis unreachable and the like: say so, without passwords
        raise click.ClickException(
            f"worker stopped: {type(exc).__name__}: {exc}".replace(redis_url, mask_url(redis_url))
        ) from exc
    raise SystemExit(code)


if __name__ == "__main__":
    worker()
