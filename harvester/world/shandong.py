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

from harvester.world.content import Item, PortalPlan
from harvester.world.layout import (
    COLUMN_NAME,
    add_file,
    article,
    attachment_li,
    chunks,
    crumbs,
    epoch,
    esc,
    html_resource,
    page,
)
from harvester.world.server import Site

PER_PAGE = 5
NAME = COLUMN_NAME
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


class ShandongPortal:
    def __init__(self, plan: PortalPlan) -> None:
        self.plan = plan
        self.site = Site(plan.county)
        self.root = f"/gongkai/site_{plan.domain}/"
        self.file_no = 70000

    def channel(self, key: str) -> str:
        return f"{self.root}channel_{hex24(self.plan.county + key)}/"

    def add_article(self, channel: str, item: Item, column: str) -> str:
        if item.external:
            return item.external
        lis = []
        for n, asset in enumerate(item.files):
            self.file_no += 1
            path = f"{self.root}upload/{item.published.strftime('%Y%m')}/{hex24(f'{item.uid}-{n}')}.{asset.ext}"
            href = add_file(
                self.site,
                asset,
                path,
                epoch(item),
                downloader=f"/gongkai/download?fileId={self.file_no}",
            )
            lis.append(attachment_li(href, asset))
        url = f"{channel}doc_{hex24(str(item.uid))}.html"
        html = article(
            self.plan,
            item,
            hub_url=self.root + "index.html",
            column=column,
            column_url=channel,
            container='<div class="article-content" id="ivs_content">{}</div>',
            attachments="".join(lis),
        )
        self.site.add(url, html_resource(html, epoch(item)))
        return url

    def add_list(self, channel: str, title: str, items: list[Item], side: str, column: str) -> None:
        urls = {i.uid: self.add_article(channel, i, column) for i in items}
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
                crumbs(("/", "首页"), (self.root + "index.html", "政府信息公开"), (channel, title))
                + f'<div class="left">{side}</div>'
                + f'<div class="right"><h3>{esc(title)}</h3><ul id="docList"></ul><div id="pager"></div></div>'
            )
            html = html_resource(
                page(
                    self.plan,
                    title,
                    body,
                    hub_url=self.root + "index.html",
                    meta={"ColumnName": column},
                    scripts=script,
                )
            )
            if k == 1:
                self.site.add(channel, html)
            self.site.add(page_urls[k - 1], html)

    def build(self) -> Site:
        plan = self.plan
        gov_channel = self.channel("nb")
        groups: dict[str, list] = {}
        for body in plan.bodies[1:]:
            groups.setdefault(body.group, []).append(body)
        heads = {"office": "县政府办公室", "dept": "县直部门", "town": "镇（街道）"}
        side = f'<ul class="channel-tree"><li><a href="{gov_channel}">县政府</a></li>'
        for group, bodies in groups.items():
            side += (
                f"<li><span>{heads[group]}</span><ul>"
                + "".join(
                    f'<li><a href="{self.channel(b.key)}">{esc(b.label)}</a></li>' for b in bodies
                )
                + "</ul></li>"
            )
        side += "</ul>"
        self.add_list(gov_channel, NAME, plan.gov.items, side, NAME)
        for body in plan.bodies[1:]:
            channel = self.channel(body.key)
            if not body.by_year:
                self.add_list(channel, body.label, body.items, side, NAME)
                continue
            years = "".join(
                f'<li><a href="{self.channel(body.key + str(y))}">{y}年</a></li>'
                for y in body.years()
            )
            html = page(
                plan,
                body.label,
                side + f'<ul class="years">{years}</ul>',
                hub_url=self.root + "index.html",
                meta={"ColumnName": NAME},
            )
            self.site.add(channel, html_resource(html))
            self.site.add(channel + "index.html", html_resource(html))
            for year in body.years():
                items = [i for i in body.items if i.year == year]
                self.add_list(self.channel(body.key + str(year)), f"{year}年", items, side, NAME)
        hub_links = []
        for column in plan.standard + plan.distractors:
            channel = self.channel(column.key)
            self.add_list(channel, column.label, column.items, "", column.label)
            hub_links.append((channel, column.label))
        hub_links.insert(3, (gov_channel, NAME))
        hub = page(
            plan,
            "政府信息公开",
            '<div class="gkml"><ul>'
            + "".join(f'<li><a href="{u}">{esc(t)}</a></li>' for u, t in hub_links)
            + "</ul></div>",
            hub_url=self.root + "index.html",
        )
        self.site.add(self.root + "index.html", html_resource(hub))
        self.site.add(self.root, html_resource(hub))
        home = f'<div class="zwgk"><a href="{self.root}index.html">政府信息公开</a></div>'
        for path in ("/", "/index.html"):
            self.site.add(
                path, html_resource(page(plan, plan.site_name, home, hub_url=self.root + "index.html"))
            )
        return self.site


def build(plan: PortalPlan) -> Site:
    return ShandongPortal(plan).build()
