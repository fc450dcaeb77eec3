"""Guangdong gkmlpt: /gkmlpt/annualreport#<col>; lists as JSON /gkmlpt/api/all/<col>?page=N&sid=<site>."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qsl, urljoin, urlsplit

from harvester.discovery import Link, extract_links
from spiders.families.base import MAX_LIST_PAGES, PageRequest, Walk, capped

SID = re.compile(r"""\bsid['"]?\s*[:=]\s*['"]?(\d+)""", re.I)


def api_url(page_url: str, col: str, sid: str, page: int) -> str:
    return urljoin(page_url, f"/gkmlpt/api/all/{col}?page={page}&sid={sid}")


def walk_gkmlpt(url: str, text: str) -> Walk:
    """The annual-report page: one API request per column id it names."""
    links = extract_links(text, url)
    sid_m = SID.search(text) or SID.search(urlsplit(url).query)
    cols = re.findall(r"annualreport#(\d+)", url + " " + text)
    cols += re.findall(
        r"""(?:columnId|column_id|colId|catId|cat_id|col)['"]?\s*[:=]\s*['"]?(\d+)""", text
    )
    pages = []
    if sid_m:
        pages = [
            PageRequest(api_url(url, col, sid_m.group(1), 1), kind="gkmlpt_json")
            for col in dict.fromkeys(cols)
        ]
    return Walk("gkmlpt", links, pages)


ARTICLE_KEYS = ("articles", "data", "list", "rows", "records")
PINNED_KEYS = ("tops", "top_articles", "topArticles")  # pinned posts, outside `articles`
CHILD_KEYS = ("classify", "children", "columns", "cats", "sub_columns")


def _articles(data: dict) -> list[dict]:
    found: list[dict] = []
    for key in (*PINNED_KEYS, *ARTICLE_KEYS):
        value = data.get(key)
        if isinstance(value, dict):  # {"data": {"articles": […], "total": N}}
            found += _articles(value)
        elif isinstance(value, list):
            found += [a for a in value if isinstance(a, dict)]
    return found


def _child_columns(value: object) -> list[str]:
    """Category ids under a column (year sub-columns, sibling categories of a tree)."""
    out: list[str] = []
    if isinstance(value, list):
        for item in value:
            out += _child_columns(item)
    elif isinstance(value, dict):
        ident = value.get("id") or value.get("column_id") or value.get("columnId")
        if ident is not None and str(ident).isdigit():
            out.append(str(ident))
        for key in CHILD_KEYS:
            out += _child_columns(value.get(key))
    return out


def walk_gkmlpt_json(url: str, text: str) -> Walk:
    """An API answer: its articles (pinned ones too) with url and title; page 1 announces
    the rest (by `total`, or page by page while pages come full when it gives none) and the
    column's child categories (year sub-columns, sibling categories), walked too."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("gkmlpt answer is not a JSON object")
    articles = _articles(data)
    links = []
    for a in articles:
        target = a.get("url") or a.get("link") or a.get("href")
        if target:
            links.append(Link(urljoin(url, str(target)), str(a.get("title") or "")))
    links = list({link.url: link for link in links}.values())
    nested = data.get("data") if isinstance(data.get("data"), dict) else {}
    total = data.get("total") or nested.get("total")
    query = dict(parse_qsl(urlsplit(url).query))
    page = int(query.get("page", "1"))
    col = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    sid = query.get("sid", "")
    size = int(data.get("page_size") or data.get("pageSize") or 0)
    pages: list[PageRequest] = []
    if page == 1 and total and articles:
        count = math.ceil(int(total) / (size or len(articles)))
        pages = [
            PageRequest(api_url(url, col, sid, n), kind="gkmlpt_json")
            for n in range(2, capped(count) + 1)
        ]
    elif not total and articles and size and len(articles) >= size and page < MAX_LIST_PAGES:
        pages = [PageRequest(api_url(url, col, sid, page + 1), kind="gkmlpt_json")]
    if page == 1:
        for child in dict.fromkeys(_child_columns({key: data.get(key) for key in CHILD_KEYS})):
            if child != col:
                pages.append(PageRequest(api_url(url, child, sid, 1), kind="gkmlpt_json"))
    return Walk("gkmlpt", links, pages, int(total) if total else None)
