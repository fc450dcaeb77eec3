"""`harvester reparse` as a user runs it: stored raw bytes normalised and parsed again, new
parse results recorded with the parser version that made them, nothing fetched."""

from __future__ import annotations

import json
import os
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
from harvester.synth import report_document
from harvester.writers import render_html

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
    assert "3 new current results" in result.stdout and "0 unchanged" in result.stdout
    assert "parsing report versions: 3 …" in result.stdout  # one line per phase off a terminal
    assert ".py:" not in result.stdout  # no logger location in what the user reads
    assert results(store) == before
    assert store.count(Fetch) == fetches  # no re-crawl
    out = tmp_path / "r.jsonl"
    assert harvester(store.env(), "export", "-q", "-o", str(out)).returncode == 0
    assert len(out.read_text("utf-8").splitlines()) == 3

    again = harvester(store.env(), "reparse", "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["versions"] == 3 and summary["unchanged"] == 3 and summary["new_results"] == 0
    assert summary["reports_with_tables"] == 3 and summary["unreadable_documents"] == 0
    assert results(store) == before  # the same result again: nothing added, nothing lost
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


def _export(store: ReportStore, tmp_path: Path, *args: str) -> list[dict]:
    out = tmp_path / "r.jsonl"
    out.unlink(missing_ok=True)
    result = harvester(store.env(), "export", "-q", "-o", str(out), *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in out.read_text("utf-8").splitlines()]


def test_a_missing_blob_stops_the_reparse_and_replaces_nothing(
    store: ReportStore, tmp_path: Path
) -> None:
    store.parse()
    before = _export(store, tmp_path)
    parses = results(store)
    with session_scope(store.engine) as session:
        attachment = session.scalar(select(Fetch).where(Fetch.url.like("%.docx")))
        sha = attachment.sha256
    store.blobs.path(sha).unlink()  # lost from the blob store (a restore gone wrong)
    result = harvester(store.env(), "reparse", "--county", "象山县", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert sha in result.stderr and str(store.blobs.root) in result.stderr
    assert "nothing was reparsed or replaced" in result.stderr and "--blob-store" in result.stderr
    assert results(store) == parses
    assert _export(store, tmp_path) == before  # the tables are still there
    status = json.loads(harvester(store.env(), "status", "--json").stdout)
    assert status["reports_ok"] == 3


def test_reparse_from_elsewhere_finds_the_blobs_the_database_records(
    store: ReportStore, tmp_path: Path
) -> None:
    """The demo's hint run from another directory, without --data-dir: the database says
    where its blobs are, so the parse results stay as they were."""
    first = harvester(store.env(), "reparse", "--json")  # records the blob store
    assert first.returncode == 0, first.stderr
    before = _export(store, tmp_path)
    assert all(r["applications"] for r in before)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in store.env().items() if k != "HARVESTER_DATA_DIR"}
    env.pop("HARVESTER_DATABASE_URL")
    again = subprocess.run(
        [sys.executable, "-m", "harvester", "reparse", "--db", store.database_url, "--json"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["blob_store"] == str(store.blobs.root.resolve())
    assert summary["unreadable_documents"] == 0 and summary["reports_with_tables"] == 3
    assert list(elsewhere.iterdir()) == []  # no ./harvester-data made here
    assert _export(store, tmp_path) == before

    # Pointed at the wrong data directory, a storing command refuses instead of guessing.
    wrong = harvester(store.env() | {"HARVESTER_DATA_DIR": str(tmp_path / "other")}, "reparse")
    assert wrong.returncode == 2
    assert str(store.blobs.root.resolve()) in wrong.stderr and "--blob-store" in wrong.stderr
    assert not (tmp_path / "other").exists()


# A parser change that loses section 三 of every report: a regression.
WORSE = """
import sys
import harvester.processing as processing
real = processing.parse_document
def worse(*args, **kwargs):
    record = real(*args, **kwargs)
    record.pop("applications", None)
    return record
processing.parse_document = worse
from harvester.cli import main
main(sys.argv[1:], prog_name="harvester")
"""


def _worse_reparse(store: ReportStore, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WORSE, "reparse", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=store.env(),
        timeout=120,
    )


def test_a_worse_reparse_is_kept_back_unless_accepted(store: ReportStore, tmp_path: Path) -> None:
    store.parse()
    before = _export(store, tmp_path)
    worse = _worse_reparse(store, "--county", "寿县")
    assert worse.returncode == 1, worse.stdout + worse.stderr
    assert "2 regressions kept back" in worse.stdout
    assert "tables 3 → 2" in worse.stdout and "--accept-regressions" in worse.stderr
    assert len(results(store)) == 5  # the worse results are stored, the earlier ones kept
    assert _export(store, tmp_path) == before  # and the earlier ones stay current
    history = _export(store, tmp_path, "--county", "寿县", "--history")
    assert len(history) == 4
    assert [r["parse"]["current"] for r in history] == [True, False, True, False]
    assert all("applications" not in r for r in history if not r["parse"]["current"])

    accepted = _worse_reparse(store, "--county", "寿县", "--accept-regressions", "--json")
    assert accepted.returncode == 0, accepted.stderr
    summary = json.loads(accepted.stdout)
    assert summary["regressions_kept_back"] == 0 and len(summary["regressions"]) == 2
    after = {(r["county"], r["year"]): r for r in _export(store, tmp_path)}
    assert "applications" not in after[("寿县", 2021)]
    assert after[("象山县", 2021)]["applications"]  # not asked about: unchanged
    assert len(results(store)) == 7  # still nothing deleted


def test_read_only_commands_create_nothing(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")}
    env["PYTHONPATH"] = str(ROOT)
    mistyped = tmp_path / "mistyped" / "dir" / "x.sqlite"
    for args in (
        ["status", "--db", f"sqlite:///{mistyped}"],
        ["export", "--db", f"sqlite:///{mistyped}"],
        ["portals", "list", "--db", f"sqlite:///{mistyped}"],
        ["portals", "show", "寿县", "--db", f"sqlite:///{mistyped}"],
        ["status"],
        ["export", "--data-dir", str(tmp_path / "data")],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "harvester", *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
            timeout=120,
        )
        assert result.returncode != 0, (args, result.stdout)
        assert "no database at" in result.stderr, (args, result.stderr)
        assert "harvester db upgrade" in result.stderr, (args, result.stderr)
    report_file = tmp_path / "report.html"
    record = report(5, "2021", agency="寿县人民政府", year=2021, county="寿县")
    report_file.write_bytes(render_html(report_document(record)))
    parsed = subprocess.run(
        [sys.executable, "-m", "harvester", "parse", str(report_file), "-q"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    assert parsed.returncode == 0, parsed.stderr
    current = subprocess.run(
        [sys.executable, "-m", "harvester", "db", "current", "--db", f"sqlite:///{mistyped}"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    assert "nothing was created" in current.stdout, current.stdout + current.stderr
    assert list(cwd.iterdir()) == [] and not (tmp_path / "mistyped").exists()
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///"])
def test_in_memory_and_empty_sqlite_urls_are_refused(url: str, tmp_path: Path) -> None:
    for args in (["status"], ["scrape", "寿县"], ["reparse"], ["db", "upgrade"]):
        result = subprocess.run(
            [sys.executable, "-m", "harvester", *args, "--db", url],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120,
        )
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "in-memory SQLite database" in result.stderr and "Traceback" not in result.stderr
