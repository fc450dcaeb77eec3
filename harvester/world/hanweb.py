"""大汉 Hanweb JCMS portal (象山县 style).

Columns are opaque ids, `/col/col<id>/index.html`. A list's first page carries its
records in `<script type="text/xml"><datastore>…<recordset><record><![CDATA[<li>…</li>]]>
</record>…` (the jpage script turns them into HTML in the browser); further records only
come from `/module/web/jpage/dataproxy.jsp?startrecord=…&endrecord=…&perpage=…` (GET or
POST, with `columnid`, `unitid`, `webid`), answering XML with `<totalrecord>`. Articles
`/art/Y/M/D/art_<col>_<id>.html` in `div#zoom`; attachments through
`/module/download/downfile.jsp?classid=0&filename=<hex>.<ext>` (302 to the file) or
`/picture/0/<hex>.<ext>` directly.
"""

from __future__ import annotations

import hashlib

from harvester.world.content import Body, Item, PortalPlan
from harvester.world.layout import (
    add_file,
    article,
    attachment_li,
    crumbs,
    epoch,
    esc,
    html_resource,
    page,
)
from harvester.world.server import Resource, Site, WorldRequest, not_found

WEBID = "31"
PER_PAGE = 5  # records shown per page, and embedded in the first page's datastore
HUB_ID = 1229100000


class HanwebPortal:
    def __init__(self, plan: PortalPlan) -> None:
        self.plan = plan
        self.site = Site(plan.county)
        self.columns: dict[str, tuple[str, list[Item]]] = {}  # col id -> (name, items)
        self.unit = "5" + plan.adcode[-3:] + "1"
        self.next_id = HUB_ID + 366

    def col_id(self) -> str:
        self.next_id += 7
        return str(self.next_id)

    def hub(self) -> str:
        return f"/col/col{HUB_ID}/index.html"

    def record(self, col: str, item: Item) -> str:
        d = item.published
        href = item.external or f"/art/{d.year}/{d.month}/{d.day}/art_{col}_{item.uid}.html"
        return (
            f'<record><![CDATA[<li><a href="{href}" title="{esc(item.title)}" target="_blank">'
            f"{esc(item.title)}</a><span>{d.isoformat()}</span></li>]]></record>"
        )

    def add_list(self, col: str, name: str, items: list[Item], side: str, column_name: str) -> str:
        self.columns[col] = (name, items)
        first = items[:PER_PAGE]
        group = (
            '<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid='
            f"{WEBID}&path=/&columnid={col}&unitid={self.unit}&webname=%E8%B1%A1%E5%B1%B1"
            '&permissiontype=0"></a>]]></nextgroup>'
        )
        datastore = (
            f'<script type="text/xml"><datastore>{group}<recordset>'
            + "".join(self.record(col, i) for i in first)
            + "</recordset></datastore></script>"
        )
        script = (
            '<script language="javascript" src="/module/web/jpage/jpage.js"></script>'
            f"<script>var jpage = new JPage({{totalRecord: {len(items)}, perpage: {PER_PAGE}, "
            f"columnid: {col}, unitid: {self.unit}, webid: {WEBID}, "
            f'proxyUrl: "/module/web/jpage/dataproxy.jsp"}}); jpage.show();</script>'
        )
        body = (
            crumbs(("/", "首页"), (self.hub(), "政务公开"), (f"/col/col{col}/index.html", name))
            + f'<div class="left">{side}</div>'
            + f'<div class="right"><h3>{esc(name)}</h3><div id="{self.unit}">{datastore}</div>'
            + f'<div class="pager" id="pager_{col}"></div></div>'
        )
        html = page(
            self.plan,
            name,
            body,
            hub_url=self.hub(),
            meta={"ColumnName": column_name},
            scripts=script,
        )
        self.site.add(f"/col/col{col}/index.html", html_resource(html))
        self.site.add(f"/col/col{col}/", html_resource(html))
        for item in items:
            self.add_article(col, name, item)
        return f"/col/col{col}/index.html"

    def add_article(self, col: str, column: str, item: Item) -> None:
        if item.external:
            return
        d = item.published
        lis = []
        for n, asset in enumerate(item.files):
            name = hashlib.md5(f"{item.uid}-{n}".encode()).hexdigest()[:20] + f".{asset.ext}"
            href = add_file(
                self.site,
                asset,
                f"/picture/0/{name}",
                epoch(item),
                downloader=f"/module/download/downfile.jsp?classid=0&filename={name}",
            )
            lis.append(attachment_li(href, asset))
        html = article(
            self.plan,
            item,
            hub_url=self.hub(),
            column=column,
            column_url=f"/col/col{col}/index.html",
            container='<div id="zoom">{}</div>',
            attachments="".join(lis),
        )
        self.site.add(
            f"/art/{d.year}/{d.month}/{d.day}/art_{col}_{item.uid}.html", html_resource(html, epoch(item))
        )

    def dataproxy(self, request: WorldRequest) -> Resource | None:
        params = {**request.query, **request.form}
        col = params.get("columnid", "")
        if col not in self.columns or params.get("unitid") != self.unit:
            return Resource(b"<datastore><totalrecord>0</totalrecord></datastore>", "text/xml", 200)
        try:
            start = int(params.get("startrecord", "1"))
            end = int(params.get("endrecord", str(start + PER_PAGE - 1)))
        except ValueError:
            return Resource(b"bad startrecord/endrecord", "text/plain", 400)
        _name, items = self.columns[col]
        chosen = items[max(start - 1, 0) : end]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><datastore>'
            f"<totalrecord>{len(items)}</totalrecord><totalpage>{-(-len(items) // PER_PAGE)}</totalpage>"
            "<recordset>"
            + "".join(self.record(col, i) for i in chosen)
            + "</recordset></datastore>"
        )
        return Resource(body.encode(), "text/xml; charset=UTF-8", 200, [], None, False)

    def build(self) -> Site:
        plan = self.plan
        ids = {b.key: self.col_id() for b in plan.bodies}
        nb_id = ids[plan.gov.key]

        def tree() -> str:
            groups: dict[str, list[Body]] = {}
            for body in plan.bodies[1:]:
                groups.setdefault(body.group, []).append(body)
            heads = {"office": "县政府办公室", "dept": "部门", "town": "乡镇（街道）"}
            out = f'<div class="tree"><h4><a href="/col/col{nb_id}/index.html">县政府</a></h4>'
            for group, bodies in groups.items():
                out += f"<h4>{heads[group]}</h4><ul>" + "".join(
                    f'<li><a href="/col/col{ids[b.key]}/index.html">{esc(b.label)}</a></li>'
                    for b in bodies
                )
                out += "</ul>"
            return out + "</div>"

        side = tree()
        name = "政府信息公开年报"
        self.add_list(nb_id, name, plan.gov.items, side, name)
        for body in plan.bodies[1:]:
            if not body.by_year:
                self.add_list(ids[body.key], body.label, body.items, side, name)
                continue
            years = ""
            for year in body.years():
                ycol = self.col_id()
                items = [i for i in body.items if i.year == year]
                self.add_list(ycol, f"{year}年", items, side, name)
                years += f'<li><a href="/col/col{ycol}/index.html">{year}年</a></li>'
            html = page(
                plan,
                body.label,
                crumbs(("/", "首页"), (f"/col/col{nb_id}/index.html", name))
                + side
                + f"<ul>{years}</ul>",
                hub_url=self.hub(),
                meta={"ColumnName": name},
            )
            self.site.add(f"/col/col{ids[body.key]}/index.html", html_resource(html))
        hub_links = []
        for column in plan.standard + plan.distractors:
            col = self.col_id()
            url = self.add_list(col, column.label, column.items, "", column.label)
            hub_links.append((url, column.label))
        hub_links.insert(3, (f"/col/col{nb_id}/index.html", name))
        hub_html = page(
            plan,
            "政务公开",
            '<ul class="xxgk">'
            + "".join(f'<li><a href="{u}">{esc(t)}</a></li>' for u, t in hub_links)
            + "</ul>",
            hub_url=self.hub(),
        )
        self.site.add(self.hub(), html_resource(hub_html))
        news_col = self.col_id()
        self.add_list(
            news_col, "象山要闻" if "象山" in plan.county else "本地要闻", plan.news, "", "新闻中心"
        )
        home = (
            f'<div class="news"><a href="/col/col{news_col}/index.html">新闻中心</a></div>'
            f'<div class="zwgk"><a href="{self.hub()}">政务公开</a></div>'
            f'<div class="zt"><a href="{hub_links[-1][0]}">政府工作报告</a></div>'
        )
        self.site.add("/", html_resource(page(plan, plan.site_name, home, hub_url=self.hub())))
        self.site.add("/index.html", html_resource(page(plan, plan.site_name, home, hub_url=self.hub())))
        self.site.add_prefix("/module/web/jpage/dataproxy.jsp", self.dataproxy)
        self.site.add(
            "/module/web/jpage/jpage.js",
            Resource(
                b"function JPage(o){this.o=o}JPage.prototype.show=function(){};",
                "application/javascript",
            ),
        )
        self.site.add_prefix("/module/download/", lambda r: not_found())
        return self.site


def build(plan: PortalPlan) -> Site:
    return HanwebPortal(plan).build()
