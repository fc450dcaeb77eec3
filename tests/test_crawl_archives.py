"""OFD and archive attachments, crawled and read: an OFD report (GB/T 33190) gives the real
report's numbers; a ZIP holding the report as DOCX and PDF gives one document per member,
each with its own sha256 and its path inside the archive, and the numbers."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
from local_crawl import add_portals, new_run
from portal_server import PortalServer, article, page
from sqlalchemy import select

from harvester.crawling import run_crawl
from harvester.parser import parse_text
from harvester.processing import process_versions
from harvester.storage.blobs import BlobStore
from harvester.storage.db import session_scope
from harvester.storage.models import Report, ReportVersion
from harvester.summary import latest_parse
from harvester.world.ofd import render_ofd
from harvester.world.seed_reports import seed_document, seed_text
from harvester.writers import convert, render_docx

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "INFO"}
SCHEMA = json.loads(
    (Path(__file__).parents[1] / "harvester/schema/record.schema.json").read_text("utf-8")
)
SECTIONS = ("proactive", "applications", "review_litigation")


def test_ofd_and_zip_attachments_are_read(engine: Any, database_url: str, tmp_path: Path) -> None:
    ofd_title = "某县人民政府2020年政府信息公开年度报告"
    zip_title = "某县人民政府2021年政府信息公开工作年度报告"
    ofd = render_ofd(seed_document(seed_text("000"), ofd_title, "某县人民政府", 2020))
    docx = render_docx(seed_document(seed_text("002"), zip_title, "某县人民政府", 2021))
    pdf = convert(docx, "docx", "pdf")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2021年报/某县2021年年报.docx", docx)
        zf.writestr("2021年报/某县2021年年报.pdf", pdf)
        zf.writestr("__MACOSX/2021年报/._某县2021年年报.pdf", b"\x00\x05\x16\x07")
    archive = buf.getvalue()
    site = {
        "/": page('<a href="/nb/">政府信息公开年报</a>'),
        "/nb/": page(
            f'<ul class="list"><li><a href="/nb/2020.html">{ofd_title}</a></li>'
            f'<li><a href="/nb/2021.html">{zip_title}</a></li></ul>',
            "政府信息公开年报",
        ),
        "/nb/2020.html": article(ofd_title, '<a href="/files/2020.ofd">2020年年报.ofd</a>'),
        "/nb/2021.html": article(zip_title, '<a href="/files/2021.zip">2021年年报.zip</a>'),
        "/files/2020.ofd": (ofd, "application/ofd"),
        "/files/2021.zip": (archive, "application/zip"),
    }
    server = PortalServer(site)
    try:
        portal_id = add_portals(engine, {"某县": server.url}, "测试省", county="{}")["某县"]
        run_id = new_run(engine, "scrape")
        assert run_crawl(database_url, tmp_path, [portal_id], run_id, settings=FAST) == 0
    finally:
        server.stop()
    blobs = BlobStore(tmp_path / "blobs")
    with session_scope(engine) as session:
        process_versions(session, blobs, list(session.scalars(select(ReportVersion))))
        records = {}
        for report in session.scalars(select(Report)):
            version = session.scalars(
                select(ReportVersion).where(ReportVersion.report_id == report.id)
            ).one()
            records[report.year] = latest_parse(session, version.id).record
    base = server.url.rstrip("/")
    for year, seed in ((2020, "000"), (2021, "002")):
        truth = parse_text(seed_text(seed))
        jsonschema.validate(records[year], SCHEMA)
        for section in SECTIONS:
            assert records[year].get(section) == truth.get(section), (year, section)
    ofd_docs = records[2020]["documents"]
    assert [(d["role"], d["sha256"]) for d in ofd_docs[1:]] == [
        ("attachment", hashlib.sha256(ofd).hexdigest())
    ]
    zip_docs = records[2021]["documents"]
    assert [(d["url"], d["sha256"], d.get("archive")) for d in zip_docs[1:]] == [
        (base + "/files/2021.zip", hashlib.sha256(archive).hexdigest(), None),
        (
            base + "/files/2021.zip",
            hashlib.sha256(docx).hexdigest(),
            {"sha256": hashlib.sha256(archive).hexdigest(), "path": "2021年报/某县2021年年报.docx"},
        ),
        (
            base + "/files/2021.zip",
            hashlib.sha256(pdf).hexdigest(),
            {"sha256": hashlib.sha256(archive).hexdigest(), "path": "2021年报/某县2021年年报.pdf"},
        ),
    ]


def test_rar_and_7z_attachments_are_read(engine: Any, database_url: str, tmp_path: Path) -> None:
    """A RAR (the project's own writer) and a 7z (py7zr) of the report's DOCX, crawled:
    one document per member with its sha256 and path, and the real report's numbers; an
    encrypted RAR is a document not readable, with its reason."""
    import py7zr
    from rar_writer import rar_archive

    titles = {y: f"某县人民政府{y}年政府信息公开工作年度报告" for y in (2021, 2022, 2023)}
    docx = render_docx(seed_document(seed_text("002"), titles[2021], "某县人民政府", 2021))
    rar = rar_archive([("年报/2021.docx", docx)])
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as seven_zip:
        seven_zip.writestr(docx, "年报/2022.docx")
    seven = buf.getvalue()
    locked = rar_archive([("年报/2023.docx", docx)], encrypted=True)
    files = {2021: ("rar", rar), 2022: ("7z", seven), 2023: ("rar", locked)}
    site: dict[str, Any] = {
        "/": page('<a href="/nb/">政府信息公开年报</a>'),
        "/nb/": page(
            '<ul class="list">'
            + "".join(f'<li><a href="/nb/{y}.html">{t}</a></li>' for y, t in titles.items())
            + "</ul>",
            "政府信息公开年报",
        ),
    }
    for year, (ext, data) in files.items():
        site[f"/nb/{year}.html"] = article(
            titles[year], f'<a href="/files/{year}.{ext}">{year}年年报.{ext}</a>'
        )
        site[f"/files/{year}.{ext}"] = (data, "application/octet-stream")
    server = PortalServer(site)
    try:
        portal_id = add_portals(engine, {"某县": server.url}, "测试省", county="{}")["某县"]
        run_id = new_run(engine, "scrape")
        assert run_crawl(database_url, tmp_path, [portal_id], run_id, settings=FAST) == 0
    finally:
        server.stop()
    blobs = BlobStore(tmp_path / "blobs")
    with session_scope(engine) as session:
        process_versions(session, blobs, list(session.scalars(select(ReportVersion))))
        records = {}
        for report in session.scalars(select(Report)):
            version = session.scalars(
                select(ReportVersion).where(ReportVersion.report_id == report.id)
            ).one()
            records[report.year] = latest_parse(session, version.id).record
    base = server.url.rstrip("/")
    truth = parse_text(seed_text("002"))
    for year, path in ((2021, "年报/2021.docx"), (2022, "年报/2022.docx")):
        ext, data = files[year]
        jsonschema.validate(records[year], SCHEMA)
        for section in SECTIONS:
            assert records[year].get(section) == truth.get(section), (year, section)
        assert [(d["sha256"], d.get("archive")) for d in records[year]["documents"][1:]] == [
            (hashlib.sha256(data).hexdigest(), None),
            (
                hashlib.sha256(docx).hexdigest(),
                {"sha256": hashlib.sha256(data).hexdigest(), "path": path},
            ),
        ]
    assert (
        f"document not readable: {base}/files/2023.rar: encrypted RAR archive: "
        "member 年报/2023.docx needs a password"
    ) in records[2023]["warnings"]
    assert not records[2023].get("applications")
