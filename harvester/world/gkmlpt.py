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
from functools import partial

from harvester.world.layout import COLUMN_NAME, crumbs, esc
from harvester.world.plan import FileAsset, Item, PortalPlan
from harvester.world.portal import FilePlace, Portal
from harvester.world.server import Resource, Site, WorldRequest, data_answer

PER_PAGE = 5
JSON_TYPE = "application/json;charset=UTF-8"


class GkmlptPortal(Portal):
    hub = "/gkmlpt/index"
    container = '<div class="article-content">{}</div>'

    def __init__(self, plan: PortalPlan) -> None:
        super().__init__(plan)
        self.sid = "7" + plan.adcode[1:]
        self.columns: dict[str, list[dict[str, str]]] = {}
        self.col_no = 2845

    @staticmethod
    def folders(item: Item) -> str:
        return f"{item.uid % 7 + 1}/{item.uid // 10}"

    def place(self, item: Item, n: int, asset: FileAsset) -> FilePlace:
        digest = hashlib.md5(f"{item.uid}-{n}".encode()).hexdigest()[:16]
        path = f"/attachment/0/{self.folders(item)}/{digest}.{asset.ext}"
        if asset.how == "downloader" and asset.ext == "pdf":
            # No downloader here: the page opens the PDF in the pdf.js viewer.
            return FilePlace(path, link=f"/gkmlpt/static/pdfjs/web/viewer.html?file={path}")
        return FilePlace(path)

    def add_item(self, item: Item, column: str, column_url: str) -> str:
        if item.external:
            return item.external
        url = f"/gkmlpt/content/{self.folders(item)}/post_{item.uid}.html"
        return self.add_article(url, item, column, column_url, partial(self.place, item))

    def add_column(self, name: str, items: list[Item]) -> str:
        self.col_no += 1
        col = str(self.col_no)
        self.columns[col] = [
            {
                "id": str(i.uid),
                "title": i.title,
                "url": self.add_item(i, name, f"/gkmlpt/annualreport#{col}"),
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
            return data_answer(body, JSON_TYPE)
        try:
            number = max(1, int(request.query.get("page", "1")))
        except ValueError:
            number = 1
        articles = self.columns[col]
        chunk = articles[(number - 1) * PER_PAGE : number * PER_PAGE]
        body = json.dumps(
            {"articles": chunk, "total": len(articles), "classify": {}}, ensure_ascii=False
        )
        return data_answer(body.encode(), JSON_TYPE)

    def build(self) -> Site:
        plan = self.plan
        cols = [(b.label, self.add_column(COLUMN_NAME, b.items)) for b in plan.bodies]
        config = {
            "SID": self.sid,
            "SITE_NAME": plan.site_name,
            "ANNUAL_REPORT": [{"name": n, "columnId": int(c)} for n, c in cols],
        }
        shell = self.page(
            COLUMN_NAME,
            '<div id="app"><noscript>请开启JavaScript</noscript></div>',
            scripts=(
                f"<script>window._CONFIG = {json.dumps(config, ensure_ascii=False)};</script>"
                '<script src="/gkmlpt/static/js/annualreport.js"></script>'
            ),
        )
        self.add("/gkmlpt/annualreport", shell)
        self.site.add(
            "/gkmlpt/static/js/annualreport.js",
            Resource(b"/* renders _CONFIG.ANNUAL_REPORT */", "application/javascript"),
        )
        self.site.add_prefix("/gkmlpt/api/all/", self.api)
        links = []
        for column in plan.columns:
            url = f"/gkmlpt/column/{column.key}"
            lis = "".join(
                f'<li><a href="{self.add_item(i, column.label, url)}">{esc(i.title)}</a></li>'
                for i in column.items
            )
            self.add(
                url, self.page(column.label, crumbs((self.hub, "政府信息公开")) + f"<ul>{lis}</ul>")
            )
            links.append((url, column.label))
        links.insert(3, (f"/gkmlpt/annualreport#{cols[0][1]}", COLUMN_NAME))
        self.add(self.hub, self.link_page("政府信息公开", '<ul class="gkml-nav">{}</ul>', links))
        self.add_home(f'<div class="zwgk"><a href="{self.hub}">政府信息公开</a></div>')
        return self.site


def build(plan: PortalPlan) -> Site:
    return GkmlptPortal(plan).build()
