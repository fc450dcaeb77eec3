"""Find the 政府信息公开年报 column, its per-body sub-columns and the report links in it.

Pure functions over HTML text and URLs: anchor text, `<meta name="ColumnName">` /
`ColumnType` tags and URL hints are scored together, look-alike columns (政府网站年度报表,
住房公积金年度报告, 政府工作报告, 统计公报, 预决算) are rejected whatever their path says,
and only the portal's own hosts are followed. The spider calls these; tests call them on
page snippets shaped like real portals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import html as lxml_html

# Column names, strongest first, with their weight.
COLUMN_NAMES: tuple[tuple[str, float], ...] = (
    ("政府信息公开工作年度报告", 10.0),
    ("政府信息公开年度报告", 10.0),
    ("政府信息公开年报", 10.0),
    ("政务信息公开年报", 9.0),
    ("信息公开工作年度报告", 9.0),
    ("信息公开年度报告", 9.0),
    ("信息公开年报", 9.0),
    ("政务公开年报", 8.0),
    ("公开年报", 7.0),
    ("年度报告", 5.0),
    ("年报", 4.0),
)
# URL fragments that hint at the column (path or query), with their weight.
URL_HINTS: tuple[tuple[str, float], ...] = (
    ("szfxxgkndbg", 6.0),
    ("zfxxgknb", 6.0),
    ("xxgknb", 5.0),
    ("gknb", 4.0),
    ("ndbg", 3.0),
    ("annualreport", 5.0),
    ("nb_20", 2.0),
)
# Text or URL of columns that look like the 年报 but are something else.
# Publications that are never the 年报, whatever else the text says.
LOOKALIKE_ALWAYS: tuple[str, ...] = ("网站年度报表", "网站工作年度报表", "年度报表")
# Words of look-alike publications; a text that names an information-disclosure report
# (信息公开 … 报告/年报) is still accepted: 住房公积金管理中心 and 审计局 publish real 年报.
LOOKALIKE_TEXT: tuple[str, ...] = (
    "公积金",
    "政府工作报告",
    "统计公报",
    "国民经济和社会发展",
    "预决算",
    "预算",
    "决算",
    "审计报告",
    "社会责任报告",
    "企业年报",
    "工商年报",
)
LOOKALIKE_URL: tuple[str, ...] = ("wzndbb", "zfgzbg", "tjgb", "yjsgk", "gjj", "zfwzndbb")

MIN_COLUMN_SCORE = 4.0
# Report titles: 信息公开 … 报告, or 年报/年度报告 anywhere.
REPORT_TITLE = re.compile(r"(信息公开.{0,12}报告|公开年报|年度报告|年报)")
YEAR = re.compile(r"(20[0-4]\d)\s*年?")
BODY_SUFFIX = re.compile(
    r"(人民政府|政府|办公室|办公厅|局|委员会|委|办|镇|乡|街道|办事处|中心|院|馆|队|站|所|署|会|部|园区|管委会|公司)$"
)
# Article-shaped URLs of the families in docs/crawling.md.
ARTICLE_URL = re.compile(
    r"(/t\d{8}_\d+(_\d+)?\.s?html?$|/art_\d+_\d+\.html$|/info/\d+/\d+\.htm$|/post_\d+\.html$"
    r"|/doc_[0-9a-f]{24}\.html$|/public/\d+/\d+\.html$|/content/.*\d{4,}.*\.html?$|/art/\d{4}/)",
    re.I,
)
# Bodies that publish their own 年报 (a sibling column named so is taken as a sub-column).
STRONG_BODY = re.compile(
    r"(人民政府|政府|办公室|局|委员会|委|镇|乡|街道|办事处|管委会|(?:管理|服务|事务|保障)中心)$"
)
DOCUMENT_EXTENSIONS = (
    ".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".rtf", ".ofd", ".zip", ".rar",
    ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".txt",
)  # fmt: skip


@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass
class Candidate:
    url: str
    text: str
    score: float
    reasons: list[str] = field(default_factory=list)


def clean_text(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


def is_lookalike(text: str, url: str = "") -> bool:
    """A column or link that resembles the 年报 but is another publication."""
    t = clean_text(text)
    if any(word in t for word in LOOKALIKE_ALWAYS):
        return True
    if DISCLOSURE_REPORT.search(t):
        return False
    if any(word in t for word in LOOKALIKE_TEXT):
        return True
    path = urlsplit(url).path.lower() if url else ""
    return any(frag in path for frag in LOOKALIKE_URL)


DISCLOSURE_REPORT = re.compile(r"信息公开.{0,12}(报告|年报)")


def text_score(text: str) -> float:
    t = clean_text(text)
    for name, weight in COLUMN_NAMES:
        if name in t:
            return weight
    return 0.0


def url_score(url: str) -> float:
    parts = urlsplit(url)
    target = (parts.path + "?" + parts.query).lower()
    best = 0.0
    for frag, weight in URL_HINTS:
        if frag in target:
            best = max(best, weight)
    if "/public/column/" in target and re.search(r"(^|[?&])type=3(&|$)", parts.query):
        best = max(best, 5.0)
    if "annualreport" in parts.fragment.lower() or "annualreport" in target:
        best = max(best, 5.0)
    return best


def score_column(text: str, url: str, column_name: str | None = None) -> Candidate | None:
    """Score a link (or a page with its ColumnName meta) as the 年报 column; None if rejected."""
    if is_lookalike(text, url) or (column_name and is_lookalike(column_name)):
        return None
    reasons = []
    score = 0.0
    ts = text_score(text)
    if ts:
        score += ts
        reasons.append(f"anchor text {clean_text(text)!r}")
    us = url_score(url)
    if us:
        score += us
        reasons.append(f"URL hint in {url}")
    if column_name:
        ms = text_score(column_name)
        if ms:
            score += ms
            reasons.append(f"ColumnName {column_name!r}")
    if score <= 0:
        return None
    return Candidate(url, clean_text(text), score, reasons)


def page_meta(html: str) -> dict[str, str]:
    """The page's `<meta name=… content=…>` tags (names as written)."""
    out: dict[str, str] = {}
    for m in re.finditer(r"<meta\s+[^>]*>", html, re.I):
        tag = m.group(0)
        name = re.search(r"name\s*=\s*[\"']([^\"']+)[\"']", tag, re.I)
        content = re.search(r"content\s*=\s*[\"']([^\"']*)[\"']", tag, re.I)
        if name and content:
            out.setdefault(name.group(1), content.group(1))
    return out


def page_is_report_column(html: str, url: str = "") -> bool:
    """The page declares itself the 年报 column (ColumnName/ColumnType meta) and is no look-alike."""
    meta = page_meta(html)
    name = meta.get("ColumnName") or meta.get("columnname") or ""
    kind = meta.get("ColumnType") or meta.get("columntype") or ""
    if is_lookalike(name, url) or is_lookalike(kind):
        return False
    return text_score(name) >= MIN_COLUMN_SCORE or text_score(kind) >= MIN_COLUMN_SCORE


def registrable_domain(host: str) -> str:
    """`www.shouxian.gov.cn` → `shouxian.gov.cn`; other hosts as they are."""
    host = host.lower().split(":")[0]
    labels = host.split(".")
    if host.endswith(".gov.cn") and len(labels) >= 3:
        return ".".join(labels[-3:])
    return host


def host_allowed(url: str, home_url: str, allowed_hosts: list[str] | None = None) -> bool:
    """Follow only the portal's own host, its gov.cn siblings and hosts the registry allows."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    netloc = parts.netloc.lower()
    home = urlsplit(home_url).netloc.lower()
    if netloc == home:
        return True
    for extra in allowed_hosts or []:
        extra = extra.lower().strip()
        if extra and (netloc == extra or parts.hostname == extra or netloc.endswith("." + extra)):
            return True
    host = parts.hostname or ""
    home_host = urlsplit(home_url).hostname or ""
    return host.endswith(".gov.cn") and registrable_domain(host) == registrable_domain(home_host)


def extract_links(html: str, base_url: str) -> list[Link]:
    """Every `<a href>` of the page as absolute URLs (fragments kept only for gkmlpt)."""
    try:
        doc = lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    base = doc.xpath("//base/@href")
    root = urljoin(base_url, base[0]) if base else base_url
    links: list[Link] = []
    seen: set[str] = set()
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        url = urljoin(root, href)
        if "annualreport#" not in url:
            url = urldefrag(url)[0]
        text = clean_text(a.text_content()) or clean_text(a.get("title"))
        if url in seen:
            continue
        seen.add(url)
        links.append(Link(url, text))
    return links


def find_columns(
    html: str, base_url: str, home_url: str, allowed_hosts: list[str] | None = None
) -> list[Candidate]:
    """Candidate 年报 columns linked from a page, best first; look-alikes and foreign hosts out."""
    out: dict[str, Candidate] = {}
    for link in extract_links(html, base_url):
        if not host_allowed(link.url, home_url, allowed_hosts) or is_document_url(link.url):
            continue
        cand = score_column(link.text, link.url)
        if cand is None or cand.score < MIN_COLUMN_SCORE or is_article_url(link.url):
            continue
        if year_hint(link.text) and is_report_title(link.text) and not is_column_url(link.url):
            continue  # one report, not the column
        if link.url not in out or out[link.url].score < cand.score:
            out[link.url] = cand
    return sorted(out.values(), key=lambda c: -c.score)


HUB_WORDS = ("政务公开", "信息公开", "政府信息公开", "公开目录", "政务信息", "信息公开平台")


def find_hubs(
    html: str, base_url: str, home_url: str, allowed_hosts: list[str] | None = None
) -> list[Link]:
    """Links to 政务公开 / 信息公开 hubs, where the 年报 column is usually one level down."""
    hubs = []
    for link in extract_links(html, base_url):
        if not host_allowed(link.url, home_url, allowed_hosts) or is_article_url(link.url):
            continue
        t = link.text
        if 2 <= len(t) <= 12 and any(w in t for w in HUB_WORDS) and not is_lookalike(t, link.url):
            hubs.append(link)
    return hubs


def is_document_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    if path.endswith(DOCUMENT_EXTENSIONS):
        return True
    return "downfile.jsp" in path or "/download" in path and "filename=" in url.lower()


def is_article_url(url: str) -> bool:
    return bool(ARTICLE_URL.search(urlsplit(url).path))


def is_report_title(text: str) -> bool:
    """A link or page title that names an information-disclosure annual report."""
    t = clean_text(text)
    return bool(REPORT_TITLE.search(t)) and not is_lookalike(t)


def year_hint(text: str) -> int | None:
    m = YEAR.search(clean_text(text))
    return int(m.group(1)) if m else None


def looks_like_body(text: str) -> bool:
    """Anchor text naming a reporting body (县政府, 教育局, 城关镇 …)."""
    t = clean_text(text)
    return 2 <= len(t) <= 24 and bool(BODY_SUFFIX.search(t)) and not is_lookalike(t)


def looks_like_year_column(text: str) -> bool:
    t = clean_text(text)
    return bool(re.fullmatch(r"(20[0-4]\d)(年度?)?(年报|报告|政府信息公开年报)?", t))


def _column_dir(url: str) -> str:
    path = urlsplit(url).path
    return path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"


def find_subcolumns(
    html: str, column_url: str, home_url: str, allowed_hosts: list[str] | None = None
) -> list[Candidate]:
    """Per-body and per-year sub-columns linked from a 年报 column page.

    A sub-column is a column-shaped link (not an article, not a document) on an own host
    that either lies under the column's path, or names a body or a year, or carries a 年报
    hint itself; look-alikes are rejected.
    """
    base_dir = _column_dir(column_url)
    out: list[Candidate] = []
    seen: set[str] = set()
    for link in extract_links(html, column_url):
        url = link.url
        here, there = urlsplit(url), urlsplit(column_url)
        if url in seen or (here.netloc, here.path) == (there.netloc, there.path):
            continue  # the column itself (another page of it, a breadcrumb back to it)
        if (
            not host_allowed(url, home_url, allowed_hosts)
            or is_document_url(url)
            or is_article_url(url)
        ):
            continue
        if is_pagination_text(link.text):
            continue
        # A body named like a look-alike publication (县住房公积金管理中心) is still a body.
        if is_lookalike(link.text, url) and not STRONG_BODY.search(clean_text(link.text)):
            continue
        path = urlsplit(url).path
        under = (
            path.startswith(base_dir)
            and path != base_dir
            and urlsplit(url).netloc == urlsplit(column_url).netloc
        )
        named = looks_like_body(link.text) or looks_like_year_column(link.text)
        hinted = score_column(link.text, url) is not None and (
            url_score(url) > 0 or text_score(link.text) >= MIN_COLUMN_SCORE
        )
        if is_report_title(link.text) and year_hint(link.text) and not is_column_url(url):
            continue  # a report link, not a column
        # Opaque ids (Hanweb /col/col<id>/) are siblings, not children: a body or year name
        # on a column-shaped link is enough there.
        sibling = is_column_url(url) and bool(
            STRONG_BODY.search(link.text) or looks_like_year_column(link.text)
        )
        if (
            (under and (named or hinted))
            or (named and (hinted or sibling))
            or (under and _is_index_path(path))
        ):
            seen.add(url)
            reasons = [
                r
                for r, ok in (
                    ("under column", under),
                    ("names a body/year", named),
                    ("年报 hint", hinted),
                )
                if ok
            ]
            out.append(Candidate(url, link.text, float(len(reasons)), reasons))
    return out


def _is_index_path(path: str) -> bool:
    return path.endswith("/") or path.rsplit("/", 1)[-1].startswith("index")


COLUMN_URL = re.compile(
    r"(/col/col\d+/|/channel_[0-9a-f]+/?$|/public/column/|/gkmlpt/annualreport)", re.I
)


def is_column_url(url: str) -> bool:
    """A list-page URL: a directory, an index page or a family's column pattern."""
    parts = urlsplit(url)
    return _is_index_path(parts.path) or bool(COLUMN_URL.search(parts.path))


PAGINATION_WORDS = (
    "下一页",
    "下页",
    "尾页",
    "末页",
    "上一页",
    "上页",
    "首页",
    "前页",
    "后页",
    "最后一页",
    "第一页",
)


def is_pagination_text(text: str) -> bool:
    t = clean_text(text)
    return t in PAGINATION_WORDS or t in (">", ">>", "<", "<<", "»", "«") or t.isdigit()


def report_links(
    html: str, page_url: str, home_url: str, allowed_hosts: list[str] | None = None
) -> list[Link]:
    """Report links on a list page: article-shaped or document URLs whose text names a report."""
    out = []
    for link in extract_links(html, page_url):
        if not host_allowed(link.url, home_url, allowed_hosts):
            continue
        if is_report_link(link):
            out.append(link)
    return out


def is_report_link(link: Link) -> bool:
    if is_lookalike(link.text, link.url) or not is_report_title(link.text):
        return False
    if is_article_url(link.url) or is_document_url(link.url):
        return True
    if is_column_url(link.url):
        return False
    path = urlsplit(link.url).path
    return bool(re.search(r"\d{4,}[^/]*\.s?html?$", path)) or bool(year_hint(link.text))
