"""The crawl subprocess: `python -m harvester.crawl_process --db-url … --portal-ids 1,2 …`.

Scrapy's Twisted reactor cannot be restarted within one process, so every crawl runs here,
in a child of the CLI. Exit code 0 when the crawl finished normally (per-portal outcomes,
including failures, are in the database), 1 when it ended early, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from pathlib import Path

SETTINGS_MODULE = "harvester.scrapy_settings"
SPIDER = "reports"  # spiders/reports.py
SETTINGS_ENV = "HARVESTER_SCRAPY_SETTINGS"  # JSON object of extra Scrapy settings
# The database URL reaches the child through the environment, not its command line (which
# any user of the machine can read in `ps`), when it carries a password.
DB_URL_ENV = "HARVESTER_DATABASE_URL"
BLOB_STORE_ENV = "HARVESTER_BLOB_STORE"  # the blob store the database records
REDIS_URL_ENV = "HARVESTER_REDIS_URL"  # with --distributed: the shared scheduler's Redis
SHARED_POLITENESS = "middlewares.politeness.SharedPolitenessMiddleware"  # distributed only


def url_password(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).password or None
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: nothing to hide
        return None


def scrub(text: str, password: str | None) -> str:
    """`text` with every occurrence of the password replaced by ***."""
    if not password:
        return text
    from urllib.parse import quote

    for form in {password, quote(password, safe="")}:
        text = text.replace(form, "***")
    return text


class PasswordScrubber(logging.Filter):
    """Removes the database password from every log line (messages and tracebacks)."""

    def __init__(self, password: str) -> None:
        super().__init__()
        self.password = password

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage(), self.password)
        record.args = ()
        if record.exc_info:
            record.exc_text = scrub(
                "".join(traceback.format_exception(*record.exc_info)).rstrip(), self.password
            )
            record.exc_info = None
        return True


def install_scrubber(password: str | None) -> None:
    if not password:
        return
    scrubber = PasswordScrubber(password)
    for handler in logging.getLogger().handlers:
        handler.addFilter(scrubber)


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
    parser.add_argument("--db-url", help=f"database URL (default: ${DB_URL_ENV})")
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--portal-ids", required=True, help="comma-separated portal ids")
    parser.add_argument("--run-id", required=True, type=int)
    parser.add_argument("--since-year", type=int)
    parser.add_argument(
        "--distributed",
        action="store_true",
        help=f"share the scheduler through Redis (scrapy-redis) at ${REDIS_URL_ENV}",
    )
    parser.add_argument("--redis-url", help=f"Redis URL (default: ${REDIS_URL_ENV})")
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
                # scrapy-redis's scheduler, counting each portal's live requests in Redis
                # so that portals close as they end (harvester.crawl.shared_completion).
                "SCHEDULER": "harvester.crawl.shared_completion.CountingScheduler",
                "HARVESTER_LIVE_KEY": f"harvester:run{run_id}:live:",
                "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
                # Workers of one run share a queue and a dupefilter; the next run starts clean.
                "SCHEDULER_PERSIST": True,
                "SCHEDULER_QUEUE_KEY": f"harvester:run{run_id}:%(spider)s:requests",
                "SCHEDULER_DUPEFILTER_KEY": f"harvester:run{run_id}:%(spider)s:dupefilter",
                "REDIS_URL": redis_url,
                # Per-host concurrency and delay held over all workers (leases in Redis).
                "HARVESTER_POLITENESS_KEY": f"harvester:run{run_id}:polite",
            },
            priority="cmdline",
        )
        extensions = dict(settings.getdict("EXTENSIONS"))
        extensions["extensions.distributed.SharedRunKeeper"] = 600
        settings.set("EXTENSIONS", extensions, priority="cmdline")
        middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
        middlewares.setdefault(SHARED_POLITENESS, 990)  # last before the downloader
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    return settings


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    db_url = args.db_url or os.environ.get(DB_URL_ENV)
    if not db_url:
        print(f"expected --db-url or ${DB_URL_ENV}, got neither", file=sys.stderr)
        return 2
    if args.distributed and not args.redis_url:
        args.redis_url = os.environ.get(REDIS_URL_ENV)
        if not args.redis_url:
            print(f"--distributed expects ${REDIS_URL_ENV} or --redis-url", file=sys.stderr)
            return 2
    password = url_password(db_url)
    redis_password = url_password(args.redis_url) if args.redis_url else None
    try:
        return _crawl(args, db_url, password)
    except Exception as exc:  # noqa: BLE001 - reported without the password, exit 1
        from harvester.storage.db import mask_url

        message = f"crawl of {mask_url(db_url)} failed: {type(exc).__name__}: {exc}"
        print(scrub(scrub(message, password), redis_password), file=sys.stderr)
        return 1


def _check_database(db_url: str) -> None:
    """Fail early, with the URL masked, when the database cannot be reached."""
    from sqlalchemy import text

    from harvester.storage.db import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def _crawl(args: argparse.Namespace, db_url: str, password: str | None) -> int:
    from scrapy.crawler import CrawlerProcess

    _check_database(db_url)

    process = CrawlerProcess(crawl_settings(dict(args.settings), args.redis_url, args.run_id))
    install_scrubber(password)
    install_scrubber(url_password(args.redis_url) if args.redis_url else None)
    crawler = process.create_crawler(SPIDER)  # found by name in SPIDER_MODULES
    process.crawl(
        crawler,
        db_url=db_url,
        data_dir=str(args.data_dir),
        portal_ids=args.portal_ids,
        run_id=str(args.run_id),
        since_year=str(args.since_year or ""),
        distributed="1" if args.redis_url else "",
    )
    process.start()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    if reason != "finished":
        print(f"crawl ended with reason {reason!r}, expected 'finished'", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
