"""博达 VSB: list /<col>.htm, older pages /<col>/N.htm counting down to 1."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from harvester.discovery import extract_links
from spiders.families.base import PageRequest, Walk, capped


def walk_vsb(url: str, text: str) -> Walk:
    links = extract_links(text, url)
    path = urlsplit(url).path
    pages: list[PageRequest] = []
    total = None
    if path.endswith(".htm") and not re.search(r"/\d+\.htm$", path):
        stem = path.rsplit("/", 1)[-1][: -len(".htm")]
        numbers = [
            int(m.group(1))
            for link in links
            if (m := re.search(rf"/{re.escape(stem)}/(\d+)\.htm$", urlsplit(link.url).path))
        ]
        if numbers:
            top = max(numbers)
            total = top + 1
            pages = [
                PageRequest(urljoin(url, f"{stem}/{n}.htm"))
                for n in range(top, max(0, top - capped(top)), -1)
            ]
    return Walk("vsb", links, pages, total)
