"""The article by density ("readability-lite"): the element holding most paragraph and
table text, boilerplate (nav, footer, …) ignored. Shared by the HTML normaliser and the
article-picture finder (harvester.normalize.pictures)."""

from __future__ import annotations

import re

from lxml import etree

from harvester.normalize.grid import clean_text


def is_layout_table(table: etree._Element) -> bool:
    """A table that lays a page out (it holds tables), not a data table."""
    return bool(table.xpath(".//table"))


_BOILERPLATE = re.compile(
    r"nav|menu|footer|header|breadcrumb|crumb|copyright|share|related|sidebar|banner|bottom|top|foot|head",
    re.I,
)


def best_container(tree: etree._Element) -> etree._Element | None:
    """Readability-lite: the element holding most paragraph and table text, boilerplate
    (nav, footer, …) ignored."""
    scores: dict[etree._Element, float] = {}
    body = tree.find("body")
    if body is None:
        return None
    for el in body.iter("p", "td", "table", "span", "div", "li", "font"):
        if any(
            _BOILERPLATE.search((a.get("class") or "") + " " + (a.get("id") or ""))
            for a in el.iterancestors()
        ):
            continue
        if _BOILERPLATE.search((el.get("class") or "") + " " + (el.get("id") or "")):
            continue
        own = clean_text((el.text or "") + "".join((c.tail or "") for c in el))
        n = len(re.findall(r"[\u3400-\u9fff0-9]", own))
        if el.tag == "table" and not is_layout_table(el):
            n += 20 * len(el.xpath(".//td"))
        if n < 5:
            continue
        weight = 1.0
        for anc in el.iterancestors():
            if anc is body.getparent():
                break
            scores[anc] = scores.get(anc, 0.0) + n * weight
            weight *= 0.5
            if weight < 0.1:
                break
    candidates = [e for e in scores if e.tag not in {"html", "tr", "tbody", "table"}]
    if not candidates:
        return None
    return max(candidates, key=lambda e: scores[e])
