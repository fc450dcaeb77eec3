"""Faults injected by local portals on demand, all crawled in one real Scrapy subprocess.

Each fault ends either in a retried success (the report is stored, the failed attempts are
recorded as fetch rows) or in a recorded failure (Fetch.error and a reason in the portal
run's failures); a partial body is never stored as a complete blob.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from local_crawl import FAST, crawled, fetches, reasons, run_of, years
from portal_server import (
    Drip,
    Overlong,
    PortalServer,
    Redirect,
    Reset,
    Sleep,
    Status,
    Truncate,
    article,
    county_site,
    pdf,
)
from sqlalchemy import select

from harvester.storage.db import session_scope
from harvester.storage.models import Blob, Fetch

SETTINGS = {**FAST, "DOWNLOAD_TIMEOUT": 2.5}
PARTIAL = b"%PDF-1.4 only the first bytes"
CHALLENGE = b"<html><head><script>var $_ts={};</script></head><body></body></html>"


def fault_sites() -> dict[str, dict[str, Any]]:
    sites = {
        name: county_site(f"{name}县")
        for name in (
            "burst",
            "down",
            "slow",
            "dead",
            "reset",
            "cut",
            "busy",
            "loop",
            "foreign",
            "challenge",
            "drip",
            "cycle",
            "lying",
        )
    }
    # 5xx burst on an attachment: two 503s, then the file.
    sites["burst"]["/files/2023.pdf"] = Status(503, times=2, then=pdf("burst县 2023"))
    # A list page that answers 500 whatever the number of retries.
    sites["down"]["/nb/"] = Status(500)
    # An article that answers too late once; a home page that always does.
    sites["slow"]["/nb/2023.html"] = Sleep(5, times=1, then=sites["slow"]["/nb/2023.html"])
    sites["dead"]["/"] = Sleep(5)
    # Connection reset once on the list, always on one attachment.
    sites["reset"]["/nb/"] = Reset(times=1, then=sites["reset"]["/nb/"])
    sites["reset"]["/files/2022.pdf"] = Reset()
    # Content-Length larger than the bytes sent: once, then whole; and always.
    whole = pdf("cut县 2023")
    sites["cut"]["/files/2023.pdf"] = Truncate(whole[0][:12], len(whole[0]), times=1, then=whole)
    sites["cut"]["/files/2022.pdf"] = Truncate(PARTIAL, 4000)
    # 429 with Retry-After on the list.
    sites["busy"]["/nb/"] = Status(
        429, times=1, headers={"Retry-After": "2"}, then=sites["busy"]["/nb/"]
    )
    # A redirect loop where the column should be.
    sites["loop"]["/nb/"] = Redirect("/nb/a.html")
    sites["loop"]["/nb/a.html"] = Redirect("/nb/")
    # An attachment on an allowed host that does not resolve.
    sites["foreign"]["/nb/2023.html"] = article(
        "foreign县2023年政府信息公开工作年度报告",
        '<a href="http://files.harvester-test.invalid/2023.pdf">附件</a>',
    )
    # An attachment that drips one byte a second: 400 bytes would take minutes.
    sites["drip"]["/files/2022.pdf"] = Drip(pdf("drip县 2022", 300)[0], interval=1.0)
    # Two report pages redirecting to each other, and an attachment redirecting to itself.
    sites["cycle"]["/nb/2023.html"] = Redirect("/nb/2023-b.html")
    sites["cycle"]["/nb/2023-b.html"] = Redirect("/nb/2023.html")
    sites["cycle"]["/files/2022.pdf"] = Redirect("/files/2022.pdf")
    # Content-Length that lies: 10 GB announced for a few bytes (above the download limit),
    # and more bytes than announced (the client reads what was announced: a cut PDF).
    sites["lying"]["/files/2023.pdf"] = Truncate(PARTIAL, 10 * 1024**3)
    sites["lying"]["/files/2022.pdf"] = Overlong(pdf("lying县 2022")[0], claimed=40)
    # A challenge page that the browser cannot pass either.
    sites["challenge"] = {"/": Status(412, body=CHALLENGE), "/robots.txt": b"User-agent: *\n"}
    return sites


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("faults")
    servers = {name: PortalServer(site) for name, site in fault_sites().items()}
    homes = {name: s.url for name, s in servers.items()}
    homes["nowhere"] = "http://www.nowhere-county.invalid/"
    extra = {"foreign": {"allowed_hosts": ["files.harvester-test.invalid"]}}
    with crawled(data_dir, servers, homes, "故障省", SETTINGS, extra) as ctx:
        yield ctx


def test_5xx_burst_is_retried_to_success(faults: dict[str, Any]) -> None:
    attempts = fetches(faults, "burst", "/files/2023.pdf")
    assert [f.status for f in attempts] == [503, 503, 200]
    # The error pages are kept as what they are (complete 503 bodies); the file is the 200.
    assert faults["blobs"].get(attempts[-1].sha256) == pdf("burst县 2023")[0]
    assert years(faults, "burst") == {2022, 2023}
    assert run_of(faults, "burst").outcome == "ok" and reasons(faults, "burst") == []


def test_persistent_5xx_is_a_recorded_failure(faults: dict[str, Any]) -> None:
    attempts = fetches(faults, "down", "/nb/")
    assert [f.status for f in attempts] == [500] * 4  # first try and three retries
    assert faults["servers"]["down"].hits["/nb/"] == 4
    run = run_of(faults, "down")
    assert run.outcome == "failed"
    assert "fetch failed: HTTP 500" in reasons(faults, "down")


def test_timeout_retried_then_success(faults: dict[str, Any]) -> None:
    attempts = fetches(faults, "slow", "/nb/2023.html")
    assert attempts[0].status is None and "TimeoutError" in (attempts[0].error or "")
    assert attempts[-1].status == 200 and attempts[-1].complete
    assert years(faults, "slow") == {2022, 2023}


def test_home_that_always_times_out_is_unreachable(faults: dict[str, Any]) -> None:
    attempts = fetches(faults, "dead", "/")
    assert len(attempts) == 4 and all("TimeoutError" in (f.error or "") for f in attempts)
    run = run_of(faults, "dead")
    assert run.outcome == "failed"
    assert reasons(faults, "dead")[0].startswith("portal unreachable: DownloadTimeoutError")


def test_connection_reset(faults: dict[str, Any]) -> None:
    listing = fetches(faults, "reset", "/nb/")
    assert listing[0].status is None and listing[0].error
    assert listing[-1].status == 200
    # The always-reset attachment: four recorded errors and a failure reason; the 2022
    # report is still stored with its page.
    broken = fetches(faults, "reset", "/files/2022.pdf")
    assert len(broken) == 4 and all(f.status is None and f.error for f in broken)
    assert any(r.startswith("attachment not fetched:") for r in reasons(faults, "reset"))
    assert years(faults, "reset") == {2022, 2023}


def test_truncated_bodies_never_stored_as_complete(faults: dict[str, Any]) -> None:
    once = fetches(faults, "cut", "/files/2023.pdf")
    assert [f.complete for f in once] == [False, True]
    assert once[0].sha256 is None and "truncated" in once[0].error
    assert faults["blobs"].get(once[1].sha256) == pdf("cut县 2023")[0]
    always = fetches(faults, "cut", "/files/2022.pdf")
    assert len(always) == 4
    assert all(not f.complete and f.sha256 is None and "truncated" in f.error for f in always)
    assert any("truncated" in r for r in reasons(faults, "cut"))
    with session_scope(faults["engine"]) as session:
        assert session.get(Blob, hashlib.sha256(PARTIAL).hexdigest()) is None


def test_429_retry_after_is_honoured(faults: dict[str, Any]) -> None:
    log = [(t, p) for t, p, _h in faults["servers"]["busy"].log if p == "/nb/"]
    assert len(log) == 2
    assert log[1][0] - log[0][0] >= 1.9, "the retry came before Retry-After: 2 elapsed"
    assert [f.status for f in fetches(faults, "busy", "/nb/")] == [429, 200]
    assert years(faults, "busy") == {2022, 2023}


def test_redirect_loop_is_a_recorded_failure(faults: dict[str, Any]) -> None:
    hops = fetches(faults, "loop", "/nb/") + fetches(faults, "loop", "/nb/a.html")
    assert hops and all(f.status == 302 for f in hops)
    assert faults["servers"]["loop"].hits["/nb/"] <= 2
    assert run_of(faults, "loop").outcome == "failed"
    assert any("redirect loop" in r for r in reasons(faults, "loop")), reasons(faults, "loop")


def test_unresolvable_hosts(faults: dict[str, Any]) -> None:
    run = run_of(faults, "nowhere")
    assert run.outcome == "failed"
    assert reasons(faults, "nowhere")[0].startswith(
        "portal unreachable: CannotResolveHostError: DNS lookup failed"
    )
    home = fetches(faults, "nowhere")
    assert home and all("DNS lookup failed" in (f.error or "") for f in home)
    # An attachment on an allowed host that does not resolve: recorded, report kept.
    assert any(
        r.startswith("attachment not fetched: CannotResolveHostError")
        for r in reasons(faults, "foreign")
    )
    assert years(faults, "foreign") == {2022, 2023}


def test_challenge_not_passed_is_a_recorded_failure(faults: dict[str, Any]) -> None:
    home = fetches(faults, "challenge", "/")
    assert {f.via for f in home} == {"http", "browser"}
    run = run_of(faults, "challenge")
    assert run.outcome == "failed"
    assert reasons(faults, "challenge")[0] == (
        "portal unreachable: anti-bot challenge not passed in the browser: HTTP 412 "
        f"({faults['servers']['challenge'].url})"
    )


def test_no_partial_body_is_a_blob(faults: dict[str, Any], tmp_path: Path) -> None:
    with session_scope(faults["engine"]) as session:
        blobs = list(session.scalars(select(Blob)))
        complete = list(session.scalars(select(Fetch).where(Fetch.complete.is_(True))))
    assert blobs
    for blob in blobs:
        assert faults["blobs"].verify(blob.sha256), blob.sha256
    for fetch in complete:
        headers = {k.lower(): v for k, v in fetch.response_headers.items()}
        if "content-length" in headers and "content-encoding" not in headers:
            assert fetch.bytes == int(headers["content-length"]), fetch.url


def test_a_dripping_body_ends_at_the_download_timeout(faults: dict[str, Any]) -> None:
    """One byte a second under an honest Content-Length: each attempt ends at the download
    timeout (2.5 s here, 60 s by default) with its reason; nothing partial is stored; the
    report keeps its page and the portal run says which attachment it lacks."""
    attempts = fetches(faults, "drip", "/files/2022.pdf")
    assert attempts and all(not f.complete and f.sha256 is None for f in attempts)
    assert all("Timeout" in (f.error or "") for f in attempts), [f.error for f in attempts]
    assert all((f.duration_ms or 0) < 10_000 for f in attempts)
    assert any(
        r.startswith("attachment not fetched:") and "Timeout" in r for r in reasons(faults, "drip")
    ), reasons(faults, "drip")
    assert years(faults, "drip") == {2022, 2023}


def test_two_pages_redirecting_to_each_other_are_a_recorded_failure(
    faults: dict[str, Any],
) -> None:
    hops = fetches(faults, "cycle", "/nb/2023.html") + fetches(faults, "cycle", "/nb/2023-b.html")
    assert hops and all(f.status == 302 for f in hops)
    assert faults["servers"]["cycle"].hits["/nb/2023.html"] <= 2
    assert any("redirect loop" in r and "2023" in r for r in reasons(faults, "cycle")), reasons(
        faults, "cycle"
    )
    # The attachment that redirects to itself is named as well; the other report stays.
    assert any("redirect loop" in r and "2022.pdf" in r for r in reasons(faults, "cycle"))
    assert years(faults, "cycle") == {2022}
    assert run_of(faults, "cycle").outcome != "ok"


def test_a_content_length_that_lies_never_gives_a_complete_wrong_blob(
    faults: dict[str, Any],
) -> None:
    (huge,) = fetches(faults, "lying", "/files/2023.pdf")[-1:]
    assert huge.sha256 is None and not huge.complete and huge.error
    assert any("2023.pdf" in r for r in reasons(faults, "lying")), reasons(faults, "lying")
    with session_scope(faults["engine"]) as session:
        assert session.get(Blob, hashlib.sha256(PARTIAL).hexdigest()) is None
    # More bytes than announced: the connection is closed on a body HTTP cannot frame; what
    # arrives is recorded incomplete with no blob (or, when the announced bytes did arrive
    # whole, exactly those bytes) — never the stream glued to another answer.
    short = fetches(faults, "lying", "/files/2022.pdf")[-1]
    whole = pdf("lying县 2022")[0]
    if short.complete:
        assert short.bytes == 40 and faults["blobs"].get(short.sha256) == whole[:40]
    else:
        assert short.sha256 is None and "truncated" in (short.error or ""), short.error
    gaps = run_of(faults, "lying").failures
    assert short.complete or any(
        f.get("url", "").endswith("/files/2022.pdf") and "truncated" in f["reason"] for f in gaps
    ), gaps
    assert run_of(faults, "lying").outcome == "partial"
