"""Real Scrapy crawls (in a subprocess) against local portals on 127.0.0.1.

Part one serves small portals built here for behaviours a user checks after a crawl:
reports and attachments stored with provenance, look-alikes not taken, failures recorded
with their reason, challenge hosts and script-filled lists passed with Chromium, truncated
bodies never stored as complete, and a second crawl asking conditionally (304).
Part two crawls the local portal world (harvester/world/), one test per content-system
family, and compares with the world's expected reports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import local_crawl
import pytest
from local_crawl import FAST, crawled, fresh_database, new_run
from portal_server import (
    Computed,
    PortalServer,
    Redirect,
    Request,
    Status,
    Truncate,
    article,
    page,
    pdf,
)
from sqlalchemy import select
from sqlalchemy.engine import Engine

from harvester.crawling import run_crawl
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

LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)


PDF_2023 = b"%PDF-1.4\n% county 2023 report\n%%EOF\n"
PDF_JYJ = b"%PDF-1.4\n% education bureau 2023\n%%EOF\n"
DOCX_2022 = b"PK\x03\x04 county 2022 report docx bytes"
GBK_NAME = "某县2022年年报.docx".encode("gbk")

TRS_SITE: dict[str, Any] = {
    "/robots.txt": (b"User-agent: *\nDisallow: /private/\n", "text/plain"),
    "/": page(
        '<a href="/zwgk/">政务公开</a><a href="/zwgk/zfgzbg/">政府工作报告</a>'
        '<a href="/zwgk/wzndbb/">政府网站年度报表</a>'
        '<a href="/zwgk/zfxxgknb_70772/">政府信息公开年报</a>'
        '<a href="http://mirror.invalid/zfxxgknb/">政府信息公开年报</a>'
    ),
    "/zwgk/wzndbb/": page('<a href="/zwgk/wzndbb/t20240110_1.html">2023年政府网站年度报表</a>'),
    "/zwgk/zfxxgknb_70772/": page(
        '<ul class="left"><li><a href="./xjyj/">县教育局</a></li></ul>'
        '<ul class="list">'
        '<li><a href="./202401/t20240115_1001.html">某县2023年政府信息公开工作年度报告</a></li>'
        '<li><a href="./202401/t20240116_1002.html">某县2023年住房公积金年度报告</a></li>'
        '</ul><script>createPageHTML(2, 0, "index", "html");</script>',
        "政府信息公开年报",
        '<meta name="ColumnName" content="政府信息公开年报">',
    ),
    "/zwgk/zfxxgknb_70772/index_1.html": page(
        '<ul class="list"><li><a href="./202301/t20230120_901.html">某县2022年政府信息公开工作年度报告</a></li></ul>'
        '<script>createPageHTML(2, 1, "index", "html");</script>'
    ),
    "/zwgk/zfxxgknb_70772/xjyj/": Status(
        429,
        times=1,
        headers={"Retry-After": "1"},
        body=b"slow down",
        then=page(
            '<ul class="list"><li><a href="./202401/t20240118_1003.html">县教育局2023年政府信息公开工作年度报告</a></li></ul>'
        ),
    ),
    # A long article split over two pages; the attachment is on the second.
    "/zwgk/zfxxgknb_70772/202401/t20240115_1001.html": article(
        "某县2023年政府信息公开工作年度报告",
        '<script>createPageHTML(2, 0, "t20240115_1001", "html");</script>',
    ),
    "/zwgk/zfxxgknb_70772/202401/t20240115_1001_1.html": article(
        "某县2023年政府信息公开工作年度报告",
        '<a href="./P020240115.pdf">某县2023年年报.pdf</a>'
        '<script>createPageHTML(2, 1, "t20240115_1001", "html");</script>',
    ),
    "/zwgk/zfxxgknb_70772/202401/P020240115.pdf": (PDF_2023, "application/pdf"),
    "/zwgk/zfxxgknb_70772/202401/t20240116_1002.html": article("某县2023年住房公积金年度报告", ""),
    "/zwgk/zfxxgknb_70772/202301/t20230120_901.html": article(
        "某县2022年政府信息公开工作年度报告",
        '<a href="/module/download/downfile.jsp?classid=0&filename=2301201.docx">某县2022年年报.docx</a>'
        '<a href="./P020230120_missing.xls">统计表.xls</a>',
    ),
    "/module/download/downfile.jsp?classid=0&filename=2301201.docx": Redirect(
        "/files/2301201.docx"
    ),
    "/files/2301201.docx": (
        DOCX_2022,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        {"Content-Disposition": b'attachment; filename="' + GBK_NAME + b'"'},
    ),
    # GBK bytes under a wrong HTTP charset (the page's meta tag is right).
    "/zwgk/zfxxgknb_70772/xjyj/202401/t20240118_1003.html": (
        article(
            "县教育局2023年政府信息公开工作年度报告",
            '<a href="/files/jyj2023.pdf">附件</a><a href="/files/cut.pdf">附表（残缺）</a>',
        )
        .decode()
        .replace('charset="utf-8"', 'charset="gbk"')
        .encode("gbk"),
        "text/html; charset=utf-8",
    ),
    "/files/jyj2023.pdf": (PDF_JYJ, "application/pdf"),
    "/files/cut.pdf": Truncate(b"%PDF-1.4 only part of it", claimed=400),
}

NO_COLUMN_SITE: dict[str, Any] = {
    "/": page('<a href="/xwzx/">新闻中心</a><a href="/zwgk/zfgzbg/">政府工作报告</a>'),
    "/xwzx/": page("<p>新闻</p>"),
    "/files/reg2023.pdf": (b"%PDF-1.4 registry county 2023", "application/pdf"),
}
# Defeats discovery (opaque column, no name on the home page): fixed by registry data.
REGISTRY_SITE: dict[str, Any] = {
    "/": page('<a href="/c/x19/">更多</a>'),
    "/c/x19/": page(
        '<ul class="list"><li><a href="/c/x19/d/88121.html">丙县2023年政府信息公开工作年度报告</a></li></ul>'
        '<div class="side"><a href="/c/x20/d/555.html">丙县2021年政府信息公开工作年度报告（旧站）</a></div>'
    ),
    "/c/x19/d/88121.html": "ARTICLE",  # filled in with the file host's URL at serve time
    "/c/x20/d/555.html": article("丙县2021年政府信息公开工作年度报告（旧站）", ""),
}
EMPTY_COLUMN_SITE: dict[str, Any] = {
    "/": page('<a href="/xxgk/xxgknb/">信息公开年报</a>'),
    "/xxgk/xxgknb/": page(
        '<ul class="list"><li><a href="/xxgk/tzgg/t20240101_5.html">关于春节放假的通知</a></li></ul>'
    ),
}
CHALLENGE_SCRIPT = (
    '<html><head><script>document.cookie="__jsl_clearance_s=passed; path=/";'
    "location.reload();</script></head><body></body></html>"
)
BROWSER_SITE: dict[str, Any] = {
    "/": page('<a href="/col/col88/index.html">政府信息公开年报</a>'),
    "/col/col88/index.html": page(
        '<ul id="list"></ul><script>var items=[["/art/2024/1/9/art_88_1.html","某区2023年政府信息公开工作年度报告"]];'
        'for (var i of items){var li=document.createElement("li");'
        "li.innerHTML='<a href=\"'+i[0]+'\">'+i[1]+'</a>';document.getElementById(\"list\").appendChild(li);}</script>"
    ),
    "/art/2024/1/9/art_88_1.html": article(
        "某区2023年政府信息公开工作年度报告", '<a href="/files/qu2023.pdf">附件</a>'
    ),
    "/files/qu2023.pdf": (b"%PDF-1.4 district 2023", "application/pdf"),
}


def challenge_gate(request: Request) -> Status | None:
    """The anti-bot challenge: every page but robots.txt until the clearance cookie is set."""
    if request.path == "/robots.txt" or "__jsl_clearance_s=passed" in (
        request.headers.get("Cookie") or ""
    ):
        return None
    return Status(521, body=CHALLENGE_SCRIPT.encode())


def hanweb_proxy(request: Request) -> Any:
    """Hanweb's dataproxy.jsp: records `startrecord`..`endrecord` of the column, as XML."""
    query = dict(parse_qsl(urlsplit(request.path).query))
    query.update(dict(parse_qsl(request.form)))
    if query.get("columnid") != "1229001" or query.get("unitid") != "5001":
        return Status(400, body=b"missing columnid/unitid")
    start, end = int(query["startrecord"]), int(query["endrecord"])
    records = HANWEB_PROXY_RECORDS[start - 3 : end - 2]  # records 3 and 4 of 4
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>4</totalrecord>'
        f"<recordset>{''.join(records)}</recordset></datastore>"
    ).encode()
    return (body, "text/xml; charset=utf-8")


def serve(site: dict[str, Any], challenge: bool = False) -> PortalServer:
    return PortalServer(
        site,
        headers={"Last-Modified": LAST_MODIFIED},
        gate=challenge_gate if challenge else None,
    )


@pytest.fixture
def sites() -> Iterator[dict[str, PortalServer]]:
    none = serve(NO_COLUMN_SITE)
    file_host = none.url.rstrip("/")
    registry_site = {
        **REGISTRY_SITE,
        "/c/x19/d/88121.html": article(
            "丙县2023年政府信息公开工作年度报告",
            f'<a href="{file_host}/files/reg2023.pdf">附件</a>',
        ),
    }
    new_home = serve(GENERIC_SITE)
    new_home_url = new_home.url
    servers = {
        "new_home": new_home,
        "moved": serve({"/": Redirect(new_home_url)}),
        "trs": serve(TRS_SITE),
        "none": none,
        "registry": serve(registry_site),
        "empty": serve(EMPTY_COLUMN_SITE),
        "browser": serve(BROWSER_SITE, challenge=True),
    }
    yield servers
    for server in servers.values():
        server.stop()


def add_portals(
    engine: Engine, homes: dict[str, str], extra: dict[str, dict[str, Any]]
) -> dict[str, int]:
    return local_crawl.add_portals(engine, homes, "测试省", extra=extra)


def crawl(
    engine: Engine,
    database_url: str,
    data_dir: Path,
    portal_ids: list[int],
    since_year: int | None = None,
    **settings: Any,
) -> int:
    run_id = new_run(engine, "scrape")
    code = run_crawl(
        database_url,
        data_dir,
        portal_ids,
        run_id,
        since_year=since_year,
        settings={**FAST, **settings},
    )
    assert code == 0, f"crawl subprocess exited with {code}"
    return run_id


def reports_of(engine: Engine, portal_id: int) -> dict[str, Report]:
    with session_scope(engine) as session:
        return {
            r.url: r for r in session.scalars(select(Report).where(Report.portal_id == portal_id))
        }


def documents_of(engine: Engine, report: Report) -> list[VersionDocument]:
    with session_scope(engine) as session:
        version = session.scalars(
            select(ReportVersion)
            .where(ReportVersion.report_id == report.id)
            .order_by(ReportVersion.id.desc())
        ).first()
        return list(
            session.scalars(
                select(VersionDocument)
                .where(VersionDocument.version_id == version.id)
                .order_by(VersionDocument.position)
            )
        )


def portal_run(engine: Engine, run_id: int, portal_id: int) -> PortalRun:
    with session_scope(engine) as session:
        return session.scalars(
            select(PortalRun).where(PortalRun.run_id == run_id, PortalRun.portal_id == portal_id)
        ).one()


def test_crawl_local_portals(
    engine: Engine, database_url: str, tmp_path: Path, sites: dict
) -> None:
    homes = {name: server.url for name, server in sites.items()}
    new_home = homes.pop("new_home")  # reached only through the moved portal's redirect
    none_host = homes["none"].split("//")[1].rstrip("/")
    ids = add_portals(
        engine,
        homes,
        {
            "registry": {
                "column_urls": [homes["registry"] + "c/x19/"],
                "selectors": {"list": "ul.list"},
                "allowed_hosts": [none_host],
                "family": "generic",
            }
        },
    )
    blobs = BlobStore(tmp_path / "blobs")
    run_id = crawl(engine, database_url, tmp_path, list(ids.values()))

    # TRS-like county: three reports over two list pages and a body sub-column; the
    # 住房公积金 report in the same column and the 网站年度报表 column are not taken.
    trs = homes["trs"]
    col = trs + "zwgk/zfxxgknb_70772/"
    found = reports_of(engine, ids["trs"])
    assert {url: r.year for url, r in found.items()} == {
        col + "202401/t20240115_1001.html": 2023,
        col + "202301/t20230120_901.html": 2022,
        col + "xjyj/202401/t20240118_1003.html": 2023,
    }
    jyj = found[col + "xjyj/202401/t20240118_1003.html"]
    assert "教育局" in jyj.agency
    assert jyj.title == "县教育局2023年政府信息公开工作年度报告"  # GBK page, wrong header
    docs = {
        r.year * 10 + i: d
        for r in found.values()
        for i, d in enumerate(documents_of(engine, r))
        if "教育局" not in r.agency
    }
    jyj_docs = documents_of(engine, found[col + "xjyj/202401/t20240118_1003.html"])
    # Every document's blob re-hashes to its recorded sha256; attachments are the real bytes.
    for doc in [*docs.values(), *jyj_docs]:
        assert hashlib.sha256(blobs.path(doc.sha256).read_bytes()).hexdigest() == doc.sha256
    assert [d.role for d in jyj_docs] == ["page", "attachment"]
    docs_2023 = documents_of(engine, found[col + "202401/t20240115_1001.html"])
    assert [(d.role, d.url.removeprefix(col)) for d in docs_2023] == [
        ("page", "202401/t20240115_1001.html"),
        ("page", "202401/t20240115_1001_1.html"),
        ("attachment", "202401/P020240115.pdf"),
    ]
    assert blobs.get(docs_2023[2].sha256) == PDF_2023
    assert blobs.get(jyj_docs[1].sha256) == PDF_JYJ  # the truncated 附表 is not a document
    docs_2022 = documents_of(engine, found[col + "202301/t20230120_901.html"])
    assert [(d.role, d.url) for d in docs_2022] == [
        ("page", col + "202301/t20230120_901.html"),
        ("attachment", trs + "module/download/downfile.jsp?classid=0&filename=2301201.docx"),
    ]
    assert docs_2022[1].final_url == trs + "files/2301201.docx"
    assert blobs.get(docs_2022[1].sha256) == DOCX_2022

    with session_scope(engine) as session:
        fetches = list(session.scalars(select(Fetch).where(Fetch.run_id == run_id)))
    by_url: dict[str, list[Fetch]] = {}
    for f in fetches:
        by_url.setdefault(f.url, []).append(f)
    # The downloader's 302 hop and the file it led to are both recorded, with the GBK filename kept.
    hop = [
        f
        for f in by_url[trs + "module/download/downfile.jsp?classid=0&filename=2301201.docx"]
        if f.status == 302
    ]
    assert hop and hop[0].final_url == trs + "files/2301201.docx"
    final = [
        f
        for f in by_url[trs + "module/download/downfile.jsp?classid=0&filename=2301201.docx"]
        if f.status == 200
    ][0]
    assert final.complete and final.sha256 == docs_2022[1].sha256 and final.via == "http"
    # Header bytes are kept losslessly (latin-1), so the GBK filename can be read back.
    assert GBK_NAME in final.response_headers["Content-Disposition"].encode("latin-1")
    cut = by_url[trs + "files/cut.pdf"]
    assert cut and all(not f.complete and f.sha256 is None for f in cut)
    assert (
        trs + "zwgk/zfxxgknb_70772/202401/t20240116_1002.html" not in by_url
    )  # 公积金 not fetched
    assert not any("wzndbb" in u for u in by_url)
    assert not any("mirror.invalid" in u for u in by_url)
    assert all(f.request_headers.get("User-Agent") for f in fetches if f.via == "http")

    # A 429 with Retry-After is recorded and the list retried after it.
    statuses = [f.status for f in sorted(by_url[col + "xjyj/"], key=lambda f: f.id)]
    assert statuses == [429, 200]

    trs_run = portal_run(engine, run_id, ids["trs"])
    # Every report stored, but two of their attachments never arrived: partial, not ok.
    assert trs_run.outcome == "partial" and trs_run.reports_found == 3
    reasons = [f["reason"] for f in trs_run.failures]
    assert all(f.get("coverage") for f in trs_run.failures[:2]), trs_run.failures
    assert any("HTTP 404" in r or "404" in r for r in reasons), reasons  # the missing .xls
    assert any("truncated" in r for r in reasons), reasons

    # Portals that yield nothing are failures with their reason, never empty successes.
    none_run = portal_run(engine, run_id, ids["none"])
    assert none_run.outcome == "failed" and none_run.failures[0]["reason"] == "no 年报 column found"
    empty_run = portal_run(engine, run_id, ids["empty"])
    assert empty_run.outcome == "failed"
    assert empty_run.failures[0]["reason"] == "column found but no report links"

    # Challenge host with a script-filled list: passed in Chromium, remembered in the registry,
    # the attachment fetched over plain HTTP with the browser's cookie.
    district = reports_of(engine, ids["browser"])
    browser_home = homes["browser"]
    assert {u: r.year for u, r in district.items()} == {
        browser_home + "art/2024/1/9/art_88_1.html": 2023
    }
    with session_scope(engine) as session:
        assert session.get(Portal, ids["browser"]).needs_browser is True
        assert session.get(Portal, ids["trs"]).needs_browser is False
        assert session.get(Portal, ids["trs"]).family == "trs"
        vias = {
            f.url: f.via
            for f in session.scalars(
                select(Fetch).where(Fetch.portal_id == ids["browser"], Fetch.status == 200)
            )
        }
    assert vias[browser_home + "col/col88/index.html"] == "browser"
    assert vias[browser_home + "files/qu2023.pdf"] == "http"
    cookies = [h.get("Cookie") for _t, p, h in sites["browser"].log if p == "/files/qu2023.pdf"]
    assert "__jsl_clearance_s=passed" in cookies

    # Registry data fixes a portal discovery cannot: its column URL, the list's container,
    # and a second host it keeps files on.
    reg = reports_of(engine, ids["registry"])
    assert {u: r.year for u, r in reg.items()} == {homes["registry"] + "c/x19/d/88121.html": 2023}
    reg_docs = documents_of(engine, next(iter(reg.values())))
    assert [d.url for d in reg_docs][1:] == [homes["none"] + "files/reg2023.pdf"]

    # A portal whose home page redirects to a new host is followed there.
    moved = reports_of(engine, ids["moved"])
    assert sorted(moved) == [new_home + "zwgk/nb/c/3101.html", new_home + "zwgk/nb/c/3301.html"]

    # A second crawl asks conditionally: 304s are recorded, no new version is made.
    with session_scope(engine) as session:
        versions_before = session.scalar(
            select(ReportVersion.id).order_by(ReportVersion.id.desc()).limit(1)
        )
    run2 = crawl(engine, database_url, tmp_path, [ids["trs"]])
    with session_scope(engine) as session:
        second = list(session.scalars(select(Fetch).where(Fetch.run_id == run2)))
        versions_after = session.scalar(
            select(ReportVersion.id).order_by(ReportVersion.id.desc()).limit(1)
        )
    not_modified = {f.url for f in second if f.status == 304}
    assert col + "202401/t20240115_1001.html" in not_modified
    assert col + "202401/P020240115.pdf" in not_modified
    assert all(f.not_modified for f in second if f.status == 304)
    assert all(f.request_headers.get("If-None-Match") for f in second if f.status == 304)
    assert versions_after == versions_before
    assert portal_run(engine, run2, ids["trs"]).reports_found == 3


# --- one local portal per content-system family -------------------------------------------

HEX_A = "5f3a1b2c3d4e5f6a7b8c9d0e"
HEX_B = "6a1b2c3d4e5f6a7b8c9d0e1f"
HEX_C = "7b1b2c3d4e5f6a7b8c9d0e2a"


def report_page(title: str, pdf_path: str) -> bytes:
    return article(title, f'<a href="{pdf_path}">{title}.pdf</a>')


def hanweb_record(href: str, title: str) -> str:
    return f'<record><![CDATA[<li><a href="{href}" title="{title}">{title}</a><span>2024-01-02</span></li>]]></record>'


HANWEB_SITE: dict[str, Any] = {
    "/": page('<a href="/col/col1229001/index.html">信息公开年报</a>'),
    "/col/col1229001/index.html": page(
        '<div id="288"><script type="text/xml"><datastore>'
        '<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=31&path=/&columnid=1229001&unitid=5001&webname=%E6%9F%90%E5%8E%BF&permissiontype=0"></a>]]></nextgroup>'
        "<recordset>"
        + hanweb_record("/art/2024/1/2/art_1229001_1.html", "甲县2023年政府信息公开工作年度报告")
        + hanweb_record("/art/2024/1/3/art_1229001_2.html", "甲县2023年住房公积金年度报告")
        + "</recordset></datastore></script></div>"
        "<script>var pager = {totalRecord: 4, perpage: 15};</script><totalrecord>4</totalrecord>"
    ),
    "/module/web/jpage/dataproxy.jsp": Computed(hanweb_proxy),
    "/module/web/jpage/dataproxy.jsp?*": Computed(hanweb_proxy),
    "/art/2024/1/2/art_1229001_1.html": report_page(
        "甲县2023年政府信息公开工作年度报告", "/picture/0/a1.pdf"
    ),
    "/art/2023/1/5/art_1229001_3.html": report_page(
        "甲县2022年政府信息公开工作年度报告", "/picture/0/a2.pdf"
    ),
    "/art/2022/1/5/art_1229001_4.html": report_page(
        "甲县民政局2021年政府信息公开工作年度报告", "/picture/0/a3.pdf"
    ),
    "/picture/0/a1.pdf": pdf("hanweb 2023"),
    "/picture/0/a2.pdf": pdf("hanweb 2022"),
    "/picture/0/a3.pdf": pdf("hanweb 2021"),
}
HANWEB_PROXY_RECORDS = [
    hanweb_record("/art/2023/1/5/art_1229001_3.html", "甲县2022年政府信息公开工作年度报告"),
    hanweb_record("/art/2022/1/5/art_1229001_4.html", "甲县民政局2021年政府信息公开工作年度报告"),
]

LONSUN_SITE: dict[str, Any] = {
    "/": page('<a href="/public/column/6596111?type=3&action=list">政府信息公开年报</a>'),
    "/public/column/6596111?type=3&action=list": page(
        '<div class="left"><a href="/public/column/6596200?type=3&action=list">县财政局</a></div>'
        '<ul><li><a href="/public/6596111/1001.html">乙县2023年政府信息公开工作年度报告</a></li></ul>'
        '<div class="page">共 2 页 <a href="?type=3&action=list&pageIndex=2">下一页</a></div>'
    ),
    "/public/column/6596111?type=3&action=list&pageIndex=2": page(
        '<ul><li><a href="/public/6596111/1002.html">乙县2022年政府信息公开工作年度报告</a></li></ul>'
    ),
    "/public/column/6596200?type=3&action=list": page(
        '<ul><li><a href="/public/6596200/2001.html">2023年政府信息公开工作年度报告</a></li></ul>'
    ),
    "/public/6596111/1001.html": report_page(
        "乙县2023年政府信息公开工作年度报告", "/group1/l1.pdf"
    ),
    "/public/6596111/1002.html": report_page(
        "乙县2022年政府信息公开工作年度报告", "/group1/l2.pdf"
    ),
    "/public/6596200/2001.html": report_page("2023年政府信息公开工作年度报告", "/group1/l3.pdf"),
    "/group1/l1.pdf": pdf("lonsun 2023"),
    "/group1/l2.pdf": pdf("lonsun 2022"),
    "/group1/l3.pdf": pdf("lonsun finance 2023"),
}

VSB_SITE: dict[str, Any] = {
    "/": page('<a href="xxgk/xxgknb.htm">政府信息公开年报</a>'),
    "/xxgk/xxgknb.htm": page(
        '<ul><li><a href="../info/1043/5566.htm">丙县2023年政府信息公开工作年度报告</a></li></ul>'
        '<span class="p_next"><a href="xxgknb/2.htm">下页</a></span><span class="p_last"><a href="xxgknb/1.htm">尾页</a></span>'
    ),
    "/xxgk/xxgknb/2.htm": page(
        '<ul><li><a href="../../info/1043/5401.htm">丙县2022年政府信息公开工作年度报告</a></li></ul>'
    ),
    "/xxgk/xxgknb/1.htm": page(
        '<ul><li><a href="../../info/1043/5202.htm">丙县2021年政府信息公开工作年度报告</a></li></ul>'
    ),
    "/info/1043/5566.htm": report_page(
        "丙县2023年政府信息公开工作年度报告", "/system/_content/download.jsp?v1.pdf"
    ),
    "/info/1043/5401.htm": report_page("丙县2022年政府信息公开工作年度报告", "/files/v2.pdf"),
    "/info/1043/5202.htm": report_page("丙县2021年政府信息公开工作年度报告", "/files/v3.pdf"),
    "/system/_content/download.jsp?v1.pdf": pdf("vsb 2023"),
    "/files/v2.pdf": pdf("vsb 2022"),
    "/files/v3.pdf": pdf("vsb 2021"),
}

GKMLPT_SITE: dict[str, Any] = {
    "/": page('<a href="/gkmlpt/annualreport#2846">政府信息公开年报</a>'),
    "/gkmlpt/annualreport": page(
        '<div id="app"></div><script>window._CONFIG = {SID: "755041"};</script>'
    ),
    "/gkmlpt/api/all/2846?page=1&sid=755041": (
        json.dumps(
            {
                "articles": [
                    {
                        "title": "丁区2023年政府信息公开工作年度报告",
                        "url": "/gkmlpt/content/1/1/post_101.html",
                    },
                    {
                        "title": "丁区2023年政府网站工作年度报表",
                        "url": "/gkmlpt/content/1/1/post_102.html",
                    },
                ],
                "total": 3,
            },
            ensure_ascii=False,
        ).encode(),
        "application/json",
    ),
    "/gkmlpt/api/all/2846?page=2&sid=755041": (
        json.dumps(
            {
                "articles": [
                    {
                        "title": "丁区教育局2022年政府信息公开工作年度报告",
                        "url": "/gkmlpt/content/1/1/post_103.html",
                    }
                ],
                "total": 3,
            },
            ensure_ascii=False,
        ).encode(),
        "application/json",
    ),
    "/gkmlpt/content/1/1/post_101.html": report_page(
        "丁区2023年政府信息公开工作年度报告", "/attachment/0/g1.pdf"
    ),
    "/gkmlpt/content/1/1/post_103.html": report_page(
        "丁区教育局2022年政府信息公开工作年度报告", "/attachment/0/g3.pdf"
    ),
    "/attachment/0/g1.pdf": pdf("gkmlpt 2023"),
    "/attachment/0/g3.pdf": pdf("gkmlpt 2022"),
}

SHANDONG_SITE: dict[str, Any] = {
    "/": page(f'<a href="/gongkai/site_yyx/channel_{HEX_A}/">政府信息公开年报</a>'),
    f"/gongkai/site_yyx/channel_{HEX_A}/": page(
        '<ul id="docs"></ul><script>renderList([{"url": "/gongkai/site_yyx/channel_'
        + HEX_A
        + "/doc_"
        + HEX_B
        + '.html", "title": "戊县2023年政府信息公开工作年度报告"}, {"url": "/gongkai/site_yyx/channel_'
        + HEX_A
        + "/doc_"
        + HEX_C
        + '.html", "title": "戊县2022年政府信息公开工作年度报告"}]);</script>'
    ),
    f"/gongkai/site_yyx/channel_{HEX_A}/doc_{HEX_B}.html": report_page(
        "戊县2023年政府信息公开工作年度报告", "/module/s1.pdf"
    ),
    f"/gongkai/site_yyx/channel_{HEX_A}/doc_{HEX_C}.html": report_page(
        "戊县2022年政府信息公开工作年度报告", "/module/s2.pdf"
    ),
    "/module/s1.pdf": pdf("shandong 2023"),
    "/module/s2.pdf": pdf("shandong 2022"),
}

GENERIC_SITE: dict[str, Any] = {
    "/": page('<a href="/zwgk/">政务公开</a>'),
    "/zwgk/": page(
        '<a href="/zwgk/nb/list.html">政务信息公开年报</a><a href="/zwgk/tjgb/list.html">统计公报</a>'
    ),
    "/zwgk/nb/list.html": page(
        '<ul><li><a href="/zwgk/nb/c/3301.html">己县2023年政府信息公开工作年度报告</a></li></ul><a href="list_2.html">下一页</a>'
    ),
    "/zwgk/nb/list_2.html": page(
        '<ul><li><a href="/zwgk/nb/c/3101.html">己县2022年政府信息公开工作年度报告</a></li></ul>'
    ),
    "/zwgk/nb/c/3301.html": report_page("己县2023年政府信息公开工作年度报告", "/upload/e1.pdf"),
    "/zwgk/nb/c/3101.html": report_page("己县2022年政府信息公开工作年度报告", "/upload/e2.pdf"),
    "/upload/e1.pdf": pdf("generic 2023"),
    "/upload/e2.pdf": pdf("generic 2022"),
}

FAMILY_SITES: dict[str, tuple[dict[str, Any], dict[str, int]]] = {
    "hanweb": (
        HANWEB_SITE,
        {
            "/art/2024/1/2/art_1229001_1.html": 2023,
            "/art/2023/1/5/art_1229001_3.html": 2022,
            "/art/2022/1/5/art_1229001_4.html": 2021,
        },
    ),
    "lonsun": (
        LONSUN_SITE,
        {
            "/public/6596111/1001.html": 2023,
            "/public/6596111/1002.html": 2022,
            "/public/6596200/2001.html": 2023,
        },
    ),
    "vsb": (
        VSB_SITE,
        {"/info/1043/5566.htm": 2023, "/info/1043/5401.htm": 2022, "/info/1043/5202.htm": 2021},
    ),
    "gkmlpt": (
        GKMLPT_SITE,
        {"/gkmlpt/content/1/1/post_101.html": 2023, "/gkmlpt/content/1/1/post_103.html": 2022},
    ),
    "shandong": (
        SHANDONG_SITE,
        {
            f"/gongkai/site_yyx/channel_{HEX_A}/doc_{HEX_B}.html": 2023,
            f"/gongkai/site_yyx/channel_{HEX_A}/doc_{HEX_C}.html": 2022,
        },
    ),
    "generic": (GENERIC_SITE, {"/zwgk/nb/c/3301.html": 2023, "/zwgk/nb/c/3101.html": 2022}),
}


@pytest.fixture(scope="module")
def family_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """All family portals crawled once, in one subprocess."""
    servers = {family: serve(site) for family, (site, _expected) in FAMILY_SITES.items()}
    homes = {family: server.url for family, server in servers.items()}
    with crawled(tmp_path_factory.mktemp("families"), servers, homes, "测试省", FAST) as ctx:
        yield {**ctx, "homes": homes}


@pytest.mark.parametrize("family", list(FAMILY_SITES))
def test_family_portal_reports(family: str, family_crawl: dict[str, Any]) -> None:
    engine, home = family_crawl["engine"], family_crawl["homes"][family]
    portal_id = family_crawl["ids"][family]
    site, expected = FAMILY_SITES[family]
    found = reports_of(engine, portal_id)
    # Exactly the expected reports (URL and year): no distractor, nothing missed.
    assert {url.removeprefix(home.rstrip("/")): r.year for url, r in found.items()} == expected
    # Every report has its page and its attachment, and each blob re-hashes to its sha256.
    for report in found.values():
        docs = documents_of(engine, report)
        assert [d.role for d in docs] == ["page", "attachment"], report.url
        path = docs[1].url.removeprefix(home.rstrip("/"))
        assert family_crawl["blobs"].get(docs[1].sha256) == site[path][0]
        for doc in docs:
            data = family_crawl["blobs"].path(doc.sha256).read_bytes()
            assert hashlib.sha256(data).hexdigest() == doc.sha256
    # Distractors (公积金, 网站年度报表, 统计公报) were never even fetched.
    requested = family_crawl["servers"][family].paths()
    assert not any(
        p in requested
        for p in (
            "/art/2024/1/3/art_1229001_2.html",
            "/gkmlpt/content/1/1/post_102.html",
            "/zwgk/tjgb/list.html",
        )
    )
    with session_scope(engine) as session:
        portal = session.get(Portal, portal_id)
        assert portal.family == family
    run = portal_run(engine, family_crawl["run_id"], portal_id)
    assert run.outcome == "ok" and run.reports_found == len(expected)


# --- the local portal world (harvester/world/) ----------------------------------------------

WORLD_FAMILIES = ("trs", "hanweb", "lonsun", "vsb", "shandong", "gkmlpt", "generic")


@pytest.fixture(scope="module")
def world_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    world_module = pytest.importorskip(
        "harvester.world", reason="the local portal world is not installed"
    )
    world = world_module.start_world()
    try:
        data_dir = tmp_path_factory.mktemp("world")
        database_url, engine = fresh_database(data_dir)
        ids: dict[int, int] = {}
        with session_scope(engine) as session:
            for index, spec in enumerate(world.portals):
                # The family and whether a browser is needed: the crawl finds them out.
                portal = Portal(province="世界省", county=spec.county, home_url=spec.home_url)
                session.add(portal)
                session.flush()
                ids[index] = portal.id
        run_id = crawl(engine, database_url, data_dir, list(ids.values()))
        blobs = BlobStore(data_dir / "blobs")
        yield {"world": world, "engine": engine, "ids": ids, "run_id": run_id, "blobs": blobs}
        engine.dispose()
    finally:
        stop = getattr(world, "stop", None) or getattr(world, "close", None)
        if stop:
            stop()


@pytest.mark.parametrize("family", WORLD_FAMILIES)
def test_world_family(family: str, world_crawl: dict[str, Any]) -> None:
    world, engine = world_crawl["world"], world_crawl["engine"]
    specs = [(i, p) for i, p in enumerate(world.portals) if p.family == family]
    if not specs:
        pytest.skip(f"the world has no {family} portal")
    for index, spec in specs:
        portal_id = world_crawl["ids"][index]
        found = reports_of(engine, portal_id)
        expected = spec.expected_pairs()
        got = {(r.agency, r.year) for r in found.values()}
        assert got == expected, (
            f"{family} portal {spec.county}: expected {sorted(expected)}, found {sorted(got)}"
        )
        for report in found.values():
            for doc in documents_of(engine, report):
                data = world_crawl["blobs"].path(doc.sha256).read_bytes()
                assert hashlib.sha256(data).hexdigest() == doc.sha256, doc.url
        run = portal_run(engine, world_crawl["run_id"], portal_id)
        if expected:
            assert run.outcome == "ok", run.failures
        else:
            assert run.outcome == "failed" and run.failures[0]["reason"], run.failures


def test_since_year_takes_only_newer_reports(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    with serve(GENERIC_SITE) as server:
        ids = add_portals(engine, {"generic": server.url}, {})
        run_id = crawl(engine, database_url, tmp_path, [ids["generic"]], since_year=2023)
    assert {r.year for r in reports_of(engine, ids["generic"]).values()} == {2023}
    assert "/zwgk/nb/c/3101.html" not in server.paths()  # the 2022 report is not fetched
    assert portal_run(engine, run_id, ids["generic"]).outcome == "ok"


SECTIONS = ("proactive", "applications", "review_litigation")


def test_world_seed_reports_carry_the_seed_numbers(world_crawl: dict[str, Any]) -> None:
    """Crawled, normalised and parsed, each seed report in the world gives exactly the
    numbers of the real report (every cell of sections 二, 三 and 四)."""
    from harvester.parser import parse_text
    from harvester.processing import process_versions
    from harvester.summary import latest_parse
    from harvester.world.catalog import PROFILES
    from harvester.world.seed_reports import seed_text

    engine, blobs = world_crawl["engine"], world_crawl["blobs"]
    with session_scope(engine) as session:
        process_versions(session, blobs, list(session.scalars(select(ReportVersion))))
    seeds = [(p.county, p.seed) for p in PROFILES if p.seed is not None]
    assert len(seeds) == 5
    for county, seed in seeds:
        text = seed_text(seed.seed)
        truth = parse_text(text)
        with session_scope(engine) as session:
            report = session.scalars(
                select(Report)
                .join(Portal, Portal.id == Report.portal_id)
                .where(
                    Portal.county == county, Report.agency == seed.agency, Report.year == seed.year
                )
            ).one()
            version = session.scalars(
                select(ReportVersion).where(ReportVersion.report_id == report.id)
            ).one()
            record = latest_parse(session, version.id).record
        for section in SECTIONS:
            assert record.get(section) == truth.get(section), (county, seed.seed, section)
        assert record["era"] == truth["era"]
        if "zip" in seed.formats:  # 大荔县: an OFD and a ZIP of the DOCX and the PDF
            _assert_ofd_and_zip(record, blobs, seed.title)


def _assert_ofd_and_zip(record: dict[str, Any], blobs: BlobStore, title: str) -> None:
    import io
    import zipfile

    attached = [d for d in record["documents"] if d["role"] == "attachment"]
    files = [d for d in attached if not d.get("archive")]
    members = [d for d in attached if d.get("archive")]
    names = {
        d["sha256"]: sorted(zipfile.ZipFile(io.BytesIO(blobs.get(d["sha256"]))).namelist())
        for d in files
    }
    (ofd,) = [sha for sha, n in names.items() if "OFD.xml" in n]
    (archive,) = [sha for sha, n in names.items() if "OFD.xml" not in n]
    paths = [f"{title}/{title}.docx", f"{title}/{title}.pdf"]
    assert names[archive] == paths
    assert sorted(m["archive"]["path"] for m in members) == paths
    stored = zipfile.ZipFile(io.BytesIO(blobs.get(archive)))
    for member in members:
        assert member["archive"]["sha256"] == archive
        data = stored.read(member["archive"]["path"])  # its own digest, its path as provenance
        assert hashlib.sha256(data).hexdigest() == member["sha256"]
        assert data[:4] in (b"PK\x03\x04", b"%PDF")
    assert ofd != archive


def test_browser_portal_still_reads_its_json_list_api(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """A portal the registry marks as needing the browser: its pages are rendered in
    Chromium, but its list API (gkmlpt JSON) is fetched as data, and every report found."""
    from harvester.world import start_world

    world = start_world(cache_dir=tmp_path / "world", generated=6, base=False, special=False)
    try:
        spec = next(p for p in world.portals if p.family == "gkmlpt")
        with session_scope(engine) as session:
            portal = Portal(
                province="世界省", county=spec.county, home_url=spec.home_url, needs_browser=True
            )
            session.add(portal)
            session.flush()
            portal_id = portal.id
        run_id = crawl(engine, database_url, tmp_path, [portal_id])
    finally:
        world.stop()
    found = {(r.agency, r.year) for r in reports_of(engine, portal_id).values()}
    assert found == spec.expected_pairs()
    assert portal_run(engine, run_id, portal_id).outcome == "ok"
    with session_scope(engine) as session:
        via = set(session.scalars(select(Fetch.via).where(Fetch.run_id == run_id)))
    assert via == {"browser", "http"}  # pages in Chromium, the JSON API over HTTP
