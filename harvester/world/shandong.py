"""Shandong disclosure platform (沂源县 style).

Everything lives under `/gongkai/site_<unit>/`: channels `channel_<24hex>/` (index.html,
index_2.html …), articles `channel_<24hex>/doc_<24hex>.html`. A list page's HTML holds
no list: a script call `renderDocList([...{"url": …, "title": …}])` fills it, and the
pager is a script too (`renderPager(["…/index.html", "…/index_2.html"], current)`).
Attachments `/gongkai/site_<unit>/upload/<YYYYMM>/<hex>.<ext>`, or through
`/gongkai/download?fileId=<n>` (302 to the file).
"""

from __future__ import annotations

import hashlib
import json
from functools import partial

from harvester.world.layout import COLUMN_NAME, body_groups, chunks, crumbs, esc, link_items
from harvester.world.plan import FileAsset, Item, PortalPlan
from harvester.world.portal import FilePlace, Portal
from harvester.world.server import Site

PER_PAGE = 5
RENDER_JS = (
    "function renderDocList(docs){var ul=document.getElementById('docList');"
    "docs.forEach(function(d){var li=document.createElement('li');"
    "li.innerHTML='<a href=\"'+d.url+'\" target=\"_blank\">'+d.title+'</a><span>'+d.date+'</span>';"
    "ul.appendChild(li);});}"
    "function renderPager(urls,current){var p=document.getElementById('pager');"
    "urls.forEach(function(u,i){var a=document.createElement('a');a.href=u;a.textContent=i+1;"
    "p.appendChild(a);});}"
)


def hex24(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()[:24]


class ShandongPortal(Portal):
    container = '<div class="article-content" id="ivs_content">{}</div>'

    def __init__(self, plan: PortalPlan) -> None:
        super().__init__(plan)
        self.root = f"/gongkai/site_{plan.domain}/"
        self.hub = self.root + "index.html"
        self.file_no = 70000

    def channel(self, key: str) -> str:
        return f"{self.root}channel_{hex24(self.plan.county + key)}/"

    def place(self, item: Item, n: int, asset: FileAsset) -> FilePlace:
        self.file_no += 1
        month = item.published.strftime("%Y%m")
        path = f"{self.root}upload/{month}/{hex24(f'{item.uid}-{n}')}.{asset.ext}"
        return FilePlace(path, f"/gongkai/download?fileId={self.file_no}")

    def add_item(self, channel: str, item: Item, column: str) -> str:
        if item.external:
            return item.external
        url = f"{channel}doc_{hex24(str(item.uid))}.html"
        return self.add_article(url, item, column, channel, partial(self.place, item))

    def add_list(self, channel: str, title: str, items: list[Item], side: str, column: str) -> None:
        urls = {i.uid: self.add_item(channel, i, column) for i in items}
        pages = chunks(items, PER_PAGE)
        page_urls = [
            channel + ("index.html" if k == 1 else f"index_{k}.html")
            for k in range(1, len(pages) + 1)
        ]
        for k, chunk in enumerate(pages, start=1):
            docs = [
                {"url": urls[i.uid], "title": i.title, "date": i.published.isoformat()}
                for i in chunk
            ]
            script = (
                f"<script>{RENDER_JS}</script>"
                f"<script>renderDocList({json.dumps(docs, ensure_ascii=False)});"
                f"renderPager({json.dumps(page_urls)}, {k});</script>"
            )
            body = (
                crumbs(("/", "首页"), (self.hub, "政府信息公开"), (channel, title))
                + f'<div class="left">{side}</div>'
                + f'<div class="right"><h3>{esc(title)}</h3><ul id="docList"></ul><div id="pager"></div></div>'
            )
            html = self.page(title, body, column, scripts=script)
            self.add([channel, page_urls[0]] if k == 1 else page_urls[k - 1], html)

    def side(self, gov_channel: str) -> str:
        heads = {"office": "县政府办公室", "dept": "县直部门", "town": "镇（街道）"}
        side = f'<ul class="channel-tree"><li><a href="{gov_channel}">县政府</a></li>'
        for group, bodies in body_groups(self.plan.sub_bodies).items():
            links = [(self.channel(b.key), b.label) for b in bodies]
            side += f"<li><span>{heads[group]}</span><ul>{link_items(links)}</ul></li>"
        return side + "</ul>"

    def build(self) -> Site:
        plan = self.plan
        gov_channel = self.channel("nb")
        side = self.side(gov_channel)
        self.add_list(gov_channel, COLUMN_NAME, plan.gov.items, side, COLUMN_NAME)
        for body in plan.sub_bodies:
            channel = self.channel(body.key)
            if not body.by_year:
                self.add_list(channel, body.label, body.items, side, COLUMN_NAME)
                continue
            years = "".join(
                f'<li><a href="{self.channel(body.key + str(y))}">{y}年</a></li>'
                for y in body.years()
            )
            html = self.page(body.label, side + f'<ul class="years">{years}</ul>', COLUMN_NAME)
            self.add([channel, channel + "index.html"], html)
            for year in body.years():
                channel = self.channel(body.key + str(year))
                self.add_list(channel, f"{year}年", body.items_of(year), side, COLUMN_NAME)
        hub_links = []
        for column in plan.columns:
            channel = self.channel(column.key)
            self.add_list(channel, column.label, column.items, "", column.label)
            hub_links.append((channel, column.label))
        hub_links.insert(3, (gov_channel, COLUMN_NAME))
        hub = self.link_page("政府信息公开", '<div class="gkml"><ul>{}</ul></div>', hub_links)
        self.add([self.hub, self.root], hub)
        self.add_home(f'<div class="zwgk"><a href="{self.hub}">政府信息公开</a></div>')
        return self.site


def build(plan: PortalPlan) -> Site:
    return ShandongPortal(plan).build()
