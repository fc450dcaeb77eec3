"""What the spider reads of a page to decide where to go: its text, its title, its kind.

Decoding has one path for the whole project (`harvester.normalize.charset.decode_text`):
the page's bytes against its declared charsets. A registry row may name the portal's
encoding when the portal lies about it everywhere; that one is tried first.
"""

from __future__ import annotations

import re

from scrapy.http import Response
from twisted.python.failure import Failure

from harvester import discovery
from harvester.discovery import Link
from harvester.items import FetchedDocument, ReportDocument
from harvester.normalize.charset import decode_text, norm_charset
from harvester.normalize.sniff import sniff


def page_text(body: bytes, media_type: str = "", encoding: str | None = None) -> str:
    """The text of a page's bytes: the registry's encoding if it decodes them, else the
    project's decoding (declared charsets checked against the content)."""
    forced = norm_charset(encoding)
    if forced:
        try:
            return body.decode(forced)
        except UnicodeDecodeError:
            pass
    text, _warnings = decode_text(body, media_type)
    return text


def response_text(
    response: Response, document: FetchedDocument | None, encoding: str | None
) -> str:
    media_type = document.media_type if document else ""
    if not media_type:
        media_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    return page_text(response.body, media_type, encoding)


def page_title(html: str) -> str:
    meta = discovery.page_meta(html)
    if meta.get("ArticleTitle"):
        return discovery.clean_text(meta["ArticleTitle"])
    for pattern in (r"<h1[^>]*>(.*?)</h1>", r"<title[^>]*>(.*?)</title>"):
        m = re.search(pattern, html, re.S | re.I)
        if m:
            return discovery.clean_text(re.sub(r"<[^>]+>", "", m.group(1)))
    return ""


def is_html(document: FetchedDocument, body: bytes) -> bool:
    """A page (links to follow) rather than a file: by media type, else by the bytes."""
    media_type = document.media_type.lower()
    if "html" in media_type or "xml" in media_type:
        return True
    if media_type and "text/plain" not in media_type and "octet-stream" not in media_type:
        return False
    return bool(body) and sniff(body) == "html"


def failure_message(failure: Failure) -> str:
    """What went wrong with a request, said plainly (HTTP status, DNS, timeout …)."""
    response = getattr(failure.value, "response", None)
    if response is not None and hasattr(response, "status"):
        return f"HTTP {response.status}"
    return f"{type(failure.value).__name__}: {failure.getErrorMessage()}"


def page_documents(page: ReportDocument) -> tuple[ReportDocument, ...]:
    """A report page, and after it the DOM the browser rendered from it when that DOM shows
    what the server's bytes do not (the page's text exists only after its scripts)."""
    if page.document.rendered_sha256 and page.document.rendered_digest:
        return (page, ReportDocument("rendered", page.url, page.document))
    return (page,)


def is_report_candidate(link: Link) -> bool:
    """A list's link worth asking: a report title, or a title cut short ("…2023年政府信息公…")
    or absent (script lists) on an article URL (then the page itself is judged)."""
    if discovery.is_report_link(link):
        return True
    text = link.text
    truncated = text.endswith(("...", "…")) or not text
    return (
        truncated
        and discovery.is_article_url(link.url)
        and not discovery.is_lookalike(text, link.url)
    )
