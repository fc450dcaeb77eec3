"""Portals that test decoding and browsers rather than a content system.

* `build_gbk` (石门县 style): a home-grown CMS in GB2312/GBK. Pages declare
  `charset=gb2312` in a meta tag and `charset=GBK` over HTTP — except one report page whose
  HTTP header says `utf-8` (wrong) and one list page with no HTTP charset at all. Lists
  `list.html`, `list_2.html` … with 下一页 links; attachment names in Content-Disposition
  as raw GBK bytes.
* `build_jslist` (德清县 style): an SPA-like list: the 年报 page's HTML has no list, a script
  fetches `/api/ndbg/list?page=N` and writes the links and the pager (`?page=N`). Only a
  browser sees the reports.
* `build_challenge` (临朐县 style): every page answers HTTP 412 with an inline `$_ts` script
  computing a cookie and reloading (瑞数-like) until the request carries the cookie;
  files too. The site behind it is a plain static portal (`index.shtml`, `index_2.shtml`).
"""

from __future__ import annotations

import json

from harvester.world.layout import COLUMN_NAME, chunks, crumbs, epoch, esc, link_items
from harvester.world.plan import FileAsset, Item, PortalPlan
from harvester.world.portal import FilePlace, Portal
from harvester.world.server import Resource, Site, WorldRequest, data_answer

PER_PAGE = 4


class StaticPortal(Portal):
    """A plain static portal: lists with 下一页 links, bodies as sub-directories."""

    container = '<div id="zoom">{}</div>'
    column = "/"  # the 年报 column's directory
    index = "index"  # lists are <index>.<ext>, <index>_2.<ext> …
    ext = "html"
    http_charset = "utf-8"  # what the Content-Type header says

    def __init__(self, plan: PortalPlan) -> None:
        super().__init__(plan)
        self.wrong_charset_uid: int | None = None
        self.no_charset_list: str | None = None

    def resource(
        self, text: str, modified: float | None = None, http_charset: str | None = None
    ) -> Resource:
        codec = "gb18030" if self.charset.lower() in ("gb2312", "gbk") else self.charset
        charset = self.http_charset if http_charset is None else http_charset
        ctype = f"text/html; charset={charset}" if charset else "text/html"
        return Resource(text.encode(codec, errors="xmlcharrefreplace"), ctype, modified=modified)

    def article_resource(self, item: Item, html: str) -> Resource:
        wrong = item.uid == self.wrong_charset_uid
        return self.resource(html, epoch(item), "utf-8" if wrong else None)

    def add_item(self, col_dir: str, item: Item, column: str) -> str:
        if item.external:
            return item.external
        month = item.published.strftime("%Y%m")

        def place(n: int, asset: FileAsset) -> FilePlace:
            return FilePlace(f"{col_dir}{month}/W0{item.uid}{n}.{asset.ext}")

        return self.add_article(
            f"{col_dir}{month}/c{item.uid}.{self.ext}", item, column, col_dir, place
        )

    def list_name(self, k: int) -> str:
        return f"{self.index}.{self.ext}" if k == 1 else f"{self.index}_{k}.{self.ext}"

    def add_list(self, col_dir: str, title: str, items: list[Item], side: str, column: str) -> str:
        urls = {i.uid: self.add_item(col_dir, i, column) for i in items}
        pages = chunks(items, PER_PAGE)
        for k, chunk in enumerate(pages, start=1):
            lis = "".join(
                f'<li><a href="{urls[i.uid]}" title="{esc(i.title)}">{esc(i.title)}</a>'
                f"<span>[{i.published.isoformat()}]</span></li>"
                for i in chunk
            )
            pager = f"<span>第{k}页/共{len(pages)}页</span>"
            if k > 1:
                pager += f' <a href="{self.list_name(1)}">首页</a> <a href="{self.list_name(k - 1)}">上一页</a>'
            if k < len(pages):
                pager += f' <a href="{self.list_name(k + 1)}">下一页</a> <a href="{self.list_name(len(pages))}">尾页</a>'
            body = (
                crumbs(("/", "首页"), (self.hub, "政务公开"), (col_dir + self.list_name(1), title))
                + f'<div class="left">{side}</div>'
                + f'<div class="right"><h3>{esc(title)}</h3><ul class="list">{lis}</ul><div class="pages">{pager}</div></div>'
            )
            path = col_dir + self.list_name(k)
            charset = "" if path == self.no_charset_list else None
            self.site.add(path, self.resource(self.page(title, body, column), http_charset=charset))
        return col_dir + self.list_name(1)

    def side(self) -> str:
        links = [
            (f"{self.column}{b.key}/{self.list_name(1)}", b.label) for b in self.plan.sub_bodies
        ]
        return f'<ul class="side">{link_items(links)}</ul>'

    def build(self) -> Site:
        plan = self.plan
        side = self.side()
        self.add_list(self.column, COLUMN_NAME, plan.gov.items, side, COLUMN_NAME)
        for body in plan.sub_bodies:
            self.add_list(f"{self.column}{body.key}/", body.label, body.items, side, COLUMN_NAME)
        self.add_hub_and_home()
        return self.site

    def add_hub_and_home(self, column_url: str | None = None) -> None:
        links = [
            (self.add_list(f"{self.hub}{c.key}/", c.label, c.items, "", c.label), c.label)
            for c in self.plan.columns
        ]
        links.insert(3, (column_url or self.column + self.list_name(1), COLUMN_NAME))
        hub = self.link_page("政务公开", '<ul class="gkml">{}</ul>', links)
        self.add([self.hub, self.hub + self.list_name(1)], hub)
        self.add_home(
            f'<div class="zwgk"><a href="{self.hub}">政务公开</a></div>',
            ("/", f"/index.{self.ext}"),
        )


class GbkPortal(StaticPortal):
    hub = "/zwgk/"
    column = "/zwgk/xxgknb/"
    index = "list"
    charset = "gb2312"
    http_charset = "GBK"


def build_gbk(plan: PortalPlan) -> Site:
    portal = GbkPortal(plan)
    reports = [i for i in plan.gov.items if i.is_report]
    portal.wrong_charset_uid = reports[0].uid if reports else None
    portal.no_charset_list = "/zwgk/xxgknb/list_2.html"
    return portal.build()


# -- the script-filled list ---------------------------------------------------------------------

LIST_JS = """
(function () {
  var m = /[?&]page=(\\d+)/.exec(location.search); var page = m ? parseInt(m[1], 10) : 1;
  var xhr = new XMLHttpRequest();
  xhr.open('GET', '/api/ndbg/list?page=' + page + '&size=%(size)d');
  xhr.onload = function () {
    var data = JSON.parse(xhr.responseText), ul = document.getElementById('list');
    data.rows.forEach(function (r) {
      var li = document.createElement('li');
      li.innerHTML = '<a href="' + r.link + '" target="_blank">' + r.name + '</a><span>' + r.date + '</span>';
      ul.appendChild(li);
    });
    var pager = document.getElementById('pager'), pages = Math.ceil(data.total / data.size);
    for (var i = 1; i <= pages; i++) {
      var a = document.createElement('a'); a.href = '?page=' + i; a.textContent = i; pager.appendChild(a);
    }
    if (page < pages) { var n = document.createElement('a'); n.href = '?page=' + (page + 1); n.textContent = '下一页'; pager.appendChild(n); }
  };
  xhr.send();
})();
"""


class JsListPortal(StaticPortal):
    hub = "/xxgk/"
    column = "/xxgk/ndbg/"


def build_jslist(plan: PortalPlan) -> Site:
    portal = JsListPortal(plan)
    items = [i for b in plan.bodies for i in b.items]
    items.sort(key=lambda i: (i.published, i.uid), reverse=True)
    rows = [
        {
            "name": i.title,
            "link": portal.add_item("/xxgk/ndbg/", i, COLUMN_NAME),
            "date": i.published.isoformat(),
        }
        for i in items
    ]
    size = 6

    def api(request: WorldRequest) -> Resource:
        try:
            number = max(1, int(request.query.get("page", "1")))
        except ValueError:
            number = 1
        chunk = rows[(number - 1) * size : number * size]
        body = json.dumps({"rows": chunk, "total": len(rows), "size": size}, ensure_ascii=False)
        return data_answer(body.encode(), "application/json; charset=utf-8")

    portal.site.add_prefix("/api/ndbg/list", api)
    shell = portal.page(
        COLUMN_NAME,
        crumbs(("/", "首页"), ("/xxgk/", "信息公开"), ("/xxgk/ndbg/", COLUMN_NAME))
        + '<div class="right"><h3>政府信息公开年报</h3><ul id="list"></ul><div id="pager"></div></div>',
        COLUMN_NAME,
        scripts='<script src="/static/js/list.js"></script>',
    )
    # The shell answers whatever the query (?page=N is read by the script).
    portal.site.add_prefix("/xxgk/ndbg/index.html", lambda _request: portal.resource(shell))
    portal.site.add("/xxgk/ndbg/", portal.resource(shell))
    portal.site.add(
        "/static/js/list.js",
        Resource((LIST_JS % {"size": size}).encode(), "application/javascript"),
    )
    portal.add_hub_and_home("/xxgk/ndbg/index.html")
    return portal.site


# -- the 412 cookie challenge -----------------------------------------------------------------

COOKIE = "FSSBBIl1UgzbN7N80T"


def challenge_token(seed: str) -> str:
    """What the challenge script computes (a rolling hash of the seed, in hex)."""
    value = 7
    for ch in seed:
        value = (value * 31 + ord(ch)) % 1_000_000_007
    return format(value, "x")


def challenge_page(seed: str) -> bytes:
    script = (
        '<script type="text/javascript">$_ts=window["$_ts"];if(!$_ts)$_ts={};$_ts.nsd=48213;'
        f'$_ts.cd="{seed}";'
        "(function(){var s=$_ts.cd,v=7;for(var i=0;i<s.length;i++){v=(v*31+s.charCodeAt(i))%1000000007;}"
        f'document.cookie="{COOKIE}="+v.toString(16)+"; path=/";location.reload();}})();</script>'
    )
    return (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f'<meta id="9DhefwqGPrzGxEp9hPaoag" content="{seed}">{script}</head><body></body></html>'
    ).encode()


class ChallengePortal(StaticPortal):
    hub = "/xxgk/"
    column = "/xxgk/zfxxgknb/"
    ext = "shtml"


def build_challenge(plan: PortalPlan) -> Site:
    portal = ChallengePortal(plan)
    site = portal.build()
    seed = "qYz" + plan.adcode
    token = challenge_token(seed)

    def guard(request: WorldRequest) -> Resource | None:
        if request.cookies.get(COOKIE) == token:
            return None
        return Resource(challenge_page(seed), "text/html; charset=utf-8", 412, [], None, False)

    site.guard = guard
    return site
