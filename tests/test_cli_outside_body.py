"""`harvester scrape NAME --url URL` for a body outside the county registry (开发区, 高新区,
管委会, a new division): added as a user portal and scraped end to end, its start URL a
deep 政务公开 hub rather than the home page; an unknown NAME without --url still gets the
helpful error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_run import cli_environment
from portal_server import PortalServer, page
from test_cli_jobs import harvester, report_page

NAME = "合肥高新区"


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return cli_environment(database_url, tmp_path / "data")


@pytest.fixture
def hub() -> Iterator[str]:
    """A 高新区 site whose 政务公开 hub (/zwgk/) is the start URL; the home page is not
    needed (it links elsewhere)."""
    title = f"{NAME}管委会2023年政府信息公开工作年度报告"
    site = {
        "/": page('<a href="http://something.invalid/">合肥市人民政府</a>'),
        "/zwgk/": page(
            '<a href="/zwgk/zcwj/">政策文件</a><a href="/zwgk/nb/">政府信息公开年报</a>'
            '<a href="/zwgk/wzbb/">政府网站工作年度报表</a>'
        ),
        "/zwgk/nb/": page(
            f'<ul class="list"><li><a href="/zwgk/nb/2023.html">{title}</a></li></ul>',
            "政府信息公开年报",
        ),
        "/zwgk/nb/2023.html": report_page(f"{NAME}管委会", 2023, "000").replace(
            f"{NAME}管委会人民政府".encode(), f"{NAME}管委会".encode()
        ),
    }
    server = PortalServer(site)
    yield server.url + "zwgk/"
    server.stop()


def test_scrape_a_body_outside_the_registry_from_a_deep_url(
    cli_env: dict[str, str], hub: str
) -> None:
    done = harvester(cli_env, "scrape", NAME, "--url", hub, "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["outcome"] == "ok"
    (portal,) = summary["portals"]
    assert (portal["county"], portal["province"], portal["prefecture"]) == (
        NAME,
        "安徽省",
        "合肥市",
    )
    assert portal["adcode"] is None and portal["home_url"] == hub
    assert [(r["agency"], r["year"]) for r in portal["reports"]] == [(f"{NAME}管委会", 2023)]
    assert portal["reports"][0]["tables"]

    shown = harvester(cli_env, "portals", "show", NAME, "--json")
    assert shown.returncode == 0, shown.stderr[-2000:]
    (row,) = json.loads(shown.stdout)
    assert (row["county"], row["source"], row["home_url"]) == (NAME, "user", hub)

    # Scraped again by name, the user portal is found (no second row).
    again = harvester(cli_env, "scrape", NAME, "--json")
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout)["portals"][0]["county"] == NAME


def test_unknown_name_without_url_is_still_a_helpful_error(cli_env: dict[str, str]) -> None:
    done = harvester(cli_env, "scrape", "无此开发区")
    assert done.returncode != 0
    assert "no county-level division named '无此开发区'" in done.stderr
    assert "--url" in done.stderr
