"""A Lonsun county whose other bodies are reached only through the platform's unit lists.

The 政府信息公开 platform page (``/zwgk/index.html``) links the county government's own
年报 column and lists the county's units in three forms, as provincial platforms do:

- 部门信息公开: links to the first departments' unit pages;
- 乡镇（街道）信息公开: a ``<select>`` of the townships, option values their unit pages;
- a JSON unit list its script loads (``/public/api/units.json``): the government office
  and the remaining departments.

Each unit page (``/public/<organ>/index.html``) has its own columns: 信息公开指南, the
unit's 政府信息公开年报 (``/public/column/<organ>?type=3&action=list``) and a look-alike
政府网站工作年度报表 column. The 年报 lists carry no tree of other bodies: a crawl that
walks only the county's own column finds the government's reports alone.

The government's ``PICTURED_YEAR`` report publishes its tables as pictures: a real seed
report's tables (seed 002) drawn as ruled PNG scans (harvester.world.pictured) in the
article body, ``/public/<organ>/W0<uid>_<n>.png``, with no attachment — the data are in
the pictures only.
"""

from __future__ import annotations

import json

from harvester.world.layout import COLUMN_NAME, epoch, esc
from harvester.world.lonsun import GOV_ORGAN, HUB, LonsunPortal
from harvester.world.pictured import pictured_article
from harvester.world.plan import Body, Item, PortalPlan
from harvester.world.seed_reports import seed_document, seed_text
from harvester.world.server import Resource, Site

UNITS_JSON = "/public/api/units.json"
LINKED_DEPTS = 2  # departments listed as links; the rest come from the JSON list
PICTURED_YEAR = 2022
PICTURED_SEED = "002"  # a 2021-template seed report: its tables become the pictures


class PlatformPortal(LonsunPortal):
    def side(self) -> str:
        return ""  # no organ tree: the platform's unit lists are the only way to the bodies

    def add_item(self, organ: int, item: Item, column: str, column_url: str) -> str:
        if item.is_report and item.agency == self.plan.gov.agency and item.year == PICTURED_YEAR:
            doc = seed_document(seed_text(PICTURED_SEED), item.title, item.agency, item.year)
            art = pictured_article(doc, f"W0{item.uid}")
            for name, png in art.pictures.items():
                self.site.add(
                    f"/public/{organ}/{name}", Resource(png, "image/png", modified=epoch(item))
                )
            item.body_html = art.body
            item.files = []
        return super().add_item(organ, item, column, column_url)

    def unit_url(self, body: Body) -> str:
        return f"/public/{self.organs[body.key]}/index.html"

    def add_unit_page(self, body: Body) -> None:
        organ = self.organs[body.key]
        columns = [
            (self.col_url(organ, 1), "信息公开指南"),
            (self.col_url(organ), COLUMN_NAME),
            (self.col_url(organ, 4, "&catId=9101"), "政府网站工作年度报表"),
        ]
        self.add(
            self.unit_url(body),
            self.link_page(
                body.label,
                f'<div class="unit"><h3>{esc(body.label)}</h3><ul class="unit-columns">{{}}</ul></div>',
                columns,
            ),
        )
        self.add(
            self.col_url(organ, 1),
            self.page("信息公开指南", f"<p>{esc(body.label)}政府信息公开指南。</p>"),
        )
        self.add_list(
            self.col_url(organ, 4, "&catId=9101"), organ, "政府网站工作年度报表", [], "年度报表"
        )

    def platform_page(self) -> str:
        bodies = self.plan.bodies[1:]
        depts = [b for b in bodies if b.group == "dept"]
        towns = [b for b in bodies if b.group == "town"]
        linked = depts[:LINKED_DEPTS]
        listed = [b for b in bodies if b not in linked and b not in towns]
        units = [{"unitName": b.label, "url": self.unit_url(b)} for b in listed]
        self.site.add(
            UNITS_JSON,
            Resource(
                json.dumps({"data": units}, ensure_ascii=False).encode(),
                "application/json; charset=utf-8",
            ),
        )
        dept_links = "".join(
            f'<li><a href="{self.unit_url(b)}">{esc(b.label)}</a></li>' for b in linked
        )
        options = "".join(
            f'<option value="{self.unit_url(b)}">{esc(b.label)}</option>' for b in towns
        )
        return (
            '<div class="xxgk-nav"><ul>'
            f'<li><a href="{self.col_url(GOV_ORGAN, 1)}">信息公开指南</a></li>'
            f'<li><a href="{self.col_url(GOV_ORGAN)}">{COLUMN_NAME}</a></li></ul></div>'
            f'<div class="bmgk"><h3>部门信息公开</h3><ul>{dept_links}</ul>'
            '<ul id="more-units"></ul></div>'
            '<div class="xzgk"><h3>乡镇（街道）信息公开</h3>'
            '<select onchange="window.open(this.value)"><option value="">请选择乡镇</option>'
            f"{options}</select></div>"
            f'<script>$.getJSON("{UNITS_JSON}", function (d) {{ fill("#more-units", d.data); }});</script>'
        )

    def build(self) -> Site:
        plan = self.plan
        for body in plan.bodies:
            organ = self.organs[body.key]
            self.add_list(
                self.col_url(organ), organ, f"{body.label}{COLUMN_NAME}", body.items, COLUMN_NAME
            )
            if body is not plan.gov:
                self.add_unit_page(body)
        self.add(self.col_url(GOV_ORGAN, 1), self.page("信息公开指南", "<p>信息公开指南。</p>"))
        self.add(HUB, self.page("政府信息公开", self.platform_page()))
        self.add_home(f'<div class="gk"><a href="{HUB}">政府信息公开</a></div>', ("/",))
        return self.site


def build(plan: PortalPlan) -> Site:
    return PlatformPortal(plan).build()
