"""Page chrome shared by the families: head with the standard meta tags, header menus,
off-site links, footer, the article template and attachment answers."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from urllib.parse import quote

from harvester.world.plan import OFFSITE, Body, FileAsset, Item, PortalPlan
from harvester.world.server import Resource, Site, redirect

esc = html.escape


COLUMN_NAME = "政府信息公开年报"  # the 年报 column's name on every portal of the world


def html_resource(text: str, modified: float | None = None) -> Resource:
    """An HTML answer; `modified` is its Last-Modified (None: not sent)."""
    return Resource(text.encode("utf-8"), modified=modified)


def head(
    plan: PortalPlan, title: str, meta: dict[str, str] | None = None, charset: str = "utf-8"
) -> str:
    tags = {
        "SiteName": plan.site_name,
        "SiteDomain": f"www.{plan.domain}.gov.cn",
        "SiteIDCode": plan.adcode + "0001",
        **(meta or {}),
    }
    metas = "".join(f'<meta name="{k}" content="{esc(v)}">' for k, v in tags.items() if v)
    return (
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f'<meta http-equiv="X-UA-Compatible" content="IE=edge">'
        f"<title>{esc(title)}</title>{metas}"
        '<link rel="stylesheet" href="/css/common.css">'
    )


def header(plan: PortalPlan, hub_url: str) -> str:
    menu = [
        ("/", "首页"),
        ("/xwzx/", "新闻中心"),
        (hub_url, "政务公开"),
        (OFFSITE + "zwfw/", "政务服务"),
        (OFFSITE + "hdjl/", "互动交流"),
        ("/zjxq/", f"走进{plan.county}"),
    ]
    links = "".join(f'<li><a href="{u}">{t}</a></li>' for u, t in menu)
    return (
        '<div class="top"><div class="w1200">'
        f'<a href="{OFFSITE}">{esc(plan.province)}人民政府</a> | '
        f'<a href="{OFFSITE}">{esc(plan.prefecture)}人民政府</a> | '
        f'<a href="{OFFSITE}wza/">无障碍浏览</a></div></div>'
        f'<div class="banner"><h2 class="logo">{esc(plan.site_name)}</h2>'
        f'<form action="/search/" method="get"><input name="q" placeholder="请输入关键字"></form></div>'
        f'<div class="nav"><ul>{links}</ul></div>'
    )


def footer(plan: PortalPlan) -> str:
    return (
        '<div class="footer"><div class="links">'
        f'<a href="{OFFSITE}">中国政府网</a><a href="{OFFSITE}">国务院部门网站</a>'
        f'<a href="{OFFSITE}">{esc(plan.province)}政务服务网</a></div>'
        f"<p>主办：{esc(plan.site_name)}办公室　承办：{esc(plan.county)}数据资源管理局</p>"
        f"<p>网站标识码：{plan.adcode}0001　ICP备案号：{esc(plan.province[:1])}ICP备05001234号</p>"
        f'<p><a href="{OFFSITE}beian">公网安备 {plan.adcode}02000123号</a></p></div>'
    )


def page(
    plan: PortalPlan,
    title: str,
    body: str,
    *,
    hub_url: str,
    meta: dict[str, str] | None = None,
    charset: str = "utf-8",
    scripts: str = "",
) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>'
        + head(plan, title, meta, charset)
        + "</head>\n<body>\n"
        + header(plan, hub_url)
        + f'\n<div class="main w1200">\n{body}\n</div>\n'
        + footer(plan)
        + scripts
        + "\n</body>\n</html>\n"
    )


def crumbs(*parts: tuple[str, str]) -> str:
    inner = " &gt; ".join(f'<a href="{u}">{esc(t)}</a>' for u, t in parts)
    return f'<div class="position">当前位置：{inner}</div>'


def info_table(plan: PortalPlan, item: Item) -> str:
    rows = [
        ("索引号", f"{plan.adcode}/{item.year + 1}-{item.uid:05d}"),
        ("发布机构", item.agency),
        ("主题分类", "综合政务\\政务公开"),
        ("发布日期", item.published.isoformat()),
        ("文号", ""),
        ("有效性", "有效"),
    ]
    cells = "".join(f"<tr><th>{k}：</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="xxgk_info">{cells}</table>'


def article(
    plan: PortalPlan,
    item: Item,
    *,
    hub_url: str,
    column: str,
    column_url: str,
    container: str = '<div class="TRS_Editor">{}</div>',
    attachments: str = "",
    body: str | None = None,
    charset: str = "utf-8",
    scripts: str = "",
) -> str:
    """An article page: meta tags, crumbs, info block, h1, body container, 附件 block."""
    meta = {
        "ColumnName": column,
        "ColumnType": column,
        "ArticleTitle": item.title,
        "PubDate": f"{item.published.isoformat()} 09:30",
        "ContentSource": item.agency,
    }
    content = body if body is not None else item.body_html
    inner = (
        crumbs(("/", "首页"), (hub_url, "政务公开"), (column_url, column))
        + info_table(plan, item)
        + f'<h1 class="title">{esc(item.title)}</h1>'
        + f'<div class="fbxx">发布时间：{item.published.isoformat()}　来源：{esc(item.agency)}'
        + '　<a href="javascript:window.print()">【打印】</a></div>'
        + container.format(content)
        + (f'<div class="fujian"><p>附件：</p><ul>{attachments}</ul></div>' if attachments else "")
        + f'<div class="share"><a href="{OFFSITE}share?weibo">分享到微博</a></div>'
    )
    return page(
        plan, item.title, inner, hub_url=hub_url, meta=meta, charset=charset, scripts=scripts
    )


def file_resource(asset: FileAsset, modified: float) -> Resource:
    """A file answer; the name travels in Content-Disposition as the asset says."""
    headers: list[tuple[str, str | bytes]] = []
    if asset.how == "gbk":
        headers.append(
            ("Content-Disposition", b'attachment; filename="' + asset.name.encode("gb18030") + b'"')
        )
    elif asset.how in ("rfc5987", "downloader"):
        ascii_name = f"report.{asset.ext}"
        headers.append(
            (
                "Content-Disposition",
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(asset.name)}",
            )
        )
    return Resource(asset.data, asset.media_type, 200, headers, modified)


def add_file(
    site: Site,
    asset: FileAsset,
    file_path: str,
    modified: float,
    downloader: str | None = None,
) -> str:
    """Serve an attachment at `file_path`; with `downloader`, the page links the downloader
    URL, which answers 302 to the file. Returns the URL the page links."""
    site.add(file_path, file_resource(asset, modified))
    if downloader and asset.how == "downloader":
        site.add(downloader, redirect(file_path))
        return downloader
    return file_path


def attachment_li(href: str, asset: FileAsset) -> str:
    """The 附件 entry: a link, an onclick handler or an embedded viewer, as `asset.how` says."""
    if asset.how == "onclick":
        return (
            f'<li><a href="javascript:void(0);" onclick="window.open(\'{esc(href)}\')" '
            f'title="{esc(asset.name)}">{esc(asset.name)}</a></li>'
        )
    if asset.how == "iframe":
        viewer = f"/pdfjs/web/viewer.html?file={href}"
        return (
            f"<li><span>{esc(asset.name)}</span>"
            f'<iframe src="{esc(viewer)}" width="100%" height="800" frameborder="0"></iframe></li>'
        )
    return f'<li><a href="{esc(href)}" title="{esc(asset.name)}">{esc(asset.name)}</a></li>'


def epoch(item: Item) -> float:
    d = item.published
    return datetime(d.year, d.month, d.day, 9, 30, tzinfo=UTC).timestamp()


def chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def link_items(links: list[tuple[str, str]]) -> str:
    """`<li>` links, one per (URL, anchor text)."""
    return "".join(f'<li><a href="{u}">{esc(t)}</a></li>' for u, t in links)


def body_groups(bodies: list[Body]) -> dict[str, list[Body]]:
    """Bodies by group (gov, office, dept, town), in order: a side tree's sections."""
    groups: dict[str, list[Body]] = {}
    for body in bodies:
        groups.setdefault(body.group, []).append(body)
    return groups
