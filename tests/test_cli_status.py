"""`harvester status` as a user runs it: the registry, recent runs, the last run of every
crawled portal, reports by the state of their newest parse, and failing portals with why."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from stored_reports import SHOUXIAN, XIANGSHAN, ReportStore, harvester, report, with_broken_balance

CHAOYANG_BJ = ("北京市", None, "朝阳区", "110105", "http://www.bjchy.example/")
CHAOYANG_CC = ("吉林省", "长春市", "朝阳区", "220104", "http://www.chaoyang.example/")
REFUSED = "http://www.bjchy.example/: connection refused"


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[ReportStore]:
    """Four portals: 寿县 crawled twice (failed, then ok), 象山县 ok with one report whose
    checks fail, 北京 朝阳区 failing with a reason, 长春 朝阳区 never crawled."""
    store = ReportStore(database_url, tmp_path / "data")
    shouxian, xiangshan, chaoyang = (store.portal(p) for p in (SHOUXIAN, XIANGSHAN, CHAOYANG_BJ))
    store.portal(CHAOYANG_CC)
    store.run(
        "crawl", "partial", {shouxian: ("failed", 0, ["no annual report found on the portal"])}
    )
    second = store.run(
        "crawl",
        "partial",
        {shouxian: ("ok", 2, []), xiangshan: ("ok", 2, []), chaoyang: ("failed", 0, [REFUSED])},
    )
    store.add(
        SHOUXIAN, report(1, "2019", agency="寿县人民政府", year=2020, county="寿县"), run_id=second
    )
    store.add(
        SHOUXIAN, report(2, "2021", agency="寿县人民政府", year=2021, county="寿县"), run_id=second
    )
    bad = with_broken_balance(
        report(3, "2021", agency="象山县人民政府办公室", year=2021, county="象山县")
    )
    store.add(XIANGSHAN, bad, run_id=second)
    store.parse()
    # Stored after the parse: a version not parsed yet.
    store.add(
        XIANGSHAN,
        report(4, "2021", agency="象山县人民政府办公室", year=2022, county="象山县"),
        run_id=second,
    )
    yield store
    store.close()


def test_status_json(store: ReportStore) -> None:
    result = harvester(store.env(), "status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert (status["portals"], status["portals_with_url"], status["portals_crawled"]) == (4, 4, 3)
    assert (status["reports"], status["versions"]) == (4, 4)
    assert (status["reports_ok"], status["reports_not_ok"], status["reports_unparsed"]) == (2, 1, 1)
    assert [r["outcome"] for r in status["runs"]] == ["partial", "partial"]
    last = {(p["province"], p["county"]): p for p in status["portal_runs"]}
    assert set(last) == {("安徽省", "寿县"), ("浙江省", "象山县"), ("北京市", "朝阳区")}
    assert last[("安徽省", "寿县")]["outcome"] == "ok"  # the newer run counts, not the failed one
    assert last[("安徽省", "寿县")]["run_id"] == status["runs"][0]["id"]
    assert (
        last[("浙江省", "象山县")]["reports_stored"] == 2
        and last[("浙江省", "象山县")]["reports_not_ok"] == 1
    )
    (failing,) = status["failing"]
    assert (failing["county"], failing["province"], failing["adcode"]) == (
        "朝阳区",
        "北京市",
        "110105",
    )
    assert failing["reasons"] == [REFUSED]


def test_status_for_people(store: ReportStore) -> None:
    result = harvester(store.env(), "status")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "portals 4 (4 with a URL, 4 enabled, 3 crawled)" in out
    assert "reports 4 (2 ok, 1 with failed checks or no tables, 1 not parsed)" in out
    assert "failing portals" in out and "connection refused" in out
    failing_part = out[out.index("failing portals") :]
    assert "朝阳区" in failing_part and "寿县" not in failing_part and "象山县" not in failing_part
    assert "last run per portal" in out

    one = harvester(store.env(), "status", "--county", "110105", "--json")
    assert one.returncode == 0, one.stderr
    status = json.loads(one.stdout)
    assert status["portals"] == 1 and [p["county"] for p in status["portal_runs"]] == ["朝阳区"]
    assert status["reports"] == 0
    ambiguous = harvester(store.env(), "status", "--county", "朝阳区")
    assert (
        ambiguous.returncode == 2 and "110105" in ambiguous.stderr and "220104" in ambiguous.stderr
    )

    quiet = harvester(store.env(), "status", "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_status_of_an_empty_database(database_url: str, tmp_path: Path) -> None:
    store = ReportStore(database_url, tmp_path / "data")
    try:
        result = harvester(store.env(), "status")
        assert result.returncode == 0, result.stderr
        assert "portals 0" in result.stdout and "no runs yet" in result.stdout
        status = json.loads(harvester(store.env(), "status", "--json").stdout)
        assert status["runs"] == [] and status["failing"] == [] and status["reports"] == 0
    finally:
        store.close()


def test_run_summary_keeps_failures_of_same_named_portals_apart(
    database_url: str, tmp_path: Path
) -> None:
    """`harvester crawl` output (harvester.summary.portal_summary): two 朝阳区 in one run each
    show their own failure, though the run's failure list names both by county."""
    from harvester.storage.db import session_scope
    from harvester.summary import portal_summary

    store = ReportStore(database_url, tmp_path / "data")
    try:
        beijing, changchun = store.portal(CHAOYANG_BJ), store.portal(CHAOYANG_CC)
        run = store.run(
            "crawl",
            "failed",
            {
                beijing: ("failed", 0, ["beijing refused"]),
                changchun: ("failed", 0, ["changchun timed out"]),
            },
        )
        failures = [
            {"portal": "朝阳区", "url": None, "reason": "beijing refused"},
            {"portal": "朝阳区", "url": None, "reason": "changchun timed out"},
        ]
        with session_scope(store.engine) as session:
            summary = portal_summary(session, [beijing, changchun], run, failures)
        reasons = {p["province"]: [f["reason"] for f in p["failures"]] for p in summary}
        assert reasons == {"北京市": ["beijing refused"], "吉林省": ["changchun timed out"]}
        assert all(p["reports"] == [] for p in summary)
    finally:
        store.close()
