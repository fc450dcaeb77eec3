"""Discovery and list walkers on page snippets shaped like real county portals."""

from __future__ import annotations

import json

from harvester import discovery
from harvester.discovery import Link
from harvester.normalize.links import continuation_urls, extract_attachments
from middlewares.retry import retry_after_seconds
from spiders import families
from spiders.families.hanweb import walk_hanweb, walk_hanweb_xml
from spiders.families.trs import walk_trs

HOME = "http://www.example-county.gov.cn/"

HOME_PAGE = """<html><head><meta charset="utf-8"><title>某县人民政府</title></head><body>
<div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a>
<a href="/zwgk/zfgzbg/">政府工作报告</a><a href="/zwgk/tjgb/">统计公报</a></div>
<ul class="xxgk">
  <li><a href="/zwgk/xxgkzn/">政府信息公开指南</a></li>
  <li><a href="/zwgk/xxgkzd/">政府信息公开制度</a></li>
  <li><a href="/zwgk/fdzdgknr/">法定主动公开内容</a></li>
  <li><a href="/zwgk/zfxxgknb_70772/">政府信息公开年报</a></li>
  <li><a href="/zwgk/wzndbb/">政府网站年度报表</a></li>
  <li><a href="/zwgk/gknb/gjj/">住房公积金年度报告</a></li>
  <li><a href="/zwgk/czyjs/">财政预决算</a></li>
</ul>
<a href="http://www.spam-mirror.com/zfxxgknb/">政府信息公开年报</a>
</body></html>"""


def test_column_found_by_anchor_text_and_url_hint_lookalikes_rejected() -> None:
    found = discovery.find_columns(HOME_PAGE, HOME, HOME)
    assert [c.url for c in found] == ["http://www.example-county.gov.cn/zwgk/zfxxgknb_70772/"]
    assert any("anchor text" in r for r in found[0].reasons)
    assert any("URL hint" in r for r in found[0].reasons)


def test_opaque_column_id_found_by_text_alone() -> None:
    page = '<a href="/col/col1229214366/index.html">信息公开年报</a><a href="/col/col1229214367/index.html">政府网站工作年度报表</a>'
    found = discovery.find_columns(page, "https://www.lz.gov.cn/", "https://www.lz.gov.cn/")
    assert [c.url for c in found] == ["https://www.lz.gov.cn/col/col1229214366/index.html"]


def test_lonsun_type3_column_scores_on_url() -> None:
    cand = discovery.score_column(
        "年度报告", "https://www.shouxian.gov.cn/public/column/6596111?type=3"
    )
    assert cand is not None and cand.score >= discovery.MIN_COLUMN_SCORE + 5
    assert (
        discovery.score_column(
            "工作动态", "https://www.shouxian.gov.cn/public/column/6596111?type=4"
        )
        is None
    )


def test_lookalikes_rejected_even_under_a_gknb_path() -> None:
    assert (
        discovery.score_column(
            "住房公积金2023年年度报告", "http://x.gov.cn/zwgk/gknb/t20240301_1.html"
        )
        is None
    )
    assert discovery.score_column("政府网站年度报表", "http://x.gov.cn/zwgk/wzndbb/") is None
    assert discovery.score_column("年度报告", "http://x.gov.cn/zwgk/zfgzbg/") is None
    assert not discovery.is_report_link(
        Link("http://x.gov.cn/gknb/t20240301_1.html", "某县2023年住房公积金年度报告")
    )


def test_column_page_recognised_by_meta_tags() -> None:
    page = '<html><head><meta name="ColumnName" content="政府信息公开年报"><meta name="ColumnType" content="政府信息公开年报"></head></html>'
    assert discovery.page_is_report_column(page, "http://x.gov.cn/col/col1/index.html")
    other = '<html><head><meta name="ColumnName" content="政府网站年度报表"></head></html>'
    assert not discovery.page_is_report_column(other)


def test_only_own_hosts_followed() -> None:
    assert discovery.host_allowed("http://xxgk.example-county.gov.cn/a/", HOME)
    assert not discovery.host_allowed("http://www.spam-mirror.com/a/", HOME)
    assert not discovery.host_allowed("http://www.other-county.gov.cn/a/", HOME)
    assert discovery.host_allowed("http://platform.example.com/a/", HOME, ["platform.example.com"])
    assert discovery.host_allowed("http://127.0.0.1:8001/x", "http://127.0.0.1:8001/")
    assert not discovery.host_allowed("http://127.0.0.1:8002/x", "http://127.0.0.1:8001/")


COLUMN_PAGE = """<html><body>
<div class="header"><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/xwzx/">新闻中心</a></div>
<div class="left"><ul>
 <li><a href="./xzf/">县政府</a></li>
 <li><a href="./xzfb/">县政府办公室</a></li>
 <li><a href="./bm/jyj/">县教育局</a></li>
 <li><a href="./xz/cgz/">城关镇</a></li>
 <li><a href="./gknb2022/">2022年</a></li>
</ul></div>
<ul class="list">
 <li><a href="./202401/t20240115_123456.html">某县2023年政府信息公开工作年度报告</a><span>2024-01-15</span></li>
 <li><a href="./202301/t20230120_113456.html">某县人民政府办公室2022年度政府信息公开工作报告</a></li>
 <li><a href="./202401/t20240110_999.html">某县2023年住房公积金年度报告</a></li>
 <li><a href="./202301/t20230120_113457.html">关于开展政务公开培训的通知</a></li>
</ul>
<script>createPageHTML(3, 0, "index", "html");</script>
</body></html>"""
COLUMN_URL = "http://www.example-county.gov.cn/zwgk/zfxxgknb_70772/"


def test_subcolumns_bodies_and_years_under_the_column() -> None:
    subs = discovery.find_subcolumns(COLUMN_PAGE, COLUMN_URL, HOME)
    assert [(s.url.removeprefix(COLUMN_URL), s.text) for s in subs] == [
        ("xzf/", "县政府"),
        ("xzfb/", "县政府办公室"),
        ("bm/jyj/", "县教育局"),
        ("xz/cgz/", "城关镇"),
        ("gknb2022/", "2022年"),
    ]


def test_report_links_exclude_distractors_and_other_news() -> None:
    links = discovery.report_links(COLUMN_PAGE, COLUMN_URL, HOME)
    assert [link.url.removeprefix(COLUMN_URL) for link in links] == [
        "202401/t20240115_123456.html",
        "202301/t20230120_113456.html",
    ]


def test_trs_pages_from_create_page_html() -> None:
    walk = walk_trs(COLUMN_URL, COLUMN_PAGE)
    assert [p.url.removeprefix(COLUMN_URL) for p in walk.pages] == ["index_1.html", "index_2.html"]
    later = COLUMN_PAGE.replace("createPageHTML(3, 0,", "createPageHTML(3, 1,")
    assert walk_trs(COLUMN_URL + "index_1.html", later).pages == []
    assert families.detect_family(COLUMN_URL, COLUMN_PAGE) == "trs"


HANWEB_FIRST = """<html><body><div id="402"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=12&path=/&columnid=1229214366&unitid=7188&webname=某县&permissiontype=0"></a>]]></nextgroup>
<recordset>
<record><![CDATA[<li><a href="/art/2024/1/20/art_1229214366_59001.html" title="某县2023年政府信息公开工作年度报告">某县2023年政府信息公开工作年度报告</a></li>]]></record>
<record><![CDATA[<li><a href="/art/2023/1/18/art_1229214366_58001.html">某县2022年政府信息公开工作年度报告</a></li>]]></record>
</recordset></datastore></script>
<script>var totalRecord = 50;</script><span><totalrecord>50</totalrecord></span></div></body></html>"""


def test_hanweb_datastore_records_and_dataproxy_requests() -> None:
    url = "https://www.example.gov.cn/col/col1229214366/index.html"
    walk = walk_hanweb(url, HANWEB_FIRST)
    report_urls = [link.url for link in walk.links if discovery.is_report_link(link)]
    assert report_urls == [
        "https://www.example.gov.cn/art/2024/1/20/art_1229214366_59001.html",
        "https://www.example.gov.cn/art/2023/1/18/art_1229214366_58001.html",
    ]
    assert [p.kind for p in walk.pages] == ["hanweb_xml", "hanweb_xml"]
    first = walk.pages[0].url
    assert first.startswith("https://www.example.gov.cn/module/web/jpage/dataproxy.jsp?")
    for part in (
        "startrecord=3",
        "endrecord=47",
        "columnid=1229214366",
        "unitid=7188",
        "webid=12",
        "perpage=15",
    ):
        assert part in first
    assert "startrecord=48" in walk.pages[1].url and "endrecord=50" in walk.pages[1].url


def test_hanweb_dataproxy_xml_answer() -> None:
    xml = """<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>50</totalrecord><recordset>
<record><![CDATA[<li><a href="/art/2021/1/5/art_1229214366_50001.html">某县教育局2020年政府信息公开工作年度报告</a></li>]]></record>
</recordset></datastore>"""
    walk = walk_hanweb_xml(
        "https://www.example.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=3", xml
    )
    assert walk.total == 50
    assert [link.text for link in walk.links] == ["某县教育局2020年政府信息公开工作年度报告"]


def test_lonsun_pages() -> None:
    url = "https://www.shouxian.gov.cn/public/column/6596111?type=3&action=list"
    page = '<a href="/public/6596111/1000001.html">寿县2023年政府信息公开工作年度报告</a><div>共 3 页 <a href="?type=3&action=list&pageIndex=2">下一页</a></div>'
    walk = families.walk("lonsun", url, page)
    urls = {p.url for p in walk.pages}
    assert (
        "https://www.shouxian.gov.cn/public/column/6596111?type=3&action=list&pageIndex=3" in urls
    )
    assert (
        "https://www.shouxian.gov.cn/public/column/6596111?type=3&action=list&pageIndex=2" in urls
    )
    assert discovery.is_report_link(walk.links[0])


def test_vsb_pages_count_down() -> None:
    url = "http://www.example.gov.cn/xxgk/xxgknb.htm"
    page = '<a href="info/1043/5566.htm">某县2023年政府信息公开工作年度报告</a><a href="xxgknb/3.htm">下页</a><a href="xxgknb/1.htm">尾页</a>'
    walk = families.walk("vsb", url, page)
    assert [p.url for p in walk.pages][:3] == [
        "http://www.example.gov.cn/xxgk/xxgknb/3.htm",
        "http://www.example.gov.cn/xxgk/xxgknb/2.htm",
        "http://www.example.gov.cn/xxgk/xxgknb/1.htm",
    ]
    assert discovery.is_report_link(walk.links[0])


def test_gkmlpt_api_pages() -> None:
    page = '<script>window._CONFIG = {SID: "755041"};</script>'
    walk = families.walk("gkmlpt", "http://www.example.gov.cn/gkmlpt/annualreport#2846", page)
    assert [p.url for p in walk.pages] == [
        "http://www.example.gov.cn/gkmlpt/api/all/2846?page=1&sid=755041"
    ]
    answer = json.dumps(
        {
            "articles": [
                {
                    "title": "某区2023年政府信息公开工作年度报告",
                    "url": "http://www.example.gov.cn/gkmlpt/content/1/1/post_1.html",
                }
            ],
            "total": 23,
        }
    )
    walk2 = families.API_WALKERS["gkmlpt_json"](walk.pages[0].url, answer)
    assert len(walk2.pages) == 22 and walk2.pages[-1].url.endswith("page=23&sid=755041")
    assert discovery.is_report_link(walk2.links[0])


def test_generic_next_page_links_stay_in_the_list() -> None:
    url = "http://www.example.gov.cn/zwgk/nb/list.html"
    page = '<a href="list_2.html">下一页</a><a href="list_9.html">尾页</a><a href="/xwzx/index_2.html">2</a>'
    walk = families.walk("generic", url, page)
    assert [p.url for p in walk.pages] == [
        "http://www.example.gov.cn/zwgk/nb/list_2.html",
        "http://www.example.gov.cn/zwgk/nb/list_9.html",
    ]


ARTICLE = """<html><head><meta name="ArticleTitle" content="某县2023年政府信息公开工作年度报告"></head><body>
<div class="TRS_Editor"><p>正文</p></div>
<p>附件：<a href="./P020240115123.pdf">某县2023年年报.pdf</a></p>
<a href="/module/download/downfile.jsp?classid=0&filename=2401151234.docx">附件2</a>
<iframe src="/pdfjs/web/viewer.html?file=/uploads/2023nb.pdf"></iframe>
<a href="javascript:void(0)" onclick="openFile('/files/2023tables.xls')">表格</a>
<a href="/xwzx/">新闻中心</a>
<script>createPageHTML(2, 0, "t20240115_123456", "html");</script>
</body></html>"""


def test_article_attachments_and_continuations() -> None:
    url = "http://www.example-county.gov.cn/zwgk/zfxxgknb_70772/202401/t20240115_123456.html"
    links = {link.url for link in extract_attachments(ARTICLE, url)}
    assert links >= {
        "http://www.example-county.gov.cn/zwgk/zfxxgknb_70772/202401/P020240115123.pdf",
        "http://www.example-county.gov.cn/module/download/downfile.jsp?classid=0&filename=2401151234.docx",
        "http://www.example-county.gov.cn/uploads/2023nb.pdf",
        "http://www.example-county.gov.cn/files/2023tables.xls",
    }
    assert "http://www.example-county.gov.cn/xwzx/" not in links
    assert continuation_urls(ARTICLE, url) == [
        "http://www.example-county.gov.cn/zwgk/zfxxgknb_70772/202401/t20240115_123456_1.html"
    ]


def test_retry_after_header() -> None:
    from datetime import UTC, datetime

    assert retry_after_seconds("7") == 7.0
    now = datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Mon, 01 Jan 2024 00:00:30 GMT", now) == 30.0
    assert retry_after_seconds("soon") is None


def test_scrapy_list_names_the_spider_from_the_repository_root() -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["reports"]


def test_page_with_wrong_http_charset_decoded_by_its_meta_tag() -> None:
    from scrapy.http import HtmlResponse

    from spiders.pages import page_text, page_title

    body = '<html><head><meta charset="gb2312"><meta name="ArticleTitle" content="某县2023年政府信息公开工作年度报告"></head></html>'.encode(
        "gbk"
    )
    response = HtmlResponse(
        "http://x.gov.cn/t20240101_1.html",
        body=body,
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    assert "\ufffd" in response.text
    assert page_title(page_text(response.body, "text/html; charset=utf-8")) == (
        "某县2023年政府信息公开工作年度报告"
    )


def test_hanweb_sibling_columns_named_after_bodies_are_subcolumns() -> None:
    url = "https://www.example.gov.cn/col/col1229001/index.html"
    page = (
        '<div class="tree"><a href="/col/col1229002/index.html">县教育局</a>'
        '<a href="/col/col1229003/index.html">2022年</a><a href="/col/col1229009/index.html">互动交流</a></div>'
    )
    subs = discovery.find_subcolumns(page, url, "https://www.example.gov.cn/")
    assert [s.text for s in subs] == ["县教育局", "2022年"]
