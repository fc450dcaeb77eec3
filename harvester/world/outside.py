"""A body outside the county registry: a 高新技术产业开发区 whose reports are reached only
from its deep 政务公开 hub page.

Real 开发区 / 高新区 / 管委会 sites are not county-level divisions, so the registry lacks them;
a user adds one with `harvester scrape NAME --url HUB`. Here the home page links only to the
city and a 政务公开 hub two levels down lists the columns (政策文件, 政府信息公开年报 and a
look-alike 政府网站工作年度报表). The 年报 column lists the 管委会's reports (one in the page's
own tables, one as a DOCX attachment) and a notice. Not in `World.portals`: the demo and the
world crawl register only registry counties; tests start it by name (`World.outside`).
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass

from harvester.world.documents import fragment_html, generated_document
from harvester.world.render import Renderer
from harvester.world.server import Resource, Site
from harvester.world.spec import ExpectedReport

NAME = "淮南高新技术产业开发区"
AGENCY = f"{NAME}管理委员会"
HUB = "/zwgk/zwgkml/index.html"  # the start URL a user gives
COLUMN = "/zwgk/zwgkml/ndbg/index.html"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class OutsideBody:
    """What a test needs of the running site: its name, its hub URL and its reports."""

    name: str
    hub_url: str
    expected: tuple[ExpectedReport, ...]
    attachment: str  # path of the DOCX report (its bytes are what the crawl must store)


def _page(title: str, body: str) -> Resource:
    text = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}_{NAME}</title>"
        f'<meta name="ColumnName" content="{html.escape(title)}"></head><body>'
        f'<div class="top"><a href="/">{NAME}</a></div><div class="main">{body}</div>'
        f'<div class="foot">主办：{AGENCY}</div></body></html>'
    )
    return Resource(text.encode("utf-8"))


def build_outside(renderer: Renderer, seed: int) -> tuple[Site, list[tuple[str, int]], str]:
    """The site, the (agency, year) of its reports and the path of its DOCX report."""
    rng = random.Random(seed)
    site = Site(NAME)
    site.routes["/"] = _page(
        NAME,
        '<a href="http://www.huainan.gov.cn.invalid/">淮南市人民政府</a>'
        "<p>高新区欢迎您</p>",  # no path from the home page: only the hub leads on
    )
    site.routes[HUB] = _page(
        "政务公开",
        '<ul class="columns"><li><a href="../zcwj/index.html">政策文件</a></li>'
        '<li><a href="ndbg/index.html">政府信息公开年报</a></li>'
        '<li><a href="wzbb/index.html">政府网站工作年度报表</a></li></ul>',
    )
    site.routes["/zwgk/zwgkml/wzbb/index.html"] = _page(
        "政府网站工作年度报表",
        f'<ul><li><a href="202401/t20240110_9.html">{NAME}2023年政府网站工作年度报表</a></li></ul>',
    )
    items = []
    expected: list[tuple[str, int]] = []
    docx_path = ""
    for n, year in enumerate((2023, 2022)):
        title = f"{AGENCY}{year}年政府信息公开工作年度报告"
        doc = generated_document(rng, title, AGENCY, year, NAME)
        path = f"/zwgk/zwgkml/ndbg/{year + 1}01/t{year + 1}0120_{n + 1}.html"
        if n == 0:
            body = fragment_html(doc)
        else:
            docx_path = f"/zwgk/zwgkml/ndbg/{year + 1}01/P0{year + 1}0120_{n + 1}.docx"
            site.routes[docx_path] = Resource(renderer.docx(doc), DOCX_TYPE)
            body = f'<p>附件：<a href="{docx_path}">{html.escape(title)}.docx</a></p>'
        site.routes[path] = _page(title, f"<h1>{html.escape(title)}</h1>{body}")
        items.append(
            f'<li><a href="{path}">{html.escape(title)}</a><span>{year + 1}-01-20</span></li>'
        )
        expected.append((AGENCY, year))
    items.append('<li><a href="/zwgk/zwgkml/tzgg/1.html">关于开展安全生产检查的通知</a></li>')
    site.routes[COLUMN] = _page("政府信息公开年报", f'<ul class="list">{"".join(items)}</ul>')
    return site, expected, docx_path
