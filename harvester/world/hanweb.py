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
from functools import partial

from harvester.world.layout import COLUMN_NAME, body_groups, crumbs, esc, link_items
from harvester.world.plan import FileAsset, Item, PortalPlan
from harvester.world.portal import FilePlace, Portal
from harvester.world.server import Resource, Site, WorldRequest, data_answer, not_found

WEBID = "31"
PER_PAGE = 5  # records shown per page, and embedded in the first page's datastore
HUB_ID = 1229100000
JPAGE_JS = b"function JPage(o){this.o=o}JPage.prototype.show=function(){};"


def col_url(col: str) -> str:
    return f"/col/col{col}/index.html"


def place(item: Item, n: int, asset: FileAsset) -> FilePlace:
    name = hashlib.md5(f"{item.uid}-{n}".encode()).hexdigest()[:20] + f".{asset.ext}"
    return FilePlace(
        f"/picture/0/{name}", f"/module/download/downfile.jsp?classid=0&filename={name}"
    )


class HanwebPortal(Portal):
    hub = col_url(str(HUB_ID))
    container = '<div id="zoom">{}</div>'

    def __init__(self, plan: PortalPlan) -> None:
        super().__init__(plan)
        self.columns: dict[str, tuple[str, list[Item]]] = {}  # col id -> (name, items)
        self.unit = "5" + plan.adcode[-3:] + "1"
        self.next_id = HUB_ID + 366

    def col_id(self) -> str:
        self.next_id += 7
        return str(self.next_id)

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
            crumbs(("/", "首页"), (self.hub, "政务公开"), (col_url(col), name))
            + f'<div class="left">{side}</div>'
            + f'<div class="right"><h3>{esc(name)}</h3><div id="{self.unit}">{datastore}</div>'
            + f'<div class="pager" id="pager_{col}"></div></div>'
        )
        self.add([col_url(col), f"/col/col{col}/"], self.page(name, body, column_name, script))
        for item in items:
            self.add_item(col, name, item)
        return col_url(col)

    def add_item(self, col: str, column: str, item: Item) -> None:
        if item.external:
            return
        d = item.published
        url = f"/art/{d.year}/{d.month}/{d.day}/art_{col}_{item.uid}.html"
        self.add_article(url, item, column, col_url(col), partial(place, item))

    def dataproxy(self, request: WorldRequest) -> Resource | None:
        params = {**request.query, **request.form}
        col = params.get("columnid", "")
        if col not in self.columns or params.get("unitid") != self.unit:
            return Resource(b"<datastore><totalrecord>0</totalrecord></datastore>", "text/xml")
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
        return data_answer(body.encode(), "text/xml; charset=UTF-8")

    def side(self, ids: dict[str, str]) -> str:
        heads = {"office": "县政府办公室", "dept": "部门", "town": "乡镇（街道）"}
        out = f'<div class="tree"><h4><a href="{col_url(ids[self.plan.gov.key])}">县政府</a></h4>'
        for group, bodies in body_groups(self.plan.sub_bodies).items():
            links = [(col_url(ids[b.key]), b.label) for b in bodies]
            out += f"<h4>{heads[group]}</h4><ul>{link_items(links)}</ul>"
        return out + "</div>"

    def build(self) -> Site:
        plan = self.plan
        ids = {b.key: self.col_id() for b in plan.bodies}
        nb_id = ids[plan.gov.key]
        side = self.side(ids)
        self.add_list(nb_id, COLUMN_NAME, plan.gov.items, side, COLUMN_NAME)
        for body in plan.sub_bodies:
            if not body.by_year:
                self.add_list(ids[body.key], body.label, body.items, side, COLUMN_NAME)
                continue
            years = ""
            for year in body.years():
                ycol = self.col_id()
                self.add_list(ycol, f"{year}年", body.items_of(year), side, COLUMN_NAME)
                years += f'<li><a href="{col_url(ycol)}">{year}年</a></li>'
            body_html = crumbs(("/", "首页"), (col_url(nb_id), COLUMN_NAME)) + side
            html = self.page(body.label, body_html + f"<ul>{years}</ul>", COLUMN_NAME)
            self.add(col_url(ids[body.key]), html)
        hub_links = []
        for column in plan.columns:
            url = self.add_list(self.col_id(), column.label, column.items, "", column.label)
            hub_links.append((url, column.label))
        hub_links.insert(3, (col_url(nb_id), COLUMN_NAME))
        self.add(self.hub, self.link_page("政务公开", '<ul class="xxgk">{}</ul>', hub_links))
        news_col = self.col_id()
        news_name = "象山要闻" if "象山" in plan.county else "本地要闻"
        self.add_list(news_col, news_name, plan.news, "", "新闻中心")
        self.add_home(
            f'<div class="news"><a href="{col_url(news_col)}">新闻中心</a></div>'
            f'<div class="zwgk"><a href="{self.hub}">政务公开</a></div>'
            f'<div class="zt"><a href="{hub_links[-1][0]}">政府工作报告</a></div>'
        )
        self.site.add_prefix("/module/web/jpage/dataproxy.jsp", self.dataproxy)
        self.site.add("/module/web/jpage/jpage.js", Resource(JPAGE_JS, "application/javascript"))
        self.site.add_prefix("/module/download/", lambda r: not_found())
        return self.site


def build(plan: PortalPlan) -> Site:
    return HanwebPortal(plan).build()
