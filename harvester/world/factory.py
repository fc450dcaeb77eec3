"""Portal plans filled from county profiles: reports (seed and generated), look-alikes,
notices, everything drawn from one seeded random generator, so a world is the same on
every start."""

from __future__ import annotations

import html
import random
from datetime import date

from harvester.document import Document
from harvester.world.catalog import Profile, SeedReport
from harvester.world.documents import fragment_html, generated_document
from harvester.world.plan import OFFSITE, Body, Column, FileAsset, Item, PortalPlan
from harvester.world.render import OFFICE_FORMATS, Renderer
from harvester.world.seed_reports import seed_document, seed_text

NOTICE_TITLES = (
    "关于印发{county}{y}年政务公开工作要点的通知",
    "{county}政府信息公开申请流程图",
    "关于调整{county}政务公开工作领导小组成员的通知",
    "{county}政府信息主动公开目录",
    "关于开展{y}年度政府网站和政务新媒体检查的通知",
    "{county}依申请公开政府信息办理制度",
    "{county}{y}年第三季度政务公开工作情况通报",
    "关于做好{y}年政务公开培训工作的通知",
)


class ContentFactory:
    """Builds portal plans from profiles with one seeded random generator."""

    def __init__(self, renderer: Renderer, seed: int = 20240601, html_only: bool = False) -> None:
        self.renderer = renderer
        self.rng = random.Random(seed)
        self.html_only = html_only
        self._uid = 0
        self._files = 0

    def _next_uid(self) -> int:
        self._uid += self.rng.randint(3, 40)
        return 10000 + self._uid

    def _published(self, year: int) -> date:
        return date(year + 1, self.rng.randint(1, 2), self.rng.randint(5, 28))

    def _notice(self, county: str, agency: str, year: int) -> Item:
        title = self.rng.choice(NOTICE_TITLES).format(county=county, y=year)
        body = f"<p>{html.escape(title)}</p><p>各乡镇人民政府、街道办事处，县政府各部门：现将有关事项通知如下。</p>"
        return Item(self._next_uid(), "notice", title, agency, year, self._published(year), body)

    def _lookalike(self, title: str, agency: str, year: int) -> Item:
        body = f"<p>{html.escape(title)}</p><p>本报表依据《政府网站与政务新媒体检查指标》编制。</p>"
        return Item(self._next_uid(), "lookalike", title, agency, year, self._published(year), body)

    def report(
        self,
        profile: Profile,
        agency: str,
        year: int,
        ext: str,
        how: str,
        title: str | None = None,
    ) -> Item:
        suffix = self.rng.choice(
            ("政府信息公开工作年度报告", "政府信息公开工作年度报告", "政府信息公开年度报告")
        )
        title = title or f"{agency}{year}年{suffix}"
        doc = generated_document(self.rng, title, agency, year, profile.county)
        doc.published = self._published(year).isoformat()
        files: list[FileAsset] = []
        if ext:
            if ext == "pdf" and "iframe" in profile.hows:
                how = "iframe"
            if how == "iframe" and ext != "pdf":
                how = "direct"  # the pdf.js viewer only shows PDFs
            files.append(FileAsset(f"{title}.{ext}", ext, self.renderer.want(doc, ext), how))
            body = (
                f"<p>根据《中华人民共和国政府信息公开条例》，现公布《{html.escape(title)}》。</p>"
            )
            if ext != "png" and self.rng.random() < 0.5:
                body += fragment_html(doc)  # body and attachment both
        else:
            body = fragment_html(doc)
        return Item(
            self._next_uid(),
            "report",
            title,
            agency,
            year,
            date.fromisoformat(doc.published),
            body,
            files,
        )

    def seed_report(self, profile: Profile, seed: SeedReport) -> Item:
        doc = seed_document(seed_text(seed.seed), seed.title, seed.agency, seed.year)
        body = fragment_html(doc)
        files = [
            FileAsset(f"{seed.title}.{ext}", ext, self.renderer.want(doc, ext), how)
            for ext, how in zip(seed.formats, ("rfc5987", "gbk", "direct"), strict=False)
        ]
        pages: list[str] = []
        if seed.split:
            # Split between blocks (a table never straddles two pages), as TRS does.
            half = len(doc.blocks) // 2
            body = fragment_html(Document(blocks=doc.blocks[:half], title=doc.title))
            pages = [fragment_html(Document(blocks=doc.blocks[half:], title=doc.title))]
        return Item(
            self._next_uid(),
            "report",
            seed.title,
            seed.agency,
            seed.year,
            self._published(seed.year),
            body,
            files,
            pages,
        )

    def plan(self, profile: Profile) -> PortalPlan:
        county = profile.county
        gov_agency = f"{county}人民政府"
        bodies = [
            Body("xzf", "县政府", gov_agency, "gov"),
            Body("xzfbgs", "县政府办公室", f"{county}人民政府办公室", "office"),
        ]
        for i, dept in enumerate(profile.depts):
            bodies.append(Body(f"bm{i + 1:02d}", f"县{dept}", f"{county}{dept}", "dept"))
        for i, town in enumerate(profile.towns):
            agency = f"{county}{town}办事处" if town.endswith("街道") else f"{county}{town}人民政府"
            bodies.append(Body(f"xz{i + 1:02d}", town, agency, "town"))
        budget = profile.office_budget
        years_of = {
            "gov": profile.gov_years,
            "office": profile.office_years,
            "dept": profile.dept_years,
            "town": profile.town_years,
        }
        hows = list(profile.hows)
        for body in bodies:
            body.by_year = body.group in profile.by_year
            years = years_of[body.group]
            if body.group == "town" and body is not bodies[-1]:
                years = tuple(sorted({*years, 2022}, reverse=True))
            for year in years:
                if (
                    profile.seed
                    and profile.seed.agency == body.agency
                    and profile.seed.year == year
                ):
                    body.items.append(self.seed_report(profile, profile.seed))
                    continue
                ext = "" if self.html_only else self.rng.choice(profile.formats)
                if ext in OFFICE_FORMATS:
                    if budget <= 0:
                        ext = self.rng.choice(("xlsx", ""))
                    else:
                        budget -= 1
                how = hows[self._files % len(hows)]
                self._files += int(bool(ext))
                body.items.append(self.report(profile, body.agency, year, ext, how))
            if body.label == "县住房公积金管理中心":
                # Its list also holds the look-alike it is known for.
                for year in years:
                    body.items.append(
                        self._lookalike(
                            f"{profile.prefecture}住房公积金{year}年年度报告", body.agency, year
                        )
                    )
        gov = bodies[0]
        for body in [b for b in bodies if "公积金" in b.label]:
            # The fund centre's reports are listed with the county government's: a sub-column
            # named 住房公积金 is a look-alike to discovery (see the world's docs).
            gov.items.extend(body.items)
            bodies.remove(body)
        for year in (2023, 2022):
            gov.items.append(
                self._lookalike(f"{county}人民政府门户网站{year}年工作年度报表", gov_agency, year)
            )
        # The prefecture's report, listed but kept on the prefecture's site.
        gov.items.append(
            Item(
                self._next_uid(),
                "offsite",
                f"{profile.prefecture}人民政府2023年政府信息公开工作年度报告",
                f"{profile.prefecture}人民政府",
                2023,
                date(2024, 1, 20),
                "",
                external=f"{OFFSITE}art/2024/1/20/art_{self._uid}_1.html",
            )
        )
        for _ in range(profile.notices):
            gov.items.append(self._notice(county, gov_agency, self.rng.choice((2021, 2022, 2023))))
        for body in bodies:
            body.items.sort(key=lambda i: (i.published, i.uid), reverse=True)
        distractors = [
            Column(
                "wzndbb",
                "政府网站年度报表",
                [
                    self._lookalike(f"{county}人民政府门户网站{y}年工作年度报表", gov_agency, y)
                    for y in (2023, 2022, 2021)
                ],
            ),
            Column(
                "gjjnb",
                "住房公积金年度报告",
                [
                    self._lookalike(f"{profile.prefecture}住房公积金{y}年年度报告", gov_agency, y)
                    for y in (2023, 2022)
                ],
            ),
            Column(
                "zfgzbg",
                "政府工作报告",
                [
                    self._lookalike(f"{y + 1}年{county}人民政府工作报告", gov_agency, y)
                    for y in (2023, 2022)
                ],
            ),
        ]
        standard = [
            Column("xxgkzn", "政府信息公开指南", [self._notice(county, gov_agency, 2023)]),
            Column(
                "xxgkzd",
                "政府信息公开制度",
                [self._notice(county, gov_agency, y) for y in (2022, 2021)],
            ),
            Column(
                "fdzdgknr",
                "法定主动公开内容",
                [self._notice(county, gov_agency, y) for y in (2023, 2023, 2022)],
            ),
        ]
        news = [self._notice(county, gov_agency, 2024) for _ in range(4)]
        return PortalPlan(
            county,
            profile.province,
            profile.prefecture,
            profile.adcode,
            profile.family,
            profile.domain,
            bodies,
            distractors,
            standard,
            news,
        )
