"""Parsing HTML text into an lxml tree, and the text of its elements (shared by the page
normaliser, its metadata reader and the link finder)."""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from harvester.normalize.errors import NormalizeError
from harvester.normalize.grid import clean_text, join_lines

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
BLOCK_TAGS = {"address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "tr", "ul"}  # fmt: skip
SKIP_TAGS = {"button", "head", "noscript", "option", "script", "select", "style", "template", "title"}  # fmt: skip

# Where portals' content systems put an article's body (TRS, Hanweb, Lonsun, …), best first.
CONTAINERS = (
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_UEDITOR ')]",
    "//*[@id='zoom']",
    "//*[@id='ivs_content']",
    "//*[@id='UCAP-CONTENT']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' article-content ')]",
    "//*[@id='content']",
    "//article",
)


def parse_html(text: str) -> etree._Element:
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        raise NormalizeError("empty HTML page")
    try:
        return lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise NormalizeError(f"unparseable HTML: {exc}") from None


def text_of(el: etree._Element) -> str:
    """Text of an element with block boundaries as line breaks, joined CJK-aware."""
    if len(el) == 0:  # fast path: a leaf cell
        return clean_text(el.text or "")
    lines: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            lines.append("".join(buf))
            buf.clear()

    def walk(node: etree._Element) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        tag = tag.lower()
        if tag in SKIP_TAGS or node.tag is etree.Comment:
            if node.tail:
                buf.append(node.tail)
            return
        block = tag in BLOCK_TAGS or tag == "br"
        if block:
            flush()
        if node.text and tag != "br":
            buf.append(node.text)
        for child in node:
            walk(child)
        if block:
            flush()
        if node.tail:
            buf.append(node.tail)

    walk(el)
    flush()
    return join_lines(lines)
