"""Every command explains itself: `--help` (and `-h`) on every command and subcommand of the
`harvester` group shows usage and an "Examples:" section whose lines run that command;
`--quiet` prints nothing on success and `--json` prints JSON, for the commands that have
them and can run offline on a stored database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from stored_reports import SHOUXIAN, ReportStore, harvester, report

from harvester.cli import LAZY_COMMANDS, main

EXPECTED = {
    "scrape", "crawl", "demo", "export", "reparse", "status", "parse", "portals", "worker", "db",
    "serve",
    "portals list", "portals show", "portals add", "portals set",
    "db upgrade", "db current", "db downgrade",
}  # fmt: skip


def all_commands() -> tuple[dict[str, click.Command], dict[str, str]]:
    """Every command path of the group (lazy commands imported), subcommands included, and
    the commands that could not be loaded, with the error."""
    found: dict[str, click.Command] = {}
    broken: dict[str, str] = {}

    def walk(group: click.Group, prefix: list[str]) -> None:
        ctx = click.Context(group, info_name=" ".join(["harvester", *prefix]))
        for name in group.list_commands(ctx):
            path = " ".join([*prefix, name])
            try:
                command = group.get_command(ctx, name)
            except Exception as exc:  # reported by test_every_command_loads
                broken[path] = f"{type(exc).__name__}: {exc}"
                continue
            if command is None:
                broken[path] = "not found"
                continue
            found[path] = command
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])

    walk(main, [])
    return found, broken


COMMANDS, BROKEN = all_commands()


def test_every_command_loads() -> None:
    assert not BROKEN, BROKEN
    assert set(COMMANDS) >= EXPECTED, sorted(EXPECTED - set(COMMANDS))
    assert set(LAZY_COMMANDS) <= set(COMMANDS)


def examples(help_text: str) -> list[str]:
    """The example command lines of a help text (the indented lines after "Examples:")."""
    _, found, rest = help_text.partition("Examples:")
    if not found:
        return []
    lines = []
    for line in rest.splitlines()[1:]:
        if not line.startswith("    "):
            break
        lines.append(line.strip())
    return lines


@pytest.mark.parametrize("path", ["", *COMMANDS])
def test_help_of_every_command(path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The help text exactly as the terminal shows it (click's runner formats it the same
    way; the entry point itself is run in a subprocess by test_help_in_a_shell)."""
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(tmp_path / "data"))
    name = f"harvester {path}".strip()
    result = CliRunner().invoke(
        main, [*path.split(), "--help"], prog_name="harvester", terminal_width=120
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: {name} ")
    lines = examples(result.output)
    assert lines, f"{name} --help has no Examples: section"
    assert any(line.startswith(name + " ") or line == name for line in lines), lines
    assert not (tmp_path / "data").exists(), "--help touched the data directory"


def test_help_in_a_shell() -> None:
    for path in ("", "export", "portals list"):
        for flag in ("--help", "-h"):
            result = harvester(None, *path.split(), flag)
            assert result.returncode == 0, (path, flag, result.stderr)
            assert "Usage:" in result.stdout and "Examples:" in result.stdout


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[ReportStore]:
    store = ReportStore(database_url, tmp_path / "data")
    shouxian_2021 = report(1, "2021", agency="寿县人民政府", year=2021, county="寿县")
    store.add(SHOUXIAN, shouxian_2021, run_id=store.run())
    store.parse()
    yield store
    store.close()


# Commands that run offline against a stored database; {out} is a file in tmp_path.
RUNNABLE = [
    ("status",),
    ("reparse",),
    ("portals", "list"),
    ("portals", "show", "寿县"),
    ("export", "-o", "{out}"),
]


def test_quiet_and_json(store: ReportStore, tmp_path: Path) -> None:
    out = str(tmp_path / "out.jsonl")
    checked_quiet, checked_json = set(), set()
    for args in RUNNABLE:
        args = tuple(a.replace("{out}", out) for a in args)
        path = " ".join(a for a in args if not a.startswith("-") and a not in ("寿县", out))
        options = {p.name for p in COMMANDS[path].params}
        if "quiet" in options:
            quiet = harvester(store.env(), *args, "--quiet")
            assert quiet.returncode == 0, (args, quiet.stderr)
            assert quiet.stdout == "" and quiet.stderr == "", (args, quiet.stdout, quiet.stderr)
            checked_quiet.add(path)
        if "as_json" in options:
            result = harvester(store.env(), *args, "--json")
            assert result.returncode == 0, (args, result.stderr)
            json.loads(result.stdout)  # the whole of stdout is one JSON document
            checked_json.add(path)
    assert checked_quiet == {"status", "reparse", "portals list", "portals show", "export"}
    assert checked_json == {"status", "reparse", "portals list", "portals show"}
