"""Guangdong gkmlpt: /gkmlpt/annualreport#<col>; lists as JSON /gkmlpt/api/all/<col>?page=N&sid=<site>."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qsl, urljoin, urlsplit

from harvester.discovery import Link, extract_links
from spiders.families.base import PageRequest, Walk, capped

SID = re.compile(r"""\bsid['"]?\s*[:=]\s*['"]?(\d+)""", re.I)


def api_url(page_url: str, col: str, sid: str, page: int) -> str:
    return urljoin(page_url, f"/gkmlpt/api/all/{col}?page={page}&sid={sid}")


def walk_gkmlpt(url: str, text: str) -> Walk:
    """The annual-report page: one API request per column id it names."""
    links = extract_links(text, url)
    sid_m = SID.search(text) or SID.search(urlsplit(url).query)
    cols = re.findall(r"annualreport#(\d+)", url + " " + text)
    cols += re.findall(r"""(?:columnId|column_id|col)['"]?\s*[:=]\s*['"]?(\d+)""", text)
    pages = []
    if sid_m:
        pages = [
            PageRequest(api_url(url, col, sid_m.group(1), 1), kind="gkmlpt_json")
            for col in dict.fromkeys(cols)
        ]
    return Walk("gkmlpt", links, pages)


def walk_gkmlpt_json(url: str, text: str) -> Walk:
    """An API answer: articles with url and title; page 1 announces the rest."""
    data = json.loads(text)
    articles = data.get("articles") or data.get("data") or []
    links = [
        Link(urljoin(url, a.get("url", "")), a.get("title", "")) for a in articles if a.get("url")
    ]
    total = data.get("total")
    query = dict(parse_qsl(urlsplit(url).query))
    page = int(query.get("page", "1"))
    pages: list[PageRequest] = []
    if page == 1 and total and articles:
        size = int(data.get("page_size") or data.get("pageSize") or len(articles))
        count = math.ceil(int(total) / size)
        col = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        pages = [
            PageRequest(api_url(url, col, query.get("sid", ""), n), kind="gkmlpt_json")
            for n in range(2, capped(count) + 1)
        ]
    return Walk("gkmlpt", links, pages, int(total) if total else None)
