"""The version of the running code, recorded with every run."""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

from harvester import __version__


@lru_cache(maxsize=1)
def code_version() -> str:
    """``0.1.0`` when installed, ``0.1.0+g1a2b3c4`` (``.dirty`` if modified) from a git checkout."""
    checkout = Path(__file__).resolve().parent.parent
    if not (checkout / ".git").exists():
        return __version__
    try:
        sha = _git(checkout, "rev-parse", "--short", "HEAD")
        dirty = _git(checkout, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return __version__
    if not sha:
        return __version__
    return f"{__version__}+g{sha}{'.dirty' if dirty else ''}"


def _git(checkout: Path, *args: str) -> str:
    """What `git -C checkout args…` prints, stripped."""
    return subprocess.run(
        ["git", "-C", str(checkout), *args], capture_output=True, text=True, timeout=5, check=True
    ).stdout.strip()
