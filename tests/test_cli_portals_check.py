"""`harvester portals check` against local portals, then `status` and `crawl` reading what it
recorded: each a subprocess on a fresh database, as a user runs them."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from cli_run import Run, add_portal, cli_runner
from portal_server import PortalServer, Redirect, Status, page

CHALLENGE = b"<html><head><script>var $_ts={};$_ts.nsd=1;</script></head><body></body></html>"
HOME = page(
    "".join(f'<a href="/c{i}/">栏目{i}</a>' for i in range(8)) + "<p>" + "政务公开" * 30 + "</p>"
)
FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 0, "DOWNLOAD_TIMEOUT": 5}


@pytest.fixture
def harvester(database_url: str, tmp_path: Path) -> Run:
    return cli_runner(database_url, tmp_path / "data", FAST, timeout=300)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_check_records_each_kind_of_portal_then_status_and_crawl_use_it(harvester: Run) -> None:
    moved_to = PortalServer({"/new/": HOME})
    shared = PortalServer({"/ok/": HOME, "/stub/": page("建设中")})
    challenge = PortalServer({"/": Status(412, body=CHALLENGE)})
    mover = PortalServer({"/": Redirect(moved_to.url + "new/")})
    blocked = PortalServer(
        {"/": HOME, "/robots.txt": (b"User-agent: *\nDisallow: /\n", "text/plain")}
    )
    gone = PortalServer({"/": Status(404)})
    servers = [moved_to, shared, challenge, mover, blocked, gone]
    portals = {
        "好县": shared.url + "ok/",
        "空县": shared.url + "stub/",
        "盾县": challenge.url,
        "迁县": mover.url,
        "拒县": blocked.url,
        "无县": gone.url,
        "死县": f"http://127.0.0.1:{closed_port()}/",
    }
    try:
        for county, url in portals.items():
            add_portal(harvester, county, url)
        only = [a for county in portals for a in ("--only", county)]
        done = harvester("portals", "check", *only, "--delay", "0.3", "--timeout", "3", "--json")
    finally:
        for server in servers:
            server.stop()
    payload = json.loads(done.stdout)
    results = {p["county"]: p for p in payload["portals"]}
    assert {c: p["result"] for c, p in results.items()} == {
        "好县": "ok",
        "空县": "stub",
        "盾县": "challenge",
        "迁县": "moved",
        "拒县": "blocked",
        "无县": "http_error",
        "死县": "dead",
    }
    assert payload["counts"] == {
        "ok": 1,
        "moved": 1,
        "challenge": 1,
        "stub": 1,
        "blocked": 1,
        "http_error": 1,
        "dead": 1,
    }
    assert "connection refused" in results["死县"]["detail"]
    assert results["迁县"]["final_url"] == moved_to.url + "new/"
    assert "HTTP 412" in results["盾县"]["detail"] and "HTTP 404" in results["无县"]["detail"]
    # robots.txt first, then the home page; the blocked portal's home page is never asked for.
    assert [path for _, path, _ in blocked.log] == ["/robots.txt"]
    assert [path for _, path, _ in mover.log] == ["/robots.txt", "/"]
    # Two portals on one host: one request at a time, at least --delay apart.
    times = sorted(t for t, _, _ in shared.log)
    assert len(times) == 4  # robots.txt and the home page, for each portal
    assert all(b - a >= 0.25 for a, b in zip(times, times[1:], strict=False))

    (dead,) = json.loads(harvester("portals", "show", "死县", "--json").stdout)
    assert dead["check"]["result"] == "dead" and dead["url_verified_at"] is None
    assert dead["url_source"] == "user"
    (ok,) = json.loads(harvester("portals", "show", "好县", "--json").stdout)
    assert ok["check"]["result"] == "ok" and ok["url_verified_at"] == ok["check"]["checked_at"]

    status = json.loads(harvester("status", "--json").stdout)["reachability"]
    assert {k: v for k, v in status["counts"].items() if k != "unchecked"} == payload["counts"]
    assert "dead 1" in harvester("status").stdout

    # The crawl skips the dead portal, says so, and records it in the run.
    refused = harvester("crawl", "--only", "死县", code=2)
    assert "found dead" in refused.stderr and "--force" in refused.stderr
    forced = json.loads(harvester("crawl", "--only", "死县", "--force", "--json", code=1).stdout)
    assert forced["skipped_dead"] == [] and forced["portals"][0]["county"] == "死县"
    assert harvester("crawl", "--only", "死县", "--skip-dead-days", "0", "--json", code=1)


def test_crawl_says_which_dead_portals_it_skips(harvester: Run) -> None:
    with PortalServer({"/": HOME}) as live:
        add_portal(harvester, "活县", live.url)
        add_portal(harvester, "死县", f"http://127.0.0.1:{closed_port()}/")
        harvester("portals", "check", "--only", "活县", "--only", "死县", "--delay", "0")
        done = harvester("crawl", "--only", "活县", "--only", "死县", code=1)
        assert "skipping 1 portals found dead" in done.stdout and "死县" in done.stdout
        assert "crawling 1 portals" in done.stdout
    runs = json.loads(harvester("status", "--json").stdout)["runs"]
    assert runs[0]["kind"] == "crawl"


def test_follow_moves_adopts_the_new_url(harvester: Run) -> None:
    with (
        PortalServer({"/new/": HOME}) as target,
        PortalServer({"/": Redirect(target.url + "new/", 301)}) as old,
    ):
        add_portal(harvester, "迁县", old.url)
        text = harvester("portals", "check", "--only", "迁县", "--follow-moves").stdout
    assert "moved 1" in text and target.url in text
    (moved,) = json.loads(harvester("portals", "show", "迁县", "--json").stdout)
    assert moved["home_url"] == target.url + "new/" and moved["url_source"] == "check"
