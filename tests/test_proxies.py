"""Proxies: a scrape through a forward proxy on loopback (plain HTTP and Chromium), a
portal's own proxy setting, credentials kept out of output, logs, runs and fetch rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_run import Run, add_portal, cli_runner
from forward_proxy import ForwardProxy
from portal_server import PortalServer, county_site, page
from sqlalchemy import select

from harvester.storage.db import make_engine, session_scope
from harvester.storage.models import CrawlRun, Fetch, Portal

SECRET = "s3cr3t-pw"
FAST = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "RETRY_TIMES": 1,
    "DOWNLOAD_TIMEOUT": 20,
}


@pytest.fixture
def harvester(database_url: str, tmp_path: Path) -> Run:
    return cli_runner(database_url, tmp_path / "data", FAST, timeout=400)


def fetches(database_url: str, county: str) -> list[Fetch]:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            portal = session.scalars(select(Portal).where(Portal.county == county)).one()
            rows = list(session.scalars(select(Fetch).where(Fetch.portal_id == portal.id)))
            session.expunge_all()
            return rows
    finally:
        engine.dispose()


def no_secret_in(data_dir: Path, *texts: str) -> None:
    for text in texts:
        assert SECRET not in text
    for path in data_dir.rglob("*.log"):
        assert SECRET not in path.read_text("utf-8", "replace"), path


def test_scrape_goes_through_the_proxy_without_showing_its_password(
    harvester: Run, database_url: str, tmp_path: Path
) -> None:
    site = county_site("试代县")
    site["/"] = page('<a href="/nb/">政府信息公开年报</a><p>' + "本县概况" * 30 + "</p>")
    with ForwardProxy("crawler", SECRET) as proxy, PortalServer(site) as portal:
        add_portal(harvester, "试代县", portal.url)
        done = harvester("scrape", "试代县", "--proxy", proxy.url("crawler", SECRET), "--json")
        served = list(portal.log)
        carried = [url for url, _ in proxy.log]
        # `portals check` probes from the same vantage point.
        checked = harvester(
            "portals",
            "check",
            "--only",
            "试代县",
            "--json",
            env={"HARVESTER_PROXY": proxy.url("crawler", SECRET)},
        )
        probes = portal.log[len(served) :]
    result = json.loads(done.stdout)
    assert result["outcome"] == "ok" and len(result["portals"][0]["reports"]) == 2
    # Every request of the scrape (robots.txt, home, list, articles, PDFs) went through it.
    assert len(served) >= 7
    assert all(headers.get("Via") == "1.1 test-proxy" for _, _, headers in served)
    assert sorted(portal.url.rstrip("/") + path for _, path, _ in served) == sorted(carried)
    assert all(had_credentials for _, had_credentials in proxy.log)
    rows = fetches(database_url, "试代县")
    assert rows and {f.proxy for f in rows} == {f"http://127.0.0.1:{proxy.port}"}
    assert all(SECRET not in json.dumps(f.request_headers) for f in rows)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        run = session.get(CrawlRun, result["run_id"])
        assert run is not None and run.arguments["proxy"] == f"http://127.0.0.1:{proxy.port}"
        arguments = json.dumps(run.arguments)
    engine.dispose()
    no_secret_in(tmp_path / "data", done.stdout, done.stderr, arguments, checked.stdout)
    (probe,) = json.loads(checked.stdout)["portals"]
    assert probe["result"] == "ok" and probe["proxy"] == f"http://***@127.0.0.1:{proxy.port}"
    assert [p for _, p, _ in probes] == ["/robots.txt", "/"]
    assert all(h.get("Via") == "1.1 test-proxy" for _, _, h in probes)


def test_browser_pages_use_the_proxy_and_a_direct_portal_does_not(
    harvester: Run, database_url: str, tmp_path: Path
) -> None:
    with (
        ForwardProxy("crawler", SECRET) as proxy,
        PortalServer(county_site("试浏县")) as browser_portal,
        PortalServer(county_site("试直县")) as direct_portal,
    ):
        add_portal(harvester, "试浏县", browser_portal.url)
        add_portal(harvester, "试直县", direct_portal.url)
        harvester("portals", "set", "试浏县", "--needs-browser")
        harvester("portals", "set", "试直县", "--proxy", "direct")
        done = harvester(
            "crawl",
            "--only",
            "试浏县",
            "--only",
            "试直县",
            "--json",
            env={"HARVESTER_PROXY": proxy.url("crawler", SECRET)},
        )
        via_browser = list(browser_portal.log)
        direct = list(direct_portal.log)
    result = json.loads(done.stdout)
    assert result["outcome"] == "ok", result
    assert via_browser and all(h.get("Via") == "1.1 test-proxy" for _, _, h in via_browser)
    assert direct and not any(h.get("Via") for _, _, h in direct)
    browser_rows = fetches(database_url, "试浏县")
    assert {f.via for f in browser_rows} >= {"browser"}
    assert {f.proxy for f in browser_rows} == {f"http://127.0.0.1:{proxy.port}"}
    assert {f.proxy for f in fetches(database_url, "试直县")} == {None}
    assert all(not h.get("Proxy-Authorization") for _, _, h in via_browser)
    no_secret_in(tmp_path / "data", done.stdout, done.stderr)


def test_registry_proxies_keep_no_credentials(harvester: Run) -> None:
    add_portal(harvester, "试代县", "http://127.0.0.1:9/")
    refused = harvester(
        "portals", "set", "试代县", "--proxy", f"http://u:{SECRET}@10.0.0.9:3128", code=2
    )
    assert "env:NAME" in refused.stderr and SECRET not in refused.stderr
    assert (
        "SOCKS"
        in harvester("portals", "set", "试代县", "--proxy", "socks5://10.0.0.9:1080", code=2).stderr
    )
    harvester("portals", "set", "试代县", "--proxy", "env:CN_PROXY")
    (shown,) = json.loads(harvester("portals", "show", "试代县", "--json").stdout)
    assert shown["proxy"] == "env:CN_PROXY"
    bad = harvester("scrape", "试代县", "--proxy", "ftp://x", code=2)
    assert "--proxy must be http://" in bad.stderr
