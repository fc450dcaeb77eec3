"""HTML pages: charsets (GBK, undeclared, wrong HTTP charset), main text without a known
container, attachments of every kind, and TRS continuation pages."""

from __future__ import annotations

import pytest

from harvester.normalize import NormalizeError, continuation_urls, normalize_bytes
from harvester.normalize.html import extract_attachments

TITLE = "象山县2021年政府信息公开工作年度报告"
BODY = (
    "<p>一、总体情况</p><p>2021年，象山县人民政府办公室认真贯彻落实《条例》，"
    "全年主动公开政府信息1234条。</p>"
    "<table border=1><tr><td rowspan=2>信息内容</td><td colspan=2>申请人情况</td></tr>"
    "<tr><td>自然人</td><td>总计</td></tr>"
    "<tr><td>一、本年新收政府信息公开申请数量</td><td>31</td><td>35</td></tr></table>"
)


def _page(charset_meta: str | None, body: str = BODY, container: bool = True) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">' if charset_meta else ""
    inner = f'<div class="TRS_Editor">{body}</div>' if container else f"<div class=main>{body}</div>"
    return (
        f"<html><head>{meta}<title>{TITLE}_象山县人民政府</title></head><body>"
        f"<div class=nav><a href='/'>首页</a> | <a href='/zwgk/'>政务公开</a></div>"
        f"<h1>{TITLE}</h1><div class=info>发布时间：2022-01-18 10:21　来源：县政府办</div>{inner}"
        "<div class=footer>版权所有：象山县人民政府 浙ICP备05000000号</div></body></html>"
    )


def _table(doc) -> list[list[str]]:
    return doc.tables()[0].texts()


EXPECTED = [["信息内容", "申请人情况", "申请人情况"], ["信息内容", "自然人", "总计"],
            ["一、本年新收政府信息公开申请数量", "31", "35"]]


@pytest.mark.parametrize(
    ("declared", "encoding", "http"),
    [
        ("gb2312", "gb18030", None),  # gb2312 declared, GBK-only characters inside
        (None, "gb18030", None),  # nothing declared: sniffed
        ("gbk", "gb18030", "text/html; charset=utf-8"),  # wrong HTTP charset
        ("utf-8", "utf-8", "text/html; charset=GBK"),  # wrong HTTP charset the other way
        (None, "utf-8", "text/html"),
        ("gb2312", "gb18030", "text/html; charset=ISO-8859-1"),  # a server default
    ],
)
def test_charsets(declared: str | None, encoding: str, http: str | None) -> None:
    # 镕 is outside GB2312 but in GBK: decoding as gb2312 would damage it
    html = _page(declared, BODY.replace("办公室", "办公室（朱镕）"))
    doc = normalize_bytes(html.encode(encoding), media_type=http, url="http://www.xiangshan.gov.cn/a.html")
    text = doc.text()
    assert "朱镕" in text and "\ufffd" not in text
    assert doc.title == TITLE
    assert doc.published == "2022-01-18"
    assert _table(doc) == EXPECTED
    if http and "charset" in http and encoding != "utf-8":
        assert any("HTTP charset" in w for w in doc.warnings), doc.warnings


LONG = "".join(
    f"<p>（{i}）坚持以公开为常态、不公开为例外，围绕重点领域信息公开，全年发布各类信息{i * 37}条，"
    "及时回应社会关切，持续提升政务公开标准化规范化水平。</p>"
    for i in range(1, 9)
)


@pytest.mark.parametrize("body", [BODY, LONG + BODY], ids=["short", "long"])
def test_main_text_without_known_container_keeps_table_spans(body: str) -> None:
    doc = normalize_bytes(
        _page("utf-8", body=body, container=False).encode("utf-8"), url="http://x.gov.cn/a.html"
    )
    text = doc.text()
    assert "全年主动公开政府信息1234条" in text
    assert "浙ICP备" not in text and "首页" not in text  # boilerplate left out
    assert _table(doc) == EXPECTED
    assert doc.tables()[0].rows[1][0].merged


def test_nested_layout_table_and_colspan_grid() -> None:
    body = f"<table><tr><td>{BODY}</td></tr></table>"
    doc = normalize_bytes(_page("utf-8", body=body).encode("utf-8"))
    assert [t.texts() for t in doc.tables()] == [EXPECTED]
    assert "一、总体情况" in [b.text for b in doc.blocks]


def test_attachments_of_every_kind() -> None:
    base = "http://www.shouxian.gov.cn/public/6596871/28810541.html"
    html = """<div id=zoom><p>附件：<a href="/group1/M00/report.pdf">寿县2021年年报.pdf</a></p>
    <p><a href="/module/download/downfile.jsp?classid=0&filename=3f2a9c1b.pdf">年报（PDF）</a></p>
    <p><a href="/pdfjs/web/viewer.html?file=%2Fuploadfiles%2F2022%2Freport.pdf">在线预览</a></p>
    <iframe src="/attach/0/annual_2021.doc"></iframe>
    <p><a href="javascript:void(0)" onclick="window.open('/files/2021nb.wps')">下载WPS</a></p>
    <p><a href="/art/2022/1/5/art_1_2.html">上一篇</a> <a href="/x/tables.xlsx">表格.xlsx</a></p>
    <p><a href="http://www.shouxian.gov.cn/public/6596871/28810541.html">本页</a></p></div>"""
    found = {a.url: a for a in extract_attachments(html, base)}
    host = "http://www.shouxian.gov.cn"
    assert set(found) == {
        f"{host}/group1/M00/report.pdf",
        f"{host}/module/download/downfile.jsp?classid=0&filename=3f2a9c1b.pdf",
        f"{host}/uploadfiles/2022/report.pdf",
        f"{host}/attach/0/annual_2021.doc",
        f"{host}/files/2021nb.wps",
        f"{host}/x/tables.xlsx",
    }
    assert found[f"{host}/group1/M00/report.pdf"].name == "寿县2021年年报.pdf"
    assert found[f"{host}/uploadfiles/2022/report.pdf"].how == "pdfjs"
    assert found[f"{host}/attach/0/annual_2021.doc"].how == "iframe"
    assert found[f"{host}/files/2021nb.wps"].how == "onclick"
    assert found[f"{host}/module/download/downfile.jsp?classid=0&filename=3f2a9c1b.pdf"].how == "downloader"
    doc = normalize_bytes(html.encode("utf-8"), url=base)
    assert {a.url for a in doc.attachments} == set(found)


def test_continuation_urls_of_trs_articles() -> None:
    url = "http://www.xiangshan.gov.cn/art/202201/t20220118_4058.html"
    page = '<div class=TRS_Editor>…</div><script>createPageHTML(3, 0, "t20220118_4058", "html");</script>'
    assert continuation_urls(page.encode("gbk"), url) == [
        "http://www.xiangshan.gov.cn/art/202201/t20220118_4058_1.html",
        "http://www.xiangshan.gov.cn/art/202201/t20220118_4058_2.html",
    ]
    second = page.replace("3, 0,", "3, 1,")
    assert continuation_urls(second.encode(), url) == []
    variant = "<script>createPageHTML('page_div',3, 0,'t20220118_4058','html',25);</script>"
    assert len(continuation_urls(variant.encode(), url)) == 2
    listing = '<script>createPageHTML(7, 0, "index", "html");</script>'
    assert continuation_urls(listing.encode(), "http://x.gov.cn/col/index.html") == []


def test_empty_html_is_an_error() -> None:
    with pytest.raises(NormalizeError, match="empty"):
        normalize_bytes(b"   \n ", filename="a.html")


def test_damaged_utf8_is_decoded_as_utf8_and_reported() -> None:
    data = _page("utf-8").encode("utf-8")
    cut = data.index("总体情况".encode()) + 1  # a byte inside a character goes missing
    doc = normalize_bytes(data[:cut] + data[cut + 1 :])
    assert "全年主动公开政府信息1234条" in doc.text()
    assert any("replacement" in w for w in doc.warnings)
