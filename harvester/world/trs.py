"""TRS WCM / 海云 portal (舞阳县 style).

Static lists `index.html`, `index_1.html` … whose pager is a script call
`createPageHTML(total, current, "index", "html")` (no page links in the HTML); articles at
`<column>/YYYYMM/tYYYYMMDD_<id>.html` in `div.TRS_Editor`, long ones continued on
`t…_1.html`; attachments `P0YYYYMMDD<id>.<ext>` next to the article.
"""

from __future__ import annotations

from harvester.world.layout import COLUMN_NAME, body_groups, chunks, crumbs, epoch, esc, link_items
from harvester.world.plan import FileAsset, Item, PortalPlan
from harvester.world.portal import FilePlace, Portal
from harvester.world.server import DEFAULT_MODIFIED, Resource, Site

HUB = "/zwgk/"
COLUMN = "/zwgk/zfxxgknb_70772/"
PER_PAGE = 6


def _stamp(item: Item) -> str:
    return item.published.strftime("%Y%m%d")


def _stem(item: Item) -> str:
    return f"t{_stamp(item)}_{item.uid}"


def _article_path(col_dir: str, item: Item) -> str:
    return f"{col_dir}{item.published.strftime('%Y%m')}/{_stem(item)}.html"


def _pager(total: int, current: int, stem: str) -> str:
    return f'<script>createPageHTML({total}, {current}, "{stem}", "html");</script>'


class TrsPortal(Portal):
    hub = HUB

    def resource(self, text: str, modified: float | None = None) -> Resource:
        """TRS stamps every page: without a modification time, the world's default one."""
        return super().resource(text, modified or DEFAULT_MODIFIED)

    def add_item(self, col_dir: str, item: Item, column: str) -> None:
        if item.external:
            return
        path = _article_path(col_dir, item)
        base = path.rsplit("/", 1)[0] + "/"

        def place(n: int, asset: FileAsset) -> FilePlace:
            name = f"P0{_stamp(item)}{item.uid}{n}.{asset.ext}"
            return FilePlace(base + name, link="./" + name)

        attachments = self.attachments(item, place)
        stem = _stem(item)
        bodies = [item.body_html, *item.pages]
        total = len(bodies)
        for n, body in enumerate(bodies):
            pager = f'<div class="page">{_pager(total, n, stem)}</div>' if total > 1 else ""
            last = n == total - 1
            html = self.article_html(
                item, column, col_dir, attachments if last else "", body=body + pager
            )
            self.add(path if n == 0 else base + f"{stem}_{n}.html", html, epoch(item))

    def add_list(
        self, col_dir: str, title: str, items: list[Item], side: str, column_name: str
    ) -> None:
        pages = chunks(items, PER_PAGE)
        for n, chunk in enumerate(pages):
            lis = "".join(self.list_item(col_dir, i) for i in chunk)
            body = (
                crumbs(("/", "首页"), (HUB, "政务公开"), (col_dir, title))
                + f'<div class="left">{side}</div>'
                + f'<div class="right"><h3>{esc(title)}</h3><ul class="list">{lis}</ul>'
                + f'<div class="page" id="page_div">{_pager(len(pages), n, "index")}</div></div>'
            )
            html = self.page(title, body, column_name)
            self.add(
                [col_dir, col_dir + "index.html"] if n == 0 else col_dir + f"index_{n}.html", html
            )
        for item in items:
            self.add_item(col_dir, item, column_name)

    @staticmethod
    def list_item(col_dir: str, item: Item) -> str:
        href = item.external or "./" + _article_path(col_dir, item)[len(col_dir) :]
        return (
            f'<li><a href="{href}" target="_blank" title="{esc(item.title)}">{esc(item.title)}</a>'
            f"<span>{item.published.isoformat()}</span></li>"
        )

    def tree(self) -> str:
        names = {"office": "县政府办公室", "dept": "县直部门", "town": "乡镇（街道）"}
        out = [f'<h4><a href="{COLUMN}">县政府</a></h4>']
        for group, bodies in body_groups(self.plan.sub_bodies).items():
            links = [(f"{COLUMN}{b.key}/", b.label) for b in bodies]
            out.append(f"<h4>{names[group]}</h4><ul>{link_items(links)}</ul>")
        return '<div class="tree">' + "".join(out) + "</div>"

    def build(self) -> Site:
        plan = self.plan
        tree = self.tree()
        news = "".join(
            f'<li><a href="/xwzx/{i.published.strftime("%Y%m")}/{_stem(i)}.html">{esc(i.title)}</a></li>'
            for i in plan.news
        )
        self.add_home(
            f'<div class="news"><h3><a href="/xwzx/">{esc(plan.county)}要闻</a></h3><ul>{news}</ul></div>'
            f'<div class="zwgk"><h3><a href="{HUB}">政务公开</a></h3>'
            f'<a href="{HUB}zfgzbg/">政府工作报告</a> <a href="{HUB}fdzdgknr/">法定主动公开内容</a></div>'
        )
        self.add_list("/xwzx/", "新闻中心", plan.news, "", "新闻中心")
        hub_links = [(f"{HUB}{c.key}/", c.label) for c in plan.standard]
        hub_links.insert(3, (COLUMN, COLUMN_NAME))
        hub_links += [(f"{HUB}{c.key}/", c.label) for c in plan.distractors]
        self.add(
            [HUB, HUB + "index.html"],
            self.link_page("政务公开", '<ul class="gkml">{}</ul>', hub_links),
        )
        for column in plan.columns:
            self.add_list(f"{HUB}{column.key}/", column.label, column.items, "", column.label)
        self.add_list(COLUMN, COLUMN_NAME, plan.gov.items, tree, COLUMN_NAME)
        for body in plan.sub_bodies:
            col_dir = f"{COLUMN}{body.key}/"
            if not body.by_year:
                self.add_list(col_dir, body.label, body.items, tree, COLUMN_NAME)
                continue
            years = "".join(f'<li><a href="./{y}n/">{y}年</a></li>' for y in body.years())
            body_html = (
                crumbs(("/", "首页"), (COLUMN, COLUMN_NAME), (col_dir, body.label))
                + tree
                + f'<ul class="years">{years}</ul>'
            )
            self.add(
                [col_dir, col_dir + "index.html"], self.page(body.label, body_html, COLUMN_NAME)
            )
            for year in body.years():
                items = body.items_of(year)
                self.add_list(f"{col_dir}{year}n/", f"{year}年", items, tree, COLUMN_NAME)
        return self.site


def build(plan: PortalPlan) -> Site:
    return TrsPortal(plan).build()
