"""Run the Scrapy crawl of some portals in a subprocess; results land in the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from harvester.crawl_process import SETTINGS_ENV


def crawl_command(
    db_url: str,
    data_dir: Path,
    portal_ids: list[int],
    run_id: int,
    since_year: int | None = None,
    distributed: dict[str, Any] | None = None,
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "harvester.crawl_process",
        "--db-url",
        db_url,
        "--data-dir",
        str(data_dir),
        "--portal-ids",
        ",".join(str(p) for p in portal_ids),
        "--run-id",
        str(run_id),
    ]
    if since_year:
        command += ["--since-year", str(since_year)]
    if distributed and distributed.get("redis_url"):
        command += ["--redis-url", str(distributed["redis_url"])]
    return command


def run_crawl(
    db_url: str,
    data_dir: Path,
    portal_ids: list[int],
    run_id: int,
    since_year: int | None = None,
    distributed: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> int:
    """Crawl the portals in a child process (Scrapy's reactor cannot restart); its exit code.

    `settings` are extra Scrapy settings (tests use them to drop delays); they reach the
    child through the environment, merged over any already given there.
    """
    if not portal_ids:
        raise ValueError("run_crawl expected at least one portal id, got none")
    env = dict(os.environ)
    if settings:
        merged = json.loads(env.get(SETTINGS_ENV) or "{}")
        merged.update(settings)
        env[SETTINGS_ENV] = json.dumps(merged)
    command = crawl_command(db_url, Path(data_dir), portal_ids, run_id, since_year, distributed)
    completed = subprocess.run(command, env=env, check=False)
    return completed.returncode
