"""Shandong disclosure platform: /gongkai/site_<unit>/channel_<id>/ lists, doc_<id>.html articles.

List pages are filled by script calls; article URLs are also read out of the scripts, and a
page with neither goes to the browser (the spider decides that).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from harvester.discovery import Link, extract_links
from spiders.families.base import PageRequest, Walk

SCRIPT_DOC = re.compile(
    r"""['"]((?:https?://[^'"\s]+)?/gongkai/site_\w+/channel_\w+/doc_[0-9a-f]{24}\.html)['"]""",
    re.I,
)
SCRIPT_PAGE = re.compile(
    r"""['"]((?:https?://[^'"\s]+)?/gongkai/site_\w+/channel_\w+/index_\d+\.html)['"]"""
)


def walk_shandong(url: str, text: str) -> Walk:
    links = extract_links(text, url)
    seen = {link.url for link in links}
    for m in SCRIPT_DOC.finditer(text):
        found = urljoin(url, m.group(1))
        if found not in seen:
            seen.add(found)
            # The title sits next to the URL in the script; judge the article by its page.
            after = text[m.end() : m.end() + 300]
            title = re.search(r"""title['"]?\s*[:=,]\s*['"]([^'"]+)['"]""", after)
            links.append(Link(found, title.group(1) if title else ""))
    pages = [PageRequest(urljoin(url, p)) for p in dict.fromkeys(SCRIPT_PAGE.findall(text))]
    return Walk("shandong", links, pages)
