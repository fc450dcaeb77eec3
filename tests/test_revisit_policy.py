"""The revisit policy over the local world: an unchanged re-crawl reads the lists and asks
no known report page again; a report re-listed under a new title is asked and its correction
stored; a report corrected without a new list entry is caught once its cadence has passed.
Within the cadence the walk starts at the lists the last full walk reached (no home page,
no hubs); once the cadence has passed, or when a known list fails, it starts at home.

Real crawls (Scrapy in a subprocess) of two plain portals of the local world (寿县 Lonsun,
象山县 Hanweb), with the policy's default cadence of 7 days.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cli_run import cli_environment
from local_crawl import FAST, HTTP_ONLY, add_portals
from portal_server import PortalServer
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from stored_reports import harvester
from test_cli_jobs import county_site, report_page

from harvester.crawling import run_crawl
from harvester.storage.db import make_engine, session_scope, upgrade_to_head
from harvester.storage.models import (
    Fetch,
    ListedReport,
    PortalRun,
    Report,
    ReportVersion,
    VersionDocument,
    WalkEntry,
)
from harvester.storage.repo import start_run
from harvester.world import World, start_world

PORTALS = ("寿县", "象山县")
POLICY = {**FAST, **HTTP_ONLY, "HARVESTER_REVISIT_DAYS": 7, "LOG_LEVEL": "WARNING"}


def crawl(url: str, data_dir: Path, engine: Engine, ids: list[int]) -> int:
    with session_scope(engine) as session:
        run_id = start_run(session, "crawl", {}, "test").id
    assert run_crawl(url, data_dir, ids, run_id, settings=POLICY) == 0
    return run_id


def fetches(engine: Engine, run_id: int, portal_id: int) -> list[Fetch]:
    with session_scope(engine) as session:
        rows = session.scalars(
            select(Fetch).where(Fetch.run_id == run_id, Fetch.portal_id == portal_id)
        )
        return list(rows)


def portal_runs(engine: Engine, run_id: int) -> dict[int, PortalRun]:
    with session_scope(engine) as session:
        rows = session.scalars(select(PortalRun).where(PortalRun.run_id == run_id))
        return {r.portal_id: r for r in rows}


def new_versions(engine: Engine, run_id: int) -> list[int]:
    with session_scope(engine) as session:
        return list(
            session.scalars(select(ReportVersion.report_id).where(ReportVersion.run_id == run_id))
        )


def lists_and_hubs(engine: Engine, run_id: int, portal_id: int) -> set[str]:
    """The URLs of a run that are not report documents: no version of a report holds them."""
    with session_scope(engine) as session:
        held = set(
            session.scalars(
                select(Fetch.url)
                .join(VersionDocument, VersionDocument.fetch_id == Fetch.id)
                .where(Fetch.portal_id == portal_id)
            )
        )
    return {f.url for f in fetches(engine, run_id, portal_id)} - held


@pytest.fixture(scope="module")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    world = start_world(counties=set(PORTALS))
    data_dir = tmp_path_factory.mktemp("revisit")
    url = f"sqlite:///{data_dir / 'harvester.sqlite'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        homes = {spec.county: spec.home_url for spec in world.portals}
        ids = add_portals(engine, homes, "世界省", county="{}")
        first = crawl(url, data_dir, engine, list(ids.values()))
        second = crawl(url, data_dir, engine, list(ids.values()))
        yield {
            "world": world,
            "engine": engine,
            "url": url,
            "data_dir": data_dir,
            "ids": ids,
            "runs": (first, second),
        }
    finally:
        engine.dispose()
        world.stop()


def test_an_unchanged_recrawl_reads_the_lists_and_asks_no_known_report(
    world_db: dict[str, Any],
) -> None:
    engine, (first, second) = world_db["engine"], world_db["runs"]
    world: World = world_db["world"]
    before, after = portal_runs(engine, first), portal_runs(engine, second)
    total_first = total_second = 0
    for name, portal_id in world_db["ids"].items():
        spec = next(p for p in world.portals if p.county == name)
        assert before[portal_id].outcome == "ok", before[portal_id].failures
        assert before[portal_id].reports_found == len(spec.expected)
        # Every report is still found, and the portal is as complete as before.
        assert after[portal_id].outcome == "ok", after[portal_id].failures
        assert after[portal_id].reports_found == len(spec.expected)
        with session_scope(engine) as session:
            pages = set(session.scalars(select(Report.url).where(Report.portal_id == portal_id)))
            seen = session.scalar(
                select(func.count(Report.id)).where(
                    Report.portal_id == portal_id, Report.last_seen_run == second
                )
            )
        assert seen == len(spec.expected)
        asked = {f.url for f in fetches(engine, second, portal_id)}
        assert not asked & pages, f"{name}: known report pages asked again: {asked & pages}"
        # Within the cadence the walk starts at the lists the first walk reached.
        assert spec.home_url in {f.url for f in fetches(engine, first, portal_id)}
        assert spec.home_url not in asked, f"{name}: home page asked again"
        assert before[portal_id].walked_from == "home page"
        assert after[portal_id].walked_from == "known lists"
        # What is asked is the lists and the pages leading to them, never a document.
        documents = {f.url for f in fetches(engine, first, portal_id)} - lists_and_hubs(
            engine, first, portal_id
        )
        assert documents and not asked & documents, asked & documents
        total_first += len(fetches(engine, first, portal_id))
        total_second += len(fetches(engine, second, portal_id))
    assert new_versions(engine, second) == []
    # The world's department columns list one or two reports each, so its lists are a third
    # of a first crawl's fetches (bench/RESULTS.md); on a portal with fuller lists the share
    # is far smaller (test_an_unchanged_recrawl_of_a_full_list_makes_a_fifth_of_the_fetches).
    assert 0 < total_second < total_first / 2, (total_second, total_first)


def test_a_report_relisted_under_a_new_title_is_asked_and_its_correction_stored(
    world_db: dict[str, Any],
) -> None:
    world: World = world_db["world"]
    engine = world_db["engine"]
    portal_id = world_db["ids"]["寿县"]
    with session_scope(engine) as session:
        listing = session.scalars(
            select(ListedReport)
            .where(ListedReport.portal_id == portal_id, ListedReport.entry != "")
            .order_by(ListedReport.id)
        ).first()
        assert listing is not None
        report_id, entry, page = listing.report_id, listing.entry, listing.url
    changed = world.retitle("寿县", entry, entry + "（更正）")
    assert len(changed) >= 2, changed  # the list entry and the page itself
    world.edit(
        "寿县",
        urlsplit(page).path,
        lambda body: body.replace(b"</p>", "（已更正）</p>".encode(), 1),
    )
    third = crawl(world_db["url"], world_db["data_dir"], engine, list(world_db["ids"].values()))
    assert new_versions(engine, third) == [report_id]
    assert page in {f.url for f in fetches(engine, third, portal_id)}
    with session_scope(engine) as session:
        row = session.scalar(select(ListedReport).where(ListedReport.url == page))
        assert row is not None and row.entry == entry + "（更正）" and row.checked_run == third


def test_a_silent_correction_is_caught_once_its_cadence_has_passed(
    world_db: dict[str, Any],
) -> None:
    world: World = world_db["world"]
    engine = world_db["engine"]
    portal_id = world_db["ids"]["象山县"]
    with session_scope(engine) as session:
        listing = session.scalars(
            select(ListedReport)
            .where(ListedReport.portal_id == portal_id)
            .order_by(ListedReport.id)
        ).first()
        assert listing is not None
        report_id, page = listing.report_id, listing.url
    # The page changes, its list entry does not: within the cadence it is not asked.
    world.edit(
        "象山县",
        urlsplit(page).path,
        lambda body: body.replace(b"</p>", "（已更正）</p>".encode(), 1),
    )
    ids = list(world_db["ids"].values())
    fourth = crawl(world_db["url"], world_db["data_dir"], engine, ids)
    assert report_id not in new_versions(engine, fourth)
    assert page not in {f.url for f in fetches(engine, fourth, portal_id)}
    # Eight days later (the check's time moved back), the page is due and the fix is stored.
    with session_scope(engine) as session:
        for row in session.scalars(select(ListedReport).where(ListedReport.portal_id == portal_id)):
            row.checked_at -= timedelta(days=8)
    fifth = crawl(world_db["url"], world_db["data_dir"], engine, ids)
    assert new_versions(engine, fifth) == [report_id]
    assert portal_runs(engine, fifth)[portal_id].outcome == "ok"


def walk_entries(engine: Engine, portal_id: int) -> list[WalkEntry]:
    with session_scope(engine) as session:
        return list(session.scalars(select(WalkEntry).where(WalkEntry.portal_id == portal_id)))


def test_the_home_page_is_walked_again_once_the_cadence_has_passed(
    world_db: dict[str, Any],
) -> None:
    world: World = world_db["world"]
    engine, ids = world_db["engine"], list(world_db["ids"].values())
    portal_id = world_db["ids"]["寿县"]
    home = next(p.home_url for p in world.portals if p.county == "寿县")
    walked = walk_entries(engine, portal_id)
    assert {e.found_run for e in walked} == {world_db["runs"][0]}, "only full walks are kept"
    assert [e for e in walked if e.kind == "list"]
    with session_scope(engine) as session:
        for row in session.scalars(select(WalkEntry).where(WalkEntry.portal_id == portal_id)):
            row.found_at -= timedelta(days=8)
    full = crawl(world_db["url"], world_db["data_dir"], engine, ids)
    assert home in {f.url for f in fetches(engine, full, portal_id)}
    assert {e.found_run for e in walk_entries(engine, portal_id)} == {full}
    assert portal_runs(engine, full)[portal_id].outcome == "ok"
    within = crawl(world_db["url"], world_db["data_dir"], engine, ids)
    assert home not in {f.url for f in fetches(engine, within, portal_id)}
    assert (
        portal_runs(engine, within)[portal_id].reports_found
        == portal_runs(engine, full)[portal_id].reports_found
    )


def test_a_known_list_that_fails_sends_the_walk_back_to_the_home_page(
    world_db: dict[str, Any],
) -> None:
    world: World = world_db["world"]
    engine, ids = world_db["engine"], list(world_db["ids"].values())
    portal_id = world_db["ids"]["象山县"]
    home = next(p.home_url for p in world.portals if p.county == "象山县")
    known = [e for e in walk_entries(engine, portal_id) if e.kind == "list"]
    assert known
    gone = urlsplit(known[0].url).path
    world.set_fault("象山县", gone, "status:404:1000")
    try:
        run_id = crawl(world_db["url"], world_db["data_dir"], engine, ids)
    finally:
        world.clear_faults()
    asked = {f.url for f in fetches(engine, run_id, portal_id)}
    assert home in asked, "the walk did not go back to the home page"
    assert portal_runs(engine, run_id)[portal_id].walked_from == "home page"
    failures = portal_runs(engine, run_id)[portal_id].failures
    assert any("404" in str(f.get("reason")) for f in failures), failures
    # This run walked from the home page: its walk is the one kept.
    assert {e.found_run for e in walk_entries(engine, portal_id)} == {run_id}


def test_an_unchanged_recrawl_of_a_full_list_makes_a_fifth_of_the_fetches(
    database_url: str, tmp_path: Path
) -> None:
    """A county column listing sixteen years of reports, as a user runs it: `scrape`, then
    the nightly `crawl` (default policy), then `crawl --revisit-after 0`."""
    env = cli_environment(database_url, tmp_path / "data")
    years = range(2009, 2025)
    site = county_site("寿县", {year: report_page("寿县", year, "000") for year in years})
    with PortalServer(site) as server:
        first = harvester(env, "scrape", "寿县", "--url", server.url, "--json")
        assert first.returncode == 0, first.stderr[-3000:]
        scraped = json.loads(first.stdout)
        assert len(scraped["portals"][0]["reports"]) == len(years)

        server.answers.clear()
        nightly = harvester(env, "crawl", "--only", "寿县", "--json")
        assert nightly.returncode == 0, nightly.stderr[-3000:]
        again = json.loads(nightly.stdout)
        reports = again["portals"][0]["reports"]
        assert len(reports) == len(years) and again["outcome"] == "ok"
        assert {(r["status"], r["asked"]) for r in reports} == {("unchanged", False)}
        assert not [p for p, _status in server.answers if p.startswith("/xxgk/nb/20")]
        # The walk began at the column the scrape's walk reached, not at the home page.
        assert scraped["portals"][0]["walked_from"] == "home page"
        assert again["portals"][0]["walked_from"] == "known lists"
        assert "/" not in {p for p, _status in server.answers}
        first_fetches = run_fetches(database_url, scraped["run_id"])
        recrawl_fetches = run_fetches(database_url, again["run_id"])
        print(f"fetches: first {first_fetches}, re-crawl {recrawl_fetches}")
        assert recrawl_fetches <= first_fetches / 5, (recrawl_fetches, first_fetches)

        server.answers.clear()
        every = harvester(env, "crawl", "--only", "寿县", "--revisit-after", "0", "--json")
        assert every.returncode == 0, every.stderr[-3000:]
        asked = {p for p, status in server.answers if p.startswith("/xxgk/nb/20")}
        assert asked == {f"/xxgk/nb/{year}.html" for year in years}
        assert json.loads(every.stdout)["portals"][0]["walked_from"] == "home page"
        rows = json.loads(every.stdout)["portals"][0]["reports"]
        assert {(r["status"], r["asked"]) for r in rows} == {("unchanged", True)}


def run_fetches(database_url: str, run_id: int) -> int:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return int(
                session.scalar(select(func.count(Fetch.id)).where(Fetch.run_id == run_id)) or 0
            )
    finally:
        engine.dispose()
