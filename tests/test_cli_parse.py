"""`harvester parse FILE` on real files: text seeds, and HTML, DOCX, DOC and PDF files
rendered from a consistent report (LibreOffice makes the DOC and PDF)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from harvester.synth import random_record, report_document
from harvester.world.seed_reports import SEED_DIR as SEEDS
from harvester.writers import convert, render_docx, render_html

ROOT = Path(__file__).parent.parent
SCHEMA = json.loads((ROOT / "harvester" / "schema" / "record.schema.json").read_text("utf-8"))
KEYS = ("agency", "year", "era", "published", "proactive", "applications", "review_litigation")
# The `harvester` group with the parse command (registered lazily, as harvester/cli does).
MAIN = (
    "from harvester.cli import main; "
    "main.lazy.setdefault('parse', 'harvester.cli.parse:parse'); "
    "main(prog_name='harvester')"
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", MAIN, "parse", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
    )


def test_seed_text_prints_the_record() -> None:
    result = run(str(SEEDS / "001_5f52f77d1e58bc3f.txt"))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    jsonschema.validate(record, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert record["agency"] == "象山县人民政府办公室"
    assert record["applications"]["received"]["total"] == 172
    assert "t3_handled_sum" in result.stderr  # the summary names the failed check


def test_json_and_quiet_print_only_the_record() -> None:
    result = run(
        str(SEEDS / "000_5cbd7a2f65ef8059.txt"), "--json", "--county", "寿县", "--adcode", "340422"
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(result.stdout.strip().split("\n")) == 1
    record = json.loads(result.stdout)
    assert (record["county"], record["adcode"]) == ("寿县", "340422")
    assert record["proactive"]["procurement"]["amount_yuan"] == 399000000
    quiet = run(str(SEEDS / "000_5cbd7a2f65ef8059.txt"), "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert json.loads(quiet.stdout) == record | {"county": None, "adcode": None}


def test_module_entry_point() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "harvester.cli.parse",
            str(SEEDS / "003_c60e880bc4ce4b0e.txt"),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["proactive"]["procurement"]["amount_raw"] == "40984.52万元"


@pytest.fixture(scope="module")
def report() -> dict:
    return random_record(random.Random(11), "2021", agency="舞阳县人民政府", year=2021)


@pytest.fixture(scope="module")
def files(report: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    doc = report_document(report)
    docx = render_docx(doc)
    payloads = {
        "html": render_html(doc, encoding="gb18030", word_style=True),
        "docx": docx,
        "pdf": convert(docx, "docx", "pdf"),
        "doc": convert(docx, "docx", "doc"),
    }
    paths = {}
    for ext, data in payloads.items():
        paths[ext] = out / f"report.{ext}"
        paths[ext].write_bytes(data)
    return paths


@pytest.mark.parametrize("ext", ["html", "docx", "pdf", "doc"])
def test_office_and_web_formats_round_trip(files: dict[str, Path], report: dict, ext: str) -> None:
    result = run(str(files[ext]), "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    for key in KEYS:
        assert record[key] == report[key], key
    assert all(c["ok"] for c in record["checks"])


def test_not_a_report_is_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("会议纪要\n今天讨论了午餐安排。\n", encoding="utf-8")
    result = run(str(notes))
    assert result.returncode == 1
    assert "does not look like a 政府信息公开工作年度报告" in result.stderr
    assert result.stdout == ""


def test_unreadable_files_fail_with_a_reason(tmp_path: Path) -> None:
    fake = tmp_path / "report.pdf"
    fake.write_bytes(b"\x89garbage\x00\x01\x02" * 50)
    result = run(str(fake))
    assert result.returncode == 1
    assert "not a readable document" in result.stderr
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = run(str(empty))
    assert result.returncode == 1 and "empty" in result.stderr
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02abc")
    result = run(str(binary))
    assert result.returncode == 1 and "not a text file" in result.stderr
    assert run(str(tmp_path / "missing.txt")).returncode == 2  # click: no such file


def test_a_folder_of_saved_texts_gives_one_record_per_report(tmp_path: Path) -> None:
    """What a researcher holds: saved page texts (some on one line, some with run-together
    cells), a legacy report, notes that are not reports and a broken file."""
    from harvester.synth import one_line_text, run_together_text
    from harvester.synth_prose import legacy_report_text

    folder = tmp_path / "saved"
    (folder / "2021").mkdir(parents=True)
    seed = (SEEDS / "001_5f52f77d1e58bc3f.txt").read_text("utf-8")
    (folder / "a_seed.txt").write_text(seed, "utf-8")
    (folder / "b_archive_one_line.txt").write_text(one_line_text(seed), "utf-8")
    record = random_record(random.Random(31), "2021", agency="青山县公安局", year=2021)
    (folder / "2021" / "c_flattened.txt").write_text(run_together_text(record), "gb18030")
    figures = {
        "applications.received.total": 6,
        "applications.disclosed.total": 4,
        "applications.partially_disclosed.total": 1,
        "review_litigation.review.total": 0,
        "review_litigation.litigation.total": 0,
    }
    (folder / "d_legacy.txt").write_text(
        legacy_report_text("青山县人民政府", 2014, figures), "utf-8"
    )
    (folder / "e_notes.txt").write_text("读书笔记：无关内容。\n", "utf-8")
    (folder / "f_broken.pdf").write_bytes(b"%PDF-1.4 not really")
    result = run(str(folder))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    for rec in records:
        jsonschema.validate(rec, SCHEMA, cls=jsonschema.Draft202012Validator)
    names = [Path(r["url"].removeprefix("file://")).name for r in records]
    assert names == ["c_flattened.txt", "a_seed.txt", "b_archive_one_line.txt", "d_legacy.txt"]
    flat, seed_rec, one_line, legacy = records
    assert flat["applications"] == record["applications"] and flat["agency"] == "青山县公安局"
    for key in KEYS:
        assert one_line[key] == seed_rec[key], key
    assert legacy["era"] == "legacy" and legacy["applications"]["received"]["total"] == 6
    assert "e_notes.txt: skipped, not a report" in result.stderr
    assert "f_broken.pdf" in result.stderr
    assert "6 files: 4 reports (4 read, completeness ≥ 50 %), 2 skipped" in result.stderr


def test_a_folder_without_reports_fails(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("无关内容。\n", "utf-8")
    result = run(str(tmp_path))
    assert result.returncode == 1
    assert "1 files: 0 reports" in result.stderr
