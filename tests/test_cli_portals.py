"""`harvester portals …` run as a user runs it: a subprocess on a fresh database."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from cli_run import Run, cli_runner

from harvester.registry import registry_rows


@pytest.fixture
def harvester(database_url: str, tmp_path: Path) -> Run:
    run = cli_runner(database_url, tmp_path / "data", {}, timeout=120)
    run("db", "upgrade")
    return run


def _json(done: subprocess.CompletedProcess[str]) -> object:
    return json.loads(done.stdout)


def test_help_of_every_command_has_examples(harvester: Run) -> None:
    top = harvester("--help").stdout
    assert any(line.split()[:1] == ["portals"] for line in top.splitlines())
    for command in ([], ["list"], ["show"], ["add"], ["set"], ["seed"]):
        text = harvester("portals", *command, "--help").stdout
        assert "Examples:" in text, command


def test_list_filters(harvester: Run) -> None:
    rows = registry_rows()
    huainan = harvester(
        "portals", "list", "--province", "安徽", "--prefecture", "淮南市", "--json"
    ).stdout
    payload = json.loads(huainan)
    expected = [r for r in rows if r["province"] == "安徽省" and r["prefecture"] == "淮南市"]
    assert payload["total"] == payload["shown"] == len(expected) > 1
    assert {(p["province"], p["prefecture"]) for p in payload["portals"]} == {("安徽省", "淮南市")}
    assert {"adcode": "340422", "county": "寿县"}.items() <= next(
        p for p in payload["portals"] if p["county"] == "寿县"
    ).items()
    assert [p["adcode"] for p in payload["portals"]] == sorted(
        p["adcode"] for p in payload["portals"]
    )

    missing = _json(harvester("portals", "list", "--without-url", "--limit", "0", "--json"))
    assert missing["total"] == missing["shown"] == sum(1 for r in rows if not r["home_url"]) > 0
    assert all(p["home_url"] is None for p in missing["portals"])

    limited = _json(harvester("portals", "list", "--with-url", "--limit", "5", "--json"))
    assert limited["shown"] == 5 and limited["total"] == sum(1 for r in rows if r["home_url"])

    human = harvester("portals", "list", "--province", "北京").stdout
    assert (
        "朝阳区" in human
        and f"of {sum(1 for r in rows if r['province'] == '北京市')} portals" in human
    )


def test_show_unknown_and_ambiguous_names(harvester: Run) -> None:
    (shou,) = _json(harvester("portals", "show", "寿", "--json"))
    assert (shou["adcode"], shou["county"], shou["source"], shou["reports"]) == (
        "340422",
        "寿县",
        "seed",
        0,
    )
    both = _json(harvester("portals", "show", "朝阳区", "--json"))
    assert sorted(p["province"] for p in both) == ["北京市", "吉林省"]
    (beijing,) = _json(harvester("portals", "show", "朝阳区", "--province", "北京", "--json"))
    assert beijing["adcode"] == "110105"
    done = harvester("portals", "show", "不存在县", code=2)
    assert "no county-level portal named '不存在县'" in done.stderr
    human = harvester("portals", "show", "340422").stdout
    assert "寿县" in human and "https://www.shouxian.gov.cn/" in human


def test_set_marks_user_rows_that_reseeding_keeps(harvester: Run) -> None:
    harvester("portals", "set", "朝阳区", "--url", "http://x.gov.cn/", code=2)
    harvester("portals", "set", "寿县", code=2)  # nothing to change
    harvester("portals", "set", "寿县", "--url", "ftp://x", code=2)
    changed = _json(
        harvester(
            "portals",
            "set",
            "寿县",
            "--url",
            "https://new.shouxian.gov.cn/",
            "--family",
            "lonsun",
            "--column-url",
            "https://new.shouxian.gov.cn/public/column/1?type=3",
            "--needs-browser",
            "--disable",
            "--notes",
            "moved in 2026",
            "--json",
        )
    )
    assert changed["source"] == "user" and changed["enabled"] is False
    assert _json(harvester("portals", "seed", "--json")) == {
        "added": 0,
        "total": len(registry_rows()),
    }
    (shou,) = _json(harvester("portals", "show", "340422", "--json"))
    assert (
        shou["home_url"],
        shou["family"],
        shou["column_urls"],
        shou["needs_browser"],
        shou["enabled"],
        shou["notes"],
        shou["source"],
    ) == (
        "https://new.shouxian.gov.cn/",
        "lonsun",
        ["https://new.shouxian.gov.cn/public/column/1?type=3"],
        True,
        False,
        "moved in 2026",
        "user",
    )
    cleared = _json(
        harvester(
            "portals", "set", "340422", "--family", "", "--no-column-urls", "--enable", "--json"
        )
    )
    assert (cleared["family"], cleared["column_urls"], cleared["enabled"]) == (None, [], True)
    harvester("portals", "set", "朝阳区", "--province", "北京市", "--encoding", "gb18030")
    (beijing,) = _json(harvester("portals", "show", "110105", "--json"))
    (changchun,) = _json(harvester("portals", "show", "220104", "--json"))
    assert (beijing["encoding"], beijing["source"]) == ("gb18030", "user")
    assert (changchun["encoding"], changchun["source"]) == (None, "seed")


def test_add_a_portal_the_registry_lacks(harvester: Run) -> None:
    added = _json(
        harvester(
            "portals",
            "add",
            "--province",
            "海南",
            "--prefecture",
            "三沙",
            "--county",
            "永乐区",
            "--url",
            "https://yongle.example.gov.cn/",
            "--family",
            "trs",
            "--json",
        )
    )
    assert (
        added["province"],
        added["prefecture"],
        added["county"],
        added["source"],
        added["adcode"],
    ) == ("海南省", "三沙市", "永乐区", "user", None)
    (found,) = _json(harvester("portals", "show", "永乐", "--json"))
    assert found["id"] == added["id"] and found["home_url"] == "https://yongle.example.gov.cn/"
    again = harvester(
        "portals",
        "add",
        "--province",
        "海南省",
        "--prefecture",
        "三沙市",
        "--county",
        "永乐区",
        "--url",
        "https://yongle.example.gov.cn/",
        code=2,
    )
    assert "already in the registry" in again.stderr
    clash = harvester(
        *shlex.split(
            "portals add --province 安徽省 --county 某县 --adcode 340422 --url https://x.gov.cn/"
        ),
        code=2,
    )
    assert "adcode 340422 is already" in clash.stderr
    harvester(
        *shlex.split(
            "portals add --province 安徽省 --county 某县 --adcode 3404 --url https://x.gov.cn/"
        ),
        code=2,
    )
    total = _json(harvester("portals", "list", "--limit", "1", "--json"))["total"]
    assert total == len(registry_rows()) + 1
