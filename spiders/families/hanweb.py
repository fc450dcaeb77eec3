"""大汉 Hanweb JCMS: records in <datastore> CDATA; more through /module/web/jpage/dataproxy.jsp."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from harvester.discovery import Link, extract_links
from spiders.families.base import PageRequest, Walk, capped

RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
TOTAL = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
# The jpage script's own count, when the datastore does not carry <totalrecord>.
SCRIPT_TOTAL = re.compile(r"""\btotalRecord\b['"]?\s*[:=]\s*['"]?(\d+)""", re.I)
NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>", re.S | re.I)
DATAPROXY = "/module/web/jpage/dataproxy.jsp"
GROUP_SIZE = 45


def records(text: str, base_url: str) -> list[Link]:
    links: list[Link] = []
    for fragment in RECORD.findall(text):
        links.extend(extract_links(f"<div>{fragment}</div>", base_url))
    return links


def _param(text: str, name: str) -> str | None:
    m = re.search(rf"\b{name}\b\s*[=:]\s*['\"]?(\d+)", text, re.I)
    return m.group(1) if m else None


def proxy_params(url: str, text: str) -> dict[str, str]:
    """columnid/unitid/webid/perpage of the column, from the nextgroup link or the page scripts."""
    params: dict[str, str] = {}
    m = NEXTGROUP.search(text)
    if m:
        href = re.search(r"href\s*=\s*['\"]([^'\"]+)['\"]", m.group(1))
        if href:
            params.update(parse_qsl(urlsplit(html_lib.unescape(href.group(1))).query))
    col = re.search(r"/col/col(\d+)/", url)
    for name in ("columnid", "unitid", "webid", "perpage"):
        if name not in params:
            value = _param(text, name)
            if value:
                params[name] = value
    if "columnid" not in params and col:
        params["columnid"] = col.group(1)
    params.setdefault("perpage", "15")
    for drop in ("startrecord", "endrecord", "page"):
        params.pop(drop, None)
    return params


def proxy_requests(url: str, params: dict[str, str], start: int, total: int) -> list[PageRequest]:
    pages = []
    for first in range(start, min(total, start + capped(total) * GROUP_SIZE) + 1, GROUP_SIZE):
        query = {
            "startrecord": str(first),
            "endrecord": str(min(first + GROUP_SIZE - 1, total)),
            **params,
        }
        pages.append(
            PageRequest(urljoin(url, DATAPROXY) + "?" + urlencode(query), kind="hanweb_xml")
        )
    return pages


def walk_hanweb(url: str, text: str) -> Walk:
    links = records(text, url)
    total_m = TOTAL.search(text) or SCRIPT_TOTAL.search(text)
    total = int(total_m.group(1)) if total_m else None
    pages: list[PageRequest] = []
    if "<datastore" in text.lower() and total is not None and total > len(links):
        pages = proxy_requests(url, proxy_params(url, text), len(links) + 1, total)
    # Links outside the datastore (sub-column trees, plain lists) count too.
    seen = {link.url for link in links}
    links.extend(link for link in extract_links(RECORD.sub("", text), url) if link.url not in seen)
    return Walk("hanweb", links, pages, total)


def walk_hanweb_xml(url: str, text: str) -> Walk:
    """A dataproxy.jsp answer: CDATA records and <totalrecord>."""
    total_m = TOTAL.search(text)
    return Walk("hanweb", records(text, url), [], int(total_m.group(1)) if total_m else None)
