"""龙讯 Lonsun portal (寿县 style, Anhui's disclosure platform).

Each reporting body is an organ with its own columns `/public/column/<organ>?type=N`:
type=1 指南, type=2 制度, type=4 法定主动公开内容 (catId selects a catalogue), and
type=3 the 年报 (`&action=list`, pages `&pageIndex=N`, "共 N 页"). Articles at
`/public/<organ>/<id>.html` in `div#zoom`; attachments under `/group1/M00/…` or through
`/public/downfile?fileId=<n>` (302 to the file).
"""

from __future__ import annotations

import hashlib
from functools import partial

from harvester.world.layout import COLUMN_NAME, body_groups, chunks, crumbs, esc, link_items
from harvester.world.plan import Column, FileAsset, Item, PortalPlan
from harvester.world.portal import FilePlace, Portal
from harvester.world.server import Site

GOV_ORGAN = 6596111
HUB = "/zwgk/index.html"
PER_PAGE = 5


class LonsunPortal(Portal):
    hub = HUB
    container = '<div id="zoom" class="article-content">{}</div>'

    def __init__(self, plan: PortalPlan) -> None:
        super().__init__(plan)
        self.organs = {b.key: GOV_ORGAN + 89 * i for i, b in enumerate(plan.bodies)}
        self.file_no = 900000

    def col_url(self, organ: int, kind: int = 3, extra: str = "") -> str:
        return f"/public/column/{organ}?type={kind}{extra}&action=list"

    def side(self) -> str:
        heads = {"gov": "县政府", "office": "县政府办公室", "dept": "县直部门", "town": "乡镇"}
        out = ""
        for group, bodies in body_groups(self.plan.bodies).items():
            out += f"<dt>{heads[group]}</dt>" + "".join(
                f'<dd><a href="{self.col_url(self.organs[b.key])}">{esc(b.label)}</a></dd>'
                for b in bodies
            )
        return f'<dl class="organ-tree">{out}</dl>'

    def place(self, item: Item, n: int, asset: FileAsset) -> FilePlace:
        self.file_no += 1
        digest = hashlib.md5(f"{item.uid}-{n}".encode()).hexdigest()
        path = f"/group1/M00/{digest[:2]}/{digest[2:4]}/{digest[4:24]}.{asset.ext}"
        return FilePlace(path, f"/public/downfile?fileId={self.file_no}")

    def add_item(self, organ: int, item: Item, column: str, column_url: str) -> str:
        if item.external:
            return item.external
        url = f"/public/{organ}/{item.uid}.html"
        return self.add_article(url, item, column, column_url, partial(self.place, item))

    def add_list(
        self, col_url: str, organ: int, title: str, items: list[Item], column: str
    ) -> None:
        pages = chunks(items, PER_PAGE)
        urls = {i.uid: self.add_item(organ, i, column, col_url) for i in items}
        for n, chunk in enumerate(pages, start=1):
            lis = "".join(
                f'<li><a href="{urls[i.uid]}" title="{esc(i.title)}">{esc(i.title)}</a>'
                f'<span class="date">{i.published.isoformat()}</span></li>'
                for i in chunk
            )
            pager = ""
            if len(pages) > 1:
                links = [f'<a href="{col_url}&pageIndex=1">首页</a>']
                if n > 1:
                    links.append(f'<a href="{col_url}&pageIndex={n - 1}">上一页</a>')
                if n < len(pages):
                    links.append(f'<a href="{col_url}&pageIndex={n + 1}">下一页</a>')
                links.append(f'<a href="{col_url}&pageIndex={len(pages)}">尾页</a>')
                pager = (
                    f'<div class="pagination">共 {len(pages)} 页 {len(items)} 条 '
                    + " ".join(links)
                    + "</div>"
                )
            body = (
                crumbs(("/", "首页"), (HUB, "信息公开"), (col_url, title))
                + f'<div class="left">{self.side()}</div>'
                + f'<div class="right"><h3>{esc(title)}</h3><ul class="doc_list">{lis}</ul>{pager}</div>'
            )
            html = self.page(title, body, column)
            self.add(
                [col_url, f"{col_url}&pageIndex={n}"] if n == 1 else f"{col_url}&pageIndex={n}",
                html,
            )

    def add_column(self, column: Column, kind: int, cat: int) -> str:
        url = self.col_url(GOV_ORGAN, kind, f"&catId={cat}")
        self.add_list(url, GOV_ORGAN + 7, column.label, column.items, column.label)
        return url

    def build(self) -> Site:
        plan = self.plan
        for body in plan.bodies:
            organ = self.organs[body.key]
            title = f"{body.label}{COLUMN_NAME}"
            self.add_list(self.col_url(organ), organ, title, body.items, COLUMN_NAME)
        hub_links = []
        for cat, column in enumerate(plan.columns, start=7001):
            kind = {"xxgkzn": 1, "xxgkzd": 2}.get(column.key, 4)
            hub_links.append((self.add_column(column, kind, cat), column.label))
        hub_links.insert(3, (self.col_url(GOV_ORGAN), COLUMN_NAME))
        hub = f'<div class="xxgk-nav"><ul>{link_items(hub_links)}</ul></div>{self.side()}'
        self.add(HUB, self.page("信息公开", hub))
        news_url = self.col_url(GOV_ORGAN, 4, "&catId=6001")
        self.add_list(news_url, GOV_ORGAN, "县政要闻", plan.news, "县政要闻")
        self.add_home(
            f'<div class="news"><h3><a href="{news_url}">县政要闻</a></h3></div>'
            f'<div class="gk"><a href="{HUB}">信息公开</a><a href="{hub_links[-1][0]}">政府工作报告</a></div>'
        )
        return self.site


def build(plan: PortalPlan) -> Site:
    return LonsunPortal(plan).build()
