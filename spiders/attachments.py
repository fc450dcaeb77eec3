"""Attachment and continuation links of an article page (links only: no table parsing here)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml import html as lxml_html

from harvester.discovery import Link, clean_text, is_document_url
from spiders.families.trs import CREATE_PAGE

# Scanned reports are published as images too (opened by onclick or a downloader).
ONCLICK_URL = re.compile(
    r"""['"]([^'"]+\.(?:pdf|docx?|wps|xlsx?|et|rtf|ofd|zip|rar|jpe?g|png|gif|bmp|tiff?))['"]""",
    re.I,
)


def _viewer_target(url: str) -> str | None:
    parts = urlsplit(url)
    if "viewer" in parts.path.lower():
        files = parse_qs(parts.query).get("file")
        if files:
            return urljoin(url, files[0])
    return None


DOWNLOAD_PATH = re.compile(r"(download|downfile|attach|fujian|getfile)", re.I)
DOCUMENT_NAME = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|rtf|ofd|zip|rar|jpe?g|png|gif|bmp|tiff?)$", re.I)


def _named_download(url: str, text: str) -> bool:
    """A downloader URL (download.jsp?…) whose link text or query names a document."""
    parts = urlsplit(url)
    if not DOWNLOAD_PATH.search(parts.path):
        return False
    return bool(DOCUMENT_NAME.search(text) or DOCUMENT_NAME.search(parts.query) or "附件" in text)


def own_attachment_links(html: str, url: str) -> list[Link]:
    """附件 links, downfile.jsp downloaders, pdf.js viewers, iframes/embeds and onclick targets."""
    try:
        doc = lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    found: dict[str, str] = {}

    def add(target: str, text: str) -> None:
        target = urljoin(url, target.strip())
        viewer = _viewer_target(target)
        if viewer:
            target = viewer
        if urlsplit(target).scheme in ("http", "https") and target not in found:
            found[target] = text

    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        text = clean_text(a.text_content()) or clean_text(a.get("title"))
        if href and not href.startswith(("javascript:", "#", "mailto:")):
            full = urljoin(url, href)
            if is_document_url(full) or _viewer_target(full) or _named_download(full, text):
                add(full, text)
        onclick = a.get("onclick") or (href if href.startswith("javascript:") else "")
        for m in ONCLICK_URL.finditer(onclick):
            add(m.group(1), text)
    for tag in ("iframe", "embed", "object"):
        for el in doc.iter(tag):
            src = el.get("src") or el.get("data") or ""
            if src and (is_document_url(urljoin(url, src)) or _viewer_target(urljoin(url, src))):
                add(src, "")
    return [Link(u, t) for u, t in found.items()]


def attachment_links(html: str, url: str) -> list[Link]:
    """The normalisation helper's extraction when available, united with ours."""
    links = own_attachment_links(html, url)
    try:
        from harvester.normalize.html import extract_attachments
    except ImportError:
        return links
    known = {link.url for link in links}
    try:
        theirs = extract_attachments(html, url)
    except Exception:  # noqa: BLE001 - ours still stand; the normaliser reports its own errors
        return links
    for att in theirs:
        target = getattr(att, "url", None) or (att.get("url") if isinstance(att, dict) else None)
        if target and target not in known:
            known.add(target)
            links.append(Link(target, getattr(att, "name", "") or ""))
    return links


def continuation_links(html: str, url: str) -> list[str]:
    """Further pages of an article split over t…_1.html, t…_2.html (TRS createPageHTML)."""
    try:
        from harvester.normalize import continuation_urls

        return list(continuation_urls(html.encode("utf-8"), url))
    except ImportError:
        pass
    m = CREATE_PAGE.search(html)
    if not m or int(m.group(2)) != 0:
        return []
    total, stem, ext = int(m.group(1)), m.group(3), m.group(4)
    return [urljoin(url, f"{stem}_{n}.{ext}") for n in range(1, total)]
