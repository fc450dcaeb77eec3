"""The web view (`harvester serve`), looked at in real headless Chromium.

The database comes from a real crawl of small portals of the local world (plus a portal
that cannot be reached), with reports stored the way a crawl stores them added next to it:
one whose numbers break the template's arithmetic, one attachment-only report, and one
whose title and body name hold markup. `harvester serve` runs in a subprocess on a free
loopback port; Playwright drives Debian's Chromium through the pages a journalist uses.
A screenshot of a report page is written to $HARVESTER_TEST_ARTIFACTS (default
./test-artifacts/).
"""

from __future__ import annotations

import copy
import hashlib
import os
import shlex
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stored_reports import ROOT, ReportStore, harvester, report, with_broken_balance

from harvester.cli.demo import WORLD_CRAWL_SETTINGS, _register, serve_command
from harvester.jobs import run_job
from harvester.storage.blobs import BlobStore
from harvester.storage.db import make_engine, session_scope, upgrade_to_head
from harvester.storage.fetches import record_fetch
from harvester.storage.models import Base, Blob, Portal, Report, VersionDocument
from harvester.storage.types import utcnow
from harvester.summary import latest_parse, latest_version
from harvester.web.data import readonly_engine
from harvester.web.layout import show
from harvester.web.metadata import TABLES

CHROMIUM = "/usr/bin/chromium"
HOSTILE_TITLE = "<script>window.__pwned = 1</script>某县2023年政府信息公开工作年度报告"
HOSTILE_AGENCY = '某县<img src=x onerror="window.__pwned = 2">局'
HOSTILE_PAGE = b"<!DOCTYPE html><html><head><title>raw</title></head><body><p id=p>raw page</p><script>window.__pwned = 3; document.getElementById('p').textContent = 'script ran';</script></body></html>"
# (province, prefecture, county, adcode, home URL): stored next to the crawled world.
BROKEN_PLACE = ("模拟省", "模拟市", "错账县", "990901", "http://cuozhang.example/")
HOSTILE_PLACE = ("模拟省", "模拟市", "怪名县", "990902", "javascript:alert(1)//")
SECTIONS = ("proactive", "applications", "review_litigation")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start_serve(args: list[str], port: int) -> subprocess.Popen[str]:
    """`harvester serve … --port PORT` in a subprocess, once it answers."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "harvester", "serve", *args, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}: {process.communicate()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("serve did not answer within 60 s")


def stop_serve(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.terminate()
    try:
        return process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


@pytest.fixture(scope="module")
def harvest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A crawled harvest, served: {url, db, data_dir, engine, world, ids, broken, hostile, …}."""
    from harvester.world import start_world

    data_dir = tmp_path_factory.mktemp("harvest")
    db_path = data_dir / "harvester.sqlite"
    db_url = f"sqlite:///{db_path}"
    upgrade_to_head(db_url)
    engine = make_engine(db_url)
    blobs = BlobStore(data_dir / "blobs")
    world = start_world(cache_dir=data_dir / "world", generated=3, base=False, special=False)
    try:
        with session_scope(engine) as session:
            ids = [_register(session, spec) for spec in world.portals]
            dead = Portal(
                province="模拟省",
                prefecture="模拟市",
                county="断网县",
                adcode="990903",
                home_url=f"http://127.0.0.1:{free_port()}/",
                source="user",
            )
            session.add(dead)
            session.flush()
            dead_id = dead.id
        result = run_job(
            engine,
            db_url,
            data_dir,
            blobs,
            kind="crawl",
            arguments={"test": "web"},
            portal_ids=[*ids, dead_id],
            crawl_settings=WORLD_CRAWL_SETTINGS,
        )
    finally:
        world.stop()
    assert result.outcome == "partial", result.failures
    store = ReportStore(db_url, data_dir)
    run_id = store.run()
    broken = store.add(
        BROKEN_PLACE,
        with_broken_balance(report(7, "2021", agency="错账县人民政府", year=2022, county="错账县")),
        run_id=run_id,
    )
    attached = store.add(
        BROKEN_PLACE,
        report(8, "2019", agency="错账县教育局", year=2020, county="错账县"),
        run_id=run_id,
        as_docx=True,
    )
    hostile_record = {
        **report(9, "2021", agency=HOSTILE_AGENCY, year=2023, county="怪名县"),
        "title": HOSTILE_TITLE,
    }
    hostile = store.add(HOSTILE_PLACE, hostile_record, run_id=run_id, path="nb/2023.html")
    store.parse([broken.version_id, attached.version_id, hostile.version_id])
    with session_scope(engine) as session:
        raw = record_fetch(
            session,
            blobs,
            run_id=run_id,
            portal_id=hostile.portal_id,
            url="http://guaiming.example/raw.html",
            final_url=None,
            method="GET",
            status=200,
            request_headers={},
            response_headers={"Content-Type": "text/html"},
            fetched_at=utcnow(),
            duration_ms=1,
            body=HOSTILE_PAGE,
            expected_length=len(HOSTILE_PAGE),
            via="http",
            referer=None,
            error=None,
        ).sha256
    store.close()
    engine.dispose()
    with sqlite3.connect(db_path) as connection:  # everything in the main file, WAL empty
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    engine = readonly_engine(db_path)
    before = sha256_of(db_path)
    port = free_port()
    process = start_serve(["--db", str(db_path), "--data-dir", str(data_dir)], port)
    try:
        yield {
            "url": f"http://127.0.0.1:{port}",
            "port": port,
            "process": process,
            "db": db_path,
            "data_dir": data_dir,
            "engine": engine,
            "blobs": blobs,
            "world": world.portals,
            "ids": ids,
            "dead": dead_id,
            "broken": broken,
            "attached": attached,
            "hostile": hostile,
            "raw_sha": raw,
            "db_sha256": before,
        }
    finally:
        stop_serve(process)
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def artifacts() -> Path:
    """Where screenshots go: $HARVESTER_TEST_ARTIFACTS, else ./test-artifacts/."""
    path = Path(os.environ.get("HARVESTER_TEST_ARTIFACTS", ROOT / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def pwned(tab: Any) -> Any:
    return tab.evaluate("() => window.__pwned === undefined ? null : window.__pwned")


def newest_record(engine: Any, report_id: int) -> dict[str, Any]:
    with session_scope(engine) as session:
        version = latest_version(session, report_id)
        assert version is not None
        parse = latest_parse(session, version.id)
        assert parse is not None
        return copy.deepcopy(parse.record)


def cell_texts(tab: Any) -> dict[str, str]:
    return tab.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('td[data-cell]')]"
        ".map(td => [td.dataset.cell, td.textContent.trim()]))"
    )


def expected_cells(record: dict[str, Any]) -> dict[str, str]:
    """What each shown cell must say: the record's value, blank for null."""
    cells = {}
    for section in SECTIONS:
        for row, columns in (record.get(section) or {}).items():
            for column, value in columns.items():
                if column == "amount_yuan":
                    continue  # shown with the amount as printed (amount_raw)
                cells[f"{section}.{row}.{column}"] = show(value)
    return cells


def test_coverage_matrix(harvest: dict[str, Any], page: Any) -> None:
    page.goto(harvest["url"] + "/-/coverage")
    assert page.locator("h1").inner_text().startswith("Coverage")
    for spec in harvest["world"]:
        per_year = Counter(entry.year for entry in spec.expected)
        row = page.locator(f'tr[data-county="{spec.county}"]')
        assert row.count() == 1, spec.county
        for year, bodies in per_year.items():
            cell = row.locator(f'td[data-year="{year}"]')
            assert cell.get_attribute("data-state") == "found", (spec.county, year)
            assert cell.inner_text().strip() == str(bodies), (spec.county, year)
    dead = page.locator('tr[data-county="断网县"]')
    states = {
        dead.locator("td.cell").nth(i).get_attribute("data-state")
        for i in range(dead.locator("td.cell").count())
    }
    assert states == {"failed"}
    assert "failed" in dead.inner_text()
    broken = page.locator('tr[data-county="错账县"] td[data-year="2022"]')
    assert broken.inner_text().strip() == "1 ✗1"  # one body found, its report fails a check
    totals = page.locator('table.totals tr[data-province="模拟省"]').inner_text()
    assert "模拟省" in totals
    # A cell leads to the reports behind it, and on to the report.
    spec = harvest["world"][0]
    year = max(entry.year for entry in spec.expected)
    page.locator(f'tr[data-county="{spec.county}"] td[data-year="{year}"] a').click()
    page.wait_for_url("**/-/reports?*")
    rows = page.locator("table.reports tbody tr")
    agencies = sorted(rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count()))
    assert agencies == sorted(e.agency for e in spec.expected if e.year == year)
    rows.first.locator("a").first.click()
    page.wait_for_url("**/-/report/*")
    assert page.locator("table.grid").count() >= 1


def test_report_page_shows_the_records_values(harvest: dict[str, Any], page: Any) -> None:
    with session_scope(harvest["engine"]) as session:
        report_ids = list(
            session.scalars(select(Report.id).where(Report.portal_id.in_(harvest["ids"])))
        )
    assert report_ids
    for report_id in report_ids[:4]:
        record = newest_record(harvest["engine"], report_id)
        page.goto(f"{harvest['url']}/-/report/{report_id}")
        shown = cell_texts(page)
        expected = expected_cells(record)
        assert expected, f"report {report_id} has no tables"
        assert {k: shown.get(k) for k in expected} == expected, report_id
        assert page.locator("h1.report-title").inner_text() == record["title"]
        assert (
            "Every check that could be evaluated holds"
            in page.locator("p.banner.status").inner_text()
        )
        documents = page.locator("table.documents tbody tr")
        assert documents.count() == len(record["documents"])
        for i, document in enumerate(record["documents"]):
            text = documents.nth(i).inner_text()
            assert document["url"] in text and document["sha256"] in text
            assert "200" in documents.nth(i).locator("td.status").inner_text()
    shot = artifacts() / "web-report-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_failing_cells_are_highlighted_with_the_checks_message(
    harvest: dict[str, Any], page: Any
) -> None:
    broken = harvest["broken"]
    record = newest_record(harvest["engine"], broken.report_id)
    page.goto(f"{harvest['url']}/-/report/{broken.report_id}")
    assert cell_texts(page) | expected_cells(record) == cell_texts(page)
    assert "failing check" in page.locator("p.banner.status").inner_text()
    cell = page.locator('td[data-cell="applications.received.natural_person"]')
    assert "fail" in (cell.get_attribute("class") or "").split()
    assert "t3_balance" in (cell.get_attribute("title") or "")
    messages = page.locator("ul.cell-failures").first.inner_text()
    assert "t3_balance: natural_person" in messages
    failing = {c["rule"] for c in record["checks"] if not c["ok"]}
    shown_rules = page.locator("table.checks tr.fail-text td:first-child")
    assert {shown_rules.nth(i).inner_text() for i in range(shown_rules.count())} == failing
    page.screenshot(path=str(artifacts() / "web-report-failing-checks.png"), full_page=True)
    # Cells no check names are not marked.
    assert "fail" not in (
        page.locator('td[data-cell="applications.disclosed.natural_person"]').get_attribute("class")
        or ""
    )


def test_failing_checks_page_filters(harvest: dict[str, Any], page: Any) -> None:
    broken = harvest["broken"]
    page.goto(harvest["url"] + "/-/checks")
    rows = page.locator("table.failing tbody tr")
    rules = {rows.nth(i).get_attribute("data-rule") for i in range(rows.count())}
    assert {"t3_balance", "t3_row_sum"} <= rules
    assert {rows.nth(i).get_attribute("data-report") for i in range(rows.count())} == {
        str(broken.report_id)
    }
    page.select_option('select[name="rule"]', "t3_balance")
    page.select_option('select[name="province"]', "模拟省")
    page.click("form.filters button")
    page.wait_for_url("**/-/checks?*rule=t3_balance*")
    rows = page.locator("table.failing tbody tr")
    assert rows.count() == 1
    assert "一 " in rows.first.locator("td.message").inner_text()
    rows.first.locator("a", has_text="错账县人民政府").click()
    page.wait_for_url(f"**/-/report/{broken.report_id}")
    page.goto(harvest["url"] + "/-/checks?year=2021")
    assert page.locator("table.failing").count() == 0
    assert "No failing check matches" in page.locator(".hv").inner_text()


def test_raw_document_links_serve_the_stored_bytes(harvest: dict[str, Any], page: Any) -> None:
    attached = harvest["attached"]
    page.goto(f"{harvest['url']}/-/report/{attached.report_id}")
    links = page.locator("table.documents a.raw")
    assert links.count() == 2  # the article page and the DOCX attachment
    with session_scope(harvest["engine"]) as session:
        media = {b.sha256: b.media_type for b in session.scalars(select(Blob))}
    for i, sha in enumerate(attached.sha256):
        href = links.nth(i).get_attribute("href")
        assert href == f"/-/blob/{sha}"
        response = page.request.get(harvest["url"] + href)
        assert response.status == 200
        assert response.body() == harvest["blobs"].path(sha).read_bytes()
        assert response.headers["content-type"] == media[sha]
    docx = page.request.get(harvest["url"] + f"/-/blob/{attached.sha256[1]}")
    name = urllib.parse.quote("2020-错账县教育局.docx")  # its name on the portal
    assert f"filename*=UTF-8''{name}" in docx.headers["content-disposition"]
    # The article page opens in the browser as stored, sandboxed.
    response = page.goto(harvest["url"] + f"/-/blob/{attached.sha256[0]}")
    assert response is not None and response.status == 200
    assert "sandbox" in response.headers["content-security-policy"]
    # And its normalised text.
    page.goto(f"{harvest['url']}/-/report/{attached.report_id}")
    page.locator("table.documents a.text").nth(1).click()
    page.wait_for_url("**/-/document/*/text")
    assert "政府信息公开" in page.locator("div.document").inner_text()
    assert page.locator("div.document table.source").count() >= 1


def test_hostile_text_is_shown_as_text(harvest: dict[str, Any], page: Any) -> None:
    hostile = harvest["hostile"]
    page.goto(f"{harvest['url']}/-/report/{hostile.report_id}")
    assert page.locator("h1.report-title").inner_text() == HOSTILE_TITLE
    assert page.locator("td.agency").inner_text() == HOSTILE_AGENCY
    assert pwned(page) is None
    assert page.locator('a[href^="javascript:"]').count() == 0
    assert "javascript:alert(1)//nb/2023.html" in page.locator("table.meta").inner_text()
    for path in (
        f"/-/reports?portal={hostile.portal_id}",
        "/-/coverage",
        f"/{harvest['db'].stem}/report",
    ):
        page.goto(harvest["url"] + path)
        assert pwned(page) is None, path
        assert page.locator('a[href^="javascript:"]').count() == 0, path
    page.goto(f"{harvest['url']}/-/reports?portal={hostile.portal_id}")
    assert HOSTILE_TITLE in page.locator("table.reports").inner_text()
    # A raw page a portal sent runs no script in the web view.
    response = page.goto(f"{harvest['url']}/-/blob/{harvest['raw_sha']}")
    assert response is not None and response.body() == HOSTILE_PAGE
    assert page.locator("#p").inner_text() == "raw page"
    assert pwned(page) is None


def test_datasette_tables_carry_descriptions(harvest: dict[str, Any], page: Any) -> None:
    for table in Base.metadata.sorted_tables:
        assert table.name in TABLES, table.name
        assert set(TABLES[table.name][1]) == {c.name for c in table.columns}, table.name
    name = harvest["db"].stem
    page.goto(f"{harvest['url']}/{name}/report")
    assert "One annual report" in page.locator("body").inner_text()
    page.goto(f"{harvest['url']}/{name}/reports")  # the canned query
    assert page.locator("table.rows-and-columns tbody tr").count() >= 15
    page.goto(harvest["url"] + "/")
    page.locator("section.content a", has_text="Coverage").first.click()
    page.wait_for_url("**/-/coverage")


def test_listens_on_loopback_only(harvest: dict[str, Any]) -> None:
    port = harvest["port"]
    listening = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, _, hex_port = local.partition(":")
        if int(hex_port, 16) == port and state == "0A":
            listening.append(address)
    assert listening == ["0100007F"]  # 127.0.0.1


def test_export_sqlite_snapshot_is_served(harvest: dict[str, Any], tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.sqlite"
    env = {**os.environ, "HARVESTER_DATA_DIR": str(harvest["data_dir"])}
    env.pop("HARVESTER_DATABASE_URL", None)
    made = harvester(
        env,
        "export",
        "--db",
        f"sqlite:///{harvest['db']}",
        "--format",
        "sqlite",
        "-o",
        str(snapshot),
    )
    assert made.returncode == 0, made.stderr
    assert f"harvester serve --db {snapshot}" in made.stderr
    engine = make_engine(f"sqlite:///{snapshot}", sqlite_begin="DEFERRED")
    try:
        with session_scope(engine) as session:
            n_snapshot = session.scalar(select(func.count()).select_from(Report))
    finally:
        engine.dispose()
    with session_scope(harvest["engine"]) as session:
        assert n_snapshot == session.scalar(select(func.count()).select_from(Report))
    refused = harvester(
        env, "export", "--format", "sqlite", "--year", "2022", "-o", str(tmp_path / "x.sqlite")
    )
    assert refused.returncode == 2 and "whole database" in refused.stderr
    port = free_port()
    process = start_serve(["--db", str(snapshot), "--data-dir", str(harvest["data_dir"])], port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/checks") as answer:
            assert "t3_balance" in answer.read().decode()
    finally:
        stop_serve(process)


def test_demo_prints_a_serve_command_that_works(harvest: dict[str, Any]) -> None:
    command = shlex.split(serve_command(harvest["data_dir"]))
    assert command[:2] == ["harvester", "serve"]
    port = free_port()
    process = start_serve(command[2:], port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/coverage") as answer:
            assert "断网县" in answer.read().decode()
    finally:
        out, _ = stop_serve(process)
    assert f"http://127.0.0.1:{port}/-/coverage" in out


def test_serve_refuses_a_missing_database(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite"
    result = harvester(
        None, "serve", "--db", str(missing), "--data-dir", str(tmp_path), "--port", str(free_port())
    )
    assert result.returncode == 1 and "no database at" in result.stderr
    assert not missing.exists()


def test_serve_never_writes(harvest: dict[str, Any]) -> None:
    """Last: after every page above, the database file is byte for byte what it was, and
    Datasette's SQL page refuses a write."""
    url = f"{harvest['url']}/{harvest['db'].stem}?sql=" + urllib.parse.quote("DELETE FROM report")
    try:
        with urllib.request.urlopen(url) as answer:
            body = answer.read().decode()
    except urllib.error.HTTPError as exc:
        body = exc.read().decode()
    with session_scope(harvest["engine"]) as session:
        assert session.scalar(select(func.count()).select_from(Report)) > 0
        assert session.scalar(select(func.count()).select_from(VersionDocument)) > 0
    assert "must be a SELECT" in body
    stop_serve(harvest["process"])
    assert sha256_of(harvest["db"]) == harvest["db_sha256"]


def test_snapshot_of_the_configured_database(database_url: str, tmp_path: Path) -> None:
    """`export --format sqlite` from the test database (SQLite, or PostgreSQL with
    HARVESTER_TEST_PG_URL): every row of every table, a file `serve` accepts."""
    from harvester.web.app import check_database

    store = ReportStore(database_url, tmp_path / "data")
    run_id = store.run()
    stored = store.add(
        BROKEN_PLACE, report(3, "2021", agency="错账县人民政府", year=2021), run_id=run_id
    )
    store.parse()
    env = store.env()
    store.close()
    snapshot = tmp_path / "snapshot.sqlite"
    made = harvester(env, "export", "--format", "sqlite", "-o", str(snapshot))
    assert made.returncode == 0, made.stderr
    check_database(snapshot)
    source = make_engine(database_url)
    copy_ = readonly_engine(snapshot)
    try:
        for table in Base.metadata.sorted_tables:
            with source.connect() as a, copy_.connect() as b:
                rows_a = sorted(map(repr, a.execute(select(table)).all()))
                rows_b = sorted(map(repr, b.execute(select(table)).all()))
            assert rows_a == rows_b, table.name
        with Session(copy_) as session:
            record = latest_parse(session, stored.version_id)
            assert record is not None and record.record["year"] == 2021
    finally:
        source.dispose()
        copy_.dispose()
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("snapshot"))
    assert left == ["snapshot.sqlite"]  # no -wal, -shm or .partial file left behind


def test_each_rule_marks_the_cells_it_names() -> None:
    """Which cells the report page marks for a failing check (docs/web.md)."""
    from harvester.carryover import carryover_check
    from harvester.parser.checks import run_checks
    from harvester.web.layout import cell_failures, record_grids

    record = report(11, "2021", agency="某县人民政府", year=2022)
    record["applications"]["handled_total"]["total"] += 5  # （七）总计 ≠ its parts
    record["review_litigation"]["review"]["total"] += 1
    record["proactive"]["licensing"]["decisions"] = -3
    record["checks"] = run_checks(record)
    previous = {
        "year": 2021,
        "applications": {
            "carried_forward": {k: v + 1 for k, v in record["applications"]["carried_over"].items()}
        },
    }
    carryover = carryover_check(record, previous)
    assert carryover is not None
    marked = cell_failures([*record["checks"], carryover])
    assert any(
        m.startswith("t3_handled_sum: total") for m in marked["applications.handled_total.total"]
    )
    assert any(
        m.startswith("t3_row_sum: handled_total")
        for m in marked["applications.handled_total.total"]
    )
    assert any(m.startswith("t3_balance: total") for m in marked["applications.received.total"])
    assert marked["review_litigation.review.total"][0].startswith("t4_sum_review")
    assert marked["proactive.licensing.decisions"][0].startswith("non_negative")
    assert marked["applications.carried_over.natural_person"][0].startswith(
        "carryover_matches_previous_year"
    )
    assert "applications.disclosed.commercial" not in marked
    # Every marked cell is one the page shows.
    shown = {c.path for g in record_grids(record) for row in g.body for c in row if c.path}
    assert set(marked) <= shown
