"""What a list walker returns, and the generic next-page walker every family falls back on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from harvester.discovery import Link, clean_text, extract_links

MAX_LIST_PAGES = 500  # list pages one walker announces from one page (a 10⁸ count is a trap)


def capped(last: int) -> int:
    """The last page number a walker builds: never more than MAX_LIST_PAGES pages."""
    return min(last, MAX_LIST_PAGES)


NEXT_WORDS = ("下一页", "下页", "尾页", "末页", "后页", "最后一页", ">", ">>", "»")


@dataclass(frozen=True)
class PageRequest:
    """A further list page: an HTML page or a family API answer (kind names its walker)."""

    url: str
    kind: str = "html"
    method: str = "GET"
    body: str | None = None


@dataclass
class Walk:
    family: str
    links: list[Link] = field(default_factory=list)
    pages: list[PageRequest] = field(default_factory=list)
    total: int | None = None  # records or pages the page announces, when it does


def _same_list(url: str, page_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(page_url)
    if a.netloc != b.netloc:
        return False
    dir_a = a.path.rsplit("/", 1)[0]
    dir_b = b.path.rsplit("/", 1)[0]
    stem_b = b.path.rsplit("/", 1)[-1].split(".")[0]
    return dir_a == dir_b or a.path == b.path or dir_a == f"{dir_b}/{stem_b}"


def generic_pages(url: str, text: str) -> list[PageRequest]:
    """Next/last/numbered page links that stay in the same list (same directory or path)."""
    out: list[PageRequest] = []
    seen = {url}
    for link in extract_links(text, url):
        t = clean_text(link.text)
        numbered = t.isdigit() and len(t) <= 4
        paged = bool(
            re.search(
                r"(index_\d+\.s?html?|[?&](page|pageIndex|pageNo|pageNum|p)=\d+)", link.url, re.I
            )
        )
        if not (t in NEXT_WORDS or numbered or paged):
            continue
        if link.url in seen or not _same_list(link.url, url):
            continue
        seen.add(link.url)
        out.append(PageRequest(link.url))
    return out


def walk_generic(url: str, text: str) -> Walk:
    return Walk("generic", extract_links(text, url), generic_pages(url, text))
