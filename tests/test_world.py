"""The local portal world (harvester/world/) over real HTTP on 127.0.0.1.

What a crawler meets there: family page shapes and their pagination (checked with the
spider's own list walkers), report pages carrying the seed texts, downloads behind 302
downloaders with GBK and RFC 5987 filenames, conditional requests, a wrong HTTP charset,
a 412 cookie challenge, and the on-demand faults the reliability tests switch on.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from harvester.discovery import (
    extract_links,
    find_columns,
    find_hubs,
    find_subcolumns,
    is_report_link,
)
from harvester.parser import parse_text
from harvester.world import PortalSpec, World, start_world
from harvester.world.catalog import PROFILES
from harvester.world.factory import ContentFactory
from harvester.world.render import Renderer
from harvester.world.seed_reports import seed_text
from harvester.world.special import COOKIE, challenge_token
from spiders.families import API_WALKERS, detect_family, walk


class Answer:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.header_list = headers
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def text(self, encoding: str | None = None) -> str:
        """The body decoded as given, else by the page's own meta charset (GBK as GB18030)."""
        if encoding is None:
            meta = re.search(rb"charset=([\w-]+)", self.body[:1024])
            declared = meta.group(1).decode().lower() if meta else "utf-8"
            encoding = "gb18030" if declared in ("gb2312", "gbk") else declared
        return self.body.decode(encoding)


def fetch(
    url: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: str | None = None,
    timeout: float = 10,
) -> Answer:
    """One HTTP exchange, redirects not followed, headers as sent (latin-1)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        send = dict(headers or {})
        if body is not None:
            send["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path or "/", body=body, headers=send)
        response = conn.getresponse()
        data = response.read()
        return Answer(response.status, response.getheaders(), data)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = start_world(cache_dir=tmp_path_factory.mktemp("world-cache"))
    yield w
    w.stop()


def portal(world: World, kind: str) -> tuple[PortalSpec, str]:
    spec = next(p for p in world.portals if p.kind == kind)
    return spec, spec.home_url.rstrip("/")


def links_of(html: str, url: str) -> dict[str, str]:
    return {link.text: link.url for link in extract_links(html, url)}


def column_url(world: World, kind: str) -> str:
    """The 年报 column as discovery finds it: home page, else one 政务公开 hub down."""
    spec, _home = portal(world, kind)
    home = spec.home_url
    html = fetch(home).text()
    found = find_columns(html, home, home)
    if not found:
        hub = find_hubs(html, home, home)[0].url
        found = find_columns(fetch(hub).text(), hub, home)
    assert found, f"{kind}: no 年报 column reachable from the home page"
    return found[0].url


# -- the world's portals -----------------------------------------------------------------------


def test_world_lists_one_portal_per_family_with_expected_reports(world: World) -> None:
    kinds = [p.kind for p in world.portals]
    assert kinds == [
        "lonsun",
        "hanweb",
        "shandong",
        "vsb",
        "trs",
        "gkmlpt",
        "gbk",
        "jslist",
        "challenge",
        "platform",
    ]
    assert {p.family for p in world.portals} == {
        "lonsun", "hanweb", "shandong", "vsb", "trs", "gkmlpt", "generic"
    }  # fmt: skip
    for spec in world.portals:
        assert spec.home_url.startswith("http://127.0.0.1:")
        pairs = [(e.agency, e.year) for e in spec.expected]
        assert pairs and len(pairs) == len(set(pairs))
        # Every agency is a body of this county, named as the report titles name it.
        assert all(a.startswith(spec.county) for a, _y in pairs), spec.county
    expected = {p.county: p.expected_pairs() for p in world.portals}
    # The five seed reports are each expected from their county's portal.
    assert ("寿县人民政府", 2020) in expected["寿县"]
    assert ("象山县人民政府办公室", 2020) in expected["象山县"]
    assert ("沂源县人民政府", 2020) in expected["沂源县"]
    assert ("大荔县人民政府", 2020) in expected["大荔县"]
    assert ("舞阳县人民政府办公室", 2021) in expected["舞阳县"]
    # A real 年报 of the 住房公积金管理中心 is expected; its 公积金年度报告 is not a report.
    assert ("寿县住房公积金管理中心", 2023) in expected["寿县"]


def test_same_seed_gives_the_same_world(tmp_path: Path) -> None:
    def titles(seed: int) -> list[str]:
        factory = ContentFactory(Renderer(tmp_path), seed, html_only=True)
        plan = factory.plan(PROFILES[0])
        return [i.title + i.published.isoformat() for b in plan.bodies for i in b.items]

    assert titles(7) == titles(7)
    assert titles(7) != titles(8)


def test_home_pages_lead_to_the_column_past_distractors(world: World) -> None:
    for kind in ("lonsun", "hanweb", "shandong", "vsb", "trs", "gkmlpt", "gbk"):
        spec, home = portal(world, kind)
        page = fetch(spec.home_url)
        assert page.status == 200 and "<title>" in page.text()
        url = column_url(world, kind)
        assert urlsplit(url).netloc == urlsplit(home).netloc
        hub_html = fetch(urljoin(url, "/")).text()
        assert "http://something.invalid/" in hub_html  # off-site links exist, never needed
    # The look-alike columns are there beside the real one.
    _spec, home = portal(world, "trs")
    hub = fetch(home + "/zwgk/").text()
    for name in ("政府信息公开指南", "政府信息公开制度", "法定主动公开内容", "政府信息公开年报",
                 "政府网站年度报表", "住房公积金年度报告", "政府工作报告"):  # fmt: skip
        assert f">{name}</a>" in hub, name


# -- families: pages as the spider's walkers read them -------------------------------------------


def crawl_lists(start: str, family: str, limit: int = 200) -> tuple[set[str], list[str]]:
    """Walk a column with the spider's walkers (no sub-columns): titles of the report links
    (those on other hosts marked with a leading "@") and the pages walked."""
    titles: set[str] = set()
    host = urlsplit(start).netloc
    seen: list[str] = []
    queue: list[tuple[str, str]] = [(start, "html")]
    while queue and len(seen) < limit:
        url, kind = queue.pop(0)
        if url in seen:
            continue
        seen.append(url)
        answer = fetch(url)
        assert answer.status == 200, url
        text = answer.text()
        result = API_WALKERS[kind](url, text) if kind in API_WALKERS else walk(family, url, text)
        titles |= {
            ("" if urlsplit(link.url).netloc == host else "@") + link.text
            for link in result.links
            if is_report_link(link)
        }
        queue += [(p.url, p.kind) for p in result.pages]
    return titles, seen


def gov_titles(world: World, kind: str) -> set[str]:
    plan = world.plans[[p.kind for p in world.portals].index(kind)]
    return {i.title for i in plan.gov.items if i.is_report}


@pytest.mark.parametrize("kind", ["trs", "lonsun", "vsb", "hanweb", "shandong"])
def test_family_lists_paginate_as_the_walkers_expect(world: World, kind: str) -> None:
    url = column_url(world, kind)
    html = fetch(url).text()
    assert detect_family(url, html) == kind
    titles, pages = crawl_lists(url, kind)
    # Long enough to paginate (Hanweb: the first page, then one dataproxy.jsp group).
    assert len(pages) >= (2 if kind == "hanweb" else 3), pages
    assert kind != "hanweb" or "dataproxy.jsp" in pages[-1]
    # The county government's reports, and the prefecture's report on its own site.
    prefecture = next(p for p in world.portals if p.kind == kind).prefecture
    offsite = {f"@{prefecture}人民政府2023年政府信息公开工作年度报告"}
    if kind == "shandong":
        offsite = set()  # its script list is read for platform URLs only
    assert titles == gov_titles(world, kind) | offsite


def test_trs_pager_is_a_script_call(world: World) -> None:
    url = column_url(world, "trs")
    html = fetch(url).text()
    m = re.search(r'createPageHTML\((\d+), 0, "index", "html"\)', html)
    assert m and int(m.group(1)) >= 3
    total = int(m.group(1))
    assert "index_1.html" not in html  # no page links in the HTML itself
    assert fetch(urljoin(url, f"index_{total - 1}.html")).status == 200
    assert fetch(urljoin(url, f"index_{total}.html")).status == 404


def test_hanweb_first_page_datastore_and_dataproxy(world: World) -> None:
    url = column_url(world, "hanweb")
    html = fetch(url).text()
    records = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", html, re.S)
    total = int(re.search(r"totalRecord: (\d+)", html).group(1))
    assert 0 < len(records) < total
    query = re.search(r"dataproxy\.jsp\?([^\"]+)\"", html).group(1).replace("&amp;", "&")
    params = dict(p.split("=", 1) for p in query.split("&"))
    base = urljoin(url, "/module/web/jpage/dataproxy.jsp")
    form = f"startrecord={len(records) + 1}&endrecord={total}&perpage=5&columnid={params['columnid']}&unitid={params['unitid']}&webid={params['webid']}"
    for answer in (fetch(f"{base}?{form}"), fetch(base, method="POST", body=form)):
        assert answer.status == 200 and answer.headers["content-type"].startswith("text/xml")
        xml = answer.text()
        assert f"<totalrecord>{total}</totalrecord>" in xml
        assert len(re.findall(r"<record>", xml)) == total - len(records)
    wrong = fetch(f"{base}?startrecord=1&endrecord=45&columnid={params['columnid']}&unitid=1")
    assert "<record>" not in wrong.text()


def test_gkmlpt_lists_only_in_the_json_api(world: World) -> None:
    url = column_url(world, "gkmlpt")
    assert "annualreport#" in url
    shell = fetch(url).text()
    assert "post_" not in shell
    sid = re.search(r'"SID": "(\d+)"', shell).group(1)
    cols = re.findall(r'"columnId": (\d+)', shell)
    spec, home = portal(world, "gkmlpt")
    found = set()
    for col in cols:
        first = json.loads(fetch(f"{home}/gkmlpt/api/all/{col}?page=1&sid={sid}").text())
        pages = -(-first["total"] // len(first["articles"]))
        for n in range(1, pages + 1):
            data = json.loads(fetch(f"{home}/gkmlpt/api/all/{col}?page={n}&sid={sid}").text())
            found |= {a["title"] for a in data["articles"]}
    plan = world.plans[world.portals.index(spec)]
    assert {i.title for i in plan.reports()} <= found


def test_vsb_list_counts_down(world: World) -> None:
    url = column_url(world, "vsb")
    html = fetch(url).text()
    assert url.endswith("zfxxgknb.htm")
    numbers = sorted(int(n) for n in re.findall(r'href="zfxxgknb/(\d+)\.htm"', html))
    assert numbers and numbers[0] == 1  # 尾页 is 1.htm, 下页 the highest number
    assert fetch(urljoin(url, f"zfxxgknb/{numbers[-1]}.htm")).status == 200
    assert fetch(urljoin(url, f"zfxxgknb/{numbers[-1] + 1}.htm")).status == 404


# -- reports and their files -----------------------------------------------------------------


def article_of(world: World, kind: str, title: str) -> tuple[str, str]:
    """URL and HTML of a report page, found by walking the column and its sub-columns
    like a crawler."""
    url = column_url(world, kind)
    home = portal(world, kind)[0].home_url
    family = {"gbk": "generic"}.get(kind, kind)
    queue, seen = [(url, "html")], set()
    while queue:
        page, how = queue.pop(0)
        if page in seen:
            continue
        seen.add(page)
        text = fetch(page).text()
        result = API_WALKERS[how](page, text) if how in API_WALKERS else walk(family, page, text)
        for link in result.links:
            if link.text == title:
                return link.url, fetch(link.url).text()
        queue += [(p.url, p.kind) for p in result.pages]
        if how == "html":
            queue += [(c.url, "html") for c in find_subcolumns(text, page, home)]
    raise AssertionError(f"{title} not listed in the {kind} column")


def test_seed_report_is_published_with_its_text_and_files(world: World) -> None:
    url, html = article_of(world, "lonsun", "寿县人民政府2020年政府信息公开年度报告")
    assert '<meta name="ArticleTitle" content="寿县人民政府2020年政府信息公开年度报告">' in html
    truth = parse_text(seed_text("000"))
    assert "一、总体情况" in html and "<table" in html  # the report's tables as HTML tables
    assert truth["proactive"]["procurement"]["amount_raw"] in html  # 3.99亿元, as printed
    href = re.search(r'<div class="fujian">.*?href="([^"]+)"', html, re.S).group(1)
    pdf = fetch(urljoin(url, href))
    if pdf.status == 302:
        pdf = fetch(urljoin(url, pdf.headers["location"]))
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"


def test_trs_long_report_continues_on_a_second_page(world: World) -> None:
    url, html = article_of(world, "trs", "舞阳县人民政府办公室2021年政府信息公开工作年度报告")
    m = re.search(r'createPageHTML\(2, 0, "(t\d{8}_\d+)", "html"\)', html)
    assert m
    second = fetch(urljoin(url, f"{m.group(1)}_1.html"))
    assert second.status == 200 and "createPageHTML(2, 1," in second.text()
    assert "二、主动公开政府信息情况" in html + second.text()


def content_disposition_name(raw: str) -> str:
    """The filename a browser would show (RFC 5987 first, else the raw bytes as GBK)."""
    star = re.search(r"filename\*=UTF-8''([^;]+)", raw)
    if star:
        return unquote(star.group(1))
    plain = re.search(r'filename="([^"]*)"', raw).group(1)
    return plain.encode("latin-1").decode("gb18030")


def test_downloads_redirect_and_name_their_files(world: World) -> None:
    spec, home = portal(world, "hanweb")
    plan = world.plans[world.portals.index(spec)]
    hows = {}
    for item in plan.reports():
        for asset in item.files:
            hows.setdefault(asset.how, (item, asset))
    assert {"downloader", "gbk", "rfc5987", "direct"} <= set(hows)
    item, asset = hows["downloader"]
    url, html = article_of(world, "hanweb", item.title)
    href = re.search(r'href="(/module/download/downfile\.jsp\?[^"]+)"', html).group(1)
    hop = fetch(urljoin(url, href.replace("&amp;", "&")))
    assert hop.status == 302
    final = fetch(urljoin(url, hop.headers["location"]))
    assert final.status == 200 and final.body == asset.data
    assert content_disposition_name(final.headers["content-disposition"]) == asset.name
    item, asset = hows["gbk"]
    _url, html = article_of(world, "hanweb", item.title)
    href = re.search(r'<div class="fujian">.*?href="([^"]+)"', html, re.S).group(1)
    answer = fetch(urljoin(home, href.replace("&amp;", "&")))
    if answer.status == 302:
        answer = fetch(urljoin(home, answer.headers["location"]))
    raw = answer.headers["content-disposition"]
    assert asset.name.encode("gb18030") in raw.encode("latin-1")  # raw GBK bytes on the wire
    assert content_disposition_name(raw) == asset.name
    assert answer.body == asset.data


def test_attachment_formats_are_real_files(world: World) -> None:
    magic = {"pdf": b"%PDF", "docx": b"PK\x03\x04", "xlsx": b"PK\x03\x04", "doc": b"\xd0\xcf\x11\xe0",
             "wps": b"\xd0\xcf\x11\xe0", "png": b"\x89PNG", "ofd": b"PK\x03\x04",
             "zip": b"PK\x03\x04"}  # fmt: skip
    seen = set()
    for plan in world.plans:
        for item in plan.reports():
            for asset in item.files:
                assert asset.data.startswith(magic[asset.ext]), (asset.name, asset.data[:8])
                seen.add(asset.ext)
    assert {"pdf", "docx", "xlsx", "doc", "wps", "png", "ofd", "zip"} <= seen


def test_onclick_and_embedded_viewer_attachments(world: World) -> None:
    checked = set()
    for kind, how in (("vsb", "onclick"), ("shandong", "iframe")):
        spec, home = portal(world, kind)
        plan = world.plans[world.portals.index(spec)]
        item, asset = next((i, a) for i in plan.reports() for a in i.files if a.how == how)
        url, html = article_of(world, kind, item.title)
        if how == "onclick":
            target = re.search(
                r"onclick=\"window\.open\('([^']+)'\)\"", html.replace("&#x27;", "'")
            )
        else:
            target = re.search(r'<iframe src="[^"]*viewer\.html\?file=([^"]+)"', html)
        assert target, f"{kind}: no {how} attachment in {url}"
        answer = fetch(urljoin(url, target.group(1)))
        assert answer.status == 200 and answer.body == asset.data
        checked.add(how)
    assert checked == {"onclick", "iframe"}


def test_conditional_requests_answer_304(world: World) -> None:
    url, _html = article_of(world, "trs", "舞阳县人民政府办公室2021年政府信息公开工作年度报告")
    first = fetch(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert fetch(url, {"If-None-Match": etag}).status == 304
    assert fetch(url, {"If-None-Match": '"other"'}).status == 200
    assert fetch(url, {"If-Modified-Since": modified}).status == 304
    assert fetch(url, {"If-Modified-Since": formatdate(0, usegmt=True)}).status == 200


def test_gbk_portal_with_a_wrong_http_charset(world: World) -> None:
    spec, _home = portal(world, "gbk")
    plan = world.plans[world.portals.index(spec)]
    first = next(i for i in plan.gov.items if i.is_report)
    url, _html = article_of(world, "gbk", first.title)
    answer = fetch(url)
    assert answer.headers["content-type"] == "text/html; charset=utf-8"  # what the server claims
    assert b'charset=gb2312"' in answer.body[:400]  # what the page says
    with pytest.raises(UnicodeDecodeError):
        answer.body.decode("utf-8")
    assert first.title in answer.body.decode("gb18030")
    other = next(i for i in plan.gov.items if i.is_report and i is not first)
    url2, _ = article_of(world, "gbk", other.title)
    assert fetch(url2).headers["content-type"] == "text/html; charset=GBK"


def test_challenge_portal_needs_the_script_cookie(world: World) -> None:
    spec, home = portal(world, "challenge")
    blocked = fetch(spec.home_url)
    assert blocked.status == 412 and "$_ts" in blocked.text()
    seed = re.search(r'\$_ts\.cd="([^"]+)"', blocked.text()).group(1)
    assert fetch(spec.home_url, {"Cookie": f"{COOKIE}=wrong"}).status == 412
    passed = fetch(spec.home_url, {"Cookie": f"{COOKIE}={challenge_token(seed)}"})
    assert passed.status == 200 and "政务公开" in passed.text()
    assert fetch(home + "/robots.txt").status == 200


def test_script_list_portal_has_no_links_without_a_browser(world: World) -> None:
    spec, home = portal(world, "jslist")
    url = column_url(world, "jslist")
    html = fetch(url).text()
    assert not [link for link in extract_links(html, url) if is_report_link(link)]
    assert '<script src="/static/js/list.js">' in html
    data = json.loads(fetch(home + "/api/ndbg/list?page=1&size=6").text())
    assert data["total"] > len(data["rows"]) > 0  # the script pages through the API


# -- faults ------------------------------------------------------------------------------------


def test_fault_in_the_query_and_as_a_world_option(world: World) -> None:
    spec, home = portal(world, "trs")
    path = "/zwgk/"
    statuses = [fetch(f"{home}{path}?__fault=status:503:2").status for _ in range(3)]
    assert statuses == [503, 503, 200]
    world.set_fault("舞阳县", path, "429:7:1")
    try:
        limited = fetch(home + path)
        assert limited.status == 429 and limited.headers["retry-after"] == "7"
        assert fetch(home + path).status == 200
        before = world.hits("舞阳县", path)
        fetch(home + path)
        assert world.hits("舞阳县", path) == before + 1
    finally:
        world.clear_faults()


def test_truncated_body_reset_redirect_loop_and_timeout(world: World) -> None:
    _spec, home = portal(world, "trs")
    parts = urlsplit(home)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", "/zwgk/?__fault=truncate")
    response = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    conn.close()
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected, OSError)):
        fetch(home + "/zwgk/?__fault=reset")
    hop1 = fetch(home + "/zwgk/?__fault=redirect-loop")
    assert hop1.status == 302
    hop2 = fetch(urljoin(home, hop1.headers["location"]))
    assert hop2.status == 302 and urljoin(home, hop2.headers["location"]) != urljoin(
        home, hop1.headers["location"]
    )
    hop3 = fetch(urljoin(home, hop2.headers["location"]))
    assert hop3.headers["location"] == hop1.headers["location"]  # a loop
    started = time.monotonic()
    with pytest.raises((TimeoutError, socket.timeout)):
        fetch(home + "/zwgk/?__fault=timeout:3", timeout=0.5)
    assert time.monotonic() - started < 2.5
    assert fetch(home + "/zwgk/?__fault=nonsense").status == 400


def test_generated_portals_cycle_the_families(tmp_path: Path) -> None:
    started = time.monotonic()
    w = start_world(cache_dir=tmp_path, generated=12, base=False, faults={"/": "status:500:1"})
    try:
        assert time.monotonic() - started < 60  # cheap: no LibreOffice
        # The world option's fault: each portal's home page fails once, then answers.
        assert [fetch(w.portals[0].home_url).status for _ in range(2)] == [500, 200]
        assert [p.family for p in w.portals[:6]] == [
            "trs",
            "hanweb",
            "lonsun",
            "vsb",
            "shandong",
            "gkmlpt",
        ]
        assert len({p.home_url for p in w.portals}) == 12
        for spec in w.portals[1:]:
            assert spec.expected and fetch(spec.home_url).status == 500
            assert fetch(spec.home_url).status == 200
        assert not list(tmp_path.glob("*.pdf"))  # no LibreOffice for benchmark portals
    finally:
        w.stop()
