"""`harvester reparse` as a user runs it: stored raw bytes normalised and parsed again, new
parse results recorded with the parser version that made them, nothing fetched."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from stored_reports import ROOT, SHOUXIAN, XIANGSHAN, ReportStore, harvester, report, tables

from harvester.parser import PARSER_VERSION
from harvester.storage.db import session_scope
from harvester.storage.models import CrawlRun, Fetch, ParseResult

NEW_VERSION = PARSER_VERSION + "+upgrade-test"
# A parser upgrade, simulated in the child process: every module that holds the parser
# version gets the new one before the command is imported.
UPGRADED = f"""
import sys
import harvester.parser, harvester.parser.record, harvester.parser.version, harvester.processing
for module in (harvester.parser, harvester.parser.record, harvester.parser.version, harvester.processing):
    module.PARSER_VERSION = {NEW_VERSION!r}
from harvester.cli import main
main(sys.argv[1:], prog_name="harvester")
"""


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[ReportStore]:
    store = ReportStore(database_url, tmp_path / "data")
    run = store.run()
    store.add(
        SHOUXIAN, report(1, "2019", agency="寿县人民政府", year=2020, county="寿县"), run_id=run
    )
    store.add(
        SHOUXIAN, report(2, "2021", agency="寿县人民政府", year=2021, county="寿县"), run_id=run
    )
    store.add(
        XIANGSHAN,
        report(3, "2021", agency="象山县人民政府办公室", year=2021, county="象山县"),
        run_id=run,
        as_docx=True,
    )
    yield store
    store.close()


def results(store: ReportStore) -> list[tuple[int, str]]:
    with session_scope(store.engine) as session:
        return sorted(
            (v, p)
            for v, p in session.execute(select(ParseResult.version_id, ParseResult.parser_version))
        )


def test_reparse_parses_stored_bytes_without_fetching(store: ReportStore, tmp_path: Path) -> None:
    store.parse()
    before = results(store)
    assert len(before) == 3
    with session_scope(store.engine) as session:
        session.execute(delete(ParseResult))
    fetches = store.count(Fetch)

    result = harvester(store.env(), "reparse")
    assert result.returncode == 0, result.stderr
    assert "reparsed 3 report versions" in result.stdout
    assert "3 new parse results" in result.stdout and "0 replaced" in result.stdout
    assert (
        "寿县人民政府2021年政府信息公开工作年度报告" in result.stdout
    )  # progress names each report
    assert results(store) == before
    assert store.count(Fetch) == fetches  # no re-crawl
    out = tmp_path / "r.jsonl"
    assert harvester(store.env(), "export", "-q", "-o", str(out)).returncode == 0
    assert len(out.read_text("utf-8").splitlines()) == 3

    again = harvester(store.env(), "reparse", "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (
        summary["versions"] == 3
        and summary["replaced_results"] == 3
        and summary["new_results"] == 0
    )
    assert summary["reports_with_tables"] == 3 and summary["unreadable_documents"] == 0
    assert results(store) == before  # same parser version: replaced, not added
    with session_scope(store.engine) as session:
        run = session.get(CrawlRun, summary["run_id"])
        assert (run.kind, run.outcome, run.counts["versions"]) == ("reparse", "ok", 3)


def test_a_new_parser_version_adds_results_and_keeps_the_old(
    store: ReportStore, tmp_path: Path
) -> None:
    store.parse()
    fetches = store.count(Fetch)
    upgraded = subprocess.run(
        [sys.executable, "-c", UPGRADED, "reparse", "--county", "寿县", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=store.env(),
        timeout=120,
    )
    assert upgraded.returncode == 0, upgraded.stderr
    summary = json.loads(upgraded.stdout)
    assert summary["parser_version"] == NEW_VERSION
    assert (summary["versions"], summary["new_results"]) == (2, 2)
    by_version: dict[int, list[str]] = {}
    for version_id, parser_version in results(store):
        by_version.setdefault(version_id, []).append(parser_version)
    assert sorted(map(sorted, by_version.values())) == sorted(
        [sorted([PARSER_VERSION, NEW_VERSION])] * 2 + [[PARSER_VERSION]]
    )
    assert store.count(Fetch) == fetches
    # The export uses the newest parse: the new parser's records for 寿县, the old for 象山县.
    out = tmp_path / "r.jsonl"
    assert harvester(store.env(), "export", "-q", "-o", str(out)).returncode == 0
    versions = {
        (r["county"], r["year"]): r["parser_version"]
        for r in map(json.loads, out.read_text("utf-8").splitlines())
    }
    assert versions == {
        ("寿县", 2020): NEW_VERSION,
        ("寿县", 2021): NEW_VERSION,
        ("象山县", 2021): PARSER_VERSION,
    }


def test_county_filter_versions_and_missing_only(store: ReportStore, tmp_path: Path) -> None:
    run = store.run()
    corrected = report(22, "2021", agency="寿县人民政府", year=2021, county="寿县")
    store.add(SHOUXIAN, corrected, run_id=run, path="xxgk/nb/2021-corrected.html")

    only = harvester(store.env(), "reparse", "--county", "330225", "--json")
    assert only.returncode == 0, only.stderr
    assert json.loads(only.stdout)["versions"] == 1
    assert len(results(store)) == 1

    newest = json.loads(harvester(store.env(), "reparse", "--only-missing", "--json").stdout)
    assert newest["versions"] == 2  # 寿县 2020 and the newest 寿县 2021; 象山县 is done
    # Every newest version is parsed now; the old 寿县 2021 version is not, and is not newest.
    nothing = harvester(store.env(), "reparse", "--only-missing")
    assert nothing.returncode == 0, nothing.stderr
    assert "nothing to reparse" in nothing.stdout
    every = json.loads(
        harvester(store.env(), "reparse", "--all-versions", "--only-missing", "--json").stdout
    )
    assert every["versions"] == 1  # the old 寿县 2021 version
    assert len(results(store)) == 4
    out = tmp_path / "r.jsonl"
    assert (
        harvester(
            store.env(), "export", "-q", "--county", "寿县", "--year", "2021", "-o", str(out)
        ).returncode
        == 0
    )
    (record,) = map(json.loads, out.read_text("utf-8").splitlines())
    assert tables(record) == tables(corrected)

    quiet = harvester(store.env(), "reparse", "-q", "--county", "寿县")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    unknown = harvester(store.env(), "reparse", "--county", "不存在县")
    assert unknown.returncode == 2 and "不存在县" in unknown.stderr


def test_a_missing_blob_is_recorded_not_fatal(store: ReportStore, tmp_path: Path) -> None:
    store.parse()
    with session_scope(store.engine) as session:
        attachment = session.scalar(select(Fetch).where(Fetch.url.like("%.docx")))
        sha = attachment.sha256
    store.blobs.path(sha).unlink()  # lost from the blob store (a restore gone wrong)
    result = harvester(store.env(), "reparse", "--county", "象山县", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["versions"] == 1 and summary["unreadable_documents"] == 1
    assert summary["reports_with_tables"] == 0
    out = tmp_path / "r.jsonl"
    assert (
        harvester(store.env(), "export", "-q", "--county", "象山县", "-o", str(out)).returncode == 0
    )
    (record,) = map(json.loads, out.read_text("utf-8").splitlines())
    assert any(sha[:12] in w and "not readable" in w for w in record["warnings"]), record[
        "warnings"
    ]
    status = json.loads(harvester(store.env(), "status", "--json").stdout)
    assert status["reports_not_ok"] == 1 and status["reports_ok"] == 2
