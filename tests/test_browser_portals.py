"""The local world's browser portals — 德清县 (a list only JavaScript fills) and 临朐县 (every
page behind a 412 cookie challenge) — crawled for real with Chromium, three times:

1. first crawl, through a logging proxy (http_proxy/https_proxy on 127.0.0.1, no_proxy for
   the portals): every stored blob is the body the server sent for its URL, the rendered
   DOM a separate snapshot; nothing reaches the proxy;
2. the same portals unchanged: conditional requests, a few percent of the bytes, no new
   report version;
3. one report corrected on its portal: exactly one new version.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from local_crawl import FAST, add_portals
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from harvester.crawling import run_crawl
from harvester.storage.blobs import BlobStore
from harvester.storage.db import make_engine, session_scope, upgrade_to_head
from harvester.storage.models import (
    Fetch,
    PortalRun,
    Report,
    ReportVersion,
    VersionDocument,
)
from harvester.storage.repo import start_run
from harvester.world import World, start_world

BROWSER_PORTALS = ("德清县", "临朐县")


class LoggingProxy(BaseHTTPRequestHandler):
    """A forward proxy that forwards nothing: it logs what it was asked and refuses."""

    log: list[str] = []

    def _refuse(self) -> None:
        self.log.append(f"{self.command} {self.path}")
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_CONNECT = do_PUT = do_OPTIONS = _refuse  # noqa: N815

    def log_message(self, *args: Any) -> None:
        pass


def logging_proxy() -> tuple[ThreadingHTTPServer, list[str]]:
    log: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Proxy", (LoggingProxy,), {"log": log}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, log


def crawl(database_url: str, data_dir: Path, engine: Engine, portal_ids: list[int]) -> int:
    with session_scope(engine) as session:
        run_id = start_run(session, "crawl", {}, "test").id
    code = run_crawl(database_url, data_dir, portal_ids, run_id, settings=FAST)
    assert code == 0, f"crawl subprocess exited with {code}"
    return run_id


def sent_mark(world: World) -> dict[str, int]:
    return {name: len(world.sent(name)) for name in BROWSER_PORTALS}


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    world = start_world(counties=set(BROWSER_PORTALS))
    proxy, proxy_log = logging_proxy()
    data_dir = tmp_path_factory.mktemp("browser-portals")
    database_url = f"sqlite:///{data_dir / 'harvester.sqlite'}"
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    patch = pytest.MonkeyPatch()
    try:
        homes = {spec.county: spec.home_url for spec in world.portals}
        ids = add_portals(engine, homes, "世界省", county="{}")
        portal_ids = list(ids.values())
        proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}"
        for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            patch.setenv(name, proxy_url)
        for name in ("no_proxy", "NO_PROXY"):
            patch.setenv(name, "127.0.0.1,localhost")
        marks = [sent_mark(world)]
        runs = [crawl(database_url, data_dir, engine, portal_ids)]
        patch.undo()
        marks.append(sent_mark(world))
        runs.append(crawl(database_url, data_dir, engine, portal_ids))
        marks.append(sent_mark(world))
        yield {
            "world": world,
            "engine": engine,
            "ids": ids,
            "runs": runs,
            "marks": marks,
            "proxy_log": list(proxy_log),
            "proxy_url": proxy_url,
            "blobs": BlobStore(data_dir / "blobs"),
            "database_url": database_url,
            "data_dir": data_dir,
        }
    finally:
        patch.undo()
        engine.dispose()
        proxy.shutdown()
        proxy.server_close()
        world.stop()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def fetches_of(engine: Engine, run_id: int, portal_id: int) -> list[Fetch]:
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(Fetch)
                .where(Fetch.run_id == run_id, Fetch.portal_id == portal_id)
                .order_by(Fetch.id)
            )
        )


def sent_bodies(world: World, name: str, start: int, end: int) -> dict[str, set[str]]:
    """Path → sha256 of every body the portal's server sent for it in [start, end)."""
    bodies: dict[str, set[str]] = {}
    for sent in world.sent(name)[start:end]:
        if sent.method == "GET" and sent.status != 304:
            bodies.setdefault(sent.path, set()).add(sent.sha256)
    return bodies


def test_stored_blobs_are_the_bytes_the_server_sent(crawls: dict[str, Any]) -> None:
    world, engine, blobs = crawls["world"], crawls["engine"], crawls["blobs"]
    run_id = crawls["runs"][0]
    start, end = crawls["marks"][0], crawls["marks"][1]
    for name in BROWSER_PORTALS:
        portal_id = crawls["ids"][name]
        sent = sent_bodies(world, name, start[name], end[name])
        every = fetches_of(engine, run_id, portal_id)
        fetches = [f for f in every if f.sha256]
        assert fetches, name
        # A body the browser could not read (a challenge page it navigated away from at
        # once) is recorded as missing, never as other bytes.
        for fetch in every:
            if fetch.sha256 is None and fetch.status == 412:
                assert not fetch.complete and fetch.error, fetch.url
        # Every stored page, list, challenge answer and attachment: the server's bytes.
        for fetch in fetches:
            where = path_of(fetch.final_url or fetch.url)
            assert fetch.sha256 in sent.get(where, set()), (name, fetch.via, fetch.status, where)
            assert hashlib.sha256(blobs.get(fetch.sha256)).hexdigest() == fetch.sha256
        browser = [f for f in fetches if f.via == "browser"]
        assert browser, f"{name}: no page went through Chromium"
        for fetch in browser:
            # The browser's main-document answer is recorded like a plain fetch.
            assert fetch.complete and fetch.response_headers.get("etag"), fetch.url
            assert fetch.request_headers.get("User-Agent"), fetch.url
        if name == "临朐县":
            # The challenge answer and the page behind it: two fetches, each its own bytes.
            statuses = {f.status for f in every if f.via == "browser"}
            assert {412, 200} <= statuses, statuses
            # After the challenge, pages go over plain HTTP with the browser's cookie.
            assert [f for f in fetches if f.via == "http" and f.status == 200]
        if name == "德清县":
            # The script-filled list: the server's shell stored, the rendered DOM beside it.
            lists = [f for f in browser if f.rendered_sha256]
            assert lists, "no rendered snapshot of the script-filled list"
            for fetch in lists:
                dom = blobs.get(fetch.rendered_sha256).decode("utf-8")
                shell = blobs.get(fetch.sha256).decode("utf-8")
                assert fetch.rendered_sha256 != fetch.sha256
                assert '<ul id="list"></ul>' in shell and '<ul id="list"></ul>' not in dom
                assert "年度报告" in dom.split('<ul id="list">')[1]
        # Every document of every stored version: server bytes, except a rendered snapshot,
        # which names the fetch it was rendered from.
        with session_scope(engine) as session:
            documents = session.scalars(
                select(VersionDocument)
                .join(ReportVersion, ReportVersion.id == VersionDocument.version_id)
                .join(Report, Report.id == ReportVersion.report_id)
                .where(Report.portal_id == portal_id)
            ).all()
            assert documents
            for doc in documents:
                fetch = session.get(Fetch, doc.fetch_id)
                if doc.role == "rendered":
                    assert fetch.rendered_sha256 == doc.sha256 != fetch.sha256
                else:
                    assert doc.sha256 == fetch.sha256
                    assert doc.sha256 in sent.get(path_of(doc.final_url or doc.url), set())


def test_the_browser_crawl_sends_nothing_through_the_proxy(crawls: dict[str, Any]) -> None:
    """http_proxy/https_proxy point at a logging proxy, no_proxy names the portals: whatever
    Chromium or Scrapy would send anywhere but the portals would show up there."""
    assert crawls["proxy_log"] == [], crawls["proxy_log"]
    with session_scope(crawls["engine"]) as session:
        vias = set(session.scalars(select(Fetch.via).where(Fetch.run_id == crawls["runs"][0])))
    assert vias == {"http", "browser"}


def test_the_proxy_would_have_seen_what_chromium_sends_elsewhere(
    crawls: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy test is not vacuous: Chromium launched the crawl's way with the same
    environment sends a page load of another host to the proxy."""
    from playwright.sync_api import sync_playwright

    from harvester.scrapy_settings import PLAYWRIGHT_LAUNCH_OPTIONS

    server, log = logging_proxy()
    proxy_url = f"http://127.0.0.1:{server.server_address[1]}"
    for name in ("http_proxy", "https_proxy"):
        monkeypatch.setenv(name, proxy_url)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**PLAYWRIGHT_LAUNCH_OPTIONS)
            page = browser.new_page()
            with pytest.raises(Exception):  # noqa: B017 - the proxy refuses it
                page.goto("http://portal.example/", timeout=10_000)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert any("portal.example" in line for line in log), log


def test_recrawl_of_unchanged_browser_portals(crawls: dict[str, Any]) -> None:
    world, engine = crawls["world"], crawls["engine"]
    first, second = crawls["runs"]
    marks = crawls["marks"]
    for name in BROWSER_PORTALS:
        portal_id = crawls["ids"][name]
        first_bytes = sum(s.bytes for s in world.sent(name)[marks[0][name] : marks[1][name]])
        second_bytes = sum(s.bytes for s in world.sent(name)[marks[1][name] : marks[2][name]])
        assert second_bytes <= 0.05 * first_bytes, (name, second_bytes, first_bytes)
        fetches = fetches_of(engine, second, portal_id)
        not_modified = [f for f in fetches if f.status == 304]
        assert not_modified, f"{name}: no conditional request answered 304"
        assert all(f.request_headers.get("If-None-Match") for f in not_modified)
        with session_scope(engine) as session:
            new_versions = session.scalar(
                select(func.count(ReportVersion.id))
                .join(Report, Report.id == ReportVersion.report_id)
                .where(Report.portal_id == portal_id, ReportVersion.run_id == second)
            )
            runs = {
                r.run_id: r
                for r in session.scalars(select(PortalRun).where(PortalRun.portal_id == portal_id))
            }
        assert new_versions == 0, name
        expected = len(next(p for p in world.portals if p.county == name).expected)
        assert runs[first].reports_found == expected, runs[first].failures
        assert runs[second].outcome == "ok" and runs[second].reports_found == expected, runs[
            second
        ].failures


def test_a_corrected_report_makes_exactly_one_new_version(crawls: dict[str, Any]) -> None:
    world, engine = crawls["world"], crawls["engine"]
    name = "临朐县"
    portal_id = crawls["ids"][name]
    with session_scope(engine) as session:
        report = session.scalars(
            select(Report).where(Report.portal_id == portal_id).order_by(Report.id)
        ).first()
        report_id, report_url = report.id, report.url
    world.edit(
        name, path_of(report_url), lambda body: body.replace(b"</p>", "（更正）</p>".encode(), 1)
    )
    third = crawl(crawls["database_url"], crawls["data_dir"], engine, list(crawls["ids"].values()))
    with session_scope(engine) as session:
        new = session.scalars(select(ReportVersion).where(ReportVersion.run_id == third)).all()
    assert [v.report_id for v in new] == [report_id]
