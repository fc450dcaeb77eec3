"""Units listed on the platform page: a real crawl visits every unit (links, a <select>, a
JSON unit list) and walks its own 年报 column; a portal whose unit list cannot be walked,
or whose units have no 年报 column, is partial with the reasons, never plain ok.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from portal_server import PortalServer, article, page, pdf
from rich.console import Console
from sqlalchemy import select

from harvester.cli import main
from harvester.crawling import run_crawl
from harvester.parser import parse_text
from harvester.processing import parse_version
from harvester.storage.blobs import BlobStore
from harvester.storage.db import session_scope
from harvester.storage.models import (
    Fetch,
    Portal,
    PortalRun,
    Report,
    ReportVersion,
    VersionDocument,
)
from harvester.storage.repo import start_run
from harvester.summary import portal_summary, render_summary
from harvester.units import find_unit_lists, units_from_json
from harvester.world.catalog import PROFILES
from harvester.world.factory import ContentFactory
from harvester.world.families import BUILDERS
from harvester.world.render import Renderer
from harvester.world.seed_reports import seed_text
from harvester.world.server import serve_site

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "INFO"}


def _crawl(
    engine: Any, database_url: str, data_dir: Path, home: str, county: str
) -> tuple[int, int]:
    with session_scope(engine) as session:
        portal = Portal(province="测试省", county=county, home_url=home)
        session.add(portal)
        session.flush()
        portal_id = portal.id
        run_id = start_run(session, "scrape", {}, "test").id
    assert run_crawl(database_url, data_dir, [portal_id], run_id, settings=FAST) == 0
    return portal_id, run_id


def _portal_run(engine: Any, run_id: int, portal_id: int) -> PortalRun:
    with session_scope(engine) as session:
        run = session.scalars(
            select(PortalRun).where(PortalRun.run_id == run_id, PortalRun.portal_id == portal_id)
        ).one()
        session.expunge(run)
        return run


def test_units_of_the_platform_page_are_found_in_every_form() -> None:
    html = (
        '<div><h3>部门信息公开</h3><ul><li><a href="/public/11/index.html">县教育局</a></li>'
        '<li><a href="/public/12/index.html">县财政局</a></li></ul></div>'
        "<select onchange=\"location.href='/public/'+this.value+'/index.html'\">"
        '<option value="">请选择</option><option value="21">城关镇</option>'
        '<option value="22">岳张集镇</option></select>'
        '<select><option value="1">全部</option><option value="31">钱庙乡人民政府</option>'
        '<option value="32">关店乡人民政府</option></select>'
        '<script>$.getJSON("/public/api/units.json", f)</script>'
    )
    found = find_unit_lists(html, "http://x.test/zwgk/")
    assert [(u.name, u.url, u.via) for u in found.units] == [
        ("县教育局", "http://x.test/public/11/index.html", "links"),
        ("县财政局", "http://x.test/public/12/index.html", "links"),
        ("城关镇", "http://x.test/public/21/index.html", "select"),
        ("岳张集镇", "http://x.test/public/22/index.html", "select"),
    ]
    assert found.json_urls == ["http://x.test/public/api/units.json"]
    assert found.problems == [
        (
            "unit list (select) not walked: 2 unit(s) without an address (钱庙乡人民政府、关店乡人民政府)",
            "http://x.test/zwgk/",
        )
    ]
    units, unaddressed = units_from_json(
        json.dumps({"data": [{"unitName": "县民政局", "url": "/public/13/index.html"},
                             {"unitName": "县直部门", "children": [{"name": "县水利局"}]}]}),
        "http://x.test/zwgk/",
    )  # fmt: skip
    assert [(u.name, u.url) for u in units] == [("县民政局", "http://x.test/public/13/index.html")]
    assert unaddressed == ["县水利局"]


def test_world_platform_portal_every_unit_walked(
    engine: Any, database_url: str, tmp_path: Path
) -> None:
    """The world's platform county (凤台县): the government's own column alone holds two of
    its nine reports; the rest are reached through the unit lists."""
    profile = next(p for p in PROFILES if p.family == "platform")
    plan = ContentFactory(Renderer(Path(tempfile.mkdtemp())), 7, html_only=True).plan(profile)
    site = BUILDERS["platform"](plan)
    server = serve_site(site)
    try:
        home = f"http://127.0.0.1:{server.server_address[1]}/"
        portal_id, run_id = _crawl(engine, database_url, tmp_path, home, profile.county)
    finally:
        server.shutdown()
        server.server_close()
    blobs = BlobStore(tmp_path / "blobs")
    pngs = {
        key: entry.body for key, entry in site.routes.items() if key.endswith(".png")
    }  # the pictured report's table scans, as served
    assert len(pngs) == 3
    with session_scope(engine) as session:
        reports = list(session.scalars(select(Report).where(Report.portal_id == portal_id)))
        got = {(r.agency, r.year) for r in reports}
        pictured = next(r for r in reports if (r.agency, r.year) == ("凤台县人民政府", 2022))
        version = session.scalars(
            select(ReportVersion).where(ReportVersion.report_id == pictured.id)
        ).one()
        docs = list(
            session.scalars(
                select(VersionDocument)
                .where(VersionDocument.version_id == version.id)
                .order_by(VersionDocument.position)
            )
        )
        assert [d.role for d in docs] == ["page", "image", "image", "image"]
        assert sorted(d.sha256 for d in docs[1:]) == sorted(
            hashlib.sha256(b).hexdigest() for b in pngs.values()
        )
        if shutil.which("tesseract"):
            record, _dumps, _errors = parse_version(session, blobs, version)
            truth = parse_text(seed_text("002"))
            assert record["needs_ocr"] and record["ocr"]["read"]
            assert {row: v.get("total") for row, v in record["applications"].items()} == {
                row: v.get("total") for row, v in truth["applications"].items()
            }
        for version in session.scalars(select(ReportVersion)):
            for doc in session.scalars(
                select(VersionDocument).where(VersionDocument.version_id == version.id)
            ):
                assert hashlib.sha256(blobs.get(doc.sha256)).hexdigest() == doc.sha256
        fetched = {f.url for f in session.scalars(select(Fetch))}
    assert got == set(plan.expected())
    assert home + "public/api/units.json" in fetched
    run = _portal_run(engine, run_id, portal_id)
    assert run.outcome == "ok", run.failures
    assert not [f for f in run.failures if f.get("coverage")]


def _unwalkable_site() -> dict[str, Any]:
    gov = "某县人民政府2023年政府信息公开工作年度报告"
    return {
        "/": page('<a href="/zwgk/">政府信息公开</a>'),
        "/zwgk/": page(
            '<a href="/nb/">政府信息公开年报</a>'
            '<div><h3>部门信息公开</h3><ul><li><a href="/u/jyj/">县教育局</a></li>'
            '<li><a href="/u/czj/">县财政局</a></li></ul></div>'
            '<div><h3>乡镇（街道）信息公开</h3><select id="towns">'
            '<option value="t1">城关镇</option><option value="t2">南湖镇</option></select></div>'
        ),
        "/nb/": page(
            f'<ul class="list"><li><a href="/nb/2023.html">{gov}</a></li></ul>', "政府信息公开年报"
        ),
        "/nb/2023.html": article(gov, '<a href="/files/2023.pdf">附件</a>'),
        "/files/2023.pdf": pdf("gov 2023"),
        # 教育局: its 年报 column; 财政局: only a look-alike column.
        "/u/jyj/": page('<a href="/u/jyj/nb/">政府信息公开年报</a>'),
        "/u/jyj/nb/": page(
            '<ul class="list"><li><a href="/u/jyj/nb/2023.html">某县教育局2023年政府信息公开工作年度报告</a></li></ul>',
            "政府信息公开年报",
        ),
        "/u/jyj/nb/2023.html": article("某县教育局2023年政府信息公开工作年度报告", "无"),
        "/u/czj/": page('<a href="/u/czj/wzbb/">政府网站工作年度报表</a>'),
    }


def test_unwalkable_unit_list_makes_the_portal_partial(
    engine: Any, database_url: str, tmp_path: Path
) -> None:
    server = PortalServer(_unwalkable_site())
    try:
        portal_id, run_id = _crawl(engine, database_url, tmp_path, server.url, "某县")
    finally:
        server.stop()
    with session_scope(engine) as session:
        got = {(r.agency, r.year) for r in session.scalars(select(Report))}
    assert got == {("某县人民政府", 2023), ("某县教育局", 2023)}
    assert "/u/czj/wzbb/" not in server.hits  # the look-alike column is not walked
    run = _portal_run(engine, run_id, portal_id)
    assert run.outcome == "partial"
    reasons = [f["reason"] for f in run.failures if f.get("coverage")]
    assert reasons[0] == "1 bodies without a 年报 column (县财政局)"
    assert "县财政局: no 年报 column on its page" in reasons
    assert any(
        r.startswith("unit list (select) not walked: 2 unit(s) without an address") for r in reasons
    )

    # The scrape summary and `harvester status` say so.
    with session_scope(engine) as session:
        summary = portal_summary(session, [portal_id], run_id, [])
    console = Console(record=True, width=200)
    render_summary(console, summary)
    text = console.export_text()
    assert "coverage: 1 bodies without a 年报 column (县财政局)" in text
    result = CliRunner().invoke(main, ["status", "--db", database_url, "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    entry = next(p for p in status["portal_runs"] if p["county"] == "某县")
    assert entry["outcome"] == "partial"
    assert entry["coverage"][0] == "1 bodies without a 年报 column (县财政局)"
    assert entry in status["failing"]
