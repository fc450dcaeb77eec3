"""Unit lists on a county's disclosure platform: the other bodies whose own 年报 columns
the crawl must walk.

Lonsun-style and provincial-platform portals list the county's units (departments,
townships, streets) on the 政府信息公开 platform page, and each unit's page carries its own
政府信息公开年报 column (``/public/column/<unit-id>?type=3&action=list``). The lists come as

- links under a heading such as 部门信息公开, 乡镇（街道）信息公开, 部门及乡镇信息公开;
- a left-hand tree (``ul`` / ``div`` whose class or id says unit, organ, dept, tree);
- a ``<select>`` of units (option values are the units' addresses, or ids that the
  select's ``onchange`` turns into one);
- a JSON unit list that the page's script loads (``*.json`` or a unit/organ list URL).

`find_unit_lists` reads a page for all four; `units_from_json` reads a JSON unit list.
What cannot be read (a select whose options carry no address, a JSON list without
addresses) is a coverage problem: it is reported, never silently dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import etree

from harvester.discovery import clean_text, looks_like_body
from harvester.normalize.dom import parse_html
from harvester.normalize.errors import NormalizeError

MAX_UNITS = 400  # per portal
UNIT_LIST_WORDS = (
    "部门信息公开",
    "部门及乡镇",
    "乡镇信息公开",
    "乡镇（街道）信息公开",
    "乡镇(街道)信息公开",
    "街道信息公开",
    "镇街信息公开",
    "部门公开",
    "乡镇公开",
    "单位导航",
    "部门导航",
    "机构导航",
    "信息公开单位",
    "公开单位",
)
_TREE = re.compile(r"unit|organ|dept|bumen|xzjd|zfbm|tree", re.I)
_JSON_URL = re.compile(
    r"""['"]((?:https?://|/|\./)[^'"\s]*?(?:\.json|(?:unit|organ|dept)s?(?:list|tree|/list)[^'"\s]*))['"]""",
    re.I,
)
_ONCHANGE = re.compile(r"""['"]([^'"]*)['"]\s*\+\s*this\.value(?:\s*\+\s*['"]([^'"]*)['"])?""")
NAME_KEYS = ("name", "unitName", "organName", "deptName", "title", "text", "label")
URL_KEYS = ("url", "link", "href", "siteUrl", "unitUrl", "columnUrl")
LIST_KEYS = ("data", "list", "rows", "units", "items", "result", "results", "children")


_NOT_UNIT = ("全部", "请选择", "所有", "更多", "其他", "返回")


def is_unit_name(text: str) -> bool:
    """A body's name (县教育局, 城关镇) and not a list's own entries (全部, 请选择…)."""
    return len(text) >= 3 and looks_like_body(text) and not text.startswith(_NOT_UNIT)


@dataclass(frozen=True)
class Unit:
    name: str
    url: str
    via: str  # links | tree | select | json


@dataclass
class UnitLists:
    units: list[Unit] = field(default_factory=list)
    json_urls: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (reason, url)

    def add(self, unit: Unit) -> None:
        if all(u.url != unit.url for u in self.units) and len(self.units) < MAX_UNITS:
            self.units.append(unit)


def _body_links(el: etree._Element, base: str) -> list[tuple[str, str]]:
    out = []
    for a in el.iter("a"):
        href = (a.get("href") or "").strip()
        text = clean_text(a.text_content()) or clean_text(a.get("title") or "")
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        if is_unit_name(text):
            out.append((text, urljoin(base, href)))
    return out


def _headed_lists(tree: etree._Element, base: str, found: UnitLists) -> None:
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in ("a", "option", "script", "style"):
            continue
        own = clean_text(el.text or "")
        if not own or len(own) > 20 or not any(w in own for w in UNIT_LIST_WORDS):
            continue
        scope = el
        for _ in range(4):
            links = _body_links(scope, base)
            if len(links) >= 2:
                for name, url in links:
                    found.add(Unit(name, url, "links"))
                break
            parent = scope.getparent()
            if parent is None:
                break
            scope = parent


def _trees(tree: etree._Element, base: str, found: UnitLists) -> None:
    for el in tree.iter("ul", "div", "dl", "nav"):
        label = f"{el.get('class') or ''} {el.get('id') or ''}"
        if _TREE.search(label):
            links = _body_links(el, base)
            if len(links) >= 2:
                for name, url in links:
                    found.add(Unit(name, url, "tree"))


def _selects(tree: etree._Element, base: str, found: UnitLists) -> None:
    for select in tree.iter("select"):
        options = [
            (clean_text(o.text_content()), (o.get("value") or "").strip())
            for o in select.iter("option")
        ]
        bodies = [(name, value) for name, value in options if is_unit_name(name)]
        if len(bodies) < 2:
            continue
        template = _ONCHANGE.search(select.get("onchange") or "")
        pattern = select.get("data-url") or ""
        unaddressed = []
        for name, value in bodies:
            if value and (value.startswith(("http://", "https://", "/", "./")) or "/" in value):
                url = urljoin(base, value)
            elif value and template:
                url = urljoin(base, template.group(1) + value + (template.group(2) or ""))
            elif value and "{id}" in pattern:
                url = urljoin(base, pattern.replace("{id}", value))
            else:
                unaddressed.append(name)
                continue
            found.add(Unit(name, url, "select"))
        if unaddressed:
            found.problems.append(
                (
                    f"unit list (select) not walked: {len(unaddressed)} unit(s) without an "
                    f"address ({'、'.join(unaddressed[:5])})",
                    base,
                )
            )


def _json_urls(tree: etree._Element, base: str, found: UnitLists) -> None:
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in ("data-units", "data-unit-list", "data-organs"):
            if el.get(attr):
                found.json_urls.append(urljoin(base, el.get(attr) or ""))
    for script in tree.iter("script"):
        for m in _JSON_URL.finditer(script.text or ""):
            found.json_urls.append(urljoin(base, m.group(1)))
    found.json_urls = list(dict.fromkeys(found.json_urls))


def find_unit_lists(html: str, base: str) -> UnitLists:
    """The units a page lists (links under a unit-list heading, trees, selects) and the
    JSON unit lists its scripts load."""
    found = UnitLists()
    try:
        tree = parse_html(html)
    except NormalizeError:
        return found
    _headed_lists(tree, base, found)
    _trees(tree, base, found)
    _selects(tree, base, found)
    _json_urls(tree, base, found)
    found.units = [u for u in found.units if urlsplit(u.url).scheme in ("http", "https")]
    return found


def _items(data: object) -> list[dict]:
    if isinstance(data, list):
        out = []
        for item in data:
            if isinstance(item, dict):
                out.append(item)
                out.extend(_items(item.get("children")))
        return out
    if isinstance(data, dict):
        for key in LIST_KEYS:
            if key in data:
                return _items(data[key])
    return []


def units_from_json(text: str, base: str) -> tuple[list[Unit], list[str]]:
    """(units, names of units without an address) of a JSON unit list; ValueError when it
    is not a readable list of units."""
    items = _items(json.loads(text))
    if not items:
        raise ValueError("no list of units in the JSON answer")
    units, unaddressed = [], []
    for item in items:
        name = next((clean_text(str(item[k])) for k in NAME_KEYS if item.get(k)), "")
        if not is_unit_name(name):  # a category node (县直部门) or not a unit
            continue
        url = next((str(item[k]) for k in URL_KEYS if item.get(k)), "")
        if url:
            units.append(Unit(name, urljoin(base, url), "json"))
        else:
            unaddressed.append(name)
    return units[:MAX_UNITS], unaddressed
