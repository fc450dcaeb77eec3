"""TRS WCM / 海云 portal (舞阳县 style).

Static lists `index.html`, `index_1.html` … whose pager is a script call
`createPageHTML(total, current, "index", "html")` (no page links in the HTML); articles at
`<column>/YYYYMM/tYYYYMMDD_<id>.html` in `div.TRS_Editor`, long ones continued on
`t…_1.html`; attachments `P0YYYYMMDD<id>.<ext>` next to the article.
"""

from __future__ import annotations

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
from harvester.world.plan import Body, Column, Item, PortalPlan
from harvester.world.server import DEFAULT_MODIFIED, Resource, Site

HUB = "/zwgk/"
COLUMN = "/zwgk/zfxxgknb_70772/"
PER_PAGE = 6
NAME = COLUMN_NAME


def _html(text: str, modified: float | None = None) -> Resource:
    """TRS stamps every page: without a modification time, the world's default one."""
    return html_resource(text, modified or DEFAULT_MODIFIED)


def _stamp(item: Item) -> str:
    return item.published.strftime("%Y%m%d")


def _article_path(col_dir: str, item: Item) -> str:
    return f"{col_dir}{item.published.strftime('%Y%m')}/t{_stamp(item)}_{item.uid}.html"


def _list_item(col_dir: str, item: Item) -> str:
    href = item.external or "./" + _article_path(col_dir, item)[len(col_dir) :]
    return (
        f'<li><a href="{href}" target="_blank" title="{esc(item.title)}">{esc(item.title)}</a>'
        f"<span>{item.published.isoformat()}</span></li>"
    )


def _add_article(site: Site, plan: PortalPlan, col_dir: str, item: Item, column: str) -> None:
    if item.external:
        return
    path = _article_path(col_dir, item)
    base = path.rsplit("/", 1)[0] + "/"
    lis = []
    for n, asset in enumerate(item.files):
        name = f"P0{_stamp(item)}{item.uid}{n}.{asset.ext}"
        add_file(site, asset, base + name, epoch(item))
        lis.append(attachment_li("./" + name, asset))
    stem = f"t{_stamp(item)}_{item.uid}"
    bodies = [item.body_html, *item.pages]
    total = len(bodies)
    for n, body in enumerate(bodies):
        pager = (
            f'<div class="page"><script>createPageHTML({total}, {n}, "{stem}", "html");</script></div>'
            if total > 1
            else ""
        )
        last = n == total - 1
        html = article(
            plan,
            item,
            hub_url=HUB,
            column=column,
            column_url=col_dir,
            body=body + pager,
            attachments="".join(lis) if last else "",
        )
        site.add(path if n == 0 else base + f"{stem}_{n}.html", _html(html, epoch(item)))


def _list_pages(
    site: Site,
    plan: PortalPlan,
    col_dir: str,
    title: str,
    items: list[Item],
    side: str,
    column_name: str,
) -> None:
    pages = chunks(items, PER_PAGE)
    for n, chunk in enumerate(pages):
        lis = "".join(_list_item(col_dir, i) for i in chunk)
        body = (
            crumbs(("/", "首页"), (HUB, "政务公开"), (col_dir, title))
            + f'<div class="left">{side}</div>'
            + f'<div class="right"><h3>{esc(title)}</h3><ul class="list">{lis}</ul>'
            + f'<div class="page" id="page_div"><script>createPageHTML({len(pages)}, {n}, "index", "html");</script></div></div>'
        )
        html = page(plan, title, body, hub_url=HUB, meta={"ColumnName": column_name})
        if n == 0:
            site.add(col_dir, _html(html))
            site.add(col_dir + "index.html", _html(html))
        else:
            site.add(col_dir + f"index_{n}.html", _html(html))
    for item in items:
        _add_article(site, plan, col_dir, item, column_name)


def _tree(plan: PortalPlan) -> str:
    groups: dict[str, list[Body]] = {}
    for body in plan.bodies[1:]:
        groups.setdefault(body.group, []).append(body)
    names = {"office": "县政府办公室", "dept": "县直部门", "town": "乡镇（街道）"}
    out = [f'<h4><a href="{COLUMN}">县政府</a></h4>']
    for group, bodies in groups.items():
        lis = "".join(f'<li><a href="{COLUMN}{b.key}/">{esc(b.label)}</a></li>' for b in bodies)
        out.append(f"<h4>{names[group]}</h4><ul>{lis}</ul>")
    return '<div class="tree">' + "".join(out) + "</div>"


def _column(site: Site, plan: PortalPlan, column: Column) -> None:
    col_dir = f"{HUB}{column.key}/"
    _list_pages(site, plan, col_dir, column.label, column.items, "", column.label)


def build(plan: PortalPlan) -> Site:
    site = Site(plan.county)
    tree = _tree(plan)
    news = "".join(
        f'<li><a href="/xwzx/{i.published.strftime("%Y%m")}/t{_stamp(i)}_{i.uid}.html">{esc(i.title)}</a></li>'
        for i in plan.news
    )
    home = (
        f'<div class="news"><h3><a href="/xwzx/">{esc(plan.county)}要闻</a></h3><ul>{news}</ul></div>'
        f'<div class="zwgk"><h3><a href="{HUB}">政务公开</a></h3>'
        f'<a href="{HUB}zfgzbg/">政府工作报告</a> <a href="{HUB}fdzdgknr/">法定主动公开内容</a></div>'
    )
    site.add("/", _html(page(plan, plan.site_name, home, hub_url=HUB)))
    site.add("/index.html", _html(page(plan, plan.site_name, home, hub_url=HUB)))
    _list_pages(site, plan, "/xwzx/", "新闻中心", plan.news, "", "新闻中心")
    hub_links = [(f"{HUB}{c.key}/", c.label) for c in plan.standard]
    hub_links.insert(3, (COLUMN, NAME))
    hub_links += [(f"{HUB}{c.key}/", c.label) for c in plan.distractors]
    hub = "".join(f'<li><a href="{u}">{esc(t)}</a></li>' for u, t in hub_links)
    hub_html = page(plan, "政务公开", f'<ul class="gkml">{hub}</ul>', hub_url=HUB)
    site.add(HUB, _html(hub_html))
    site.add(HUB + "index.html", _html(hub_html))
    for column in plan.standard + plan.distractors:
        _column(site, plan, column)
    gov = plan.gov
    _list_pages(site, plan, COLUMN, NAME, gov.items, tree, NAME)
    for body in plan.bodies[1:]:
        col_dir = f"{COLUMN}{body.key}/"
        if not body.by_year:
            _list_pages(site, plan, col_dir, body.label, body.items, tree, NAME)
            continue
        years = "".join(f'<li><a href="./{y}n/">{y}年</a></li>' for y in body.years())
        html = page(
            plan,
            body.label,
            crumbs(("/", "首页"), (COLUMN, NAME), (col_dir, body.label))
            + tree
            + f'<ul class="years">{years}</ul>',
            hub_url=HUB,
            meta={"ColumnName": NAME},
        )
        site.add(col_dir, _html(html))
        site.add(col_dir + "index.html", _html(html))
        for year in body.years():
            items = [i for i in body.items if i.year == year]
            _list_pages(site, plan, f"{col_dir}{year}n/", f"{year}年", items, tree, NAME)
    return site
