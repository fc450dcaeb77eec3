"""The world's counties: one portal per seed county in its content system's style, a
Guangdong gkmlpt county, three portals for decoding and browser cases, a Lonsun county
whose bodies are reached through its platform's unit lists (凤台县), and generated
small portals for benchmarks. A `Profile` says what a county publishes; which content
system serves it is its `family` (see harvester.world.families)."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class SeedReport:
    seed: str  # file name prefix
    title: str
    agency: str
    year: int
    formats: tuple[str, ...] = ()  # attachments of the same report
    split: bool = False  # TRS: the article continues on t…_1.html


@dataclass(frozen=True)
class Profile:
    county: str
    province: str
    prefecture: str
    adcode: str
    family: str
    domain: str
    towns: tuple[str, ...]
    seed: SeedReport | None = None
    depts: tuple[str, ...] = ("教育局", "财政局", "民政局", "卫生健康委员会", "住房公积金管理中心")
    gov_years: tuple[int, ...] = (2023, 2022, 2021, 2020, 2019)
    office_years: tuple[int, ...] = (2023, 2022, 2021)
    dept_years: tuple[int, ...] = (2023, 2022)
    town_years: tuple[int, ...] = (2023,)
    formats: tuple[str, ...] = ("", "", "", "docx", "pdf", "xlsx", "doc")  # drawn per report
    office_budget: int = 1  # LibreOffice conversions for generated reports
    notices: int = 6  # unrelated items in the county government's list
    by_year: tuple[str, ...] = ()  # groups whose sub-columns split by year
    hows: tuple[str, ...] = ("direct", "gbk", "rfc5987", "downloader")


PROFILES: tuple[Profile, ...] = (
    Profile(
        "寿县", "安徽省", "淮南市", "340422", "lonsun", "shouxian",
        ("寿春镇", "正阳关镇", "安丰塘镇"),
        seed=SeedReport("000", "寿县人民政府2020年政府信息公开年度报告", "寿县人民政府", 2020, ("pdf",)),
    ),
    Profile(
        "象山县", "浙江省", "宁波市", "330225", "hanweb", "xiangshan",
        ("丹东街道", "石浦镇", "西周镇"),
        seed=SeedReport(
            "001", "象山县人民政府办公室2020年政府信息公开工作年度报告", "象山县人民政府办公室", 2020
        ),
        office_years=(2023, 2022, 2021, 2020),
        by_year=("dept",),
    ),
    Profile(
        "沂源县", "山东省", "淄博市", "370323", "shandong", "yyx",
        ("南麻街道", "历山街道", "悦庄镇"),
        seed=SeedReport(
            "004", "沂源县人民政府2020年政府信息公开工作年度报告", "沂源县人民政府", 2020, ("docx",)
        ),
        by_year=("office",),
        hows=("direct", "iframe", "gbk", "downloader"),
    ),
    Profile(
        "大荔县", "陕西省", "渭南市", "610523", "vsb", "dalisx",
        ("城关街道", "朝邑镇", "羌白镇"),
        seed=SeedReport(
            "003", "大荔县人民政府2020年政府信息公开工作年度报告", "大荔县人民政府", 2020,
            ("ofd", "zip"),
        ),
        formats=("", "", "docx", "wps", "xlsx", "png"),
        hows=("direct", "onclick", "gbk", "rfc5987"),
    ),
    Profile(
        "舞阳县", "河南省", "漯河市", "411121", "trs", "wuyang",
        ("舞泉镇", "吴城镇", "北舞渡镇"),
        seed=SeedReport(
            "002", "舞阳县人民政府办公室2021年政府信息公开工作年度报告", "舞阳县人民政府办公室", 2021,
            split=True,
        ),
        by_year=("office",),
    ),
    Profile(
        "新丰县", "广东省", "韶关市", "440233", "gkmlpt", "xinfeng",
        ("丰城街道", "马头镇"),
        depts=("教育局", "财政局", "民政局", "住房公积金管理中心"),
    ),
    Profile(
        "石门县", "湖南省", "常德市", "430726", "gbk", "shimen",
        ("楚江街道",),
        depts=("教育局", "民政局"),
        gov_years=(2023, 2022, 2021),
        office_years=(2023,),
        formats=("", "xlsx", "docx"),
        notices=3,
    ),
    Profile(
        "德清县", "浙江省", "湖州市", "330521", "jslist", "deqing",
        ("武康街道",),
        depts=("教育局",),
        gov_years=(2023, 2022, 2021),
        office_years=(2023,),
        dept_years=(2023,),
        formats=("", "docx"),
        notices=2,
    ),
    Profile(
        "临朐县", "山东省", "潍坊市", "370724", "challenge", "linqu",
        ("城关街道",),
        depts=("教育局",),
        gov_years=(2023, 2022),
        office_years=(2023,),
        dept_years=(2023,),
        formats=("", "docx", "xlsx"),
        notices=2,
    ),
    Profile(
        "凤台县", "安徽省", "淮南市", "340421", "platform", "fengtai",
        ("城关镇", "岳张集镇"),
        depts=("教育局", "财政局", "民政局"),
        gov_years=(2023, 2022),
        office_years=(2023,),
        dept_years=(2023,),
        formats=("", "docx"),
        notices=2,
    ),
)  # fmt: skip


def _as_registered(profile: Profile) -> Profile:
    """The profile with the registry's adcode, province and prefecture for its county: the
    world files its reports under the division the registry (and so the crawl) knows."""
    from harvester.registry import registry_rows

    rows = [
        r
        for r in registry_rows()
        if r["county"] == profile.county and r["province"] == profile.province
    ]
    if len(rows) != 1:
        raise ValueError(
            f"expected one registry row for world county {profile.province} {profile.county}, "
            f"found {len(rows)}"
        )
    row = rows[0]
    return replace(
        profile, adcode=row["adcode"], province=row["province"], prefecture=row["prefecture"]
    )


PROFILES = tuple(_as_registered(p) for p in PROFILES)

GENERATED_FAMILIES = ("trs", "hanweb", "lonsun", "vsb", "shandong", "gkmlpt")
SYLLABLES = "安平临清河阳泉山川宁远丰城华容武陵永和东兴西乡南漳北流长乐青田新化云梦"


def generated_profiles(count: int, seed: int, years: int = 0) -> list[Profile]:
    """Small cheap portals cycling the families (benchmarks): HTML-only reports. `years` > 0
    gives every body's column that many years of reports (2023 back), as real columns list
    them; 0 keeps the smallest portals (two years of the government, one of each body)."""
    span = tuple(range(2023, 2023 - years, -1))
    rng = random.Random(seed)
    names: set[str] = {p.county for p in PROFILES}
    out = []
    for n in range(count):
        attempts = 0
        while True:
            # Two syllables give about 1,200 names; a national-size world needs three.
            attempts += 1
            name = "".join(rng.sample(SYLLABLES, 2 if attempts <= 200 else 3)) + "县"
            if name not in names:
                names.add(name)
                break
        family = GENERATED_FAMILIES[n % len(GENERATED_FAMILIES)]
        out.append(
            Profile(
                name, "模拟省", "模拟市", f"99{n // 100 % 100:02d}{n % 100:02d}", family, f"g{n:04d}",
                ("城关镇",),
                depts=("教育局",),
                gov_years=span or (2023, 2022),
                office_years=span or (2023,),
                dept_years=span or (2023,),
                town_years=span or (2023,),
                notices=2,
            )
        )  # fmt: skip
    return out
