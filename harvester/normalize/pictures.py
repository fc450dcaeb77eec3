"""Pictures in an article body: the tables some portals publish as images.

A report page whose tables are ``<img>`` scans (TRS ``W0…png``, pasted screenshots) has its
data in those pictures. The spider fetches them as documents of the report (role
``image``) and the normaliser notes where each one stands among the page's blocks, so OCR
text and tables go back in place (harvester.processing). Both ask this module, so the
pictures fetched are the pictures placed.

Logos, icons, share buttons, QR codes, badges and spacers are never article pictures: they
are told by their address, class, id or alt text, by a stated size below ``MIN_SIDE``
pixels, or by sitting outside the article body.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml import etree

from harvester.document import Block, Document, Picture
from harvester.normalize.density import best_container
from harvester.normalize.dom import CONTAINERS, parse_html
from harvester.normalize.errors import NormalizeError

MAX_PICTURES = 40  # per article page: more is a gallery, not a report's tables
MIN_SIDE = 100  # pixels: a stated width or height below it is an icon or a badge
_NOT_CONTENT = re.compile(
    r"logo|icon|ico[_.-]|banner|share|fenxiang|qr|ewm|erweima|wechat|weixin|weibo|wx[_.-]|"
    r"btn|button|arrow|print|close|search|gongan|beian|jiucuo|dzjg|police|badge|spacer|blank|"
    r"loading|bg[_.-]|nav|foot|header|top[_.-]|dot[_.-]|line[_.-]|kefu|service|zhuanti",
    re.I,
)
_PICTURE_EXTS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp")
_DOCUMENT_EXTS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".ofd", ".zip", ".rar")


def _size(value: str | None) -> int | None:
    m = re.match(r"\s*(\d+)", value or "")
    return int(m.group(1)) if m else None


def _stated_side(img: etree._Element, name: str) -> int | None:
    side = _size(img.get(name))
    if side is None:
        m = re.search(rf"(?<![-\w]){name}\s*:\s*(\d+)\s*px", img.get("style") or "", re.I)
        side = int(m.group(1)) if m else None
    return side


def picture_url(img: etree._Element, page_url: str) -> str | None:
    """The absolute address of an article picture; None for anything else (icons, logos,
    data: URIs, pictures that link to another page)."""
    src = (img.get("src") or img.get("data-src") or img.get("original") or "").strip()
    if not src or src.startswith(("data:", "javascript:")):
        return None
    url = urljoin(page_url, src)
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    path = urlsplit(url).path.lower()
    if path.endswith(_DOCUMENT_EXTS) or path.endswith((".svg", ".ico")):
        return None
    labels = " ".join(
        [path.rsplit("/", 1)[-1], img.get("class") or "", img.get("id") or "", img.get("alt") or ""]
    )
    if _NOT_CONTENT.search(labels):
        return None
    for side in (_stated_side(img, "width"), _stated_side(img, "height")):
        if side is not None and side < MIN_SIDE:
            return None
    link = next((a for a in img.iterancestors("a")), None)
    if link is not None:
        href = urljoin(page_url, (link.get("href") or "").strip())
        # A picture linking elsewhere is a button or a banner; one linking to itself (or
        # to its full-size file) is the picture.
        if href and href != url and not urlsplit(href).path.lower().endswith(_PICTURE_EXTS):
            return None
    return url


def article_body(tree: etree._Element) -> etree._Element | None:
    """The element holding the article: a known content container (with text, a table or a
    picture), else the densest block of text."""
    for xp in CONTAINERS:
        found = [
            el
            for el in tree.xpath(xp)
            if len(el.text_content().strip()) >= 20 or el.xpath(".//table | .//img")
        ]
        if found:
            return max(found, key=lambda el: len(el.text_content()) + 50 * len(el.xpath(".//img")))
    return best_container(tree)


def pictures_in(scope: etree._Element, page_url: str) -> list[str]:
    """The article pictures under `scope`, in document order, each once."""
    out: list[str] = []
    for img in scope.iter("img"):
        url = picture_url(img, page_url)
        if url and url not in out:
            out.append(url)
    return out[:MAX_PICTURES]


def article_pictures(html: str, page_url: str) -> list[str]:
    """The pictures of an article page's body (what the spider fetches as image documents)."""
    try:
        tree = parse_html(html)
    except NormalizeError:
        return []
    body = article_body(tree)
    return pictures_in(body, page_url) if body is not None else []


def placed_pictures(
    tree: etree._Element,
    container: etree._Element | None,
    placed: list[tuple[etree._Element, int]],
    n_blocks: int,
    url: str | None,
) -> list[Picture]:
    """The article's pictures (harvester.normalize.pictures) where they stand among the
    blocks; those the block walk did not meet stand at the end."""
    if not url:
        return []
    body = article_body(tree) if container is None else container
    if body is None:
        return []
    found = pictures_in(body, url)
    at = {}
    for img, position in placed:
        picture = picture_url(img, url)
        if picture and picture not in at:
            at[picture] = position
    return [Picture(u, at.get(u, n_blocks)) for u in found]


def mark_pictured_tables(doc: Document, pictures: list[Picture], blocks: list[Block]) -> None:
    """An article whose body has pictures and no table (and no document attached that would
    hold the tables): its tables are images and need OCR, said on the document."""
    if not pictures or any(b.kind == "table" for b in blocks):
        return
    # Linked pictures are the tables' scans, not documents that would hold them as tables.
    if any(not urlsplit(a.url).path.lower().endswith(_PICTURE_EXTS) for a in doc.attachments):
        return
    doc.needs_ocr = True
    doc.warnings.append(
        f"{len(pictures)} picture(s) and no table in the article: its tables are images "
        f"and need OCR ({', '.join(p.url for p in pictures[:5])})"
    )
