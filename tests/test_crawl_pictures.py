"""Reports whose tables are published as pictures: a real crawl over a local portal whose
article carries a real seed report's tables as ruled PNG scans (harvester.world.pictured).

A user checks: the pictures are stored as documents of the report (never the logo, share
buttons or QR code), their sha256 is that of the served bytes, the record reads the
tables back by OCR (section 三's 总计 right) and says so, and without tesseract the record
still says its tables are pictures that need OCR.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from local_crawl import add_portals, new_run
from portal_server import PortalServer, page
from sqlalchemy import select

from harvester.crawling import run_crawl
from harvester.parser import parse_text
from harvester.processing import process_versions
from harvester.storage.blobs import BlobStore
from harvester.storage.db import session_scope
from harvester.storage.models import Report, ReportVersion, VersionDocument
from harvester.summary import latest_parse
from harvester.world.pictured import pictured_article
from harvester.world.seed_reports import seed_document, seed_text

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "INFO"}
TITLE = "某县人民政府办公室2021年政府信息公开工作年度报告"
AGENCY = "某县人民政府办公室"
SCHEMA = json.loads(
    (Path(__file__).parents[1] / "harvester/schema/record.schema.json").read_text("utf-8")
)
ARTICLE = "/zwgk/nb/202201/t20220120_77.html"
STEM = "W020220120"


def pictured_site() -> tuple[dict[str, Any], dict[str, bytes]]:
    doc = seed_document(seed_text("002"), TITLE, AGENCY, 2021)
    art = pictured_article(doc, STEM)
    chrome = (
        '<div class="head"><img src="/images/logo.png" alt="某县人民政府"></div>'
        '<div class="share"><img src="/images/share_weixin.png" width="24" height="24"></div>'
    )
    body = (
        f'{chrome}<h1>{TITLE}</h1><div class="TRS_Editor">{art.body}'
        '<p><img src="/images/ico_print.gif" width="16" height="16">打印</p></div>'
        '<div class="foot"><img src="/images/ewm.png" alt="扫一扫在手机打开"></div>'
    )
    site: dict[str, Any] = {
        "/": page('<a href="/zwgk/nb/">政府信息公开年报</a>'),
        "/zwgk/nb/": page(
            f'<ul class="list"><li><a href=".{ARTICLE[8:]}">{TITLE}</a></li></ul>',
            "政府信息公开年报",
        ),
        ARTICLE: page(body, TITLE, f'<meta name="ArticleTitle" content="{TITLE}">'),
    }
    pictures = {}
    for name, png in art.pictures.items():
        site[f"/zwgk/nb/202201/{name}"] = (png, "image/png")
        pictures[f"/zwgk/nb/202201/{name}"] = png
    for icon in ("/images/logo.png", "/images/share_weixin.png", "/images/ico_print.gif"):
        site[icon] = (b"\x89PNG\r\n\x1a\n", "image/png")
    site["/images/ewm.png"] = (b"\x89PNG\r\n\x1a\n", "image/png")
    return site, pictures


@pytest.fixture
def crawled(engine: Any, database_url: str, tmp_path: Path) -> dict[str, Any]:
    site, pictures = pictured_site()
    server = PortalServer(site)
    try:
        portal_id = add_portals(engine, {"某县": server.url}, "测试省", county="{}")["某县"]
        run_id = new_run(engine, "scrape")
        code = run_crawl(database_url, tmp_path, [portal_id], run_id, settings=FAST)
        assert code == 0
        hits = dict(server.hits)
    finally:
        server.stop()
    return {
        "engine": engine,
        "blobs": BlobStore(tmp_path / "blobs"),
        "url": server.url.rstrip("/"),
        "pictures": pictures,
        "hits": hits,
    }


def _documents(engine: Any) -> tuple[Report, ReportVersion, list[VersionDocument]]:
    with session_scope(engine) as session:
        report = session.scalars(select(Report)).one()
        version = session.scalars(select(ReportVersion)).one()
        docs = list(
            session.scalars(
                select(VersionDocument)
                .where(VersionDocument.version_id == version.id)
                .order_by(VersionDocument.position)
            )
        )
        session.expunge_all()
        return report, version, docs


def _record(crawled: dict[str, Any]) -> dict[str, Any]:
    engine = crawled["engine"]
    with session_scope(engine) as session:
        process_versions(session, crawled["blobs"], list(session.scalars(select(ReportVersion))))
        version = session.scalars(select(ReportVersion)).one()
        return latest_parse(session, version.id).record


def test_article_pictures_are_stored_as_image_documents(crawled: dict[str, Any]) -> None:
    report, _version, docs = _documents(crawled["engine"])
    assert (report.agency, report.year) == (AGENCY, 2021)
    base = crawled["url"]
    assert [(d.role, d.url) for d in docs] == [("page", base + ARTICLE)] + [
        ("image", base + path) for path in crawled["pictures"]
    ]
    for d in docs[1:]:
        png = crawled["pictures"][d.url[len(base) :]]
        assert d.sha256 == hashlib.sha256(png).hexdigest()
        assert d.bytes == len(png)
        assert crawled["blobs"].get(d.sha256) == png
    for icon in ("/images/logo.png", "/images/share_weixin.png", "/images/ico_print.gif"):
        assert icon not in crawled["hits"]
    assert "/images/ewm.png" not in crawled["hits"]


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_pictured_tables_are_read_by_ocr_and_marked(crawled: dict[str, Any]) -> None:
    record = _record(crawled)
    truth = parse_text(seed_text("002"))
    jsonschema.validate(record, SCHEMA)
    assert record["needs_ocr"] is True
    assert record["ocr"]["read"] is True
    assert record["ocr"]["pictures"] == [crawled["url"] + p for p in crawled["pictures"]]
    assert record["era"] == "2021"
    # Section 三's 总计 column, row by row, as the real report has it.
    totals = {row: values.get("total") for row, values in truth["applications"].items()}
    assert {row: v.get("total") for row, v in record["applications"].items()} == totals
    assert record["review_litigation"] == truth["review_litigation"]
    assert "applications.received.total" in record["ocr"]["values"]
    assert all(p.split(".")[0] in {"proactive", "applications", "review_litigation"}
               for p in record["ocr"]["values"])  # fmt: skip
    warning = record["warnings"][0]
    assert warning.startswith("OCR:") and all(u in warning for u in record["ocr"]["pictures"])


def test_without_tesseract_the_record_says_its_tables_are_pictures(
    crawled: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"  # a PATH without tesseract (the normaliser's child asks PATH)
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    record = _record(crawled)
    jsonschema.validate(record, SCHEMA)
    assert record["needs_ocr"] is True
    assert record["ocr"] == {
        "pictures": [crawled["url"] + p for p in crawled["pictures"]],
        "read": False,
        "values": [],
    }
    assert record["warnings"][0].startswith("OCR needed: the report's tables are 3 picture(s)")
    assert not record.get("applications")
