"""Parsing HTML text into an lxml tree (shared by the page normaliser and link finder)."""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from harvester.normalize.errors import NormalizeError

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


def parse_html(text: str) -> etree._Element:
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        raise NormalizeError("empty HTML page")
    try:
        return lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise NormalizeError(f"unparseable HTML: {exc}") from None
