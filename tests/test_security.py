"""Security of the crawl: what it follows, how much it reads, what it never does with names,
XML it never expands, and database passwords it never shows."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from local_crawl import FAST, crawled, fetches, reasons, run_of
from portal_server import (
    Gzip,
    NoLength,
    PortalServer,
    Redirect,
    article,
    county_site,
    page,
    pdf,
)
from scrapy import Spider
from scrapy.crawler import Crawler
from sqlalchemy import select
from sqlalchemy.engine import Engine

from harvester.crawling import crawl_command, crawl_env
from harvester.discovery import host_allowed
from harvester.storage.db import mask_url, session_scope
from harvester.storage.models import Blob, Fetch, Portal, Report, VersionDocument
from spiders.families import API_WALKERS

SETTINGS = {
    **FAST,
    "RETRY_TIMES": 1,
    "DOWNLOAD_TIMEOUT": 3,
    "DOWNLOAD_MAXSIZE": 1 << 20,  # 1 MB
    "DOWNLOAD_WARNSIZE": 1 << 19,
}
EVIL_NAME = b"attachment; filename=\"../../etc/passwd\"; filename*=UTF-8''..%2F..%2Fevil.sh"
BIG = b"%PDF-1.4\n" + b"1" * (2 << 20)  # 2 MB, over the limit
PRIVATE_LINKS = (
    '<a href="file:///etc/passwd">附件.pdf</a>'
    '<a href="ftp://127.0.0.1/report.pdf">附件.pdf</a>'
    '<a href="http://169.254.169.254/latest/meta-data/report.pdf">附件.pdf</a>'
    '<a href="http://10.20.30.40/report.pdf">附件.pdf</a>'
    '<a href="/go/metadata.pdf">附件.pdf</a>'
    '<a href="/go/file.pdf">附件.pdf</a>'
    '<a href="/go/local.pdf">附件.pdf</a>'
    '<a href="/go/port.pdf">附件.pdf</a>'
)


def billion_laughs(records: str) -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{"&lol{};".format(i - 1 if i > 1 else "") * 10}">' for i in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE datastore [{entities}]>'
        f"<datastore><totalrecord>1</totalrecord><recordset>{records}&lol9;</recordset></datastore>"
    ).encode()


def hanweb_record(href: str, title: str) -> str:
    return (
        f'<record><![CDATA[<li><a href="{href}" title="{title}">{title}&lol9;</a></li>]]></record>'
    )


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One crawl: a hostile portal, a portal whose registry row is on `localhost`, and a
    Hanweb portal whose list answers are billion-laughs XML."""
    data_dir = tmp_path_factory.mktemp("secure") / "data"
    inner = PortalServer(county_site("内网县"))  # reachable only as localhost
    local = f"http://localhost:{inner.port}"
    hostile = county_site("恶意县")
    hostile["/nb/2023.html"] = article("恶意县2023年政府信息公开工作年度报告", PRIVATE_LINKS)
    hostile["/nb/"] = page(
        '<ul class="list">'
        '<li><a href="/nb/2023.html">恶意县2023年政府信息公开工作年度报告</a></li>'
        '<li><a href="/nb/2022.html">恶意县2022年政府信息公开工作年度报告</a></li>'
        f'<li><a href="{local}/nb/2023.html">内网县2023年政府信息公开工作年度报告</a></li>'
        '<li><a href="http://www.other-county.gov.cn/nb/1.html">他县2023年政府信息公开工作年度报告</a></li>'
        "</ul>"
    )
    hostile["/nb/2022.html"] = article(
        "恶意县2022年政府信息公开工作年度报告",
        '<a href="/files/evil.pdf">附件一</a><a href="/files/big.pdf">附件二</a>'
        '<a href="/files/stream.pdf">附件三</a><a href="/files/bomb.pdf">附件四</a>',
    )
    hostile["/go/metadata.pdf"] = Redirect("http://169.254.169.254/latest/meta-data/")
    hostile["/go/file.pdf"] = Redirect("file:///etc/passwd")
    hostile["/go/local.pdf"] = Redirect(f"{local}/files/2023.pdf")
    trap = PortalServer({"/files/x.pdf": pdf("other port")})  # same host, another port
    hostile["/go/port.pdf"] = Redirect(f"{trap.url}files/x.pdf")
    hostile["/files/evil.pdf"] = (*pdf("evil name"), {"Content-Disposition": EVIL_NAME})
    hostile["/files/big.pdf"] = (BIG, "application/pdf")
    hostile["/files/stream.pdf"] = NoLength(BIG)
    hostile["/files/bomb.pdf"] = Gzip(bomb=64 << 20, content_type="application/pdf")
    hanweb = {
        "/": page('<a href="/col/col1229001/index.html">信息公开年报</a>'),
        "/col/col1229001/index.html": page(
            '<div id="288"><script type="text/xml"><datastore>'
            '<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=31'
            '&path=/&columnid=1229001&unitid=5001&permissiontype=0"></a>]]></nextgroup>'
            "<recordset></recordset></datastore></script></div>"
            "<totalrecord>60</totalrecord>"
        ),
        "/module/web/jpage/dataproxy.jsp?*": (
            billion_laughs(
                hanweb_record("/art/2024/1/2/art_1.html", "笑县2023年政府信息公开工作年度报告")
            ),
            "text/xml; charset=utf-8",
        ),
        "/art/2024/1/2/art_1.html": article(
            "笑县2023年政府信息公开工作年度报告", '<a href="/files/x.pdf">附件</a>'
        ),
        "/files/x.pdf": pdf("xml county"),
    }
    servers = {
        "hostile": PortalServer(hostile),
        "inner": inner,
        "hanweb": PortalServer(hanweb),
        "trap": trap,
    }
    homes = {
        "hostile": servers["hostile"].url,
        "inner": f"{local}/",
        "hanweb": servers["hanweb"].url,
    }
    with crawled(data_dir, servers, homes, "安全省", SETTINGS) as ctx:
        yield ctx


def fetched(ctx: dict[str, Any], suffix: str) -> list[Fetch]:
    return fetches(ctx, "hostile", suffix)


def test_host_policy_unit() -> None:
    home = "http://www.shouxian.gov.cn/"
    assert host_allowed("http://www.shouxian.gov.cn/a.html", home)
    assert host_allowed("http://xxgk.shouxian.gov.cn/nb/1.html", home)  # gov.cn sibling
    assert host_allowed("https://zwfw.ah.gov.cn/f.pdf", home, ["zwfw.ah.gov.cn"])  # named platform
    assert not host_allowed("http://www.feixi.gov.cn/nb/1.html", home)  # another county
    assert not host_allowed("http://www.shouxian.gov.cn.spam.com/nb/", home)
    assert not host_allowed("http://127.0.0.1/nb/", home)
    assert not host_allowed("http://169.254.169.254/latest/", home)
    assert not host_allowed("file:///etc/passwd", home)
    assert not host_allowed("ftp://www.shouxian.gov.cn/a.pdf", home)


def test_only_own_hosts_followed(secure: dict[str, Any]) -> None:
    inner = secure["servers"]["inner"]
    # The hostile portal's link to the other (localhost) portal's report is not followed from
    # the hostile portal, and no redirect from it reaches localhost.
    inner_paths_by_hostile = [
        f.url for f in fetched(secure, ".html") + fetched(secure, ".pdf") if "localhost" in f.url
    ]
    assert inner_paths_by_hostile == []
    with session_scope(secure["engine"]) as session:
        hostile_urls = [
            f.url
            for f in session.scalars(
                select(Fetch).where(Fetch.portal_id == secure["ids"]["hostile"])
            )
        ]
    assert not any(u.startswith(("file:", "ftp:")) for u in hostile_urls)
    assert not any(
        "169.254" in u or "10.20.30.40" in u or "other-county" in u for u in hostile_urls
    )
    got = reasons(secure, "hostile")
    # file: and ftp: links are not even candidates; http links off the portal are refused.
    for target in ("169.254.169.254", "10.20.30.40"):
        assert any(
            r["reason"] == "attachment on a foreign host not followed"
            and target in r.get("url", "")
            for r in run_of(secure, "hostile").failures
        ), (target, got)
    # The registry row of the localhost portal points there: that portal is crawled.
    with session_scope(secure["engine"]) as session:
        years = set(
            session.scalars(select(Report.year).where(Report.portal_id == secure["ids"]["inner"]))
        )
    assert years == {2022, 2023}
    assert inner.hits["/files/2023.pdf"] == 1  # its own crawl only, never via the redirect


def test_redirects_to_private_addresses_and_other_schemes_refused(secure: dict[str, Any]) -> None:
    failures = {f.get("url", ""): f["reason"] for f in run_of(secure, "hostile").failures}
    home = secure["servers"]["hostile"].url
    assert "redirect to a file: URL refused" in failures[home + "go/file.pdf"]
    assert "private address 169.254.169.254:80 refused" in failures[home + "go/metadata.pdf"]
    # A redirect off the portal's hosts (here to another portal on localhost) is refused.
    assert "redirect off the portal's hosts refused" in failures[home + "go/local.pdf"]
    # Another port of the portal's own private host is another address: refused.
    assert "redirect to the private address 127.0.0.1:" in failures[home + "go/port.pdf"]
    assert secure["servers"]["trap"].log == []  # never contacted
    hops = fetched(secure, "/go/local.pdf")
    assert hops and all(f.status == 302 for f in hops)


def test_resolver_refuses_private_addresses_of_unlisted_names(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    from twisted.internet.error import DNSLookupError

    from harvester.crawl.context import CrawlContext, attach_context
    from harvester.crawl.resolver import GuardedResolver, is_private_address, is_reserved_name

    class Process:  # what Scrapy builds the resolver with: an owner of crawlers
        def __init__(self, *homes: str) -> None:
            with session_scope(engine) as session:
                portals = [Portal(province="测试省", county=f"{h}县", home_url=h) for h in homes]
                session.add_all(portals)
                session.flush()
                ids = [p.id for p in portals]
            self.crawler = Crawler(Spider)
            self.crawlers = [self.crawler]
            attach_context(self.crawler, CrawlContext(database_url, tmp_path, 0, ids))

    resolver = GuardedResolver.__new__(GuardedResolver)
    resolver.crawler = Process("http://a.gov.cn/")
    for address in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "192.168.0.1", "::1", "0.0.0.0"):
        assert is_private_address(address)
        with pytest.raises(DNSLookupError, match="private address"):
            resolver._check(address, "evil.a.gov.cn")
    assert resolver._check("59.203.1.1", "www.a.gov.cn") == "59.203.1.1"
    resolver.crawler = Process("http://localhost:8/")
    assert resolver._check("127.0.0.1", "localhost") == "127.0.0.1"  # the registry row is there
    assert is_reserved_name("files.example.invalid") and not is_reserved_name("invalid.gov.cn")


def test_download_size_limits(secure: dict[str, Any]) -> None:
    failures = {f.get("url", ""): f["reason"] for f in run_of(secure, "hostile").failures}
    home = secure["servers"]["hostile"].url
    for name in ("big.pdf", "stream.pdf"):
        rows = fetched(secure, "/files/" + name)
        assert rows and all(f.sha256 is None and not f.complete for f in rows), name
        assert failures[home + "files/" + name].startswith("attachment not fetched"), failures
    with session_scope(secure["engine"]) as session:
        sizes = list(session.scalars(select(Blob.size)))
    assert max(sizes) < 1 << 20


def test_gzip_bomb_refused(secure: dict[str, Any]) -> None:
    rows = fetched(secure, "/files/bomb.pdf")
    assert rows and all(f.sha256 is None for f in rows)
    assert any("decompression bomb refused" in (f.error or "") for f in rows), [
        f.error for f in rows
    ]
    home = secure["servers"]["hostile"].url
    failures = {f.get("url", ""): f["reason"] for f in run_of(secure, "hostile").failures}
    assert "decompression bomb" in failures[home + "files/bomb.pdf"]


def test_attachment_names_never_used_as_paths(secure: dict[str, Any]) -> None:
    (row,) = [f for f in fetched(secure, "/files/evil.pdf") if f.status == 200]
    assert "../../etc/passwd" in row.response_headers["Content-Disposition"]
    data = pdf("evil name")[0]
    sha = hashlib.sha256(data).hexdigest()
    assert row.sha256 == sha
    blob_path = secure["blobs"].path(sha)
    assert blob_path.read_bytes() == data
    assert blob_path.relative_to(secure["data_dir"]).parts == ("blobs", sha[:2], sha[2:4], sha)
    # Nothing but content-addressed blobs and the database under the data directory, and
    # nothing named after the attachment anywhere near it.
    root = secure["data_dir"]
    for path in root.rglob("*"):
        if path.is_file():
            rel = path.relative_to(root).as_posix()
            assert re.fullmatch(
                r"harvester\.sqlite(-wal|-shm)?|blobs/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}", rel
            ), rel
    for base in (root, root.parent, root.parent.parent):
        assert not list(base.rglob("passwd")) and not list(base.rglob("evil.sh"))
    with session_scope(secure["engine"]) as session:
        docs = list(session.scalars(select(VersionDocument).where(VersionDocument.sha256 == sha)))
    assert docs and all(d.url.endswith("/files/evil.pdf") for d in docs)


def test_xml_entities_not_expanded(secure: dict[str, Any]) -> None:
    text = billion_laughs(
        hanweb_record("/art/1.html", "笑县2023年政府信息公开工作年度报告")
    ).decode()
    started = time.monotonic()
    walk = API_WALKERS["hanweb_xml"]("http://example.gov.cn/module/web/jpage/dataproxy.jsp", text)
    assert time.monotonic() - started < 1.0
    assert [link.url for link in walk.links] == ["http://example.gov.cn/art/1.html"]
    assert all(len(link.text) < 100 for link in walk.links)  # "&lol9;" left as it is
    # End to end: the Hanweb portal's XML answers were walked, the report stored, quickly.
    assert secure["servers"]["hanweb"].hits["/files/x.pdf"] == 1
    with session_scope(secure["engine"]) as session:
        titles = list(
            session.scalars(select(Report.title).where(Report.portal_id == secure["ids"]["hanweb"]))
        )
    assert titles == ["笑县2023年政府信息公开工作年度报告"]
    assert secure["elapsed"] < 60


def test_database_password_never_shown(tmp_path: Path) -> None:
    secret = "S3cret-pw_42"
    url = f"postgresql+psycopg://harvester:{secret}@127.0.0.1:9/harvester"
    assert secret not in mask_url(url) and "***" in mask_url(url)
    command = crawl_command(url, tmp_path, [1], 1)
    assert not any(secret in part for part in command)  # `ps` shows no password
    completed = subprocess.run(
        command,
        env=crawl_env(url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0
    assert "harvester:***@127.0.0.1:9" in output, output[-2000:]
    assert secret not in output
    # The same through the module's own option (a password typed on a command line).
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "harvester.crawl_process",
            "--db-url",
            url,
            "--data-dir",
            str(tmp_path),
            "--portal-ids",
            "1",
            "--run-id",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode != 0 and secret not in completed.stdout + completed.stderr
