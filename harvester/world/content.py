"""What the world's portals publish: reports (seed and generated), look-alikes, notices.

A `PortalPlan` is a county portal's content independent of its content system: reporting
bodies (county government first, its office, departments, townships), each with its
list items (reports, look-alike publications, unrelated notices), plus the distractor
columns (政府网站年度报表, 住房公积金年度报告, 政府工作报告) and the three sibling
disclosure columns. Family modules turn a plan into URLs and HTML.

Reports are Documents: the seed reports (harvester/world/seeds/) as published text, and
generated ones from `harvester.synth` (both templates); files are rendered by
`harvester.writers` (HTML, DOCX, XLSX; PDF and DOC through LibreOffice, cached on disk by
content hash because each conversion takes seconds). Everything is drawn from one seeded
random generator, so a world is the same on every start.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import os
import random
import re
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from harvester.document import Block, Cell, Document, Table

SEED_DIR = Path(__file__).with_name("seeds")
OFFSITE = "http://something.invalid/"  # links a crawl must never need
CACHE_VERSION = "world-files-2"

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "wps": "application/kswps",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "png": "image/png",
}
OFFICE_FORMATS = ("pdf", "doc", "wps")  # need a LibreOffice conversion


# -- documents -------------------------------------------------------------------------------


def seed_text(name: str) -> str:
    """A seed report's text (file name prefix like "000")."""
    for path in sorted(SEED_DIR.glob("*.txt")):
        if path.name.startswith(name):
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(f"no seed {name!r} in {SEED_DIR}")


def seed_document(text: str, title: str, agency: str, year: int) -> Document:
    """A seed report as published: the real report's tables laid out as the template is.

    The seed is a real report as plain text; the parser (whose reading of every seed is
    asserted cell by cell in tests/test_parser_seeds.py) gives its numbers, and the page
    shows them as the HTML / Word tables real portals publish.
    """
    from harvester.parser import parse_text
    from harvester.synth import report_document

    record = parse_text(text)
    record.update(title=title, agency=agency, year=year)
    doc = report_document(record)
    doc.title = title
    return doc


def _synth() -> tuple[Callable[..., dict], Callable[[dict], Document]] | None:
    try:
        from harvester.synth import random_record, report_document
    except ImportError:
        return None
    return random_record, report_document


def carried_forward_of(county: str, agency: str, year: int) -> list[int]:
    """结转下年度 of a body's report (six applicant columns), the same whichever report asks:
    a body's reports agree from one year to the next, as real ones should — the generated
    reports beside a seed (a real report) take its 上年结转 and 结转下年度."""
    known = seed_carries().get((county, agency, year))
    if known is not None:
        return known
    rng = random.Random(f"{county}|{agency}|{year}|carried")
    return [rng.randint(0, 5) for _ in range(6)]


@functools.cache
def seed_carries() -> dict[tuple[str, str, int], list[int]]:
    """(county, agency, year) → 结转下年度 fixed by the seed reports of the catalog."""
    from harvester.parser import parse_text
    from harvester.parser.template import APPLICANT_COLUMNS
    from harvester.world.catalog import PROFILES

    carries: dict[tuple[str, str, int], list[int]] = {}
    for profile in PROFILES:
        if profile.seed is None:
            continue
        seed = profile.seed
        rows = parse_text(seed_text(seed.seed)).get("applications") or {}

        def columns(row: str, rows: dict = rows) -> list[int]:
            values = rows.get(row) or {}
            return [int(values.get(c) or 0) for c in APPLICANT_COLUMNS[:6]]

        carries[(profile.county, seed.agency, seed.year)] = columns("carried_forward")
        carries[(profile.county, seed.agency, seed.year - 1)] = columns("carried_over")
    return carries


def era_of(year: int) -> str:
    return "2019" if year <= 2020 else "2021"


def generated_document(
    rng: random.Random, title: str, agency: str, year: int, county: str
) -> Document:
    """A generated report of the year's template (harvester.synth), titled as published."""
    synth = _synth()
    if synth is not None:
        random_record, report_document = synth
        record = random_record(
            rng,
            era_of(year),
            agency=agency,
            year=year,
            county=county,
            carried_over=carried_forward_of(county, agency, year - 1),
            carried_forward=carried_forward_of(county, agency, year),
        )
        doc = report_document(record)
        doc.title = title
        if doc.blocks and doc.blocks[0].kind == "heading":
            doc.blocks[0] = Block("heading", title, level=1)
        else:
            doc.blocks.insert(0, Block("heading", title, level=1))
        return doc
    return _plain_document(rng, title, agency, year)


def _plain_document(rng: random.Random, title: str, agency: str, year: int) -> Document:
    """A short report in the template's shape (used when harvester.synth is missing)."""
    made, repealed = rng.randint(0, 12), rng.randint(0, 3)
    rows = [
        ["第二十条第（一）项", "", "", ""],
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "0", "0", "0"],
        ["行政规范性文件", str(made), str(repealed), str(made + rng.randint(5, 60))],
    ]
    table = Table.from_texts(rows)
    table.rows[0] = [Cell("第二十条第（一）项", colspan=4)] + [
        Cell("第二十条第（一）项", merged=True, origin=(0, 0)) for _ in range(3)
    ]
    return Document(
        blocks=[
            Block("heading", title, level=1),
            Block(
                "paragraph",
                f"本报告由{agency}根据《中华人民共和国政府信息公开条例》编制。"
                f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。",
            ),
            Block("paragraph", "一、总体情况"),
            Block("paragraph", f"{year}年，{agency}认真贯彻落实政务公开工作部署。"),
            Block("paragraph", "二、主动公开政府信息情况"),
            Block("table", table=table),
        ],
        title=title,
    )


def fragment_html(doc: Document) -> str:
    """The report's body as an article body: paragraphs and tables with their spans."""
    try:
        from harvester.writers import render_html
    except ImportError:
        return _own_fragment(doc)
    page = render_html(Document(blocks=doc.blocks, title=doc.title)).decode("utf-8")
    m = re.search(r'<div class="TRS_Editor">\s*(.*?)\s*</div>\s*<div class="footer">', page, re.S)
    return m.group(1) if m else _own_fragment(doc)


def _own_fragment(doc: Document) -> str:
    parts = []
    for block in doc.blocks[1:] if doc.blocks and doc.blocks[0].kind == "heading" else doc.blocks:
        if block.kind == "table" and block.table is not None:
            rows = []
            for row in block.table.rows:
                cells = "".join(
                    f'<td rowspan="{c.rowspan}" colspan="{c.colspan}">{html.escape(c.text)}</td>'
                    for c in row
                    if not c.merged
                )
                rows.append(f"<tr>{cells}</tr>")
            parts.append(f'<table border="1">{"".join(rows)}</table>')
        else:
            parts.append(f"<p>{html.escape(block.text)}</p>")
    return "\n".join(parts)


# -- files -----------------------------------------------------------------------------------


FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def render_png(doc: Document, width: int = 1240) -> bytes:
    """Title, paragraphs and table rows drawn as text lines on a white page (PNG)."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.load_default()
    for candidate in FONT_PATHS:
        if Path(candidate).exists():
            font = ImageFont.truetype(candidate, 22)
            break
    lines: list[str] = []
    for block in doc.blocks:
        if block.kind == "table" and block.table is not None:
            lines.extend(" | ".join(row) for row in block.table.texts(blank_merged=True))
        else:
            text = block.text
            lines.extend(text[i : i + 50] for i in range(0, max(len(text), 1), 50))
    lines = lines[:120]
    image = Image.new("L", (width, 40 + 30 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((40, 20 + 30 * n), line, fill=0, font=font)
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


class Renderer:
    """Renders Documents to files; LibreOffice results are cached under `cache_dir`."""

    def __init__(self, cache_dir: Path, office: bool = True) -> None:
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.office = office
        self._pending: dict[str, tuple[Document, str]] = {}

    @staticmethod
    def doc_key(doc: Document, ext: str) -> str:
        payload = json.dumps([CACHE_VERSION, ext, doc.to_dict()], ensure_ascii=False, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    def _path(self, key: str, ext: str) -> Path:
        return self.cache_dir / f"{key}.{ext}"

    def _cached(self, doc: Document, ext: str, make: Callable[[Document], bytes]) -> bytes:
        """A rendered file, from the cache when made before (python-docx and others stamp
        times into files: the cache keeps bytes, and so ETags, stable across starts)."""
        path = self._path(self.doc_key(doc, ext), ext)
        if path.exists():
            return path.read_bytes()
        data = make(doc)
        path.write_bytes(data)
        return data

    def docx(self, doc: Document) -> bytes:
        from harvester.writers import render_docx

        return self._cached(doc, "docx", render_docx)

    def xlsx(self, doc: Document) -> bytes:
        from harvester.writers import render_xlsx

        return self._cached(doc, "xlsx", render_xlsx)

    def png(self, doc: Document) -> bytes:
        """The report as a scanned-looking image (a report published only as pictures)."""
        return self._cached(doc, "png", render_png)

    def want(self, doc: Document, ext: str) -> Callable[[], bytes]:
        """A maker of the file; office conversions are queued for `convert_pending`."""
        if ext == "png":
            return lambda: self.png(doc)
        if ext == "docx":
            return lambda: self.docx(doc)
        if ext == "xlsx":
            return lambda: self.xlsx(doc)
        if ext in OFFICE_FORMATS:
            target = "doc" if ext == "wps" else ext
            key = self.doc_key(doc, target)
            if not self._path(key, target).exists():
                self._pending[key] = (doc, target)
            return lambda: self._converted(doc, target)
        raise ValueError(f"no renderer for .{ext}")

    def _converted(self, doc: Document, ext: str) -> bytes:
        key = self.doc_key(doc, ext)
        path = self._path(key, ext)
        if not path.exists():
            self._convert_one(key, doc, ext)
        return path.read_bytes()

    def _convert_one(self, key: str, doc: Document, ext: str) -> None:
        from harvester.writers import convert

        data = convert(self.docx(doc), "docx", ext)
        tmp = self._path(key, ext + ".part")
        tmp.write_bytes(data)
        tmp.replace(self._path(key, ext))

    def convert_pending(self) -> None:
        """Run the queued LibreOffice conversions: one soffice run per target format (each
        run pays LibreOffice's start-up once), the formats side by side; a file the batch
        did not produce is converted on its own by harvester.writers.convert."""
        jobs = [(k, d, e) for k, (d, e) in self._pending.items() if not self._path(k, e).exists()]
        self._pending.clear()
        by_ext: dict[str, list[tuple[str, Document]]] = {}
        for key, doc, ext in jobs:
            by_ext.setdefault(ext, []).append((key, doc))
        if not by_ext:
            return
        with ThreadPoolExecutor(max_workers=len(by_ext)) as pool:
            list(pool.map(lambda item: self._batch(item[0], item[1]), by_ext.items()))
        for key, doc, ext in jobs:
            if not self._path(key, ext).exists():
                self._convert_one(key, doc, ext)

    def _batch(self, ext: str, docs: list[tuple[str, Document]]) -> None:
        from harvester.normalize.office import EXPORT_FILTERS, soffice_path

        exe = soffice_path()
        if exe is None or len(docs) < 2:
            return
        with tempfile.TemporaryDirectory(prefix="harvester-world-lo-") as tmp:
            work = Path(tmp)
            out = work / "out"
            out.mkdir()
            sources = []
            for key, doc in docs:
                src = work / f"{key}.docx"
                src.write_bytes(self.docx(doc))
                sources.append(str(src))
            cmd = [
                exe,
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--nodefault",
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--convert-to",
                EXPORT_FILTERS.get(ext, ext),
                "--outdir",
                str(out),
                *sources,
            ]
            env = dict(os.environ, HOME=str(work))
            try:
                subprocess.run(
                    cmd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=300,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                return  # the files left are converted one by one
            for key, _doc in docs:
                produced = out / f"{key}.{ext}"
                if produced.exists() and produced.stat().st_size:
                    produced.replace(self._path(key, ext))


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
    kind: str  # report | lookalike | notice
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

    def reports(self) -> list[Item]:
        return [i for b in self.bodies for i in b.items if i.is_report]

    def expected(self) -> list[dict[str, object]]:
        pairs = sorted({(i.agency, i.year) for i in self.reports()}, key=lambda p: (p[0], -p[1]))
        return [{"agency": a, "year": y} for a, y in pairs]


# -- building plans --------------------------------------------------------------------------


@dataclass
class SeedReport:
    seed: str  # file name prefix
    title: str
    agency: str
    year: int
    formats: tuple[str, ...] = ()  # attachments of the same report
    split: bool = False  # TRS: the article continues on t…_1.html


@dataclass
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
