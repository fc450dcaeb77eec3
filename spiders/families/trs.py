"""TRS WCM / 海云: static index.html, index_1.html … announced by createPageHTML(total, current, …)."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from harvester.discovery import extract_links
from spiders.families.base import PageRequest, Walk, capped

CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)


def trs_pages(url: str, text: str) -> tuple[int | None, list[PageRequest]]:
    """All list pages announced by the first page's createPageHTML call."""
    m = CREATE_PAGE.search(text)
    if not m:
        return None, []
    total, current, stem, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    if current != 0:
        return total, []
    return total, [PageRequest(urljoin(url, f"{stem}_{n}.{ext}")) for n in range(1, capped(total))]


def walk_trs(url: str, text: str) -> Walk:
    total, pages = trs_pages(url, text)
    return Walk("trs", extract_links(text, url), pages, total)
