"""Report metadata: issuing body, report year, title and publication date.

The report year comes from the title or the 统计期限 sentence, never from the publication
date (reports are published in January–March of the following year).
"""

from __future__ import annotations

import re

_WS = re.compile(r"[\s\u00a0\u3000]+")
_REPORT = r"(?:政府|政务)?(?:信息)?公开(?:和政务公开|及政务公开)?(?:工作)?的?(?:年度)?(?:工作)?(?:报告|年报)"
_TITLE = re.compile(
    r"^(?P<pre>.*?)(?:关于)?(?P<year>(?:19|20)\d{2})\s*年度?(?P<post>.*?)" + _REPORT
)
_TITLE_YEAR_LAST = re.compile(
    r"^(?P<pre>.*?)(?:政府|政务)?(?:信息)?公开(?:工作)?(?P<year>(?:19|20)\d{2})\s*年度?(?:工作)?(?:报告|年报)"
)
_PREFECTURE = re.compile(
    r"^(?:[^县区旗市省]{2,8}(?:省|自治区))?(?:[^县区旗市省]{2,5}(?:市|州|盟|地区))(?=[^县区旗市]{1,6}(?:县|区|旗|市))"
)
_PROVINCE = re.compile(r"^[^县区旗市省]{2,8}(?:省|自治区)(?=.{2,})")
_STAT_PERIOD = re.compile(
    r"统计(?:期限|时限|期间|区间|时间|范围)[^0-9]{0,16}((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日"
)
_DATE_LINE = re.compile(r"^(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_DATE_LABEL = re.compile(
    r"(?:发布日期|发布时间|成文日期|日期)[:：]\s*(20\d{2})[-./年](\d{1,2})[-./月](\d{1,2})"
)
_QUOTED_TITLE = re.compile(
    r"《([^《》]{4,60}?(?:政府|政务)?信息公开(?:工作)?(?:年度)?(?:工作)?报告)》"
)


_LABEL = re.compile(
    r"^(?:#{1,6}|>|[*_]{1,3}|(?:文章|文件|报告)?(?:标题|题目|名称)[:：]|title[:：])+", re.IGNORECASE
)
_MARKUP_END = re.compile(r"(?:[*_]{1,3}|#+)$")
_PUBLISHER = re.compile(
    r"(?:发布机构|发文机关|发布单位|来源)[:：]([^\s:：，,。|]{2,30}?)(?=$|发布|成文|日期|时间|索引|文号|主题|分类|[|])"
)


def squash(text: str) -> str:
    return "".join(text.split())  # the white space _WS matches, removed in C


_LABEL_FIRST = frozenset("#>*_文报标题名tT")  # the first characters _LABEL can match


def strip_label(text: str) -> str:
    """A title line without its label or markup: `标题: …`, `# …`, `**…**`, `> …`."""
    t = squash(text)
    if not t or (t[0] not in _LABEL_FIRST and t[-1] not in "*_#"):
        return t  # nothing to strip (most lines)
    prev = None
    while prev != t:
        prev = t
        t = _LABEL.sub("", t)
        t = _MARKUP_END.sub("", t)
    return t


def publisher_from_text(lines: list[str]) -> str | None:
    """The 发布机构 (publisher) field of a saved page's header, if the text has one."""
    for line in lines[:60]:
        m = _PUBLISHER.search(squash(line))
        if m:
            name = _agency(m.group(1))
            if name:
                return name
    return None


def _agency(name: str) -> str | None:
    name = name.strip(" ：:，,、。《》“”\"'（）()[]【】-—")
    name = re.sub(r"关于$", "", name)
    name = re.sub(r"^(?:关于)?(?:印发|发布|公布|公开)", "", name)
    name = _PREFECTURE.sub("", name)
    name = _PROVINCE.sub("", name)
    if len(name) < 2 or re.search(r"\d", name):
        return None
    return name


def title_identity(title: str) -> tuple[str, int] | None:
    """(issuing body, report year) from a title like 寿县2020年政府信息公开工作年度报告.

    A prefecture before a county-level name is dropped (宁波市象山县… → 象山县…); a title
    that puts the year first (2020年寿县政府信息公开…) names the body after the year.
    """
    t = strip_label(title or "")
    m = _TITLE.search(t)
    if m:
        year = int(m.group("year"))
        agency = _agency(m.group("pre")) or _agency(m.group("post"))
    else:
        m = _TITLE_YEAR_LAST.search(t)
        if not m:
            return None
        year = int(m.group("year"))
        agency = _agency(m.group("pre"))
    if agency is None:
        return None
    return agency, year


_REPORT_END = re.compile(r"信息公开.{0,6}(报告|年报)$")


def find_title(lines: list[str]) -> str | None:
    """The report title: a short early line naming the report (joined with the line above
    when the body's name is on a line of its own), or a title quoted in the text."""
    return find_title_identity(lines)[0]


def find_title_identity(lines: list[str]) -> tuple[str | None, tuple[str, int] | None]:
    """(find_title(lines), title_identity() of that title): the identity is known once the
    title is found, so it is not read twice."""
    head: list[str] = []  # the first 40 lines without labels, made as far as needed
    for raw in lines[:40]:
        i = len(head)
        line = strip_label(raw)
        head.append(line)
        if 6 <= len(line) <= 60 and "报" in line and _REPORT_END.search(line):
            if identity := title_identity(line):
                return line, identity
            prev = next((head[j] for j in range(i - 1, max(-1, i - 4), -1) if head[j]), "")
            if prev and len(prev) <= 30 and (identity := title_identity(prev + line)):
                return prev + line, identity
            return line, None  # (the line's own identity: None, as just found)
    for line in lines[:60]:
        m = _QUOTED_TITLE.search(strip_label(line))
        if m:
            return m.group(1), title_identity(m.group(1))
    return None, None


def report_year_from_text(lines: list[str]) -> int | None:
    for line in lines:
        if "统计" not in line:
            continue
        m = _STAT_PERIOD.search(squash(line))
        if m:
            return int(m.group(1))
    return None


def published_from_text(lines: list[str]) -> str | None:
    """A publication date stated by the document: a labelled date, else the date line of
    the signature (the last line that is only a date)."""
    for line in lines[:40]:
        if "日期" not in line and "时间" not in line:
            continue
        if "：" not in line and ":" not in line:  # _DATE_LABEL needs the colon
            continue
        m = _DATE_LABEL.search(squash(line))
        if m:
            return _iso(*m.groups())
    for line in reversed(lines):
        if not _may_be_date_line(line):
            continue
        bare = line.strip()
        if bare[:1] != "2" or bare[-1:] != "日":  # what _DATE_LINE needs at either end
            continue
        m = _DATE_LINE.match(squash(line))
        if m:
            return _iso(*m.groups())
    return None


def _iso(y: str, m: str, d: str) -> str | None:
    mi, di = int(m), int(d)
    if not (1 <= mi <= 12 and 1 <= di <= 31):
        return None
    return f"{int(y):04d}-{mi:02d}-{di:02d}"


def _may_be_date_line(line: str) -> bool:
    return len(line) <= 100 and "日" in line


def signature_body(lines: list[str]) -> str | None:
    """The body named on the (non-empty) line before the closing date, if any."""
    for i in range(len(lines) - 1, -1, -1):
        if _may_be_date_line(lines[i]) and _DATE_LINE.match(strip_label(lines[i])):
            break
    else:
        return None
    for j in range(i - 1, -1, -1):
        prev = strip_label(lines[j])
        if prev:
            if 2 <= len(prev) <= 30 and _BODY_END.search(prev):
                return prev
            return None
    return None


_BODY_END = re.compile(r"(政府|办公室|局|委员会|中心|街道|镇|乡|县|区)$")


_ANY_DATE = re.compile(r"^\s*(20\d{2}|19\d{2})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})")


def iso_date(value: str | None) -> str | None:
    """`2021-2-19`, `2021/02/19 10:00`, `2021年2月19日` → `2021-02-19`; None if not a date."""
    if not value:
        return None
    m = _ANY_DATE.match(str(value))
    return _iso(*m.groups()) if m else None
