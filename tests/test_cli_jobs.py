"""The tool as a user drives it: `harvester scrape`, `crawl`, `export`, `status` in subprocesses.

A small county portal is served on 127.0.0.1 (a home page, the 年报 column with a
distractor beside it, report articles carrying a real report's tables, ETag and
Last-Modified honoured). The tests check what a user checks afterwards: the reports found,
their numbers, the exit codes and messages, that a second crawl asks conditionally and
stores nothing twice, that a changed report becomes a new version with the old one kept,
and that a crawl killed half-way is resumed cleanly by the next one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest
from cli_run import cli_environment
from portal_server import PortalServer
from sqlalchemy import create_engine, func, select
from stored_reports import harvester

from harvester.document import Block
from harvester.parser import parse_text
from harvester.storage.models import Blob, CrawlRun, Fetch, Report, ReportVersion
from harvester.synth import report_document
from harvester.world.seed_reports import SEED_DIR as SEEDS
from harvester.writers import render_html


def seed_text(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def html_page(title: str, body: str) -> bytes:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<title>{title}</title><meta name="ArticleTitle" content="{title}"></head>'
        f"<body>{body}</body></html>"
    ).encode()


def report_page(county: str, year: int, seed: str, note: str = "") -> bytes:
    """The article page of a county's report: the seed report's tables as an HTML page.

    The seed (a real report as text) is read once by the parser and laid out again as the
    template's tables, so the page carries the real report's numbers in real HTML tables.
    """
    record = parse_text(seed_text(seed))
    record.update(agency=f"{county}人民政府", year=year)
    record["title"] = f"{county}人民政府{year}年政府信息公开工作年度报告"
    document = report_document(record)
    if note:
        document.blocks.append(Block("paragraph", text=note))
    return render_html(document)


def put(site: dict[str, tuple[bytes, str, dict[str, str]]], path: str, body: bytes) -> None:
    """Publish `body` at `path` now (its Last-Modified is the time it was put)."""
    kind = "text/plain" if path.endswith(".txt") else "text/html; charset=utf-8"
    site[path] = (body, kind, {"Last-Modified": formatdate(time.time(), usegmt=True)})


def county_site(county: str, reports: dict[int, bytes]) -> dict[str, tuple[bytes, str, dict]]:
    """Home → 政府信息公开年报 column (+ a distractor) → one article per year."""
    site: dict[str, tuple[bytes, str, dict]] = {}
    items = "".join(
        f'<li><a href="/xxgk/nb/{year}.html">{county}人民政府{year}年政府信息公开工作年度报告</a></li>'
        for year in sorted(reports, reverse=True)
    )
    put(
        site,
        "/",
        html_page(
            f"{county}人民政府",
            '<a href="/xwzx/">新闻中心</a><a href="/zwgk/gzbg/">政府工作报告</a>'
            '<a href="/xxgk/nb/">政府信息公开年报</a>',
        ),
    )
    put(site, "/robots.txt", b"User-agent: *\nDisallow: /admin/\n")
    put(site, "/xwzx/", html_page("新闻中心", "<p>新闻</p>"))
    put(
        site,
        "/zwgk/gzbg/",
        html_page("政府工作报告", '<a href="/zwgk/gzbg/1.html">2023年政府工作报告</a>'),
    )
    put(
        site,
        "/xxgk/nb/",
        html_page(
            "政府信息公开年报",
            f'<meta name="ColumnName" content="政府信息公开年报"><ul>{items}</ul>',
        ),
    )
    for year, page in reports.items():
        put(site, f"/xxgk/nb/{year}.html", page)
    return site


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return cli_environment(database_url, tmp_path / "data")


@pytest.fixture
def shouxian() -> Iterator[PortalServer]:
    site = county_site(
        "寿县", {2020: report_page("寿县", 2020, "000"), 2019: report_page("寿县", 2019, "000")}
    )
    with PortalServer(site) as server:
        yield server


def db_counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        counts = {
            "reports": connection.scalar(select(func.count()).select_from(Report.__table__)),
            "versions": connection.scalar(
                select(func.count()).select_from(ReportVersion.__table__)
            ),
            "blobs": connection.scalar(select(func.count()).select_from(Blob.__table__)),
        }
    engine.dispose()
    return counts


def run_bytes(database_url: str, run_id: int) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        total = connection.scalar(
            select(func.coalesce(func.sum(Fetch.bytes), 0)).where(Fetch.run_id == run_id)
        )
    engine.dispose()
    return int(total or 0)


def test_scrape_then_crawl_again_then_a_changed_report(
    cli_env: dict[str, str], database_url: str, shouxian: PortalServer, tmp_path: Path
) -> None:
    server, home = shouxian, shouxian.url

    first = harvester(cli_env, "scrape", "寿县", "--url", home, "--json")
    assert first.returncode == 0, first.stderr[-3000:]
    summary = json.loads(first.stdout)
    assert summary["outcome"] == "ok"
    (portal,) = summary["portals"]
    assert portal["county"] == "寿县" and portal["adcode"] == "340422"
    assert sorted((r["agency"], r["year"]) for r in portal["reports"]) == [
        ("寿县人民政府", 2019),
        ("寿县人民政府", 2020),
    ]
    assert all(r["status"] == "new" and r["tables"] for r in portal["reports"])
    assert "/zwgk/gzbg/1.html" not in server.paths()  # distractor
    first_counts = db_counts(database_url)

    # The numbers a user checks, straight from the export.
    out = tmp_path / "reports.jsonl"
    exported = harvester(cli_env, "export", "--format", "jsonl", "--county", "寿县", "-o", str(out))
    assert exported.returncode == 0, exported.stderr[-2000:]
    records = {r["year"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert records[2020]["applications"]["received"]["total"] == 28
    assert records[2020]["applications"]["received"]["natural_person"] == 24
    assert records[2020]["documents"][0]["sha256"]

    # A crawl that asks every known page again: nothing new, everything asked conditionally.
    server.answers.clear()
    second = harvester(cli_env, "crawl", "--only", "寿县", "--revisit-after", "0", "--json")
    assert second.returncode == 0, second.stderr[-3000:]
    again = json.loads(second.stdout)
    assert {r["status"] for r in again["portals"][0]["reports"]} == {"unchanged"}
    assert db_counts(database_url) == first_counts
    article_answers = {status for path, status in server.answers if path.startswith("/xxgk/nb/20")}
    assert article_answers == {304}
    assert run_bytes(database_url, again["run_id"]) < 0.2 * run_bytes(
        database_url, summary["run_id"]
    )

    # A corrected 2020 report: a new version, the old one kept.
    put(
        server.site,
        "/xxgk/nb/2020.html",
        report_page("寿县", 2020, "000", note="（2021年3月更正）"),
    )
    third = harvester(cli_env, "crawl", "--only", "340422", "--revisit-after", "0", "--json")
    assert third.returncode == 0, third.stderr[-3000:]
    statuses = {r["year"]: r for r in json.loads(third.stdout)["portals"][0]["reports"]}
    assert statuses[2020]["status"] == "changed" and statuses[2020]["versions"] == 2
    assert statuses[2019]["status"] == "unchanged" and statuses[2019]["versions"] == 1
    counts = db_counts(database_url)
    assert counts["reports"] == 2 and counts["versions"] == 3

    every = tmp_path / "all.jsonl"
    harvester(cli_env, "export", "--format", "jsonl", "--all-versions", "-o", str(every))
    versions_2020 = [
        r for r in map(json.loads, every.read_text().splitlines()) if r["year"] == 2020
    ]
    assert len(versions_2020) == 2
    assert len({r["documents"][0]["sha256"] for r in versions_2020}) == 2


def test_ambiguous_and_unknown_names_are_usage_errors(cli_env: dict[str, str]) -> None:
    ambiguous = harvester(cli_env, "scrape", "朝阳区")
    assert ambiguous.returncode == 2
    assert "ambiguous" in ambiguous.stderr and "北京市" in ambiguous.stderr
    assert "吉林省" in ambiguous.stderr  # 长春市朝阳区
    unknown = harvester(cli_env, "scrape", "不存在县")
    assert unknown.returncode == 2
    assert "不存在县" in unknown.stderr and "harvester portals" in unknown.stderr


def test_unreachable_portal_fails_with_its_reason(cli_env: dict[str, str]) -> None:
    result = harvester(cli_env, "scrape", "寿县", "--url", "http://127.0.0.1:9/")
    assert result.returncode == 1, result.stdout + result.stderr
    status = harvester(cli_env, "status", "--json")
    failing = json.loads(status.stdout)["failing"]
    assert [f["county"] for f in failing] == ["寿县"]
    assert "refused" in json.dumps(failing, ensure_ascii=False).lower()


def test_a_killed_crawl_is_resumed_by_the_next_run(
    cli_env: dict[str, str], database_url: str
) -> None:
    years = range(2008, 2024)
    site = county_site("寿县", {year: report_page("寿县", year, "000") for year in years})
    server = PortalServer(site, latency=1.0)
    slow_env = {
        **cli_env,
        "HARVESTER_SCRAPY_SETTINGS": json.dumps(
            # Scrapy 2.19 enforces per-host concurrency only with a non-zero delay.
            {
                "DOWNLOAD_DELAY": 0.05,
                "AUTOTHROTTLE_ENABLED": False,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
            }
        ),
    }
    home = server.url
    try:
        added = harvester(cli_env, "portals", "set", "340422", "--url", home)
        assert added.returncode == 0, added.stderr
        process = subprocess.Popen(
            [sys.executable, "-m", "harvester", "crawl", "--only", "寿县", "--quiet"],
            env=slow_env,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while db_counts(database_url)["reports"] < 3 and time.time() < deadline:
            time.sleep(0.2)
        # One run at a time per database: a second one is told so, and changes nothing.
        second = harvester(cli_env, "crawl", "--only", "寿县")
        assert second.returncode == 3, second.stderr
        assert "another run is in progress" in second.stderr
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert 3 <= db_counts(database_url)["reports"] < len(years)

        server.latency = 0
        resumed = harvester(cli_env, "crawl", "--only", "寿县", "--json")
        assert resumed.returncode == 0, resumed.stderr[-3000:]
    finally:
        server.stop()
    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = connection.execute(select(Report.agency, Report.year)).all()
        runs = connection.execute(select(CrawlRun.outcome).order_by(CrawlRun.id)).scalars().all()
        n_versions = connection.scalar(select(func.count()).select_from(ReportVersion.__table__))
    engine.dispose()
    assert sorted(found) == [("寿县人民政府", y) for y in years]
    assert n_versions == len(years)
    assert runs[-1] == "ok" and runs[0] == "interrupted"
