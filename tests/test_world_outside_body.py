"""The world's body outside the registry (a 高新技术产业开发区, harvester.world.outside),
scraped by a user from its deep 政务公开 hub: added as a user portal, every report stored
(the DOCX one byte for byte), nothing of the look-alike column."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_run import cli_environment
from stored_reports import harvester

from harvester.world import World, start_world


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with start_world(base=False, special=False, outside=True) as running:
        yield running


def test_a_body_outside_the_registry_is_scraped_from_its_hub(
    world: World, database_url: str, tmp_path: Path
) -> None:
    body = world.outside
    assert body is not None
    env = cli_environment(database_url, tmp_path / "data")
    done = harvester(env, "scrape", body.name, "--url", body.hub_url, "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["outcome"] == "ok", summary["failures"]
    (portal,) = summary["portals"]
    assert (portal["county"], portal["province"], portal["prefecture"]) == (
        body.name,
        "安徽省",
        "淮南市",
    )
    assert portal["adcode"] is None and portal["home_url"] == body.hub_url
    found = sorted((r["agency"], r["year"]) for r in portal["reports"])
    assert found == sorted((e.agency, e.year) for e in body.expected)
    assert all(r["tables"] for r in portal["reports"]), portal["reports"]

    # The DOCX report is stored as the server sent it; the look-alike column is not walked.
    sent = {s.path: s.sha256 for s in world_sent(world)}
    assert "/zwgk/zwgkml/wzbb/index.html" not in sent
    out = tmp_path / "r.jsonl"
    harvester(env, "export", "--format", "jsonl", "-o", str(out))
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    docs = [d for r in records for d in r["documents"] if d["url"].endswith(body.attachment)]
    assert [d["sha256"] for d in docs] == [sent[body.attachment]]

    shown = harvester(env, "portals", "show", body.name, "--json")
    assert shown.returncode == 0, shown.stderr[-2000:]
    (row,) = json.loads(shown.stdout)
    assert (row["county"], row["source"], row["home_url"]) == (body.name, "user", body.hub_url)


def world_sent(world: World) -> list:
    """What the outside body's server sent (its site is the world's only one here)."""
    return [s for site in _sites(world) for s in site.sent]


def _sites(world: World) -> list:
    return [server.RequestHandlerClass.site for server in world.servers]  # type: ignore[attr-defined]
