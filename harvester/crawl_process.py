"""The crawl subprocess: `python -m harvester.crawl_process --db-url … --portal-ids 1,2 …`.

Scrapy's Twisted reactor cannot be restarted within one process, so every crawl runs here,
in a child of the CLI. Exit code 0 when the crawl finished normally (per-portal outcomes,
including failures, are in the database), 1 when it ended early, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

SETTINGS_MODULE = "harvester.scrapy_settings"
SETTINGS_ENV = "HARVESTER_SCRAPY_SETTINGS"  # JSON object of extra Scrapy settings


def parse_setting(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE for -s, got {text!r}")
    key, value = text.split("=", 1)
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harvester.crawl_process", description=__doc__)
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--portal-ids", required=True, help="comma-separated portal ids")
    parser.add_argument("--run-id", required=True, type=int)
    parser.add_argument("--since-year", type=int)
    parser.add_argument("--redis-url", help="share the scheduler through Redis (scrapy-redis)")
    parser.add_argument(
        "-s", "--set", dest="settings", action="append", type=parse_setting, default=[]
    )
    return parser


def crawl_settings(extra: dict[str, object], redis_url: str | None, run_id: int = 0):  # noqa: ANN201
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    if os.environ.get(SETTINGS_ENV):
        settings.setdict(json.loads(os.environ[SETTINGS_ENV]), priority="cmdline")
    settings.setdict(extra, priority="cmdline")
    if redis_url:
        settings.setdict(
            {
                "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
                "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
                # Workers of one run share a queue and a dupefilter; the next run starts clean.
                "SCHEDULER_PERSIST": True,
                "SCHEDULER_QUEUE_KEY": f"harvester:run{run_id}:%(spider)s:requests",
                "SCHEDULER_DUPEFILTER_KEY": f"harvester:run{run_id}:%(spider)s:dupefilter",
                "REDIS_URL": redis_url,
            },
            priority="cmdline",
        )
    return settings


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from scrapy.crawler import CrawlerProcess

    from spiders.reports import AnnualReportSpider

    process = CrawlerProcess(crawl_settings(dict(args.settings), args.redis_url, args.run_id))
    crawler = process.create_crawler(AnnualReportSpider)
    process.crawl(
        crawler,
        db_url=args.db_url,
        data_dir=str(args.data_dir),
        portal_ids=args.portal_ids,
        run_id=str(args.run_id),
        since_year=str(args.since_year or ""),
    )
    process.start()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    if reason != "finished":
        print(f"crawl ended with reason {reason!r}, expected 'finished'", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
