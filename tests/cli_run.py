"""Running the real CLI (`python -m harvester …`) against a test database, for tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Run = Callable[..., subprocess.CompletedProcess[str]]
# Local portals answer at once: the CLI's crawls without delays.
FAST_SETTINGS = json.dumps(
    {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 4}
)


def cli_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    """Our environment with this database and data directory, fast crawls, wide output."""
    env = dict(os.environ)
    env.update(
        {
            "HARVESTER_DATABASE_URL": database_url,
            "HARVESTER_DATA_DIR": str(data_dir),
            "HARVESTER_SCRAPY_SETTINGS": FAST_SETTINGS,
            "COLUMNS": "200",
        }
    )
    return env


def cli_runner(database_url: str, data_dir: Path, settings: dict[str, Any], timeout: int) -> Run:
    """A function running the CLI with this database and data directory, these extra
    Scrapy settings and no proxy from the environment; it asserts the exit code (`code`,
    0 unless given) and takes extra environment variables (`env`)."""
    base = dict(os.environ)
    base.update(
        HARVESTER_DATABASE_URL=database_url,
        HARVESTER_DATA_DIR=str(data_dir),
        HARVESTER_SCRAPY_SETTINGS=json.dumps(settings),
    )
    base.pop("HARVESTER_PROXY", None)

    def run(
        *args: str, code: int = 0, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "harvester", *args],
            env={**base, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == code, (args, done.stdout, done.stderr)
        return done

    return run


def add_portal(harvester: Run, county: str, url: str) -> None:
    """`harvester portals add` of a county of 安徽 合肥 at `url`."""
    harvester(
        "portals", "add", "--province", "安徽", "--prefecture", "合肥", "--county", county, "--url", url
    )  # fmt: skip
