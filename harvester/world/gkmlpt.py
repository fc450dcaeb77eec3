"""Guangdong 政府信息公开目录平台 gkmlpt (新丰县 style).

`/gkmlpt/index` is the catalogue; the annual reports sit behind a JavaScript shell
`/gkmlpt/annualreport#<col>` whose config names the site id (`SID`) and one column id per
reporting body. The lists are only in the JSON API `/gkmlpt/api/all/<col>?page=N&sid=<sid>`
(`articles` with `title`, `url`, `date`; `total`). Articles
`/gkmlpt/content/<a>/<b>/post_<id>.html`; attachments `/attachment/0/<a>/<b>/<hex>.<ext>`,
PDFs also opened through the pdf.js viewer `/gkmlpt/static/pdfjs/web/viewer.html?file=…`.
"""

from __future__ import annotations

import hashlib
import json

from harvester.world.layout import (
    COLUMN_NAME,
    add_file,
    article,
    attachment_li,
    crumbs,
    epoch,
    esc,
    html_resource,
    page,
)
from harvester.world.plan import Item, PortalPlan
from harvester.world.server import Resource, Site, WorldRequest

PER_PAGE = 5
NAME = COLUMN_NAME
HUB = "/gkmlpt/index"


class GkmlptPortal:
    def __init__(self, plan: PortalPlan) -> None:
        self.plan = plan
        self.site = Site(plan.county)
        self.sid = "7" + plan.adcode[1:]
        self.columns: dict[str, list[dict[str, str]]] = {}
        self.col_no = 2845

    def add_article(self, item: Item, column: str, column_url: str) -> str:
        if item.external:
            return item.external
        a, b = item.uid % 7 + 1, item.uid // 10
        lis = []
        for n, asset in enumerate(item.files):
            digest = hashlib.md5(f"{item.uid}-{n}".encode()).hexdigest()[:16]
            path = f"/attachment/0/{a}/{b}/{digest}.{asset.ext}"
            href = add_file(self.site, asset, path, epoch(item))
            if asset.how == "downloader" and asset.ext == "pdf":
                href = f"/gkmlpt/static/pdfjs/web/viewer.html?file={path}"
            lis.append(attachment_li(href, asset))
        url = f"/gkmlpt/content/{a}/{b}/post_{item.uid}.html"
        html = article(
            self.plan,
            item,
            hub_url=HUB,
            column=column,
            column_url=column_url,
            container='<div class="article-content">{}</div>',
            attachments="".join(lis),
        )
        self.site.add(url, html_resource(html, epoch(item)))
        return url

    def add_column(self, name: str, items: list[Item]) -> str:
        self.col_no += 1
        col = str(self.col_no)
        self.columns[col] = [
            {
                "id": str(i.uid),
                "title": i.title,
                "url": self.add_article(i, name, f"/gkmlpt/annualreport#{col}"),
                "date": i.published.isoformat(),
                "publisher": i.agency,
            }
            for i in items
        ]
        return col

    def api(self, request: WorldRequest) -> Resource | None:
        col = request.path.rstrip("/").rsplit("/", 1)[-1]
        if col not in self.columns or request.query.get("sid") != self.sid:
            body = json.dumps({"articles": [], "total": 0}).encode()
            return Resource(body, "application/json;charset=UTF-8", 200, [], None, False)
        try:
            number = max(1, int(request.query.get("page", "1")))
        except ValueError:
            number = 1
        articles = self.columns[col]
        chunk = articles[(number - 1) * PER_PAGE : number * PER_PAGE]
        body = json.dumps(
            {"articles": chunk, "total": len(articles), "classify": {}}, ensure_ascii=False
        )
        return Resource(body.encode(), "application/json;charset=UTF-8", 200, [], None, False)

    def build(self) -> Site:
        plan = self.plan
        cols = [(b.label, self.add_column(NAME, b.items)) for b in plan.bodies]
        config = {
            "SID": self.sid,
            "SITE_NAME": plan.site_name,
            "ANNUAL_REPORT": [{"name": n, "columnId": int(c)} for n, c in cols],
        }
        shell = page(
            plan,
            NAME,
            '<div id="app"><noscript>请开启JavaScript</noscript></div>',
            hub_url=HUB,
            scripts=(
                f"<script>window._CONFIG = {json.dumps(config, ensure_ascii=False)};</script>"
                '<script src="/gkmlpt/static/js/annualreport.js"></script>'
            ),
        )
        self.site.add("/gkmlpt/annualreport", html_resource(shell))
        self.site.add(
            "/gkmlpt/static/js/annualreport.js",
            Resource(b"/* renders _CONFIG.ANNUAL_REPORT */", "application/javascript"),
        )
        self.site.add_prefix("/gkmlpt/api/all/", self.api)
        links = []
        for column in plan.standard + plan.distractors:
            url = f"/gkmlpt/column/{column.key}"
            lis = "".join(
                f'<li><a href="{self.add_article(i, column.label, url)}">{esc(i.title)}</a></li>'
                for i in column.items
            )
            self.site.add(
                url,
                html_resource(
                    page(
                        plan,
                        column.label,
                        crumbs((HUB, "政府信息公开")) + f"<ul>{lis}</ul>",
                        hub_url=HUB,
                    )
                ),
            )
            links.append((url, column.label))
        links.insert(3, (f"/gkmlpt/annualreport#{cols[0][1]}", NAME))
        hub = page(
            plan,
            "政府信息公开",
            '<ul class="gkml-nav">'
            + "".join(f'<li><a href="{u}">{esc(t)}</a></li>' for u, t in links)
            + "</ul>",
            hub_url=HUB,
        )
        self.site.add(HUB, html_resource(hub))
        home = f'<div class="zwgk"><a href="{HUB}">政府信息公开</a></div>'
        for path in ("/", "/index.html"):
            self.site.add(path, html_resource(page(plan, plan.site_name, home, hub_url=HUB)))
        return self.site


def build(plan: PortalPlan) -> Site:
    return GkmlptPortal(plan).build()
