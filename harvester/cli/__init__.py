"""The `harvester` command line."""

from __future__ import annotations

import importlib

import click

from harvester import __version__


class LazyGroup(click.Group):
    """A group whose commands are imported only when used (fast `--help`, light start-up)."""

    def __init__(self, *args: object, lazy: dict[str, str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module_name, attr = self.lazy[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module_name), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands without importing the lazy ones."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(limit=70)))
            else:
                rows.append((name, LAZY_HELP.get(name, "")))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


LAZY_COMMANDS = {
    "scrape": "harvester.cli.run:scrape",
    "crawl": "harvester.cli.run:crawl",
    "demo": "harvester.cli.demo:demo",
    "export": "harvester.cli.export:export",
    "reparse": "harvester.cli.reparse:reparse",
    "status": "harvester.cli.status:status",
    "parse": "harvester.cli.parse:parse",
    "portals": "harvester.cli.portals:portals",
    "worker": "harvester.cli.worker:worker",
    "db": "harvester.cli.db:db",
    "serve": "harvester.cli.serve:serve",
}
LAZY_HELP = {
    "scrape": "Scrape one county now: find its 年报 column, fetch, parse, check.",
    "crawl": "The scheduled incremental crawl over every enabled portal.",
    "demo": "Run everything offline against the bundled local portal world.",
    "export": "Export parsed reports as JSONL, CSV or Parquet.",
    "reparse": "Normalise and parse stored raw bytes again (no re-crawl).",
    "status": "Portals, recent runs, reports, failing portals and why.",
    "parse": "Parse one local report file (txt, html, docx, doc, pdf) to a JSON record.",
    "portals": "Inspect and correct the portal registry (list, show, add, set).",
    "worker": "A distributed crawl worker sharing a run's queue through Redis.",
    "db": "Create, upgrade or inspect the database schema.",
    "serve": "Open the harvest in a browser (coverage, reports, checks; read-only).",
}


@click.group(
    cls=LazyGroup, lazy=LAZY_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="harvester")
def main() -> None:
    """Collect government information-disclosure annual reports (政府信息公开工作年度报告),
    keep every raw document with its provenance, and turn their tables into checked data.

    \b
    Examples:
      harvester demo                  # offline demo against the bundled local portals
      harvester scrape 寿县            # one county, now
      harvester crawl --province 安徽省  # the scheduled incremental job
      harvester parse report.pdf      # one local file to a JSON record
    """
