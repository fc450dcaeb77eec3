"""博达 VSB portal (大荔县 style, Shaanxi).

Lists are static pages that count down: the first page is `/<col>.htm`, the older ones
`/<col>/N.htm` from N = pages-1 down to 1 (so old pages keep their URLs when new items
arrive); the pager says "共N条 1/P 首页 上页 下页 尾页". Articles `/info/<col>/<id>.htm`
in `div#vsb_content`; attachments through
`/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=…&wbfileid=…`
(the name in Content-Disposition) or as `/__local/…/<hex>.<ext>` files.
"""

from __future__ import annotations

import hashlib
from functools import partial

from harvester.world.layout import COLUMN_NAME, body_groups, chunks, crumbs, esc, link_items
from harvester.world.plan import FileAsset, Item, PortalPlan
from harvester.world.portal import FilePlace, Portal
from harvester.world.server import Site

HUB = "/zwgk.htm"
COLUMN = "/zwgk/zfxxgknb"
PER_PAGE = 5
SCREEN_JS = '<script language="javascript" src="/system/resource/js/vsbscreen.min.js"></script>'


class VsbPortal(Portal):
    hub = HUB
    container = '<div id="vsb_content"><div class="v_news_content">{}</div></div>'

    def __init__(self, plan: PortalPlan) -> None:
        super().__init__(plan)
        self.col_no = 1040
        self.owner = 1263340000 + int(plan.adcode[-3:]) * 10
        self.wbfile = 500

    def place(self, item: Item, n: int, asset: FileAsset) -> FilePlace:
        if asset.how in ("direct", "onclick"):
            digest = hashlib.md5(f"{item.uid}-{n}".encode()).hexdigest()
            return FilePlace(f"/__local/{digest[0]}/{digest[1:3]}/{digest[3:25]}.{asset.ext}")
        # The download script itself answers with the file (its name in the headers).
        self.wbfile += 1
        return FilePlace(
            f"/system/_content/download.jsp?urltype=news.DownloadAttachUrl"
            f"&owner={self.owner}&wbfileid={self.wbfile}"
        )

    def add_item(self, col_no: int, item: Item, column: str, column_url: str) -> str:
        if item.external:
            return item.external
        url = f"/info/{col_no}/{item.uid}.htm"
        place = partial(self.place, item)
        return self.add_article(url, item, column, column_url, place, scripts=SCREEN_JS)

    def add_list(self, stem: str, title: str, items: list[Item], side: str, column: str) -> str:
        """A list at `<stem>.htm` with older pages `<stem>/N.htm`; returns the first page."""
        self.col_no += 1
        first = stem + ".htm"
        urls = {i.uid: self.add_item(self.col_no, i, column, first) for i in items}
        pages = chunks(items, PER_PAGE)
        total = len(pages)
        name = stem.rsplit("/", 1)[-1]

        def page_url(k: int, here: int) -> str:
            # Relative links as VSB writes them: from <stem>.htm into <stem>/, and back.
            if k == 1:
                return f"{name}.htm" if here == 1 else f"../{name}.htm"
            return f"{name}/{total - k + 1}.htm" if here == 1 else f"{total - k + 1}.htm"

        for k, chunk in enumerate(pages, start=1):
            up = "../" * (first.count("/") - (1 if k == 1 else 0))
            lis = "".join(
                f'<li id="line_u5_{n}"><a href="{urls[i.uid] if i.external else up + urls[i.uid].lstrip("/")}" title="{esc(i.title)}">'
                f"{esc(i.title)}</a><span>{i.published.isoformat()}</span></li>"
                for n, i in enumerate(chunk)
            )
            pager = f'<td class="pb_sys_common">共{len(items)}条&nbsp;&nbsp;{k}/{total}&nbsp;'
            if total > 1:
                if k > 1:
                    pager += f'<a href="{page_url(1, k)}">首页</a> <a href="{page_url(k - 1, k)}">上页</a> '
                if k < total:
                    pager += f'<a href="{page_url(k + 1, k)}">下页</a> <a href="{page_url(total, k)}">尾页</a>'
            pager += "</td>"
            body = (
                crumbs(("/index.htm", "首页"), (HUB, "政务公开"), (first, title))
                + f'<div class="left">{side}</div>'
                + f'<div class="right"><h3>{esc(title)}</h3><ul class="list">{lis}</ul>'
                + f'<table class="pager"><tr>{pager}</tr></table></div>'
            )
            self.add(
                first if k == 1 else f"{stem}/{total - k + 1}.htm", self.page(title, body, column)
            )
        return first

    def side(self) -> str:
        heads = {"office": "县政府办公室", "dept": "县级部门", "town": "镇（街道）"}
        side = f'<ul class="menu"><li><a href="{COLUMN}.htm">县政府</a></li>'
        for group, bodies in body_groups(self.plan.sub_bodies).items():
            links = [(f"{COLUMN}/{b.key}.htm", b.label) for b in bodies]
            side += f"<li>{heads[group]}<ul>{link_items(links)}</ul></li>"
        return side + "</ul>"

    def build(self) -> Site:
        plan = self.plan
        side = self.side()
        self.add_list(COLUMN, COLUMN_NAME, plan.gov.items, side, COLUMN_NAME)
        for body in plan.sub_bodies:
            self.add_list(f"{COLUMN}/{body.key}", body.label, body.items, side, COLUMN_NAME)
        hub_links = [
            (self.add_list(f"/zwgk/{c.key}", c.label, c.items, "", c.label), c.label)
            for c in plan.columns
        ]
        hub_links.insert(3, (f"{COLUMN}.htm", COLUMN_NAME))
        self.add(HUB, self.link_page("政务公开", '<ul class="zwgk">{}</ul>', hub_links))
        news = self.add_list(
            "/xwzx/dlyw", "大荔要闻" if "大荔" in plan.county else "要闻", plan.news, "", "要闻"
        )
        self.add_home(
            f'<div class="news"><a href="{news}">新闻中心</a></div>'
            f'<div class="zwgk"><a href="zwgk.htm">政务公开</a> <a href="zwgk/zfgzbg.htm">政府工作报告</a></div>',
            ("/", "/index.htm"),
        )
        return self.site


def build(plan: PortalPlan) -> Site:
    return VsbPortal(plan).build()
