"""`scrapy crawl reports -a county=寿县`: Scrapy's crawl command, with the reports spider's
arguments prepared (run, portals, database) first; a wrong argument is a usage error."""

from __future__ import annotations

import argparse
from dataclasses import asdict, fields

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from harvester.crawl.launch import CrawlArgumentError, SpiderArguments, prepare

SPIDER = "reports"


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args[:1] == [SPIDER] and len(args) == 1:
            names = {f.name for f in fields(SpiderArguments)}
            given = {k: str(v) for k, v in opts.spargs.items() if k in names}
            try:
                prepared = prepare(SpiderArguments(**given))
            except CrawlArgumentError as exc:
                raise UsageError(str(exc), print_help=False) from None
            opts.spargs.update({k: v for k, v in asdict(prepared).items() if v})
        super().run(args, opts)
