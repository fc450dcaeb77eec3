"""龙讯 Lonsun: /public/column/<organ>?type=3&action=list&pageIndex=N."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from harvester.discovery import extract_links
from spiders.families.base import PageRequest, Walk, capped

PAGE_COUNT = re.compile(r"共\s*(\d+)\s*页")


def page_url(url: str, n: int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("type", "3")
    query["action"] = "list"
    query["pageIndex"] = str(n)
    return urlunsplit(parts._replace(query=urlencode(query)))


def walk_lonsun(url: str, text: str) -> Walk:
    links = extract_links(text, url)
    current = int(dict(parse_qsl(urlsplit(url).query)).get("pageIndex", "1"))
    numbers = [int(n) for n in re.findall(r"pageIndex=(\d+)", text)]
    m = PAGE_COUNT.search(text)
    if m:
        numbers.append(int(m.group(1)))
    last = max(numbers, default=1)
    pages = (
        [PageRequest(page_url(url, n)) for n in range(2, capped(last) + 1)] if current == 1 else []
    )
    return Walk("lonsun", links, pages, last)
