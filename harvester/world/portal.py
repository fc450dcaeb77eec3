"""What every family's portal builder shares: the plan and site it fills, pages in the
world's chrome, article pages with their attachments, the hub and home pages.

A family subclasses `Portal`, says where its hub is and how its article body is wrapped,
and writes its own URLs, lists and pagers (those are what make a content system itself).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from harvester.world import layout
from harvester.world.plan import FileAsset, Item, PortalPlan
from harvester.world.server import Resource, Site


class FilePlace(NamedTuple):
    """Where a family serves an attachment: the file's path, the downloader in front of it
    (answering 302 to the file, for assets served that way) and the link the page shows
    when it is neither (a relative link, a viewer URL)."""

    path: str
    downloader: str | None = None
    link: str | None = None


Placer = Callable[[int, FileAsset], FilePlace]


class Portal:
    """A portal under construction: `plan` in, routes of `site` out."""

    hub = "/"  # the 政务公开 hub every page's menu links
    container = '<div class="TRS_Editor">{}</div>'  # around an article's body
    charset = "utf-8"  # what pages declare in their meta tag

    def __init__(self, plan: PortalPlan) -> None:
        self.plan = plan
        self.site = Site(plan.county)

    # -- answers --------------------------------------------------------------------------------
    def resource(self, text: str, modified: float | None = None) -> Resource:
        """An HTML answer; `modified` is its Last-Modified (None: not sent)."""
        return layout.html_resource(text, modified)

    def add(self, paths: str | Iterable[str], text: str, modified: float | None = None) -> None:
        """Serve one page at one path or several."""
        for path in [paths] if isinstance(paths, str) else paths:
            self.site.add(path, self.resource(text, modified))

    # -- pages ----------------------------------------------------------------------------------
    def page(self, title: str, body: str, column: str | None = None, scripts: str = "") -> str:
        """A page in the world's chrome; `column` is its ColumnName meta tag."""
        return layout.page(
            self.plan,
            title,
            body,
            hub_url=self.hub,
            meta={"ColumnName": column} if column is not None else None,
            charset=self.charset,
            scripts=scripts,
        )

    def attachments(self, item: Item, place: Placer) -> str:
        """Serve the item's files where `place` says; the 附件 entries of its page."""
        entries = []
        for n, asset in enumerate(item.files):
            spot = place(n, asset)
            href = layout.add_file(self.site, asset, spot.path, layout.epoch(item), spot.downloader)
            entries.append(layout.attachment_li(spot.link or href, asset))
        return "".join(entries)

    def article_html(
        self,
        item: Item,
        column: str,
        column_url: str,
        attachments: str = "",
        body: str | None = None,
        scripts: str = "",
    ) -> str:
        return layout.article(
            self.plan,
            item,
            hub_url=self.hub,
            column=column,
            column_url=column_url,
            container=self.container,
            attachments=attachments,
            body=body,
            charset=self.charset,
            scripts=scripts,
        )

    def add_article(
        self, url: str, item: Item, column: str, column_url: str, place: Placer, scripts: str = ""
    ) -> str:
        """Serve an article page and its attachments at `url`; returns the URL."""
        html = self.article_html(
            item, column, column_url, self.attachments(item, place), scripts=scripts
        )
        self.site.add(url, self.article_resource(item, html))
        return url

    def article_resource(self, item: Item, html: str) -> Resource:
        return self.resource(html, layout.epoch(item))

    def link_page(self, title: str, wrap: str, links: list[tuple[str, str]]) -> str:
        """A page of links (a hub): `wrap` holds `{}` where the <li> entries go."""
        return self.page(title, wrap.format(layout.link_items(links)))

    def add_home(self, body: str, paths: Iterable[str] = ("/", "/index.html")) -> None:
        self.add(paths, self.page(self.plan.site_name, body))
