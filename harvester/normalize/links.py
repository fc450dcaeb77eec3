"""Links out of article pages: attachments (附件, downloaders, pdf.js viewers, iframes,
onclick handlers) and TRS continuation pages (t…_1.html)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from lxml import etree

from harvester.document import Attachment
from harvester.normalize.charset import decode_text
from harvester.normalize.dom import parse_html
from harvester.normalize.errors import NormalizeError
from harvester.normalize.grid import clean_text

DOC_EXTS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".rtf", ".ofd", ".zip", ".rar", ".7z")
IMG_EXTS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff")
_CREATE_PAGE = re.compile(r"createPageHTML\s*\(([^)]{0,300})\)")
_ARG = re.compile(r"""\s*(?:'([^']*)'|"([^"]*)"|([^,]*))\s*(?:,|$)""")
# Scanned reports are published as pictures too (opened by onclick or a downloader).
_ONCLICK_URL = re.compile(
    r"""['"]([^'"\s]+?\.(?:pdf|docx?|wps|xlsx?|et|rtf|ofd|zip|rar|jpe?g|png|gif|bmp|tiff?)(?:\?[^'"]*)?)['"]""",
    re.I,
)
_DOWNLOAD_PATH = re.compile(r"(download|downfile|attach|fujian|getfile)", re.I)
_DOCUMENT_NAME = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|rtf|ofd|zip|rar|jpe?g|png|gif|bmp|tiff?)$", re.I)
_WINDOW_OPEN = re.compile(r"""(?:window\.open|location(?:\.href)?\s*=|downloadFile|download)\s*\(?\s*['"]([^'"]+)['"]""", re.I)


def _is_doc_url(u: str) -> bool:
    path = urlsplit(u).path.lower()
    return path.endswith(DOC_EXTS)


def _is_linked_file(u: str) -> bool:
    """A link straight to a document, a picture (scanned reports) or a text file."""
    return urlsplit(u).path.lower().endswith((*DOC_EXTS, *IMG_EXTS, ".txt"))


def _downloader_target(u: str, text: str = "") -> bool:
    """A downloader URL (downfile.jsp?…, /download?filename=…, /fujian/…) that names a
    document in its query or its link text, or says 附件."""
    parts = urlsplit(u)
    path = parts.path.lower()
    if any(k in path for k in ("downfile", "download", "filedown", "attachment", "getfile")):
        q = parse_qs(parts.query)
        names = [v for key in ("filename", "fileName", "file", "name", "fn") for v in q.get(key, [])]
        if names or "downfile" in path:
            return True
    if not _DOWNLOAD_PATH.search(path):
        return False
    return bool(_DOCUMENT_NAME.search(text) or _DOCUMENT_NAME.search(parts.query) or "附件" in text)


def _viewer_target(u: str) -> str | None:
    parts = urlsplit(u)
    if "viewer" not in parts.path.lower():
        return None
    q = parse_qs(parts.query)
    files = q.get("file")
    if not files:
        return None
    return urljoin(u, unquote(files[0]))


def _name_from_url(u: str) -> str:
    parts = urlsplit(u)
    q = parse_qs(parts.query)
    for key in ("filename", "fileName", "name"):
        if q.get(key):
            return unquote(q[key][0])
    return unquote(parts.path.rsplit("/", 1)[-1])


def attachments_of(tree: etree._Element, url: str) -> list[Attachment]:
    found: dict[str, Attachment] = {}

    def add(target: str, name: str, how: str) -> None:
        target = target.strip()
        if not target or target.startswith(("mailto:", "#")):
            return
        absolute = urljoin(url, target)
        viewer = _viewer_target(absolute)
        if viewer:
            absolute, how = viewer, "pdfjs"
        if urlsplit(absolute).scheme not in {"http", "https"}:
            return
        if absolute == url:
            return
        if absolute not in found:
            found[absolute] = Attachment(absolute, clean_text(name) or _name_from_url(absolute), how)

    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        text = clean_text(a.text_content()) or clean_text(a.get("title") or "")
        onclick = a.get("onclick") or ""
        if href.lower().startswith("javascript:"):
            onclick = onclick + " " + href
            href = ""
        if href and not href.startswith("#"):
            absolute = urljoin(url, href)
            if _viewer_target(absolute):
                add(href, text, "pdfjs")
            elif _is_linked_file(absolute):
                add(href, text, "link")
            elif _downloader_target(absolute, text):
                add(href, text or _name_from_url(absolute), "downloader")
            elif text.lower().endswith(DOC_EXTS) or (
                text.lower().endswith(IMG_EXTS) and "附件" in _preceding_text(a)
            ):
                add(href, text, "link")
        if onclick:
            for m in _ONCLICK_URL.finditer(onclick):
                add(m.group(1), text, "onclick")
            for m in _WINDOW_OPEN.finditer(onclick):
                target = urljoin(url, m.group(1))
                if _is_doc_url(target) or _downloader_target(target) or _viewer_target(target):
                    add(m.group(1), text, "onclick")
    for tag in ("iframe", "embed", "object"):
        for el in tree.iter(tag):
            src = el.get("src") or el.get("data") or ""
            if not src:
                continue
            absolute = urljoin(url, src)
            if _viewer_target(absolute):
                add(src, "", "pdfjs")
            elif _is_linked_file(absolute) or _downloader_target(absolute):
                add(src, "", "iframe")
    return list(found.values())


def _preceding_text(a: etree._Element) -> str:
    parent = a.getparent()
    if parent is None:
        return ""
    return clean_text(parent.text_content())[:200]


def extract_attachments(html: str, url: str) -> list[Attachment]:
    """Document links of an article page: 附件 links, downloaders, pdf.js, iframes, onclick."""
    try:
        tree = parse_html(html)
    except NormalizeError:
        return []
    return attachments_of(tree, url)


def continuation_urls(html: str | bytes, url: str) -> list[str]:
    """The further pages of a TRS article split over t…_1.html, t…_2.html.

    Read from the page's ``createPageHTML(total, current, stem, ext)`` call; only the first
    page (current 0) lists them, and list pages (stem ``index``) are not articles.
    """
    if isinstance(html, str):
        text = html
    else:
        text, _ = decode_text(html)
    out: list[str] = []
    for m in _CREATE_PAGE.finditer(text):
        parsed = _page_call(m.group(1))
        if parsed is None:
            continue
        total, current, stem, ext = parsed
        if current != 0 or stem.rsplit("/", 1)[-1] == "index" or total < 2:
            continue
        for n in range(1, min(total, 200)):
            u = urljoin(url, f"{stem}_{n}.{ext}")
            if u not in out:
                out.append(u)
    return out


def _page_call(args: str) -> tuple[int, int, str, str] | None:
    """(total, current, stem, ext) from createPageHTML's arguments, in both the classic
    ``(total, current, "stem", "ext")`` and the ``("divId", total, current, "stem", "ext")``
    forms."""
    values = [(g[0] or g[1] or g[2]).strip() for g in _ARG.findall(args)]
    values = [v for v in values if v != ""]
    numbers = [i for i, v in enumerate(values) if v.isdigit()]
    if len(numbers) < 2:
        return None
    i = numbers[0]
    if numbers[1] != i + 1 or i + 3 >= len(values):
        return None
    stem, ext = values[i + 2], values[i + 3]
    if not re.fullmatch(r"[A-Za-z0-9_\-./]+", stem) or not re.fullmatch(r"[A-Za-z]{2,5}", ext):
        return None
    return int(values[i]), int(values[i + 1]), stem, ext
