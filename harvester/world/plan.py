"""A county portal's content independent of its content system: the `PortalPlan`.

A plan holds the reporting bodies (county government first, its office, departments,
townships), each with its list items (reports, look-alike publications, unrelated
notices), the distractor columns (政府网站年度报表, 住房公积金年度报告, 政府工作报告), the
three sibling disclosure columns and the news. Family modules turn a plan into URLs and
HTML; `harvester.world.factory` fills plans.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

OFFSITE = "http://something.invalid/"  # links a crawl must never need

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "wps": "application/kswps",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "png": "image/png",
    "ofd": "application/ofd",
    "zip": "application/zip",
}


@dataclass
class FileAsset:
    """An attachment: its published name and how the portal serves it.

    `how`: "direct" (a plain file URL), "gbk" (Content-Disposition with raw GBK bytes),
    "rfc5987" (filename*=UTF-8''…), "downloader" (a 302 downloader in front of the file),
    "onclick" (a javascript: link whose onclick opens the file), "iframe" (embedded in the
    page through the pdf.js viewer, no link).
    """

    name: str
    ext: str
    make: Callable[[], bytes]
    how: str = "direct"
    _data: bytes | None = None

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self.make()
        return self._data

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(self.ext, "application/octet-stream")


@dataclass
class Item:
    """An entry of a list: a report, a look-alike publication or an unrelated notice."""

    uid: int
    kind: str  # report | lookalike | notice | offsite
    title: str
    agency: str
    year: int
    published: date
    body_html: str
    files: list[FileAsset] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # continuation bodies (TRS t…_1.html)
    external: str | None = None  # listed, but published on another site (never needed)

    @property
    def is_report(self) -> bool:
        return self.kind == "report"


@dataclass
class Body:
    """A reporting body and its 年报 sub-column."""

    key: str  # slug used in paths
    label: str  # the sub-column's anchor text (县教育局)
    agency: str  # the issuing body as report titles name it (寿县教育局)
    group: str  # gov | office | dept | town
    items: list[Item] = field(default_factory=list)
    by_year: bool = False  # the sub-column is split into per-year sub-columns

    def years(self) -> list[int]:
        return sorted({i.year for i in self.items}, reverse=True)

    def items_of(self, year: int) -> list[Item]:
        return [i for i in self.items if i.year == year]


@dataclass
class Column:
    key: str
    label: str
    items: list[Item]


@dataclass
class PortalPlan:
    county: str
    province: str
    prefecture: str
    adcode: str
    family: str
    domain: str  # registrable-looking name (shouxian): used in meta tags only
    bodies: list[Body]
    distractors: list[Column]
    standard: list[Column]  # 指南, 制度, 法定主动公开内容
    news: list[Item]

    @property
    def site_name(self) -> str:
        return f"{self.county}人民政府"

    @property
    def gov(self) -> Body:
        return self.bodies[0]

    @property
    def sub_bodies(self) -> list[Body]:
        """Every body but the county government (the sub-columns of its 年报 column)."""
        return self.bodies[1:]

    @property
    def columns(self) -> list[Column]:
        """The sibling disclosure columns, then the distractors (the hub's order)."""
        return self.standard + self.distractors

    def reports(self) -> list[Item]:
        return [i for b in self.bodies for i in b.items if i.is_report]

    def expected(self) -> list[tuple[str, int]]:
        """The (agency, year) pairs of its reports, by agency then newest year first."""
        return sorted({(i.agency, i.year) for i in self.reports()}, key=lambda p: (p[0], -p[1]))
